/**
 * Ferry's own version, read once from package.json: reported by `--version`
 * and recorded in every bundle's exporter field.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version in package.json. */
export function ferryVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
