/**
 * The client's side of a registry's request budget. Registries that throttle
 * (Docker Hub, Harbor, Quay, GitLab) count requests per host, so one
 * RequestPacer per RegistryClient gates every request Ferry sends to that
 * host: the `/v2/` ping, each attempt and retry, each redirect hop that stays
 * on the host, and token requests whose realm is the host itself.
 *
 * Two things can make a request wait its turn:
 * - a request rate (`--rate-limit N/s`, or a registry's saved setting):
 *   consecutive requests are handed to the connection pool at least
 *   (1000 + PACING_SLACK_MS) / N ms apart, with no burst allowance (and, as
 *   the client takes an in-flight slot before the turn, in-flight-slots.ts,
 *   leave for the registry then instead of queueing in the pool), so any
 *   window of T seconds holds at most ⌈N·T⌉ of them: never more than N in
 *   any 1-second window for a whole N, one per 2 s at 0.5/s;
 * - a hold: after a 429 the registry said how long to wait, and every request
 *   to the host (not just the refused one) waits until then instead of
 *   spending the budget on more refusals.
 *
 * Waiters are served in order; an aborted one leaves the queue at once (it
 * never waits out the queue) and gives its turn to the next.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { RATE_LIMIT_RANGE } from '../../../src-shared/model/throttling.ts';
import { abortReason, WaitQueue } from './wait-queue.ts';

/**
 * Slack added to every second of the budget: a request handed over exactly
 * 1/N s after another can reach the registry a little sooner than it if the
 * first one had to open a connection; 20 ms of spacing per second of budget
 * absorbs that much jitter, for 2 % of the throughput.
 */
export const PACING_SLACK_MS = 20;

/** Paces the requests to one registry host; see the module comment for the guarantee. */
export class RequestPacer {
  /** Milliseconds between two requests, or undefined when no rate is set (holds only). */
  readonly intervalMs: number | undefined;
  /** When (on `now`'s clock) the next request may start at the earliest under the rate. */
  private nextAt = Number.NEGATIVE_INFINITY;
  /** Until when every request waits, after a 429 asked for a pause. */
  private heldUntil = Number.NEGATIVE_INFINITY;
  private readonly waiting = new WaitQueue<void>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    /** Requests per second at most; undefined for no rate. */
    readonly perSecond: number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (perSecond !== undefined && !(perSecond >= RATE_LIMIT_RANGE.min && perSecond <= RATE_LIMIT_RANGE.max)) {
      throw new FerryError('INVALID_ARGUMENT', `a request rate must be between one a day and ${RATE_LIMIT_RANGE.max} a second, got ${perSecond}`, { argument: 'rateLimit' });
    }
    this.intervalMs = perSecond === undefined ? undefined : (1000 + PACING_SLACK_MS) / perSecond;
  }

  /**
   * Waits for this request's turn. Without a rate, a hold or a queue it
   * returns at once without touching the clock (the unthrottled cost is one
   * comparison). Rejects with the signal's reason as soon as it is aborted.
   */
  async turn(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortReason(signal);
    if (this.closed) throw new FerryError('CANCELLED', 'the registry client was closed');
    if (this.intervalMs === undefined && this.heldUntil === Number.NEGATIVE_INFINITY) return;
    if (this.waiting.length === 0 && this.ready()) {
      // A hold that has ended is forgotten, so an unpaced host is back on the path without a clock read.
      if (this.intervalMs === undefined) this.heldUntil = Number.NEGATIVE_INFINITY;
      this.take();
      return;
    }
    const served = this.waiting.wait(signal);
    this.schedule();
    await served;
  }

  /** Makes every request to the host wait `ms` from now (a 429's Retry-After or reset); a shorter hold never shortens a longer one. */
  hold(ms: number): void {
    if (!(ms > 0)) return;
    this.heldUntil = Math.max(this.heldUntil, this.now() + ms);
    // The timer may be set for an earlier turn; fire() re-checks and sets it again.
  }

  /** When the next turn and the end of any hold fall, as epoch milliseconds, so a later pacer of the host can start from them. */
  memory(): { nextAtEpochMs: number; heldUntilEpochMs: number } {
    const offset = Date.now() - this.now();
    return { nextAtEpochMs: this.nextAt + offset, heldUntilEpochMs: this.heldUntil + offset };
  }

  /** Starts from what an earlier pacer of the host left (memory()): its last turn still counts against the rate. */
  resume(memory: { nextAtEpochMs: number; heldUntilEpochMs: number }): void {
    const offset = this.now() - Date.now();
    this.nextAt = Math.max(this.nextAt, memory.nextAtEpochMs + offset);
    this.heldUntil = Math.max(this.heldUntil, memory.heldUntilEpochMs + offset);
  }

  /** Requests waiting for their turn, for tests and the progress line. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Fails every waiting request (the client is closing) and stops the timer. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.rejectAll(new FerryError('CANCELLED', 'the registry client was closed'));
  }

  private ready(): boolean {
    const now = this.now();
    return now >= this.nextAt && now >= this.heldUntil;
  }

  /** Uses the turn that starts now: the next one is a full interval later. */
  private take(): void {
    if (this.intervalMs !== undefined) this.nextAt = this.now() + this.intervalMs;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.waiting.length === 0) return;
    const delay = Math.max(this.nextAt, this.heldUntil) - this.now();
    // Node may fire a timer up to a millisecond early on this clock; fire() checks and waits again if so.
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.ceil(delay)));
  }

  private fire(): void {
    this.timer = undefined;
    while (this.waiting.length > 0 && this.ready()) {
      this.take();
      this.waiting.serveNext();
    }
    this.schedule();
  }
}

/** The pacers in use, one per host and rate, with how many clients hold each. */
const shared = new Map<string, { pacer: RequestPacer; users: number }>();
/**
 * The last turn (and hold) of each host and rate whose last client closed: the
 * next client of the host (the app's check, then its push) starts paced from
 * it instead of spending a fresh burst. Entries whose times have passed are dropped.
 */
const remembered = new Map<string, { nextAtEpochMs: number; heldUntilEpochMs: number }>();

/**
 * The pacer for requests to `origin` at `perSecond`, shared by every client of
 * the process that talks to that host at that rate: a copy's source and
 * destination on one registry, or two jobs of the app, spend one budget and
 * wait out one 429's hold. `release()` when the client closes; the last one
 * out fails whatever still waits and leaves its next turn to the host's next pacer.
 */
export function sharedPacer(origin: string, perSecond: number | undefined): { pacer: RequestPacer; release: () => void } {
  const key = `${origin} ${perSecond ?? 'unpaced'}`;
  let entry = shared.get(key);
  if (entry === undefined) {
    entry = { pacer: new RequestPacer(perSecond), users: 0 };
    const memory = remembered.get(key);
    if (memory !== undefined) entry.pacer.resume(memory);
    remembered.delete(key);
    shared.set(key, entry);
  }
  entry.users += 1;
  const held = entry;
  let released = false;
  return {
    pacer: held.pacer,
    release: () => {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users === 0 && shared.get(key) === held) {
        shared.delete(key);
        held.pacer.close();
        const now = Date.now();
        for (const [other, memory] of remembered) if (Math.max(memory.nextAtEpochMs, memory.heldUntilEpochMs) <= now) remembered.delete(other);
        const memory = held.pacer.memory();
        if (Math.max(memory.nextAtEpochMs, memory.heldUntilEpochMs) > now) remembered.set(key, memory);
      }
    },
  };
}
