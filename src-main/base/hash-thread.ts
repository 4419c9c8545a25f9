/**
 * A sha256 running on a second thread over memory both threads share, for a
 * pass that must hash the same bytes twice: an archive bundle's verify hashes
 * every byte as part of its part (the part's sha256 in ferry.json) and as part
 * of its blob (the blob's digest). One core hashes at about 1 GB/s; two hashes
 * on one thread halve that, while the second core is idle. The bytes are read
 * once into SharedArrayBuffer-backed buffers: this thread checks them as
 * blobs, the hash thread hashes the same memory as parts, and nothing is
 * copied between them.
 *
 * The thread runs a few lines of plain JavaScript given as a string (an
 * `eval` worker) that use only node:crypto and node:worker_threads, so it
 * needs no file of its own in the CLI bundle, the desktop package or tsx.
 */
import { Worker } from 'node:worker_threads';
import { FerryError } from '../../src-shared/errors.ts';

/**
 * The hash thread: `memory` registers a shared buffer under an id, `update`
 * hashes its first `length` bytes, `digest` ends the current hash and starts
 * the next. Every message but `memory` and `forget` gets exactly one reply, in order.
 */
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const memories = new Map();
let hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message.op === 'memory') memories.set(message.id, new Uint8Array(message.memory));
  else if (message.op === 'forget') memories.delete(message.id);
  else if (message.op === 'update') {
    hash.update(memories.get(message.id).subarray(0, message.length));
    parentPort.postMessage(0);
  } else if (message.op === 'digest') {
    parentPort.postMessage(hash.digest('hex'));
    hash = createHash('sha256');
  }
});
`;

/** A buffer the hash thread can read: shared memory, registered with the thread under `id`. */
export interface SharedChunkBuffer {
  readonly id: number;
  readonly bytes: Buffer;
}

/** One reply awaited from the thread. */
interface Waiter {
  resolve: (reply: number | string) => void;
  reject: (error: Error) => void;
}

/**
 * One sha256 at a time on its own thread. `update` calls are hashed in the
 * order they were made; the promise each returns settles once the thread has
 * read the bytes, so the buffer may be refilled then. If the thread fails,
 * every pending and later call rejects with INTERNAL (never a wrong digest).
 */
export class HashThread {
  private readonly worker: Worker;
  private readonly waiting: Waiter[] = [];
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor() {
    this.worker = new Worker(THREAD_SOURCE, { eval: true });
    // Never what keeps a process alive: a job closes it, and an abandoned one must not hang the CLI.
    this.worker.unref();
    this.worker.on('message', (reply: number | string) => this.waiting.shift()?.resolve(reply));
    this.worker.on('error', (error: Error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`it exited with code ${code}`)));
  }

  /** A new buffer of `size` bytes in memory the thread shares, registered with it. */
  allocate(size: number): SharedChunkBuffer {
    this.throwIfFailed();
    const memory = new SharedArrayBuffer(size);
    const id = this.nextId++;
    this.worker.postMessage({ op: 'memory', id, memory });
    return { id, bytes: Buffer.from(memory) };
  }

  /** Lets the thread drop a buffer it will not be asked to hash again. */
  forget(buffer: SharedChunkBuffer): void {
    if (!this.failure && !this.closed) this.worker.postMessage({ op: 'forget', id: buffer.id });
  }

  /** Hashes the first `length` bytes of `buffer` next; settles once the thread has read them. */
  async update(buffer: SharedChunkBuffer, length: number): Promise<void> {
    await this.request({ op: 'update', id: buffer.id, length });
  }

  /** The hex sha256 of every byte given since the last digest; the next update starts a new hash. */
  async digest(): Promise<string> {
    return String(await this.request({ op: 'digest' }));
  }

  /** Stops the thread; pending calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('it was closed'));
    await this.worker.terminate();
  }

  private request(message: { op: string; id?: number; length?: number }): Promise<number | string> {
    this.throwIfFailed();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(message);
    });
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private fail(cause: Error): void {
    if (this.failure) return;
    this.failure = new FerryError('INTERNAL', `the hashing thread stopped: ${cause.message}`, {}, { cause });
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.failure);
  }
}
