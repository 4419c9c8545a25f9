/**
 * `ferry serve gc`: frees the disk space of blobs no repository needs any
 * more. Deleting a manifest or a blob through the registry only removes links
 * (store.ts), because a blob may be shared by many repositories; this
 * mark-and-sweep pass removes the content itself.
 *
 * It runs offline: stop `ferry serve` first. It takes the store's
 * `serve.lock` for itself and refuses while a server (or another gc) holds
 * it, since a blob being uploaded is unlinked until its upload finishes.
 *
 * Mark (as Distribution's garbage collector does): every manifest a
 * repository has (`_manifests/revisions`) and every blob and child manifest
 * those manifests name. A blob only uploaded or linked (`_layers`) but used
 * by no manifest is garbage: so deleting an image frees its layers. Sweep:
 * every other blob file and the `_layers` links to it, the temp files a kill
 * left, and upload sessions idle for longer than `uploadsOlderThanMs`.
 * An interrupted push whose manifest never came loses its blobs and uploads
 * them again on retry.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { DURABLE_TEMP_PATTERN, fsyncDir } from '../base/durable-write.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';
import { digestOfLinkName, listFolder, StoreLayout } from './store-layout.ts';
import { acquireStoreLock, releaseStoreLock } from './store-lock.ts';
import { blobFileEntries, repositoryFolders } from './store-read.ts';

/** Upload sessions idle this long are abandoned: a day covers a client that retries after a restart, as Distribution's upload purging does over days. */
export const DEFAULT_UPLOAD_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** What a gc run may do. */
export interface GarbageOptions {
  /** Report what would be removed, remove nothing. */
  dryRun: boolean;
  /** Upload sessions idle longer than this are removed (default DEFAULT_UPLOAD_MAX_AGE_MS). */
  uploadsOlderThanMs?: number;
}

/** What a gc run removed (or, in a dry run, would remove). */
export interface GarbageReport {
  /** Blobs no repository links or uses. */
  removed: Array<{ digest: string; size: number }>;
  /** Blobs kept. */
  keptBlobs: number;
  /** Bytes of removed blobs, leftovers and upload sessions. */
  bytesFreed: number;
  /** Abandoned upload sessions. */
  removedUploads: Array<{ id: string; size: number }>;
  /** Temp files a kill left (never visible as content). */
  removedLeftovers: number;
}

/** Removes what no repository of the store at `dir` needs; refuses while `ferry serve` has the store open. */
export async function collectGarbage(dir: string, options: GarbageOptions): Promise<GarbageReport> {
  const layout = new StoreLayout(dir);
  await readFile(layout.markerFile).catch((error: unknown) => {
    const why = errnoCode(error) === 'ENOENT' ? 'it is not a Ferry store (no ferry-store.json)' : String(error);
    throw new FerryError('INVALID_ARGUMENT', `cannot collect garbage in ${dir}: ${why}`, { path: dir });
  });
  await acquireStoreLock(layout.lockFile, 'gc', dir);
  try {
    return await sweep(layout, await mark(layout), options);
  } finally {
    await releaseStoreLock(layout.lockFile);
  }
}

/** Every digest some repository links or some kept manifest names. */
async function mark(layout: StoreLayout): Promise<Set<string>> {
  const live = new Set<string>();
  for (const repository of await repositoryFolders(layout)) {
    for (const digest of await linkedDigests(layout.revisionsFolder(repository))) {
      live.add(digest);
      for (const named of await namedBy(layout, digest)) live.add(named);
    }
  }
  return live;
}

/** The digests of the link files under `<folder>/<alg>/<hex>`. */
async function linkedDigests(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const algorithm of await listFolder(folder)) {
    for (const name of await listFolder(join(folder, algorithm))) {
      const digest = digestOfLinkName(algorithm, name);
      if (digest !== undefined) found.push(digest);
    }
  }
  return found;
}

/** The blobs and child manifests a stored manifest names (it was checked when stored; anything unreadable names nothing). */
async function namedBy(layout: StoreLayout, digest: string): Promise<string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(layout.blobFile(digest), 'utf8'));
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const document = parsed as { config?: { digest?: unknown }; layers?: unknown; manifests?: unknown };
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
  const descriptors: unknown[] = [document.config, ...list(document.layers), ...list(document.manifests)];
  return descriptors.flatMap((entry: unknown) => {
    const value = typeof entry === 'object' && entry !== null ? (entry as { digest?: unknown }).digest : undefined;
    return typeof value === 'string' ? [value] : [];
  });
}

async function sweep(layout: StoreLayout, live: Set<string>, options: GarbageOptions): Promise<GarbageReport> {
  const report: GarbageReport = { removed: [], keptBlobs: 0, bytesFreed: 0, removedUploads: [], removedLeftovers: 0 };
  const remove = async (path: string): Promise<void> => {
    if (options.dryRun) return;
    await rm(path, { recursive: true, force: true }).catch((error: unknown) => {
      throw ioError('remove', path, error);
    });
    // Deletions are made durable like writes: a removed blob or session does not come back after a power cut.
    await fsyncDir(dirname(path));
  };
  for await (const entry of blobFileEntries(layout)) {
    if (entry.digest !== undefined && live.has(entry.digest)) {
      report.keptBlobs += 1;
    } else if (entry.digest !== undefined) {
      report.removed.push({ digest: entry.digest, size: entry.size });
      report.bytesFreed += entry.size;
      await remove(entry.path);
    } else if (DURABLE_TEMP_PATTERN.test(entry.path)) {
      report.removedLeftovers += 1;
      report.bytesFreed += entry.size;
      await remove(entry.path);
    }
  }
  for (const repository of await repositoryFolders(layout)) {
    for (const digest of await linkedDigests(join(layout.repositoryFolder(repository), '_layers'))) {
      if (!live.has(digest)) await remove(layout.layerLink(repository, digest));
    }
  }
  const maxAge = options.uploadsOlderThanMs ?? DEFAULT_UPLOAD_MAX_AGE_MS;
  for (const id of await listFolder(layout.uploadsRoot)) {
    const session = await sessionAge(layout.uploadFolder(id));
    if (session.idleMs < maxAge) continue;
    report.removedUploads.push({ id, size: session.size });
    report.bytesFreed += session.size;
    await remove(layout.uploadFolder(id));
  }
  report.removedLeftovers += await sweepLinkLeftovers(layout.repositoriesRoot, remove);
  report.removedLeftovers += await sweepLockLeftovers(dirname(layout.lockFile), remove);
  return report;
}

/** How long an upload session has been idle (its newest file) and the bytes it holds. */
async function sessionAge(folder: string): Promise<{ idleMs: number; size: number }> {
  let newest = 0;
  let size = 0;
  for (const name of await listFolder(folder)) {
    const info = await stat(join(folder, name)).catch(() => undefined);
    if (info === undefined) continue;
    newest = Math.max(newest, info.mtimeMs);
    size += info.size;
  }
  if (newest === 0) newest = (await stat(folder).catch(() => undefined))?.mtimeMs ?? 0;
  return { idleMs: Date.now() - newest, size };
}

/** A lock's temp file (`serve.lock.new-HEX`, store-lock.ts) lives for milliseconds while a lock is taken; one this old was left by a kill. */
const LOCK_TEMP_MAX_AGE_MS = 60_000;
/** The name store-lock.ts gives a lock's temp file. */
const LOCK_TEMP_PATTERN = /^serve\.lock\.new-[0-9a-f]+$/;

/** Removes the lock temp files a kill left in the store folder (only stale ones: another process may be taking the lock right now); returns how many. */
async function sweepLockLeftovers(root: string, remove: (path: string) => Promise<void>): Promise<number> {
  let count = 0;
  for (const name of await listFolder(root)) {
    if (!LOCK_TEMP_PATTERN.test(name)) continue;
    const info = await stat(join(root, name)).catch(() => undefined);
    if (info === undefined || !info.isFile() || Date.now() - info.mtimeMs < LOCK_TEMP_MAX_AGE_MS) continue;
    count += 1;
    await remove(join(root, name));
  }
  return count;
}

/** Removes the temp files of link writes a kill left anywhere under `repositories/`; returns how many. */
async function sweepLinkLeftovers(root: string, remove: (path: string) => Promise<void>): Promise<number> {
  let count = 0;
  const pending = [root];
  while (pending.length > 0) {
    const folder = pending.pop() as string;
    for (const name of await listFolder(folder)) {
      const path = join(folder, name);
      if (DURABLE_TEMP_PATTERN.test(name)) {
        count += 1;
        await remove(path);
      } else if ((await stat(path).catch(() => undefined))?.isDirectory() === true) {
        pending.push(path);
      }
    }
  }
  return count;
}
