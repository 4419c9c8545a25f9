/**
 * Reading the files of a bundle once they are opened safely (safe-file.ts):
 * whole and capped for JSON documents, streamed in 1 MiB chunks for blobs and
 * parts. Both can be cancelled between reads, and neither reads past what it
 * was asked for, so a file on hostile media can neither hang the job nor grow
 * memory without bound.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { errnoCode } from './fs-errors.ts';
import { openBundleFile, openBundleFileIfPresent, refusal, shown, throwIfAborted, type SafeFile, type SafeFileOptions } from './safe-file.ts';

/** 1 MiB reads: removable media is far faster with large sequential reads than with Node's 64 KiB default. */
export const SAFE_READ_CHUNK = 1024 * 1024;

/** The smallest step of a whole-file read: a file that grows past the size it had at open is read on (to its cap) in steps this big. */
const SMALL_READ = 8 * 1024;

/** Options of a whole-file read: the size cap is required, since the content goes to memory. */
export interface CappedReadOptions extends SafeFileOptions {
  /** The largest file accepted, in bytes; checked against the size at open and again while reading, so a growing file cannot pass it. */
  limit: number;
  /** What messages call the file ("ferry.json", "the export journal"); its relative name when not given. */
  what?: string;
}

/** Reads an opened file whole, up to `limit` bytes; a larger (or growing) file is refused with reason `too-large`. */
async function readOpened(file: SafeFile, root: string, options: CappedReadOptions): Promise<Buffer> {
  const code = options.code ?? 'BUNDLE_INVALID';
  const { limit, signal } = options;
  const what = options.what ?? shown(file.relative);
  const tooLarge = (size: number | string): FerryError =>
    refusal('too-large', code, root, file.relative, `${what} in ${root} is ${size} bytes, more than such a file may be (${limit})`, { size, limit });
  if (file.size > limit) throw tooLarge(file.size);
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    throwIfAborted(signal, root, file.relative);
    // One byte past the cap is enough to know a growing file went over it.
    const want = Math.min(SAFE_READ_CHUNK, limit + 1 - total, Math.max(file.size - total + 1, SMALL_READ));
    const buffer = Buffer.allocUnsafe(want);
    let bytesRead: number;
    try {
      ({ bytesRead } = await file.handle.read(buffer, 0, want, total));
    } catch (error) {
      throw refusal('io', 'IO_ERROR', root, file.relative, `cannot read ${what} in ${root}: ${errnoCode(error) ?? String(error)}`, { errno: errnoCode(error) }, error);
    }
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > limit) throw tooLarge(`over ${limit}`);
    chunks.push(buffer.subarray(0, bytesRead));
  }
  return Buffer.concat(chunks, total);
}

/** A bundle file's bytes, whole and capped; refuses what openBundleFile refuses and a missing file (reason `missing`). */
export async function readBundleFile(root: string, relative: string, options: CappedReadOptions): Promise<Buffer> {
  const file = await openBundleFile(root, relative, options);
  try {
    return await readOpened(file, root, options);
  } finally {
    await file.handle.close().catch(() => undefined);
  }
}

/** readBundleFile, but undefined when the file does not exist. */
export async function readBundleFileIfPresent(root: string, relative: string, options: CappedReadOptions): Promise<Buffer | undefined> {
  const file = await openBundleFileIfPresent(root, relative, options);
  if (file === undefined) return undefined;
  try {
    return await readOpened(file, root, options);
  } finally {
    await file.handle.close().catch(() => undefined);
  }
}

/** Options of a streamed read (blobs, parts). */
export interface StreamOptions extends SafeFileOptions {
  /** The byte to start at (a resumed blob); 0 when not given. */
  start?: number;
  /** The most bytes to read from `start`; to the end of the file when not given. */
  length?: number;
  /** Called once the file is open, with its size then (before the first chunk). */
  onOpen?: (size: number) => void;
  /**
   * Read into buffers lent by `buffers` (a ring of REUSED_BUFFERS per stream) instead of a fresh one per
   * chunk: fresh memory must be faulted in and zeroed by the kernel and freed by the collector, which cost
   * more CPU than hashing the bytes. A chunk then stays valid only until REUSED_BUFFERS - 1 further chunks
   * have been pulled: for consumers that hash, write and await each chunk before asking for more (holding
   * at most a few back), never for one that keeps chunks.
   */
  buffers?: ReadBuffers;
}

/**
 * Buffers in a lending stream's ring: the chunk being read, one held back by a verifier, one in a socket write
 * (undici pulls the next chunk of an upload body only once a full-size one has drained), and one to spare.
 */
export const REUSED_BUFFERS = 4;
/** Idle read buffers kept for the next lease; more are left to the collector. */
const KEPT_BUFFERS = 32;
const idleBuffers: Buffer[] = [];

/**
 * Read buffers of SAFE_READ_CHUNK bytes lent to the streams of one piece of
 * work (one blob's check or upload) and given back by `release` once it has
 * ended well: nothing can still read from them then. A failed piece of work
 * does not release its lease (a broken upload may still hold a chunk), so
 * those buffers are left to the collector.
 */
export class ReadBuffers {
  private readonly lent: Buffer[] = [];

  /** A buffer for a stream of this lease: an idle one, or a new one. */
  take(): Buffer {
    const buffer = idleBuffers.pop() ?? Buffer.allocUnsafeSlow(SAFE_READ_CHUNK);
    this.lent.push(buffer);
    return buffer;
  }

  /** Gives every buffer of the lease back; call only once no chunk read into them is used any more. */
  release(): void {
    for (const buffer of this.lent.splice(0)) if (idleBuffers.length < KEPT_BUFFERS) idleBuffers.push(buffer);
  }
}

/**
 * A bundle file's bytes from `start`, in 1 MiB chunks, over one safely opened
 * handle (opened at the first read, closed when the loop ends or breaks).
 * Cancelled between chunks by the signal (CANCELLED). It reads the file as
 * large as it was when opened (a file that shrinks meanwhile ends early):
 * the caller's digest and size check judges those bytes, and no extra round
 * is spent asking for an end of file the size already told.
 */
export async function* streamBundleFile(root: string, relative: string, options: StreamOptions = {}): AsyncGenerator<Buffer> {
  const { signal } = options;
  const file = await openBundleFile(root, relative, options);
  try {
    options.onOpen?.(file.size);
    let position = options.start ?? 0;
    const end = Math.min(file.size, options.length === undefined ? Infinity : position + options.length);
    const ring: Buffer[] = [];
    let turn = 0;
    while (position < end) {
      throwIfAborted(signal, root, relative);
      // Sized to what is left: a 1 MiB buffer per 300-byte manifest costs more than the read.
      const want = Math.min(SAFE_READ_CHUNK, end - position);
      let buffer: Buffer;
      if (options.buffers) {
        const slot = turn++ % REUSED_BUFFERS;
        buffer = ring[slot] ??= options.buffers.take();
      } else {
        buffer = Buffer.allocUnsafe(want);
      }
      let bytesRead: number;
      try {
        ({ bytesRead } = await file.handle.read(buffer, 0, want, position));
      } catch (error) {
        throw refusal('io', 'IO_ERROR', root, relative, `cannot read ${shown(relative)} in ${root}: ${errnoCode(error) ?? String(error)}`, { errno: errnoCode(error) }, error);
      }
      if (bytesRead === 0) return;
      position += bytesRead;
      if (bytesRead === buffer.length) yield buffer;
      // A short read mid-file (FUSE, NFS, SMB) lends no ring slot: a small chunk may not make a socket write wait,
      // so the consumer could pull REUSED_BUFFERS more before it is sent, and the ring would wrap onto it.
      else if (options.buffers && position < end) yield Buffer.from(buffer.subarray(0, bytesRead));
      else yield buffer.subarray(0, bytesRead);
    }
  } finally {
    // Not awaited: the bytes are all read, and the next file need not wait for this one's close.
    void file.handle.close().catch(() => undefined);
  }
}
