/**
 * `serve.lock`: which process has a store folder open read-write, so
 * `ferry serve gc` (which deletes blobs no repository links) never runs under
 * a live server, and two servers never write one folder.
 *
 * The file says `pid purpose boot_id starttime` (`-` where /proc does not
 * tell). It is written whole to a temp file and then hard-linked to
 * serve.lock, so no other process ever reads a half-written lock (link fails
 * with EEXIST when the lock is there: the creation is atomic). A lock is
 * stale, and taken over, when its process is gone: another boot id (a pid
 * from before a reboot), no /proc/PID, or another start time (the pid was
 * reused). Where /proc is missing, a signal-0 check decides. An empty or
 * unparseable lock younger than {@link UNREADABLE_LOCK_GRACE_MS} counts as
 * live (an older Ferry may be between creating and writing it).
 * One process may open its store more than once (the app serves it and
 * imports into it); the file goes when the last of those handles closes, or
 * at process exit.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';

/** How long an empty or unparseable lock file counts as live (its writer may not have written it yet). */
export const UNREADABLE_LOCK_GRACE_MS = 10_000;

/** Who holds a store's lock, as its file says. */
export interface LockHolder {
  /** 0 when the file cannot be read yet (a young, empty or unparseable lock). */
  pid: number;
  /** `serve` for a read-write store, `gc` while a collection runs. */
  purpose: string;
}

/** Open handles per lock file in this process (a lock is shared by this process's handles). */
const held = new Map<string, { count: number; purpose: string }>();
let exitHookInstalled = false;

/** This boot's id (Linux), or undefined where the OS does not tell. */
function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/PID/stat),
 * false when /proc exists but the process does not, undefined without /proc.
 */
function startTime(pid: number): string | false | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    return errnoCode(error) === 'ENOENT' && bootId() !== undefined ? false : undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last `)`.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/** True when a process with this pid runs (signal 0 checks without sending; EPERM means it runs as another user). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** The line this process writes into its lock. */
function lockLine(purpose: string): string {
  return `${process.pid} ${purpose} ${bootId() ?? '-'} ${startTime(process.pid) ?? '-'}\n`;
}

/** Whether the lock text names a live process, given the file's age for unreadable text. */
function holderOf(lockFile: string, text: string, ageMs: number): LockHolder | undefined {
  const [pidText = '', purpose = 'serve', boot = '-', started = '-'] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText) || !Number.isSafeInteger(pid) || pid <= 0) return ageMs < UNREADABLE_LOCK_GRACE_MS ? { pid: 0, purpose: 'unknown' } : undefined;
  if (pid === process.pid) return held.has(lockFile) ? { pid, purpose } : undefined;
  const currentBoot = bootId();
  if (boot !== '-' && currentBoot !== undefined && boot !== currentBoot) return undefined;
  const current = startTime(pid);
  if (current === false) return undefined;
  if (started !== '-' && current !== undefined) return current === started ? { pid, purpose } : undefined;
  return processRuns(pid) ? { pid, purpose } : undefined;
}

/** The lock file's text and age, or undefined when it is absent. */
async function readLock(lockFile: string): Promise<{ text: string; ageMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(lockFile, 'utf8'), stat(lockFile)]);
    return { text, ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('read', lockFile, error);
  }
}

/** The live holder of a lock file, or undefined when there is none or it is stale. */
export async function lockHolder(lockFile: string): Promise<LockHolder | undefined> {
  const lock = await readLock(lockFile);
  return lock === undefined ? undefined : holderOf(lockFile, lock.text, lock.ageMs);
}

/**
 * Removes a lock judged stale, unless another process replaced it meanwhile:
 * it is renamed aside first, and put back when its text is no longer the stale one.
 */
async function removeStale(lockFile: string, staleText: string): Promise<void> {
  const aside = `${lockFile}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockFile, aside);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw ioError('remove stale lock', lockFile, error);
  }
  const text = await readFile(aside, 'utf8').catch(() => staleText);
  if (text !== staleText) await link(aside, lockFile).catch(() => undefined);
  await rm(aside, { force: true });
}

/** Writes a whole file and syncs it, so the lock it becomes is never empty on disk. */
async function writeSynced(path: string, text: string): Promise<void> {
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError('create', path, error);
  }
}

/**
 * Takes a store's lock for this process, or refuses with INVALID_ARGUMENT
 * naming the pid that holds it. This process's other `serve` handles share
 * the lock; gc never shares.
 */
export async function acquireStoreLock(lockFile: string, purpose: 'serve' | 'gc', storeDir: string): Promise<void> {
  const mine = held.get(lockFile);
  if (mine !== undefined && mine.purpose === purpose && purpose === 'serve') {
    mine.count += 1;
    return;
  }
  const temp = `${lockFile}.new-${randomBytes(6).toString('hex')}`;
  await writeSynced(temp, lockLine(purpose));
  try {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await link(temp, lockFile);
        held.set(lockFile, { count: 1, purpose });
        installExitHook();
        return;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw ioError('create', lockFile, error);
      }
      const lock = await readLock(lockFile);
      if (lock === undefined) continue;
      const holder = holderOf(lockFile, lock.text, lock.ageMs);
      if (holder !== undefined) {
        const what = holder.purpose === 'gc' ? 'ferry serve gc' : holder.purpose === 'serve' ? 'ferry serve' : 'another process';
        const who = holder.pid === 0 ? 'its lock is being written' : `pid ${holder.pid}`;
        throw new FerryError('INVALID_ARGUMENT', `the store ${storeDir} is in use by ${what} (${who}, see ${lockFile}); stop it first`, {
          path: lockFile,
          pid: holder.pid,
        });
      }
      await removeStale(lockFile, lock.text);
    }
  } finally {
    await rm(temp, { force: true });
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
