/**
 * Structured registry errors, after go-containerregistry's transport.Error:
 * the HTTP status, the distribution-spec error codes, a redacted URL and a
 * `temporary` flag that alone decides whether a request is retried.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
import { FerryError, type ErrorCode, type ErrorHint } from '../../../src-shared/errors.ts';
import { durationWords, rateLimitWords, requestedWaitMs, type RateLimitInfo } from './rate-limit-headers.ts';

/** Statuses worth another try: the server is overloaded, restarting or rate limiting. */
const TEMPORARY_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Socket-level failures that a later attempt may not meet (undici and libuv codes). */
const TEMPORARY_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** OpenSSL's chain-building failures (Node codes): the CA behind the certificate is not trusted here, so trusting it is the fix. */
const UNTRUSTED_CA_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** Certificate failures no extra CA fixes: the name does not match, or the certificate is out of date. */
const UNFIXABLE_BY_CA_CODES = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** What a TLS handshake to a server that speaks plain HTTP fails with: the HTTP reply is not a TLS record. */
const PLAIN_HTTP_PEER = /WRONG_VERSION_NUMBER|wrong version number|PACKET_LENGTH_TOO_LONG|packet length too long|HTTP_REQUEST/i;

/** HTTP/2's ENHANCE_YOUR_CALM error code (RFC 9113 §7): what nginx and envoy in front of Docker Hub and Harbor send in a GOAWAY to a client they throttle. */
export const H2_ENHANCE_YOUR_CALM = 0xb;
/**
 * How undici (lib/dispatcher/client-h2.js, 7.x) reports a GOAWAY: a SocketError
 * (UND_ERR_SOCKET) with this message, the only place the frame's error code
 * surfaces. Every request in flight on that connection fails with it; undici
 * does not read the frame's last stream id, so which of them the server had
 * processed is unknown (send() retries only requests that can be replayed).
 */
const UNDICI_GOAWAY = /"GOAWAY" frame received with code (\d+)/;

/** The error code of the HTTP/2 GOAWAY behind a network failure (its cause chain included), or undefined when it was none. */
export function goAwayCode(error: unknown): number | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth += 1) {
    const match = UNDICI_GOAWAY.exec(current.message);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

/** One entry of a registry's `{"errors": [...]}` body. */
export interface RegistryErrorEntry {
  code: string;
  message: string;
}

/** A failed registry request: carries what a user and the retry loop need, never a credential. */
export class RegistryError extends FerryError {
  readonly status: number | undefined;
  readonly temporary: boolean;
  /** Milliseconds the server asked us to wait (Retry-After), if it said. */
  readonly retryAfterMs: number | undefined;
  /** The request budget the registry stated with this answer (rate-limit headers), if any. */
  readonly rateLimit: RateLimitInfo | undefined;
  /** For a 429: what the message is made of, so a wait too long to sit out can be worded from the same parts. */
  readonly refusal: Refusal | undefined;
  /**
   * The registry asked Ferry to slow down (HTTP 429, or an HTTP/2 GOAWAY with
   * ENHANCE_YOUR_CALM): the retry waits longer than after a plain reset, and
   * the client counts it among its throttling observations.
   */
  readonly throttled: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    init: {
      status?: number;
      temporary: boolean;
      retryAfterMs?: number;
      throttled?: boolean;
      rateLimit?: RateLimitInfo;
      refusal?: Refusal;
      details?: Record<string, unknown>;
      cause?: unknown;
    },
  ) {
    super(code, message, { ...init.details, ...(init.status === undefined ? {} : { status: init.status }) }, { cause: init.cause });
    this.name = 'RegistryError';
    this.status = init.status;
    this.temporary = init.temporary;
    this.retryAfterMs = init.retryAfterMs;
    this.rateLimit = init.rateLimit;
    this.refusal = init.refusal;
    this.throttled = init.throttled === true;
  }
}

/** The parts of a 429's message: what was refused, by which registry, and the HTTP exchange. */
interface Refusal {
  subject: string;
  registry: string;
  exchange: string;
}

/**
 * A 429 in words that name the limit: `docker.io refused more requests: rate
 * limit 100 per 6 h reached (0 left); it asked to wait 30 s`, then, when the
 * wait is longer than Ferry sits out, that it stopped instead.
 */
function refusalMessage(refusal: Refusal, info: RateLimitInfo | undefined, waitMs: number | undefined, maxWaitMs?: number): string {
  const words = rateLimitWords(info);
  const wait = waitMs === undefined ? '' : `; it asked to wait ${durationWords(waitMs)}`;
  const stopped = maxWaitMs === undefined ? '' : `, longer than Ferry waits for a registry (${durationWords(maxWaitMs)}), so it stopped`;
  return `${refusal.subject}: ${refusal.registry} refused more requests${words === undefined ? ' (too many requests)' : `: ${words}`}${wait}${stopped} (${refusal.exchange})`;
}

/**
 * The final error for a 429 whose requested wait (Retry-After, or the
 * window's reset with nothing left) is longer than `maxWaitMs`: failing at
 * once with the limit named beats sleeping for hours. Not temporary.
 */
export function tooLongToWait(error: RegistryError, waitMs: number, maxWaitMs: number): RegistryError {
  if (error.refusal === undefined) return error;
  return new RegistryError('REGISTRY_ERROR', refusalMessage(error.refusal, error.rateLimit, waitMs, maxWaitMs), {
    status: error.status,
    temporary: false,
    retryAfterMs: waitMs,
    ...(error.rateLimit === undefined ? {} : { rateLimit: error.rateLimit }),
    details: { ...error.details, waitMs, maxWaitMs },
    cause: error,
  });
}

/** True when an error is worth retrying: a temporary status or a dropped connection. */
export function isTemporary(error: unknown): boolean {
  if (error instanceof RegistryError) return error.temporary;
  if (error instanceof FerryError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TEMPORARY_NETWORK_CODES.has(code);
}

/** Drops the query (upload state, presigned signatures) and any user info from a URL before it reaches a message. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '<unparseable url>';
  }
}

/** The longest wait a Retry-After is read as: a larger (or endless) one is still "longer than Ferry waits", and stays a finite number. */
const RETRY_AFTER_CEILING_MS = 366 * 24 * 3600 * 1000;

/** Parses Retry-After as seconds or an HTTP-date into milliseconds from now, at most a year (hostile values included). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, RETRY_AFTER_CEILING_MS);
  if (trimmed.length > 100) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), RETRY_AFTER_CEILING_MS);
}

/** Reads the distribution-spec error list out of a body, tolerating bodies that are not JSON. */
export function parseErrorBody(body: string): RegistryErrorEntry[] {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    if (!Array.isArray(parsed.errors)) return [];
    const text = (value: unknown, fallback: string): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : fallback);
    return parsed.errors.map((entry) => ({ code: text(entry.code, 'UNKNOWN'), message: text(entry.message, '') }));
  } catch {
    return [];
  }
}

/** The host of a URL, for hints; the URL as given when it does not parse. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Builds the error for an unexpected status, with the registry's own codes and
 * the thing it concerns. A 401 carries a credentials hint for `registry` (the
 * registry the credentials are for; a token server's own host otherwise).
 */
export function errorForStatus(init: {
  status: number;
  method: string;
  url: string;
  subject: string;
  body: string;
  retryAfter?: string;
  registry?: string;
  rateLimit?: RateLimitInfo | undefined;
}): RegistryError {
  const entries = parseErrorBody(init.body);
  const registrySays = entries.length > 0 ? entries.map((entry) => (entry.message ? `${entry.code}: ${entry.message}` : entry.code)).join('; ') : init.body.trim().slice(0, 200) || 'no details';
  const code: ErrorCode = init.status === 401 ? 'UNAUTHORIZED' : init.status === 403 ? 'DENIED' : init.status === 404 ? 'NOT_FOUND' : 'REGISTRY_ERROR';
  const host = init.registry ?? hostOf(init.url);
  const hint: ErrorHint | undefined = init.status === 401 ? { kind: 'credentials', host } : init.status === 429 ? { kind: 'rate-limit', host } : undefined;
  const words = init.status === 401 ? ': it wants credentials, or refused the ones given' : '';
  const exchange = `${init.method} ${redactUrl(init.url)} returned ${init.status} (${registrySays})`;
  const retryAfterMs = parseRetryAfter(init.retryAfter);
  const refusal = init.status === 429 ? { subject: init.subject, registry: host, exchange } : undefined;
  const message = refusal ? refusalMessage(refusal, init.rateLimit, requestedWaitMs(retryAfterMs, init.rateLimit)) : `${init.subject}: ${exchange}${words}`;
  return new RegistryError(code, message, {
    status: init.status,
    temporary: TEMPORARY_STATUSES.has(init.status),
    throttled: init.status === 429,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(init.rateLimit === undefined ? {} : { rateLimit: init.rateLimit }),
    ...(refusal ? { refusal } : {}),
    details: { registryCodes: entries.map((entry) => entry.code), url: redactUrl(init.url), ...(hint ? { hint } : {}), ...(init.rateLimit ? { rateLimit: init.rateLimit } : {}) },
  });
}

/** What a failed TLS handshake with `host` says a person can change, with the plain words the message carries; none when the failure says nothing certain. */
function tlsRemedy(code: string, message: string, host: string): { hint: ErrorHint; words: string } | undefined {
  if (PLAIN_HTTP_PEER.test(`${code} ${message}`)) return { hint: { kind: 'plain-http', host }, words: `${host} answered without TLS: it looks like a plain-HTTP registry` };
  if (UNTRUSTED_CA_CODES.has(code)) return { hint: { kind: 'ca-certificate', host }, words: `the certificate of ${host} is signed by a CA this machine does not trust` };
  if (UNFIXABLE_BY_CA_CODES.has(code)) return { hint: { kind: 'tls-verify', host }, words: `the certificate of ${host} is for another name or out of date, which no extra CA fixes` };
  return undefined;
}

/**
 * Wraps a socket or TLS failure with the subject and a redacted URL, keeping
 * whether it is worth a retry. A FerryError passes through unchanged: a digest
 * mismatch of a streamed request body must stay a digest mismatch.
 */
export function errorForNetwork(error: unknown, init: { method: string; url: string; subject: string }): FerryError {
  if (error instanceof FerryError) return error;
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : '';
  if (goAwayCode(error) === H2_ENHANCE_YOUR_CALM) {
    const host = hostOf(init.url);
    return new RegistryError('NETWORK_ERROR', `${init.subject}: ${init.method} ${redactUrl(init.url)} failed: ${host} sent HTTP/2 GOAWAY ENHANCE_YOUR_CALM: the registry asked Ferry to slow down`, {
      temporary: true,
      throttled: true,
      details: { url: redactUrl(init.url), networkCode: code, goAway: 'ENHANCE_YOUR_CALM', hint: { kind: 'rate-limit', host } satisfies ErrorHint },
      cause: error,
    });
  }
  // OpenSSL's messages end with a newline; the hint's words follow on the same line.
  const message = (error instanceof Error ? error.message : String(error)).trim();
  const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code + message);
  const remedy = tls ? tlsRemedy(code, message, hostOf(init.url)) : undefined;
  return new RegistryError(tls ? 'TLS_ERROR' : 'NETWORK_ERROR', `${init.subject}: ${init.method} ${redactUrl(init.url)} failed: ${message}${remedy ? ` (${remedy.words})` : ''}`, {
    temporary: !tls && isTemporary(error),
    details: { url: redactUrl(init.url), networkCode: code, ...(remedy ? { hint: remedy.hint } : {}) },
    cause: error,
  });
}
