/**
 * What a registry says about its request budget, read from the headers it
 * sends with a 429 (and, Docker Hub, with every manifest): the limit and its
 * window, what is left, and when the window resets. Three families exist:
 * - Docker Hub: `ratelimit-limit: 100;w=21600`, `ratelimit-remaining: 0;w=21600`;
 * - the IETF draft (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Limit`,
 *   `RateLimit-Remaining`, `RateLimit-Reset` (seconds from now) and
 *   `RateLimit-Policy: 100;w=60` in its early versions; `RateLimit-Policy:
 *   "default";q=100;w=60` and `RateLimit: "default";r=0;t=30` in its later ones;
 * - GitHub / GitLab style: `X-RateLimit-Limit`, `X-RateLimit-Remaining`,
 *   `X-RateLimit-Reset` (epoch seconds; GitLab's `RateLimit-Reset` too).
 *
 * Every value comes from a server Ferry does not trust: a header longer than
 * a few hundred characters is ignored, each is parsed as an RFC 8941
 * structured field by the structured-headers library (a malformed one is
 * dropped whole), numbers are capped, and a value out of range is dropped
 * rather than believed. Only the numbers are read (each header's first list
 * member); nothing here is echoed unparsed.
 */
import { parseList, type Item } from 'structured-headers';
import type { ResponseHeaders } from './response-body.ts';

/** The request budget a registry stated; every field is optional, as registries state different parts of it. */
export interface RateLimitInfo {
  /** Requests allowed in one window. */
  limit?: number;
  /** The window's length in seconds (Docker Hub: 21600, six hours). */
  windowSeconds?: number;
  /** Requests left in the current window. */
  remaining?: number;
  /** Milliseconds from when the answer came until the window resets. */
  resetMs?: number;
}

/** Headers longer than this are not rate-limit headers anyone sends; they are ignored whole. */
const MAX_HEADER_LENGTH = 256;
/** Counts above this are not believed (no registry grants a trillion requests). */
const MAX_COUNT = 1e12;
/** A window or reset further away than a year is not believed. */
const MAX_SECONDS = 366 * 24 * 3600;
/** A reset value at or above this many seconds is a Unix time (2001-09-09 on), below it a number of seconds from now. */
const EPOCH_THRESHOLD_S = 1e9;

/** One header's value as text, or undefined when absent, repeated oddly or too long to be honest. */
function headerText(headers: ResponseHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.length > MAX_HEADER_LENGTH) return undefined;
  return value;
}

/**
 * The first member of a header read as an RFC 8941 structured-field list
 * (`100;w=60, 1000;w=3600` → 100 with w=60): every family above spells its
 * values that way, and structured-headers parses them strictly, so a
 * malformed header is dropped whole rather than half-read.
 */
function firstMember(text: string | undefined): Item | undefined {
  if (text === undefined) return undefined;
  try {
    const [first] = parseList(text);
    return first !== undefined && !Array.isArray(first[0]) ? (first as Item) : undefined;
  } catch {
    return undefined;
  }
}

/** A member's bare value or one of its parameters as a whole number (a decimal's integer part), capped; undefined otherwise. */
function wholeNumber(value: unknown, cap: number): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  const whole = Math.floor(value);
  return whole <= cap ? whole : undefined;
}

/** A reset as milliseconds from `now`: seconds from now, or a Unix time in seconds when it is that large. */
function resetFrom(value: unknown, now: number): number | undefined {
  const whole = wholeNumber(value, Number.MAX_SAFE_INTEGER);
  if (whole === undefined) return undefined;
  const seconds = whole >= EPOCH_THRESHOLD_S ? whole - now / 1000 : whole;
  if (seconds > MAX_SECONDS) return undefined;
  return Math.max(0, Math.round(seconds * 1000));
}

/**
 * Reads whatever rate-limit headers a response carries; undefined when it
 * carries none (the common case, checked with a few lookups). Where families
 * overlap, the IETF names win over `X-` ones.
 */
export function readRateLimitHeaders(headers: ResponseHeaders, now = Date.now()): RateLimitInfo | undefined {
  const limitHeader = firstMember(headerText(headers, 'ratelimit-limit') ?? headerText(headers, 'x-ratelimit-limit'));
  const remainingHeader = firstMember(headerText(headers, 'ratelimit-remaining') ?? headerText(headers, 'x-ratelimit-remaining'));
  const resetHeader = firstMember(headerText(headers, 'ratelimit-reset') ?? headerText(headers, 'x-ratelimit-reset'));
  const policy = firstMember(headerText(headers, 'ratelimit-policy'));
  const combined = firstMember(headerText(headers, 'ratelimit'));
  if (limitHeader === undefined && remainingHeader === undefined && resetHeader === undefined && policy === undefined && combined === undefined) return undefined;

  const info: RateLimitInfo = {};
  const limit = wholeNumber(limitHeader?.[0], MAX_COUNT) ?? wholeNumber(policy?.[1].get('q'), MAX_COUNT) ?? wholeNumber(policy?.[0], MAX_COUNT);
  if (limit !== undefined) info.limit = limit;
  const window = wholeNumber(limitHeader?.[1].get('w'), MAX_SECONDS) ?? wholeNumber(policy?.[1].get('w'), MAX_SECONDS) ?? wholeNumber(remainingHeader?.[1].get('w'), MAX_SECONDS);
  if (window !== undefined && window > 0) info.windowSeconds = window;
  const remaining = wholeNumber(remainingHeader?.[0], MAX_COUNT) ?? wholeNumber(combined?.[1].get('r'), MAX_COUNT);
  if (remaining !== undefined) info.remaining = remaining;
  const reset = resetFrom(resetHeader?.[0], now) ?? resetFrom(combined?.[1].get('t'), 0);
  if (reset !== undefined) info.resetMs = reset;
  return Object.keys(info).length > 0 ? info : undefined;
}

/** A duration in plain words: `30 s`, `5 min`, `6 h`, `1 h 30 min`, `2 days`. */
export function durationWords(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.round(hours / 24)} days`;
}

/** A window in plain words: `second` for 1 s, else its duration (`6 h`). */
function windowWords(seconds: number): string {
  return seconds === 1 ? 'second' : durationWords(seconds * 1000);
}

/**
 * The budget in words for a message: `rate limit 100 per 6 h reached (0 left)`
 * (`rate limit 100 per 6 h (76 left)` while some are left), or as much of it
 * as the registry said; undefined when it said nothing.
 */
export function rateLimitWords(info: RateLimitInfo | undefined): string | undefined {
  if (info === undefined) return undefined;
  const left = info.remaining === undefined ? undefined : `${info.remaining} left`;
  const reached = info.remaining === undefined || info.remaining === 0 ? ' reached' : '';
  const limit = info.limit === undefined ? undefined : `rate limit ${info.limit}${info.windowSeconds === undefined ? '' : ` per ${windowWords(info.windowSeconds)}`}${reached}`;
  const main = limit !== undefined ? `${limit}${left === undefined ? '' : ` (${left})`}` : left;
  const reset = info.resetMs === undefined ? undefined : `resets in ${durationWords(info.resetMs)}`;
  const parts = [main, reset].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/**
 * How long the registry asked to wait before the next request: its
 * Retry-After, else (no requests left) until its window resets; undefined
 * when it asked nothing, and the retry loop backs off on its own.
 */
export function requestedWaitMs(retryAfterMs: number | undefined, info: RateLimitInfo | undefined): number | undefined {
  if (retryAfterMs !== undefined) return retryAfterMs;
  if (info?.remaining === 0 && info.resetMs !== undefined) return info.resetMs;
  return undefined;
}
