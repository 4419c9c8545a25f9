/**
 * Watches the drive list for the wizard: a drive plugged in, removed,
 * remounted with another file system, or filling up by at least 1% of its
 * size. It polls `listDrives()` (one poll at a time, the next scheduled only
 * after the last ends, on an unref'd timer), and on Linux also polls at once
 * when the mount table or the set of disks changes, where fs.watch can see it.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { DriveInfo } from '../../src-shared/api/contract.ts';
import { listDrives } from './drives.ts';

export interface WatchDrivesOptions {
  /** Time between polls; 2 s by default, never below 100 ms. */
  intervalMs?: number;
  /** What is polled; `listDrives` by default (tests inject their own). */
  list?: () => Promise<DriveInfo[]>;
  /**
   * Paths whose changes trigger an early poll. Linux by default:
   * /proc/self/mountinfo (not every kernel reports its changes to inotify)
   * and /dev/disk/by-id (udev adds and removes a link per disk).
   */
  watchPaths?: readonly string[];
}

const LINUX_WATCH_PATHS = ['/proc/self/mountinfo', '/dev/disk/by-id'];
/** A burst of udev and mount events becomes one poll. */
const SETTLE_MS = 300;

/** What counts as a change: the drives' paths, file systems, and free space in 1% steps of their size. */
export function driveSetKey(drives: readonly DriveInfo[]): string {
  return drives
    .map((d) => {
      const free = d.freeBytes === null ? '?' : d.sizeBytes ? String(Math.floor((d.freeBytes / d.sizeBytes) * 100)) : String(d.freeBytes);
      return JSON.stringify([d.path, d.fsType, free]);
    })
    .sort()
    .join('\n');
}

/**
 * Calls `onChange` with the new list each time the set of drives changes (not
 * for the first list, which is the baseline). A failing lister is skipped
 * until the next poll; a throwing `onChange` does not stop the watch.
 * Returns stop(), after which onChange is never called again.
 */
export function watchDrives(onChange: (drives: DriveInfo[]) => void, options: WatchDrivesOptions = {}): () => void {
  const intervalMs = Math.max(100, options.intervalMs ?? 2_000);
  const list = options.list ?? listDrives;
  const watchPaths = options.watchPaths ?? (process.platform === 'linux' ? LINUX_WATCH_PATHS : []);
  let stopped = false;
  let running = false;
  let again = false;
  let last: string | undefined;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (delay: number): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void poll(), delay);
    timer.unref();
  };

  const poll = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const drives = await list();
      const key = driveSetKey(drives);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may have run while list() was awaited; TypeScript's narrowing cannot see that.
      if (!stopped && last !== undefined && key !== last) {
        try {
          onChange(drives);
        } catch {
          // A subscriber's failure must not end the watch.
        }
      }
      last = key;
    } catch {
      // lsblk or diskutil failed this time; the next poll tries again.
    } finally {
      running = false;
      schedule(again ? 0 : intervalMs);
      again = false;
    }
  };

  const watchers: FSWatcher[] = [];
  for (const path of watchPaths) {
    try {
      const watcher = watch(path, { persistent: false }, () => schedule(SETTLE_MS));
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // Not watchable here (no inotify on /proc, no /dev/disk/by-id in a container): polling alone serves.
    }
  }

  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
