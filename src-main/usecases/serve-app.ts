/**
 * What the app's own registry needs beyond `startServe` (usecases/serve.ts):
 * the htpasswd file for its one user, so "start with the app" can restart it
 * without ever keeping the password, and the store's numbers.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';

/** bcrypt's cost: htpasswd -B's default, slow enough for a password file, quick enough for one login check per request batch. */
const BCRYPT_COST = 10;
/** The file holds a password hash: only its owner reads it. */
const HTPASSWD_MODE = 0o600;

/**
 * Writes `name:<bcrypt hash>` as `htpasswd -B` does (the `$2y$` prefix: the
 * same algorithm as bcryptjs's `$2b$`), replacing the file; the password is
 * never written or logged.
 */
export async function writeAppHtpasswd(file: string, name: string, password: string): Promise<void> {
  if (name.includes(':') || /\s/.test(name)) throw new FerryError('INVALID_ARGUMENT', 'the registry user name cannot contain ":" or spaces', { argument: 'user.name' });
  if (password === '') throw new FerryError('INVALID_ARGUMENT', 'type a password for the registry user', { argument: 'user.password' });
  const { default: bcrypt } = await import('bcryptjs');
  const hash = (await bcrypt.hash(password, BCRYPT_COST)).replace(/^\$2[ab]\$/, '$2y$');
  await mkdir(dirname(file), { recursive: true });
  await writeFileDurable(file, `${name}:${hash}\n`, { mode: HTPASSWD_MODE });
}

/** Repositories, images (tags) and bytes of a store folder, as the start screen shows them; the service reaches the serve layer only through here. */
export async function appStoreStats(storage: string): Promise<{ repositories: number; images: number; bytes: number }> {
  const { storeStats } = await import('../serve/store-stats.ts');
  return storeStats(storage);
}
