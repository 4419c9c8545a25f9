/**
 * Output that must not leave before it is verified (`ferry cat`): bytes are
 * held in memory up to a limit, then in a private temporary file — a folder
 * only the user can enter (mkdtemp, 0700) holding one file opened exclusively
 * with mode 0600 — and are handed on only when the caller says the content
 * checked out. The folder is removed by `discard`, whatever happened.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';

/** How much of a spooled file is read back per write. */
const COPY_CHUNK = 1024 * 1024;

/** A private temporary file, written and read at explicit positions. */
interface Spool {
  dir: string;
  handle: FileHandle;
  size: number;
}

/** Bytes held back until verified: in memory up to `memoryBytes`, on disk beyond. */
export class HeldOutput {
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private spool: Spool | undefined;

  constructor(private readonly memoryBytes: number) {}

  /** Holds one chunk (copied: the caller may reuse its buffer). */
  async add(chunk: Uint8Array): Promise<void> {
    if (this.spool) {
      await append(this.spool, chunk);
      return;
    }
    this.chunks.push(Buffer.from(chunk));
    this.chunkBytes += chunk.length;
    if (this.chunkBytes <= this.memoryBytes) return;
    const dir = await mkdtemp(join(tmpdir(), 'ferry-held-'));
    let handle: FileHandle;
    try {
      handle = await open(join(dir, 'content'), 'wx+', 0o600);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw new FerryError('IO_ERROR', `cannot create a private temporary file in ${tmpdir()} to hold the output until it is verified`, { path: dir }, { cause: error });
    }
    this.spool = { dir, handle, size: 0 };
    for (const held of this.chunks) await append(this.spool, held);
    this.chunks = [];
    this.chunkBytes = 0;
  }

  /** Hands everything held to `write`, in order: call only once the content was verified. */
  async release(write: (chunk: Uint8Array) => Promise<void>, signal?: AbortSignal): Promise<void> {
    const spool = this.spool;
    if (!spool) {
      for (const chunk of this.chunks) await write(chunk);
      this.chunks = [];
      this.chunkBytes = 0;
      return;
    }
    for (let at = 0; at < spool.size;) {
      signal?.throwIfAborted();
      const buffer = Buffer.alloc(Math.min(COPY_CHUNK, spool.size - at));
      const { bytesRead } = await spool.handle.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) throw new FerryError('IO_ERROR', `the temporary file ${spool.dir} ended early`, { path: spool.dir });
      await write(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  }

  /** Drops what is held and removes the temporary folder, if any. */
  async discard(): Promise<void> {
    this.chunks = [];
    this.chunkBytes = 0;
    const spool = this.spool;
    this.spool = undefined;
    if (!spool) return;
    await spool.handle.close().catch(() => undefined);
    await rm(spool.dir, { recursive: true, force: true });
  }
}

/** Writes all of `chunk` at the end of the spool. */
async function append(spool: Spool, chunk: Uint8Array): Promise<void> {
  for (let done = 0; done < chunk.length;) {
    const { bytesWritten } = await spool.handle.write(chunk, done, chunk.length - done, spool.size + done);
    done += bytesWritten;
  }
  spool.size += chunk.length;
}
