/**
 * Blobs staged in a store folder while an import verifies its bundle
 * (store-bulk.ts, `ferry import --to-store`): each blob's bytes go to a temp
 * file beside its final name, never visible, and become committed blobs only
 * once the whole bundle passed (`commit`: data synced, renamed, folders
 * synced), or are removed when it did not (`discard`; a kill leaves
 * `*.tmp-*` files, which no reader lists and `ferry serve gc` removes).
 *
 * Two ways in, chosen per blob by `stage`:
 * - streamed: verification hands over the bytes it read and hashed from the
 *   bundle, the last chunk only once digest and size matched, and they are
 *   written as they come. Small blobs, archives' blobs, and any platform.
 * - copied: a large blob file of a directory bundle on Linux is copied whole
 *   by the kernel (copy_file_range, through Node's copyFile on the already
 *   opened file's /proc/self/fd link, so no path is looked up again), and
 *   verification then reads the copy — from the page cache — through its
 *   digest and size check. The bytes checked are the bytes kept, so the rule
 *   "checked against its digest before it is trusted" holds as for the
 *   stream, and the process neither copies the bytes through its memory nor
 *   waits for its writes: the copy of the next blob runs while this one is
 *   hashed. Whatever goes wrong with a copy sends the blob down the streamed
 *   way, which tells the bundle's faults from the store's.
 *   The kernel copy takes the bundle file's mode until it is changed, so it
 *   is made in a folder of its own that only Ferry's user can enter
 *   (`uploads/import-copy-HEX/`, 0700; `ferry serve gc` sweeps one a kill
 *   left, as it sweeps idle uploads): no one else can open it, for reading
 *   or writing, before it is 0640 and renamed into place.
 * Either way a staged blob's data is fsynced in the background, a couple at
 * a time, each through a handle opened only for its sync (so staged blobs
 * hold no file handles while they wait).
 */
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tempPathFor } from '../base/durable-write.ts';
import { ioError } from '../base/fs-errors.ts';
import { writeAll } from '../base/gathered-write.ts';
import { Limiter } from '../base/limiter.ts';
import { ReadBuffers, REUSED_BUFFERS, SAFE_READ_CHUNK } from '../base/safe-read.ts';
import type { SafeFile } from '../base/safe-file.ts';
import type { BlobKeeper, KeptCopy } from '../bundle/verify-report.ts';
import type { BlobContent, BlobRef } from '../oci/blob-io.ts';
import { RegistryProblem } from './problems.ts';
import { committedBlobSize, PipelinedWriter } from './store-blobs.ts';
import { checkDigest, ensureFolder, type StoreLayout } from './store-layout.ts';

/** Background data syncs of staged blobs while verification still reads: two, so the reads and copies keep threads. */
const STAGE_SYNC_CONCURRENCY = 2;
/** Blobs larger than one read are copied by the kernel; a smaller one is one read and one write either way. */
const COPY_ABOVE = SAFE_READ_CHUNK;
/** The kernel copy needs the opened file's /proc/self/fd link (Linux); elsewhere every blob streams. */
const CAN_COPY = process.platform === 'linux';

/** A staged blob: its temp file, and the background sync that must finish before it may be renamed. */
interface Staged {
  temp: string;
  final: string;
  size: number;
  synced: Promise<void>;
}

/** What staging shares with the bulk writer: folders known and to sync at its next barrier, and the sizes of blobs known to be committed. */
export interface StagingContext {
  readonly layout: StoreLayout;
  readonly known: Set<string>;
  toSync(): Set<string>;
  readonly committed: Map<string, number>;
}

/** Reads a verified content stream to its end without keeping it (verification still checks every byte). */
async function drain(content: BlobContent): Promise<void> {
  for await (const chunk of content.from(0)) if (chunk.byteLength < 0) break;
}

/** A copy's bytes from its start in lent 1 MiB buffers, the next read already running while a chunk is checked. */
async function* readCopy(path: string, size: number, buffers: ReadBuffers): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  let next: Promise<{ bytesRead: number; buffer: Buffer }> | undefined;
  try {
    const ring: Buffer[] = [];
    let turn = 0;
    const readAt = (position: number): Promise<{ bytesRead: number; buffer: Buffer }> => {
      const buffer = (ring[turn % REUSED_BUFFERS] ??= buffers.take());
      turn += 1;
      return handle.read(buffer, 0, Math.min(SAFE_READ_CHUNK, size - position), position);
    };
    let position = 0;
    next = size > 0 ? readAt(0) : undefined;
    while (next !== undefined) {
      const { bytesRead, buffer } = await next;
      next = undefined;
      if (bytesRead === 0) return;
      position += bytesRead;
      if (position < size) next = readAt(position);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    // A read still running when the check stopped early (a cancel): its outcome no longer matters, and close waits for it.
    void next?.catch(() => undefined);
    await handle.close().catch(() => undefined);
  }
}

/** Staged blobs of one bulk writer; see the module comment. */
export class BlobStaging {
  private readonly staged = new Map<string, Staged>();
  private readonly syncs = new Limiter(STAGE_SYNC_CONCURRENCY);
  /** Copies made but not yet judged: `discard` removes them. */
  private readonly copies = new Map<string, Staged>();
  private storeFailure: Error | undefined;
  /** Blob writes and copies still running: `discard` waits for them, so one cut short by a cancel leaves no temp file behind. */
  private readonly writing = new Set<Promise<void>>();
  private discarded = false;
  /** The private folder the kernel copies are made in, created with the first copy (see the module comment). */
  private copyFolder: Promise<string> | undefined;

  constructor(private readonly context: StagingContext) {}

  /** The first write error of a staged blob (the store's disk, not the bundle): the import fails with it once verification ends. */
  get failure(): Error | undefined {
    return this.storeFailure;
  }

  /**
   * A keeper for one blob's verified bytes (VerifyOptions.keepBlob): the
   * streamed way as a sink, and for a large blob on Linux the copied way
   * (see the module comment). A blob the store already holds is only read
   * through. A content mismatch throws (the temp file removed); a disk error
   * is kept for `failure` and the content still read to its end, so
   * verification's report stays about the bundle.
   */
  stage(blob: BlobRef): BlobKeeper {
    const keeper: BlobKeeper = {
      has: async () => false,
      write: (content) => this.track(this.writeStaged(blob, content)),
    };
    if (CAN_COPY && blob.size > COPY_ABOVE) keeper.copyFrom = (file) => this.track(this.copyStaged(blob, file));
    return keeper;
  }

  /** Runs `work` as one `discard` waits for. */
  private track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.writing.add(settled);
    void settled.then(() => this.writing.delete(settled));
    return work;
  }

  /** Where a new blob goes, or undefined when it must not be written (the store holds it or failed, or it is staged already). */
  private async target(blob: BlobRef): Promise<{ final: string; temp: string } | undefined> {
    checkDigest(blob.digest, 'a blob of the bundle');
    const final = this.context.layout.blobFile(blob.digest);
    if (this.storeFailure !== undefined || this.discarded || this.staged.has(blob.digest) || this.copies.has(blob.digest)) return undefined;
    const held = await committedBlobSize(this.context.layout, blob.digest).catch((error: unknown) => {
      this.fail(error);
      return -1;
    });
    if (held !== undefined) {
      if (held === blob.size) this.context.committed.set(blob.digest, held);
      else if (held >= 0) {
        this.storeFailure ??= new RegistryProblem('SIZE_INVALID', `blob ${blob.digest}: the store holds it with ${held} bytes, not ${blob.size}`, { detail: { digest: blob.digest, size: held } });
      }
      return undefined;
    }
    try {
      await ensureFolder(dirname(final), this.context.known, this.context.toSync());
    } catch (error) {
      this.fail(ioError('write', final, error));
      return undefined;
    }
    return { final, temp: tempPathFor(final) };
  }

  /** The streamed way: writes the verified bytes as they come; see `stage`. */
  private async writeStaged(blob: BlobRef, content: BlobContent): Promise<void> {
    const target = await this.target(blob);
    if (target === undefined) {
      await drain(content);
      return;
    }
    const { final, temp } = target;
    let handle: FileHandle;
    try {
      handle = await open(temp, 'wx', 0o640);
    } catch (error) {
      this.fail(ioError('write', final, error));
      await drain(content);
      return;
    }
    const file = handle;
    const pipeline = new PipelinedWriter((chunk) => writeAll(file, [chunk], temp));
    const written = { ok: true };
    try {
      for await (const chunk of content.from(0)) {
        if (written.ok) await pipeline.push(chunk).catch((error: unknown) => this.fail(error, written));
      }
      if (written.ok) await pipeline.drain().catch((error: unknown) => this.fail(error, written));
    } catch (error) {
      // The bundle's bytes are wrong (or unreadable): nothing of them stays.
      await pipeline.settle();
      await file.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
    await file.close().catch((error: unknown) => this.fail(ioError('write', final, error), written));
    if (!written.ok || this.discarded) {
      await rm(temp, { force: true }).catch(() => undefined);
      return;
    }
    this.staged.set(blob.digest, { temp, final, size: blob.size, synced: this.syncInBackground(temp) });
  }

  /** The copied way: the kernel copies the opened bundle file beside the blob's final name, and verification checks the copy; see `stage`. */
  private async copyStaged(blob: BlobRef, file: SafeFile): Promise<KeptCopy | undefined> {
    const target = await this.target(blob);
    if (target === undefined) return undefined;
    const { final } = target;
    let temp: string | undefined;
    try {
      temp = join(await this.privateCopyFolder(), blob.digest.replace(':', '-'));
      // copy_file_range from the handle verification opened (its /proc link reopens that very file, whatever its path holds now).
      await copyFile(`/proc/self/fd/${file.handle.fd}`, temp, constants.COPYFILE_EXCL);
      // copyFile gives the copy the bundle file's mode (in a folder no one else can enter); the store's blobs are 0640.
      await chmod(temp, 0o640);
      // copyFile copies the file as long as it is by then: one that grew since it was opened (a shared mount, a hostile
      // medium) would leave bytes past the listed size that the check never reads. Such a copy is dropped; the streamed
      // way then refuses the byte too many.
      if ((await stat(temp)).size !== blob.size) throw new Error('the copy is not the listed size');
    } catch {
      // A failed copy (the media or the store): the streamed way finds out which, and says so.
      if (temp !== undefined) await rm(temp, { force: true }).catch(() => undefined);
      return undefined;
    }
    const staged: Staged = { temp, final, size: blob.size, synced: this.syncInBackground(temp) };
    this.copies.set(blob.digest, staged);
    const buffers = new ReadBuffers();
    return {
      bytes: () => readCopy(temp, blob.size, buffers),
      settle: (matched) =>
        this.track(
          (async () => {
            buffers.release();
            if (this.copies.get(blob.digest) !== staged) return;
            this.copies.delete(blob.digest);
            if (matched && !this.discarded) this.staged.set(blob.digest, staged);
            else await removeStaged(staged);
          })(),
        ),
    };
  }

  /** The folder kernel copies are made in: under `uploads/`, entered only by Ferry's user (0700 whatever the umask). */
  private privateCopyFolder(): Promise<string> {
    this.copyFolder ??= (async () => {
      const folder = join(this.context.layout.uploadsRoot, `import-copy-${randomBytes(8).toString('hex')}`);
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await chmod(folder, 0o700);
      return folder;
    })();
    return this.copyFolder;
  }

  /** Removes the private copy folder once no copy is left in it (what was kept has been renamed out). */
  private async removeCopyFolder(): Promise<void> {
    const folder = this.copyFolder;
    this.copyFolder = undefined;
    const path = await folder?.catch(() => undefined);
    if (path !== undefined) await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Syncs a staged temp file's data in the background, through a handle of its own (so none is held while it waits); judged at commit. */
  private syncInBackground(temp: string): Promise<void> {
    const synced = this.syncs.run(async () => {
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
    // Judged at commit; a failure must not surface before as an unhandled rejection.
    synced.catch(() => undefined);
    return synced;
  }

  /** Keeps the first store error (the disk's, not the bundle's); `written` says the blob at hand is lost. */
  private fail(error: unknown, written?: { ok: boolean }): void {
    this.storeFailure ??= error instanceof Error ? error : new Error(String(error));
    if (written) written.ok = false;
  }

  /**
   * Renames the staged blobs named in `keep` into place once their data is
   * synced and removes the rest; returns the digests stored and the folders
   * of the renamed files, which the caller's barrier must sync. Afterwards
   * nothing is staged.
   */
  async commit(keep: ReadonlySet<string>): Promise<{ stored: Set<string>; folders: string[] }> {
    const entries = [...this.staged.entries()];
    this.staged.clear();
    const stored = new Set<string>();
    try {
      if (this.storeFailure !== undefined) throw this.storeFailure;
      const synced = await Promise.allSettled(entries.map(([, staged]) => staged.synced));
      const failed = synced.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw ioError('fsync', entries[synced.indexOf(failed)]?.[1].final ?? this.context.layout.blobsRoot, failed.reason);
      const renamed = await Promise.allSettled(
        entries
          .filter(([digest]) => keep.has(digest))
          .map(async ([digest, staged]) => {
            await rename(staged.temp, staged.final).catch((error: unknown) => {
              throw ioError('write', staged.final, error);
            });
            stored.add(digest);
            this.context.committed.set(digest, staged.size);
          }),
      );
      const refused = renamed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (refused) throw refused.reason;
    } finally {
      await Promise.all(entries.filter(([digest]) => !stored.has(digest)).map(([, staged]) => removeStaged(staged)));
      if (this.copies.size === 0) await this.removeCopyFolder();
    }
    return { stored, folders: entries.filter(([digest]) => stored.has(digest)).map(([, staged]) => dirname(staged.final)) };
  }

  /** Removes every staged temp file (the bundle failed, or the import was cancelled): nothing of it stays in the store. */
  async discard(): Promise<void> {
    this.discarded = true;
    await Promise.all(this.writing);
    const entries = [...this.staged.values(), ...this.copies.values()];
    this.staged.clear();
    this.copies.clear();
    await Promise.all(entries.map(removeStaged));
    await this.removeCopyFolder();
  }
}

/** Removes a staged temp file once its sync is over (the sync holds it open). */
async function removeStaged(staged: Staged): Promise<void> {
  await staged.synced
    .then(
      () => rm(staged.temp, { force: true }),
      () => rm(staged.temp, { force: true }),
    )
    .catch(() => undefined);
}
