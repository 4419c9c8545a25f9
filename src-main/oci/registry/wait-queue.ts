/**
 * A first-come queue of requests waiting for something (a pacer's turn, a
 * free in-flight slot) that any of them can leave at once when its signal is
 * aborted: the one cancellable wait both RequestPacer and InFlightSlots use,
 * so a cancelled job never waits out a queue.
 */

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** The reason a request cancelled while waiting carries: the signal's own, as undici would give. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('request aborted');
}

/** Waiters served in order; an aborted one leaves the queue and rejects with its signal's reason. */
export class WaitQueue<T> {
  private readonly waiters: Array<Waiter<T>> = [];

  /** How many are waiting. */
  get length(): number {
    return this.waiters.length;
  }

  /** Joins the queue; settles when served, rejected, or as soon as `signal` is aborted. */
  wait(signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(abortReason(signal as AbortSignal));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Hands `value` to the first waiter; false when nobody waits. */
  serveNext(value: T): boolean {
    const waiter = this.waiters.shift();
    if (waiter === undefined) return false;
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(value);
    return true;
  }

  /** Rejects every waiter with `error` (the owner is closing). */
  rejectAll(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(error);
    }
  }
}
