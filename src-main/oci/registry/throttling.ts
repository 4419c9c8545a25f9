/**
 * A registry client's record of the registry's request budget: every
 * response's rate-limit headers (Docker Hub sends them with each manifest)
 * and every 429. `ferry registry check` reports it; tests assert on it.
 */
import type { RegistryThrottling } from '../../../src-shared/model/throttling.ts';
import { parseRetryAfter } from './errors.ts';
import { readRateLimitHeaders, type RateLimitInfo } from './rate-limit-headers.ts';
import type { ResponseHeaders } from './response-body.ts';

/** The observations of one client; `snapshot()` is the plain value reports carry. */
export class ThrottlingLog {
  /** Requests per second the client holds itself to, when set. */
  rateLimit: number | undefined;
  private refusals = 0;
  private last: RateLimitInfo | undefined;
  private seenAt = 0;
  private longestWaitMs: number | undefined;

  /** Records one response from the registry's host; returns the budget its headers state, if any. */
  observe(status: number, headers: ResponseHeaders): RateLimitInfo | undefined {
    const info = readRateLimitHeaders(headers);
    if (info !== undefined) {
      this.last = { ...this.last, ...info };
      this.seenAt = Date.now();
    }
    if (status === 429) {
      this.refusals += 1;
      const raw = headers['retry-after'];
      const wait = parseRetryAfter(Array.isArray(raw) ? raw[0] : raw);
      if (wait !== undefined) this.longestWaitMs = Math.max(this.longestWaitMs ?? 0, wait);
    }
    return info;
  }

  /** What was seen so far, as the report type. */
  snapshot(): RegistryThrottling {
    const seen: RegistryThrottling = { refusals: this.refusals };
    if (this.rateLimit !== undefined) seen.rateLimit = this.rateLimit;
    const last = this.last;
    if (last?.limit !== undefined) seen.limit = last.limit;
    if (last?.windowSeconds !== undefined) seen.windowSeconds = last.windowSeconds;
    if (last?.remaining !== undefined) seen.remaining = last.remaining;
    if (last?.resetMs !== undefined) seen.resetAt = new Date(this.seenAt + last.resetMs).toISOString();
    if (this.longestWaitMs !== undefined) seen.longestWaitMs = this.longestWaitMs;
    return seen;
  }
}
