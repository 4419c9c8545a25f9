/**
 * A bound on the requests one registry client has out at once, sized to its
 * connection pool. With a request rate set, a request takes a slot before it
 * takes the pacer's turn and gives it back when its response has ended (or
 * failed): a request that has its turn then always finds a free connection,
 * so it leaves when paced instead of queueing inside undici's pool and leaving
 * together with others when connections free up.
 *
 * A slot is held exactly as long as undici holds the connection, so the slots
 * add no wait undici's pool would not have. A copy streams a blob GET's body
 * into an upload on another client (the source's and the destination's are
 * separate Registries, so separate pools and slots), which is why a GET that
 * holds its slot while its body is read cannot starve the upload.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { abortReason, WaitQueue } from './wait-queue.ts';

/** Counts the requests out at once and queues the rest in order; an aborted waiter leaves at once. */
export class InFlightSlots {
  private used = 0;
  private readonly waiting = new WaitQueue<() => void>();
  private closed = false;

  constructor(readonly size: number) {}

  /** Requests out now, for tests. */
  get inFlight(): number {
    return this.used;
  }

  /** Waits for a free slot; resolves with its release, which may be called any number of times. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.closed) return Promise.reject(new FerryError('CANCELLED', 'the registry client was closed'));
    if (this.used < this.size && this.waiting.length === 0) {
      this.used += 1;
      return Promise.resolve(this.releaser());
    }
    return this.waiting.wait(signal);
  }

  /** Fails every waiter (the client is closing). */
  close(): void {
    this.closed = true;
    this.waiting.rejectAll(new FerryError('CANCELLED', 'the registry client was closed'));
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next waiter (the count stays), else it is free again.
      if (!this.waiting.serveNext(this.releaser())) this.used -= 1;
    };
  }
}
