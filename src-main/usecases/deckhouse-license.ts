/**
 * The Deckhouse `license:` of an image set: `env:NAME` (or a bare NAME) reads
 * an environment variable of the process that exports, `file:PATH` a file, a
 * relative PATH being relative to the image set file (not to the working
 * folder, which differs between a shell and the desktop app). It becomes the
 * password of the Deckhouse registry (user `license-token`, as d8 uses) and
 * nothing else, for every front end that exports the set; the image set
 * schema refuses any other form.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import type { ImageSetFile } from '../sources/image-set.ts';

/** The user name the Deckhouse registry expects with a license key (d8 mirror's convention). */
const LICENSE_USER = 'license-token';
/** A license key is a short token; a larger file is not one. */
const LICENSE_FILE_LIMIT = 64 * 1024;

/** Where a license value says the key is: an environment variable or a file (absolute, resolved against the set's folder). */
export function licenseSource(license: string, setPath: string): { kind: 'env'; name: string } | { kind: 'file'; path: string } {
  if (license.startsWith('file:')) {
    const path = license.slice('file:'.length);
    return { kind: 'file', path: isAbsolute(path) ? path : join(dirname(setPath), path) };
  }
  return { kind: 'env', name: license.replace(/^env:/, '') };
}

/**
 * The registry login a set's Deckhouse license stands for, bound to the
 * Deckhouse source host; undefined when the set names none. `typedKey` is the
 * key an operator typed in the app's export wizard (the desktop app has no
 * shell to set an environment variable in): it wins over the set's `license:`,
 * and like it becomes only the registry password, never logged or written.
 */
export async function deckhouseLicense(set: ImageSetFile, typedKey?: string): Promise<{ username: string; password: string; host: string } | undefined> {
  const license = set.sections.deckhouse?.license;
  const source = set.sections.deckhouse?.source;
  const typed = typedKey?.trim();
  if (source !== undefined && typed) return { username: LICENSE_USER, password: typed, host: source.registry };
  if (license === undefined || source === undefined) return undefined;
  const from = licenseSource(license, set.path);
  let password: string | undefined;
  if (from.kind === 'file') {
    const bytes = await readFile(from.path).catch(() => undefined);
    password = bytes && bytes.length <= LICENSE_FILE_LIMIT ? bytes.toString('utf8').trim() : undefined;
  } else password = process.env[from.name]?.trim();
  if (!password) {
    const where = from.kind === 'file' ? `the file ${from.path}` : `the environment variable ${from.name}`;
    throw new FerryError('CREDENTIALS_ERROR', `${set.path}: the Deckhouse license "${license}" is empty or missing (${where} holds no key; use env:VARIABLE or file:PATH)`, {
      file: set.path,
      path: 'deckhouse.license',
    });
  }
  return { username: LICENSE_USER, password, host: source.registry };
}
