/**
 * `serve.lock`: which process has a store folder open read-write, so
 * `ferry serve gc` (which deletes blobs no repository links) never runs under
 * a live server, and two servers never write one folder. The file holds the
 * pid; a lock whose process is gone (a kill, a crash) is stale and taken over.
 * One process may open its store more than once (the app serves it and
 * imports into it); the file goes when the last of those handles closes, or
 * at process exit.
 */
import { unlinkSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';

/** Who holds a store's lock, as its file says. */
export interface LockHolder {
  pid: number;
  /** `serve` for a read-write store, `gc` while a collection runs. */
  purpose: string;
}

/** Open handles per lock file in this process (a lock is shared by this process's handles). */
const held = new Map<string, { count: number; purpose: string }>();
let exitHookInstalled = false;

/** True when a process with this pid runs (signal 0 checks without sending; EPERM means it runs as another user). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** The live holder of a lock file, or undefined when there is none or it is stale. */
export async function lockHolder(lockFile: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('read', lockFile, error);
  }
  const [pidText = '', purpose = 'serve'] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (pid === process.pid) return held.has(lockFile) ? { pid, purpose } : undefined;
  return processRuns(pid) ? { pid, purpose } : undefined;
}

/**
 * Takes a store's lock for this process, or refuses with INVALID_ARGUMENT
 * naming the pid that holds it. `shared` lets this process's other handles
 * of the same purpose share the lock; gc never shares.
 */
export async function acquireStoreLock(lockFile: string, purpose: 'serve' | 'gc', storeDir: string): Promise<void> {
  const mine = held.get(lockFile);
  if (mine !== undefined && mine.purpose === purpose && purpose === 'serve') {
    mine.count += 1;
    return;
  }
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const holder = await lockHolder(lockFile);
    if (holder !== undefined) {
      const what = holder.purpose === 'gc' ? 'ferry serve gc' : 'ferry serve';
      throw new FerryError('INVALID_ARGUMENT', `the store ${storeDir} is in use by ${what} (pid ${holder.pid}, see ${lockFile}); stop it first`, {
        path: lockFile,
        pid: holder.pid,
      });
    }
    try {
      const handle = await open(lockFile, 'wx');
      try {
        await handle.writeFile(`${process.pid} ${purpose}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      held.set(lockFile, { count: 1, purpose });
      installExitHook();
      return;
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw ioError('create', lockFile, error);
      // A stale lock (its process is gone): remove it and try once more; a live one is refused above.
      if ((await lockHolder(lockFile)) === undefined) await rm(lockFile, { force: true });
    }
  }
  throw new FerryError('INVALID_ARGUMENT', `the store ${storeDir} is being opened by another process (see ${lockFile}); try again`, { path: lockFile });
}

/** Drops one of this process's handles on a lock; the file goes with the last. */
export async function releaseStoreLock(lockFile: string): Promise<void> {
  const mine = held.get(lockFile);
  if (mine === undefined) return;
  mine.count -= 1;
  if (mine.count > 0) return;
  held.delete(lockFile);
  await rm(lockFile, { force: true }).catch(() => undefined);
}

/** At exit (without close), this process's locks are removed, so the next start does not even need the stale check. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lockFile of held.keys()) {
      try {
        unlinkSync(lockFile);
      } catch {
        // Already gone, or the folder was removed: nothing to release.
      }
    }
  });
}
