/**
 * A bound on the upload sessions one `ferry serve` process keeps open, so a
 * client that POSTs without end cannot fill the disk with session folders or
 * the store's memory with running hashes. Sessions idle (no request in
 * flight) for longer than SESSION_IDLE_MS are cancelled when room is needed;
 * when every session is busy or fresh, a new one is refused with 429
 * TOOMANYREQUESTS and Retry-After. Sessions a previous process left (they
 * survive restarts) are counted from the first request that touches them.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes (code-14)
 */
import { RegistryProblem } from './problems.ts';
import type { RegistryStorage } from './storage.ts';

/** Open sessions per process: pushes use a handful in parallel (skopeo 6, containerd 3 per image), so 256 is ample. */
export const MAX_OPEN_UPLOADS = 256;
/** A session with no request for this long may be cancelled to make room; the spec lets servers time out unfinished uploads. */
export const SESSION_IDLE_MS = 15 * 60_000;
/** Seconds a refused client is asked to wait before it tries again. */
const RETRY_AFTER_SECONDS = 30;

/** What the limiter knows of one session. */
interface Tracked {
  repository: string;
  /** Requests on this session in flight (a long PATCH keeps it busy however long it takes). */
  busy: number;
  /** When its last request ended. */
  idleSince: number;
}

/** Counts and bounds the open upload sessions of one server. */
export class UploadLimiter {
  readonly #sessions = new Map<string, Tracked>();
  readonly #max: number;
  readonly #idleMs: number;

  constructor(options: { max?: number; idleMs?: number } = {}) {
    this.#max = options.max ?? MAX_OPEN_UPLOADS;
    this.#idleMs = options.idleMs ?? SESSION_IDLE_MS;
  }

  /**
   * Makes room for one more session: cancels sessions idle for longer than
   * the limit (oldest first) while the count is at the cap, then refuses
   * with 429 TOOMANYREQUESTS and Retry-After when there is still none.
   */
  async makeRoom(storage: RegistryStorage): Promise<void> {
    if (this.#sessions.size < this.#max) return;
    const now = Date.now();
    const stale = [...this.#sessions.entries()].filter(([, s]) => s.busy === 0 && now - s.idleSince >= this.#idleMs).sort((a, b) => a[1].idleSince - b[1].idleSince);
    for (const [id, session] of stale) {
      if (this.#sessions.size < this.#max) break;
      this.#sessions.delete(id);
      await storage.cancelUpload(session.repository, id).catch(() => false);
    }
    if (this.#sessions.size >= this.#max) {
      throw new RegistryProblem('TOOMANYREQUESTS', `${this.#max} upload sessions are open on this registry; finish or cancel some, or retry in ${RETRY_AFTER_SECONDS} s`, {
        detail: { open: this.#sessions.size, retryAfter: RETRY_AFTER_SECONDS },
      });
    }
  }

  /** Counts a session just opened. */
  opened(repository: string, id: string): void {
    this.#sessions.set(id, { repository, busy: 0, idleSince: Date.now() });
  }

  /** Runs one request on a session, keeping it busy (never cancelled for room) until the request ends. */
  async during<T>(repository: string, id: string, work: () => Promise<T>): Promise<T> {
    const session = this.#sessions.get(id) ?? { repository, busy: 0, idleSince: Date.now() };
    this.#sessions.set(id, session);
    session.busy += 1;
    try {
      return await work();
    } finally {
      session.busy -= 1;
      session.idleSince = Date.now();
    }
  }

  /** Forgets a session that was finished, cancelled or found unknown. */
  forget(id: string): void {
    this.#sessions.delete(id);
  }

  /** How many sessions are counted now (for tests and status). */
  get open(): number {
    return this.#sessions.size;
  }
}
