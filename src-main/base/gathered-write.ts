/**
 * Streams chunks into a file as a few large writes. Network chunks are small
 * (16–64 KiB); one `write` each means one thread-pool round trip and one
 * syscall each, which cost more CPU than hashing the bytes. Here chunks are
 * gathered (never copied or concatenated) until GATHER_BYTES wait, then
 * written with one `writev`, while the next batch is gathered: one write in
 * flight, at most two batches in memory.
 */
import type { FileHandle } from 'node:fs/promises';
import { ioError } from './fs-errors.ts';

/** Bytes gathered per writev: large enough that the per-call cost vanishes, small enough to keep memory flat with many blobs in flight. */
export const GATHER_BYTES = 1024 * 1024;

/** Options of writeGathered. */
export interface GatheredWriteOptions {
  /** Told the bytes durably handed to the OS so far after each batch (progress without a call per chunk). */
  onWritten?: (bytes: number) => void;
  /** Bytes per writev; GATHER_BYTES by default. */
  gatherBytes?: number;
}

/**
 * Appends every chunk of `chunks` to `handle` (opened for appending or at its
 * end) and returns the bytes written. `path` names the file in errors. A
 * failing source stops the writes: the bytes before it are on disk, nothing after.
 * Chunks are held until written, so a producer must not reuse a chunk's
 * memory after handing it out (Node's streams and Ferry's readers never do).
 */
export async function writeGathered(handle: FileHandle, chunks: AsyncIterable<Uint8Array>, path: string, options: GatheredWriteOptions = {}): Promise<number> {
  const limit = options.gatherBytes ?? GATHER_BYTES;
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  let written = 0;
  let inFlight: Promise<void> | undefined;
  const flush = async (buffers: Uint8Array[], bytes: number): Promise<void> => {
    await writeAll(handle, buffers, path);
    written += bytes;
    options.onWritten?.(written);
  };
  try {
    for await (const chunk of chunks) {
      if (chunk.byteLength === 0) continue;
      batch.push(chunk);
      batchBytes += chunk.byteLength;
      if (batchBytes < limit) continue;
      // One write at a time: writev calls on one file must not overlap.
      if (inFlight) await inFlight;
      inFlight = flush(batch, batchBytes);
      // Seen when awaited; until then an early failure must not count as unhandled.
      inFlight.catch(() => undefined);
      batch = [];
      batchBytes = 0;
    }
  } finally {
    // Whatever happened, no write may still be running when the caller closes the file.
    if (inFlight) await inFlight.catch(() => undefined);
  }
  if (inFlight) await inFlight;
  if (batchBytes > 0) await flush(batch, batchBytes);
  return written;
}

/**
 * Appends every byte of `buffers` at the file's position: one writev (or
 * write), continued until every byte is down, since a write may be short.
 * Shared by every writer that appends whole buffers; `path` names the file in errors.
 */
export async function writeAll(handle: FileHandle, buffers: Uint8Array[], path: string): Promise<void> {
  const bytes = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
  let pending = buffers;
  let left = bytes;
  try {
    while (left > 0) {
      const { bytesWritten } = pending.length === 1 ? await handle.write(pending[0] as Uint8Array) : await handle.writev(pending);
      if (bytesWritten <= 0) throw new Error(`the OS accepted no bytes with ${left} of ${bytes} still to write`);
      left -= bytesWritten;
      if (left > 0) pending = buffersAfter(pending, bytesWritten);
    }
  } catch (error) {
    throw ioError('write', path, error);
  }
}

/** The buffers after their first `skip` bytes, sharing their memory (what a short writev left to write). */
export function buffersAfter(buffers: Uint8Array[], skip: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let left = skip;
  for (const buffer of buffers) {
    if (left >= buffer.byteLength) {
      left -= buffer.byteLength;
      continue;
    }
    rest.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return rest;
}
