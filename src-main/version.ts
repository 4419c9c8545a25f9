/**
 * Ferry's own version, read once from package.json: reported by `--version`
 * and recorded in every bundle's exporter field. Works from the sources
 * (src-main/) and from the bundled CLI (dist/cli/) alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The version in the nearest package.json above this module. */
export function ferryVersion(): string {
  if (cached !== undefined) return cached;
  for (const relative of ['../package.json', '../../package.json']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) {
      cached = (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
      return cached;
    }
  }
  return 'unknown';
}
