/**
 * The durable steps of store-bulk.ts's batches, each done for many files at
 * once: files written to temp names, synced and renamed over their final
 * names (base/durable-write.ts's sequence without its per-file folder sync),
 * and folders synced once each, a few at a time, so the file system can fold
 * many syncs into few journal commits.
 */
import { open, rename, rm } from 'node:fs/promises';
import { fsyncDir, tempPathFor } from '../base/durable-write.ts';
import { ioError } from '../base/fs-errors.ts';
import { writeAll } from '../base/gathered-write.ts';
import { Limiter } from '../base/limiter.ts';

/** fsyncs in flight at once: enough for the file system to fold them into few journal commits, few enough to leave reads a thread. */
const SYNC_CONCURRENCY = 4;

/** A file a batch writes: where, and its bytes. */
export interface BatchFile {
  path: string;
  content: string | Buffer;
}

/**
 * Writes every file to a temp name beside it, syncs each, then renames each
 * over its final name; the folders still need syncing (the caller's barrier).
 * Their folders must exist. On a failure every temp file is removed.
 */
export async function writeFilesSynced(files: readonly BatchFile[]): Promise<void> {
  const temps = files.map((file) => tempPathFor(file.path));
  const syncs = new Limiter(SYNC_CONCURRENCY);
  try {
    await Promise.all(
      files.map((file, index) =>
        syncs.run(async () => {
          const temp = temps[index] ?? tempPathFor(file.path);
          const handle = await open(temp, 'wx', 0o640).catch((error: unknown) => {
            throw ioError('write', file.path, error);
          });
          try {
            await writeAll(handle, [typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content], temp);
            await handle.sync().catch((error: unknown) => {
              throw ioError('fsync', file.path, error);
            });
          } finally {
            await handle.close();
          }
        }),
      ),
    );
    for (const [index, { path }] of files.entries()) {
      await rename(temps[index] ?? '', path).catch((error: unknown) => {
        throw ioError('write', path, error);
      });
    }
  } catch (error) {
    await Promise.all(temps.map((temp) => rm(temp, { force: true }).catch(() => undefined)));
    throw error;
  }
}

/** Syncs each folder once, a few at a time: a batch's barrier. */
export async function syncFolders(folders: Iterable<string>): Promise<void> {
  const syncs = new Limiter(SYNC_CONCURRENCY);
  await Promise.all([...new Set(folders)].map((folder) => syncs.run(() => fsyncDir(folder))));
}
