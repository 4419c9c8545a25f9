/**
 * What Ferry saw of a registry's request budget during a job or a check: the
 * rate it held itself to, how often the registry refused with 429 or closed a
 * connection with GOAWAY ENHANCE_YOUR_CALM, and the budget it last stated in
 * its rate-limit headers. `ferry registry check` turns it into its throttling
 * row (RegistryThrottling in registry-check.ts).
 */

/**
 * The request rates Ferry accepts (requests per second): one a day at least;
 * beyond 100 000 a second pacing means nothing. The flag, the settings schema
 * and the pacer all check against these.
 */
export const RATE_LIMIT_RANGE = { min: 1 / 86_400, max: 100_000 } as const;

/** A registry's request budget as observed by one registry client. */
export interface ThrottlingObservations {
  /** Requests per second Ferry held itself to (a rate limit set by flag or setting); absent when none. */
  rateLimit?: number;
  /** 429 answers received. */
  refusals: number;
  /** HTTP/2 connections the registry closed with GOAWAY ENHANCE_YOUR_CALM. */
  goAways: number;
  /** Requests allowed per window, as the registry last stated it. */
  limit?: number;
  /** That window's length in seconds (Docker Hub: 21600). */
  windowSeconds?: number;
  /** Requests left in the window when the registry last said. */
  remaining?: number;
  /** When the window resets, as an ISO 8601 time. */
  resetAt?: string;
  /** The longest wait a 429 asked for (Retry-After), in milliseconds. */
  longestWaitMs?: number;
}
