/**
 * Ferry's own short-lived files: a durable write's temp file and the media
 * write probe. A kill at the wrong instant can leave one behind; a folder that
 * holds one is still what it was, so readers skip them and the export sweeps
 * them before it seals a bundle.
 */
import { DURABLE_TEMP_PATTERN } from './durable-write.ts';

/** Start of the media write probe's name (`.ferry-write-probe-<pid>-<12 hex>`). */
export const WRITE_PROBE_PREFIX = '.ferry-write-probe-';

const WRITE_PROBE_PATTERN = /^\.ferry-write-probe-\d+-[0-9a-f]{12}$/;

/** True for a file only Ferry writes, and only for a moment: harmless to skip, safe to remove. */
export function isFerryLeftover(name: string): boolean {
  return DURABLE_TEMP_PATTERN.test(name) || WRITE_PROBE_PATTERN.test(name);
}
