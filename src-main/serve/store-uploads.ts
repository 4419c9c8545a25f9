/**
 * Blob upload sessions of a store folder (distribution-spec "Pushing blobs":
 * POST, chunked PATCH, PUT). A session is `uploads/<id>/info.json` (its
 * repository) plus `uploads/<id>/data` (the bytes so far). Every chunk is
 * fsynced before it is acknowledged, and a chunk cut off midway is truncated
 * away, so after a restart the session's offset is exactly the bytes
 * acknowledged (or, after a kill mid-chunk, the bytes durably on disk: the
 * client asks with GET and continues from there).
 * Finishing checks the whole content against the digest the client names,
 * then renames `data` to its blob file: a blob appears only complete.
 * The running hash of a session is kept in memory between chunks, so a
 * finish reads nothing again; after a restart it is rebuilt from `data` once.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDir, writeFileDurable } from '../base/durable-write.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';
import { parseDigest } from '../oci/digest.ts';
import { RegistryProblem } from './problems.ts';
import { PipelinedWriter, committedBlobSize } from './store-blobs.ts';
import { ensureFolder, isUploadId, type StoreLayout } from './store-layout.ts';
import type { UploadState } from './storage.ts';

/** The session file's name for the bytes received so far. */
const DATA = 'data';
/** The session file naming its repository. */
const INFO = 'info.json';

/** A session's running sha256 while this process has seen every byte of it. */
interface RunningHash {
  hash: Hash;
  bytes: number;
  /** When a chunk last used it (ms, the sessions' clock): idle ones are dropped. */
  used: number;
}

/** A running hash unused this long is dropped (an abandoned session); a later finish rebuilds it from `data`, as after a restart. */
export const RUNNING_HASH_IDLE_MS = 10 * 60 * 1000;

/** Options for tests: a clock, and how long a running hash may stay idle. */
export interface UploadSessionsOptions {
  now?: () => number;
  idleMs?: number;
}

/** One process's view of the sessions in a store folder; chunks of one session are applied one at a time. */
export class UploadSessions {
  private readonly hashes = new Map<string, RunningHash>();
  private readonly queues = new Map<string, Promise<unknown>>();

  private readonly now: () => number;
  private readonly idleMs: number;
  private lastSweep = 0;

  constructor(
    private readonly layout: StoreLayout,
    private readonly folders: Set<string>,
    options: UploadSessionsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.idleMs = options.idleMs ?? RUNNING_HASH_IDLE_MS;
  }

  /** How many sessions hold a running hash in memory (what abandoned sessions would otherwise grow). */
  get runningHashes(): number {
    return this.hashes.size;
  }

  /** Drops running hashes idle for longer than the limit (at most once per tenth of it, so a busy server pays little). */
  private dropIdleHashes(): void {
    const now = this.now();
    if (now - this.lastSweep < this.idleMs / 10) return;
    this.lastSweep = now;
    for (const [id, running] of this.hashes) if (now - running.used > this.idleMs) this.hashes.delete(id);
  }

  /** Opens a session: its folder and info file are durable before the id is handed out. */
  async start(repository: string): Promise<UploadState> {
    const id = randomBytes(16).toString('hex');
    const folder = this.layout.uploadFolder(id);
    await ensureFolder(folder);
    await writeFileDurable(join(folder, INFO), `${JSON.stringify({ repository, started: new Date().toISOString() })}\n`);
    this.dropIdleHashes();
    this.hashes.set(id, { hash: createHash('sha256'), bytes: 0, used: this.now() });
    return { id, repository, offset: 0 };
  }

  /** The session's state, or undefined when it does not exist or belongs to another repository. */
  async status(repository: string, id: string): Promise<UploadState | undefined> {
    if (!isUploadId(id)) return undefined;
    const folder = this.layout.uploadFolder(id);
    let info: unknown;
    try {
      info = JSON.parse(await readFile(join(folder, INFO), 'utf8'));
    } catch (error) {
      // No session, or one whose info file a kill left unwritten (durable writes make it whole or absent).
      if (errnoCode(error) === 'ENOENT' || error instanceof SyntaxError) return undefined;
      throw ioError('read', join(folder, INFO), error);
    }
    if (typeof info !== 'object' || info === null || (info as { repository?: unknown }).repository !== repository) return undefined;
    return { id, repository, offset: await this.dataSize(id) };
  }

  /** Appends one chunk at `start` (RANGE_INVALID unless it is the current offset); fsynced before it resolves. */
  append(repository: string, id: string, start: number, chunk: Readable): Promise<UploadState> {
    return this.serial(id, async () => {
      const state = await this.existing(repository, id);
      if (start !== state.offset) {
        chunk.destroy();
        throw new RegistryProblem('RANGE_INVALID', `upload ${id} to ${repository}: the chunk starts at ${start}, but ${state.offset} bytes were received (continue from there)`, {
          detail: { offset: state.offset },
        });
      }
      return { id, repository, offset: await this.write(id, state.offset, chunk) };
    });
  }

  /**
   * Ends a session: appends `tail`, checks the content against `digest`
   * (DIGEST_INVALID, and the session stays), commits the blob under its
   * digest, calls `link` (which links it into the repository) and only then
   * removes the session, so a kill in between leaves a session the client
   * can still finish. Returns the blob's size.
   */
  finish(repository: string, id: string, digest: string, tail: Readable | undefined, link: () => Promise<void>): Promise<number> {
    return this.serial(id, async () => {
      const state = await this.existing(repository, id);
      const size = tail === undefined ? state.offset : await this.write(id, state.offset, tail);
      const data = join(this.layout.uploadFolder(id), DATA);
      if (size === 0) await this.touch(data);
      const actual = await this.digestOf(id, data, parseDigest(digest).algorithm, size);
      if (actual !== digest) {
        throw new RegistryProblem('DIGEST_INVALID', `upload ${id} to ${repository}: the ${size} bytes received have digest ${actual}, not ${digest}`, {
          detail: { expected: digest, actual, size },
        });
      }
      if ((await committedBlobSize(this.layout, digest)) !== size) {
        // `data` was fsynced chunk by chunk; the rename makes it the blob, and the folder sync makes the rename durable.
        await ensureFolder(this.layout.blobFolder(digest), this.folders);
        await rename(data, this.layout.blobFile(digest)).catch((error: unknown) => {
          throw ioError('commit upload', this.layout.blobFile(digest), error);
        });
        await fsyncDir(this.layout.blobFolder(digest));
      }
      await link();
      await this.remove(id);
      return size;
    });
  }

  /** Drops a session and its bytes; false when there was none. */
  cancel(repository: string, id: string): Promise<boolean> {
    return this.serial(id, async () => {
      if ((await this.status(repository, id)) === undefined) return false;
      await this.remove(id);
      return true;
    });
  }

  private async existing(repository: string, id: string): Promise<UploadState> {
    const state = await this.status(repository, id);
    if (state === undefined) throw new RegistryProblem('BLOB_UPLOAD_UNKNOWN', `upload ${id} to ${repository} is unknown (finished, cancelled or never started)`, { detail: { id } });
    return state;
  }

  /** Appends a stream at `offset`, hashing it if the running hash is current; a failure truncates back to `offset`. */
  private async write(id: string, offset: number, chunk: Readable): Promise<number> {
    const data = join(this.layout.uploadFolder(id), DATA);
    const running = this.hashes.get(id);
    const hashing = running !== undefined && running.bytes === offset ? running : undefined;
    if (hashing === undefined) this.hashes.delete(id);
    else hashing.used = this.now();
    this.dropIdleHashes();
    const handle = await open(data, 'a').catch((error: unknown) => {
      chunk.destroy();
      throw ioError('write', data, error);
    });
    let written = offset;
    const pipeline = new PipelinedWriter(async (bytes) => {
      let done = 0;
      while (done < bytes.byteLength) done += (await handle.write(bytes, done, bytes.byteLength - done)).bytesWritten;
    });
    try {
      for await (const piece of chunk as AsyncIterable<Uint8Array | string>) {
        const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
        hashing?.hash.update(bytes);
        written += bytes.byteLength;
        await pipeline.push(bytes);
      }
      await pipeline.drain();
      await handle.sync();
      // The first chunk created `data`: sync its folder too, so the entry survives a power cut with info.json.
      if (offset === 0) await fsyncDir(this.layout.uploadFolder(id));
    } catch (error) {
      // A chunk cut off midway is not acknowledged: put the file back as it was, and rebuild the hash later.
      await pipeline.settle();
      this.hashes.delete(id);
      await handle.truncate(offset).catch(() => undefined);
      await handle.sync().catch(() => undefined);
      await handle.close().catch(() => undefined);
      chunk.destroy();
      throw error instanceof RegistryProblem ? error : ioError('write', data, error);
    }
    await handle.close();
    if (hashing !== undefined) hashing.bytes = written;
    return written;
  }

  /** The digest of a session's bytes: from the running hash when it covers them all, else read once from disk. */
  private async digestOf(id: string, data: string, algorithm: string, size: number): Promise<string> {
    const running = this.hashes.get(id);
    if (algorithm === 'sha256' && running !== undefined && running.bytes === size) return `sha256:${running.hash.copy().digest('hex')}`;
    const hash = createHash(algorithm);
    for await (const piece of createReadStream(data, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) hash.update(piece);
    return `${algorithm}:${hash.digest('hex')}`;
  }

  private async dataSize(id: string): Promise<number> {
    const data = join(this.layout.uploadFolder(id), DATA);
    try {
      return (await stat(data)).size;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return 0;
      throw ioError('read', data, error);
    }
  }

  private async touch(path: string): Promise<void> {
    const handle = await open(path, 'a').catch((error: unknown) => {
      throw ioError('write', path, error);
    });
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsyncDir(dirname(path));
  }

  private async remove(id: string): Promise<void> {
    this.hashes.delete(id);
    await rm(this.layout.uploadFolder(id), { recursive: true, force: true }).catch((error: unknown) => {
      throw ioError('remove', this.layout.uploadFolder(id), error);
    });
    await fsyncDir(this.layout.uploadsRoot);
  }

  /** Runs `task` after every earlier task of the same session (two PATCHes of one session never interleave). */
  private serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return next;
  }
}
