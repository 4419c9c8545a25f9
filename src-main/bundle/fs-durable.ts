/**
 * Durable file writes: temp file in the same folder, fsync, rename, fsync the
 * folder, so "the file exists" always means "the file is complete" even after
 * a power cut or a yanked USB drive (DESIGN.md decision 4, as containerd's
 * content store does it).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';

/**
 * Error codes with which an OS refuses to fsync a folder: Windows cannot open
 * a folder as a file (EISDIR, EPERM), and some filesystems do not support
 * syncing one (EINVAL). The rename is as durable as the OS allows there.
 */
const DIR_FSYNC_REFUSALS = new Set(['EPERM', 'EISDIR', 'EINVAL']);

/** The errno code of a Node filesystem error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/** Wraps a filesystem failure as IO_ERROR naming the file, so the user sees which file on which drive failed. */
export function ioError(action: string, path: string, cause: unknown): FerryError {
  if (cause instanceof FerryError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new FerryError('IO_ERROR', `cannot ${action} ${path}: ${reason}`, { path, errno: errnoCode(cause) }, { cause });
}

/**
 * Flushes a folder's entries (a rename is not durable until its folder is
 * synced). Skipped silently where the OS refuses: Windows answers EPERM or
 * EISDIR, and filesystems without folder sync answer EINVAL.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (process.platform === 'win32' && DIR_FSYNC_REFUSALS.has(errnoCode(error) ?? '')) return;
    throw ioError('open folder', dir, error);
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!DIR_FSYNC_REFUSALS.has(errnoCode(error) ?? '')) throw ioError('fsync folder', dir, error);
  } finally {
    await handle.close();
  }
}

/** Temp name beside the target, so the final rename stays on one filesystem and never replaces a file half-written. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${randomBytes(6).toString('hex')}`;
}

/**
 * Writes a whole file durably: temp file in the same folder, fsync, rename,
 * fsync the folder; the temp file is removed on any failure. Used for
 * `ferry.json`, `index.json` and `oci-layout`, which must never be seen half-written.
 */
export async function writeFileDurable(path: string, data: Uint8Array | string): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw ioError('write', path, error);
  }
  await fsyncDir(dirname(path));
}
