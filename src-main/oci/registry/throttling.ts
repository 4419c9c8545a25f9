/**
 * A registry client's record of the registry's request budget: every
 * response's rate-limit headers (Docker Hub sends them with each manifest)
 * and every 429. `ferry registry check` reports it; tests assert on it.
 */
import type { RegistryThrottling } from '../../../src-shared/model/registry-check.ts';
import type { ThrottlingObservations } from '../../../src-shared/model/throttling.ts';
import { parseRetryAfter, RegistryError } from './errors.ts';
import { durationWords, rateLimitWords, readRateLimitHeaders, type RateLimitInfo } from './rate-limit-headers.ts';
import type { ResponseHeaders } from './response-body.ts';

/** The observations of one client; `snapshot()` is the plain value reports carry. */
export class ThrottlingLog {
  /** Requests per second the client holds itself to, when set. */
  rateLimit: number | undefined;
  private refusals = 0;
  private goAways = 0;
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

  /** Counts a request failure that was the registry saying "slow down" (an HTTP/2 GOAWAY ENHANCE_YOUR_CALM); returns the error to throw. */
  failed<E>(error: E): E {
    if (error instanceof RegistryError && error.throttled) this.goAways += 1;
    return error;
  }

  /** What was seen so far, as a plain value. */
  snapshot(): ThrottlingObservations {
    const seen: ThrottlingObservations = { refusals: this.refusals, goAways: this.goAways };
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

/**
 * The throttling row's evidence for `ferry registry check`: undefined when the
 * registry neither refused nor stated a budget, else the counts and one plain
 * sentence ("1 request refused (429); rate limit 100 per 6 h (0 left); it
 * asked to wait up to 30 s; Ferry held itself to 5 requests a second").
 */
export function throttlingReport(seen: ThrottlingObservations): RegistryThrottling | undefined {
  const stated: RateLimitInfo = {};
  if (seen.limit !== undefined) stated.limit = seen.limit;
  if (seen.windowSeconds !== undefined) stated.windowSeconds = seen.windowSeconds;
  if (seen.remaining !== undefined) stated.remaining = seen.remaining;
  const budget = rateLimitWords(stated);
  if (seen.refusals === 0 && seen.goAways === 0 && budget === undefined) return undefined;
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const parts = [
    seen.refusals > 0 ? `${plural(seen.refusals, 'request', 'requests')} refused (429)` : undefined,
    seen.goAways > 0 ? `${plural(seen.goAways, 'connection', 'connections')} closed with GOAWAY ENHANCE_YOUR_CALM` : undefined,
    budget,
    seen.longestWaitMs === undefined ? undefined : `it asked to wait up to ${durationWords(seen.longestWaitMs)}`,
    seen.rateLimit === undefined ? undefined : `Ferry held itself to ${seen.rateLimit} requests a second`,
  ].filter((part): part is string => part !== undefined);
  const report: RegistryThrottling = { tooManyRequests: seen.refusals, goaway: seen.goAways, detail: parts.join('; ') };
  if (seen.longestWaitMs !== undefined) report.retryAfterMs = seen.longestWaitMs;
  if (seen.limit !== undefined) report.limit = seen.windowSeconds === undefined ? String(seen.limit) : `${seen.limit};w=${seen.windowSeconds}`;
  return report;
}
