/**
 * The read side of an archive bundle's parts for `ferry verify`: every part
 * is read once, in large reads into a small ring of reused buffers (the next
 * read already running while the caller checks the current chunk), and hashed
 * as a part, optionally on a second thread (base/hash-thread.ts), while the
 * caller feeds the same bytes to its tar reader and hashes them as blobs. So
 * the two hashes of every byte run on two cores, and no chunk is copied or
 * freshly allocated.
 *
 * A buffer is refilled only once nothing can read it any more: the hash
 * thread has acknowledged it, and the caller's tar reader has released every
 * byte of it (`holdForTar` / `release`, by tar stream offset). A reused buffer
 * whose bytes a check still meant to read would break the check, so release
 * only what is finished; `dropTarHolds` ends the tar reader's claim when it
 * stops early (its held buffers are then never reused).
 */
import { createHash, type Hash } from 'node:crypto';
import { FerryError } from '../../src-shared/errors.ts';
import { errnoCode } from '../base/fs-errors.ts';
import { HashThread, type SharedChunkBuffer } from '../base/hash-thread.ts';
import { openBundleFile, refusal, shown, throwIfAborted } from '../base/safe-file.ts';
import { SAFE_READ_CHUNK } from '../base/safe-read.ts';

/** One chunk of a part: its bytes (valid until released, see the module comment) and the tar stream offset just past it. */
export interface PartChunk {
  readonly bytes: Buffer;
  /** Offset in the one tar stream the parts make, counting every byte this reader read before. */
  readonly end: number;
}

/** Buffers in the ring: one being read ahead, one with the caller, a few held by the tar reader, the rest queued for the hash thread. */
const RING_BUFFERS = 8;

/** One buffer of the ring and who still needs it. */
interface Slot {
  readonly bytes: Buffer;
  readonly shared?: SharedChunkBuffer;
  /** Bytes of the chunk it holds, and the stream offset just past them. */
  length: number;
  end: number;
  /** Being filled, or handed to the caller who has not asked for the next chunk yet. */
  reading: boolean;
  /** Queued on the hash thread, not yet acknowledged. */
  hashing: boolean;
  /** The tar reader may still read it. */
  tarHeld: boolean;
}

/** Options of a PartReader. */
export interface PartReaderOptions {
  /** Hash the parts on a second thread (worth its start-up for large archives); on this thread otherwise. */
  hashThread: boolean;
}

/**
 * Reads parts one after another as one stream, hashing each part. Call
 * `read` for each part in order, then `partDigest` for its sha256, and
 * `close` at the end (also after a failure).
 */
export class PartReader {
  private readonly thread: HashThread | undefined;
  private slots: Slot[] = [];
  private wakers: Array<() => void> = [];
  private position = 0;
  private hash: Hash | undefined;
  /** The thread's hash holds bytes of a part whose digest was not taken (a read that stopped early). */
  private threadDirty = false;
  private tarStopped = false;
  private failure: Error | undefined;

  constructor(options: PartReaderOptions) {
    this.thread = options.hashThread ? new HashThread() : undefined;
  }

  /**
   * The chunks of part `name` of the bundle in `dir`, opened safely (a
   * symlink, FIFO or device in its place is refused by name) and read as large
   * as it was when opened. Its hash restarts with each part.
   */
  async *read(dir: string, name: string, signal?: AbortSignal): AsyncGenerator<PartChunk> {
    if (this.threadDirty) await this.partDigest();
    this.hash = this.thread ? undefined : createHash('sha256');
    const file = await openBundleFile(dir, name, signal ? { signal } : {});
    let next: Promise<Slot | undefined> | undefined;
    let current: Slot | undefined;
    try {
      let offset = 0;
      const fill = async (): Promise<Slot | undefined> => {
        if (offset >= file.size) return undefined;
        throwIfAborted(signal, dir, name);
        const slot = await this.acquire();
        const want = Math.min(slot.bytes.length, file.size - offset);
        const start = offset;
        offset += want;
        let bytesRead: number;
        try {
          ({ bytesRead } = await file.handle.read(slot.bytes, 0, want, start));
        } catch (error) {
          slot.reading = false;
          throw refusal('io', 'IO_ERROR', dir, name, `cannot read ${shown(name)} in ${dir}: ${errnoCode(error) ?? String(error)}`, { errno: errnoCode(error) }, error);
        }
        // A short read (FUSE, NFS, SMB) continues from where it stopped; none at all means the file shrank: it ends here.
        offset = start + bytesRead;
        if (bytesRead === 0) {
          slot.reading = false;
          offset = file.size;
          return undefined;
        }
        slot.length = bytesRead;
        slot.end = this.position + bytesRead;
        this.position = slot.end;
        this.hashChunk(slot, bytesRead);
        return slot;
      };
      // A read ahead that fails while the caller holds a chunk is seen at the next await, not reported as unhandled meanwhile.
      const ahead = (): Promise<Slot | undefined> => {
        const promise = fill();
        promise.catch(() => undefined);
        return promise;
      };
      next = ahead();
      for (let slot = await next; slot; slot = await next) {
        current = slot;
        // The next read runs while the caller checks this chunk.
        next = ahead();
        yield { bytes: slot.bytes.subarray(0, slot.length), end: slot.end };
        current.reading = false;
        current = undefined;
        this.wake();
      }
    } finally {
      if (current) current.reading = false;
      const pending = await next?.catch(() => undefined);
      if (pending) pending.reading = false;
      this.wake();
      // Not awaited: the bytes are all read, and the next part need not wait for this one's close.
      void file.handle.close().catch(() => undefined);
    }
  }

  /** The sha256 (hex) of the part just read; the next `read` starts a new one. */
  async partDigest(): Promise<string> {
    this.throwIfFailed();
    if (this.thread) {
      this.threadDirty = false;
      return this.thread.digest();
    }
    const digest = (this.hash ?? createHash('sha256')).digest('hex');
    this.hash = undefined;
    return digest;
  }

  /** The tar reader will read `chunk`: its buffer is not refilled before `release` passes its end. */
  holdForTar(chunk: PartChunk): void {
    if (this.tarStopped) return;
    const slot = this.slots.find((s) => s.end === chunk.end && s.reading);
    if (slot) slot.tarHeld = true;
  }

  /** The tar reader has finished with every byte before stream offset `upTo`. */
  release(upTo: number): void {
    let freed = false;
    for (const slot of this.slots) {
      if (slot.tarHeld && slot.end <= upTo) {
        slot.tarHeld = false;
        freed = true;
      }
    }
    if (freed) this.wake();
  }

  /** The tar reader stopped early: what it held is left to it (never refilled), and nothing is held for it again. */
  dropTarHolds(): void {
    this.tarStopped = true;
    const kept: Slot[] = [];
    for (const slot of this.slots) {
      if (slot.tarHeld) {
        if (slot.shared) this.thread?.forget(slot.shared);
      } else kept.push(slot);
    }
    this.slots = kept;
    this.wake();
  }

  /** Stops the hash thread. */
  async close(): Promise<void> {
    this.failure ??= new FerryError('INTERNAL', 'the part reader was closed');
    this.wake();
    await this.thread?.close();
  }

  private hashChunk(slot: Slot, length: number): void {
    if (!this.thread || !slot.shared) {
      this.hash?.update(slot.bytes.subarray(0, length));
      return;
    }
    this.threadDirty = true;
    slot.hashing = true;
    this.thread.update(slot.shared, length).then(
      () => {
        slot.hashing = false;
        this.wake();
      },
      (error: unknown) => {
        this.failure ??= error instanceof Error ? error : new FerryError('INTERNAL', `the hashing thread failed: ${String(error)}`);
        this.wake();
      },
    );
  }

  /** A buffer nothing needs any more, or a new one while the ring is not full; waits for one otherwise. */
  private async acquire(): Promise<Slot> {
    for (;;) {
      this.throwIfFailed();
      const free = this.slots.find((slot) => !slot.reading && !slot.hashing && !slot.tarHeld);
      if (free) {
        free.reading = true;
        return free;
      }
      if (this.slots.length < RING_BUFFERS) {
        const shared = this.thread?.allocate(SAFE_READ_CHUNK);
        const slot: Slot = { bytes: shared ? shared.bytes : Buffer.allocUnsafeSlow(SAFE_READ_CHUNK), length: 0, end: 0, reading: true, hashing: false, tarHeld: false, ...(shared ? { shared } : {}) };
        this.slots.push(slot);
        return slot;
      }
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
  }

  private wake(): void {
    for (const resolve of this.wakers.splice(0)) resolve();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
