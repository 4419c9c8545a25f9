/**
 * The Deckhouse `license:` of an image set: `env:NAME` (or a bare NAME) reads
 * an environment variable, `file:PATH` a file. It becomes the password of the
 * Deckhouse registry (user `license-token`, as d8 uses) and nothing else, for
 * every front end that exports the set.
 */
import { readFile } from 'node:fs/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { parseReference } from '../oci/reference.ts';
import type { ImageSetFile } from '../sources/image-set.ts';

/** The user name the Deckhouse registry expects with a license key (d8 mirror's convention). */
const LICENSE_USER = 'license-token';

/** The registry login a set's Deckhouse license stands for, bound to the Deckhouse source host; undefined when the set names none. */
export async function deckhouseLicense(set: ImageSetFile): Promise<{ username: string; password: string; host: string } | undefined> {
  const license = set.document.deckhouse?.license;
  const source = set.document.deckhouse?.source;
  if (license === undefined || source === undefined) return undefined;
  let password: string | undefined;
  if (license.startsWith('file:')) password = (await readFile(license.slice('file:'.length), 'utf8').catch(() => undefined))?.trim();
  else password = process.env[license.replace(/^env:/, '')];
  if (!password) {
    throw new FerryError('CREDENTIALS_ERROR', `${set.path}: the Deckhouse license "${license}" is empty or missing (use env:VARIABLE or file:PATH)`, { file: set.path, path: 'deckhouse.license' });
  }
  return { username: LICENSE_USER, password, host: parseReference(source).registry };
}
