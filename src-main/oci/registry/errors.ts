/**
 * Structured registry errors, after go-containerregistry's transport.Error:
 * the HTTP status, the distribution-spec error codes, a redacted URL and a
 * `temporary` flag that alone decides whether a request is retried.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
import { FerryError, type ErrorCode } from '../../../src-shared/errors.ts';

/** Statuses worth another try: the server is overloaded, restarting or rate limiting. */
const TEMPORARY_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Socket-level failures that a later attempt may not meet (undici and libuv codes). */
const TEMPORARY_NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

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

  constructor(code: ErrorCode, message: string, init: { status?: number; temporary: boolean; retryAfterMs?: number; details?: Record<string, unknown>; cause?: unknown }) {
    super(code, message, { ...init.details, ...(init.status === undefined ? {} : { status: init.status }) }, { cause: init.cause });
    this.name = 'RegistryError';
    this.status = init.status;
    this.temporary = init.temporary;
    this.retryAfterMs = init.retryAfterMs;
  }
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

/** Parses Retry-After as seconds or an HTTP-date into milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Reads the distribution-spec error list out of a body, tolerating bodies that are not JSON. */
export function parseErrorBody(body: string): RegistryErrorEntry[] {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors.map((entry) => ({ code: String(entry.code ?? 'UNKNOWN'), message: String(entry.message ?? '') }));
  } catch {
    return [];
  }
}

/** Builds the error for an unexpected status, with the registry's own codes and the thing it concerns. */
export function errorForStatus(init: { status: number; method: string; url: string; subject: string; body: string; retryAfter?: string }): RegistryError {
  const entries = parseErrorBody(init.body);
  const registrySays = entries.length > 0
    ? entries.map((entry) => (entry.message ? `${entry.code}: ${entry.message}` : entry.code)).join('; ')
    : init.body.trim().slice(0, 200) || 'no details';
  const code: ErrorCode = init.status === 401 ? 'UNAUTHORIZED'
    : init.status === 403 ? 'DENIED'
      : init.status === 404 ? 'NOT_FOUND'
        : 'REGISTRY_ERROR';
  const hint = init.status === 401 ? ' (check --creds or --authfile)' : '';
  return new RegistryError(code, `${init.subject}: ${init.method} ${redactUrl(init.url)} returned ${init.status} (${registrySays})${hint}`, {
    status: init.status,
    temporary: TEMPORARY_STATUSES.has(init.status),
    retryAfterMs: parseRetryAfter(init.retryAfter),
    details: { registryCodes: entries.map((entry) => entry.code), url: redactUrl(init.url) },
  });
}

/**
 * Wraps a socket or TLS failure with the subject and a redacted URL, keeping
 * whether it is worth a retry. A FerryError passes through unchanged: a digest
 * mismatch of a streamed request body must stay a digest mismatch.
 */
export function errorForNetwork(error: unknown, init: { method: string; url: string; subject: string }): FerryError {
  if (error instanceof FerryError) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code + message);
  const hint = tls ? ' (use --ca-cert FILE, a certs.d folder, or --tls-verify=false)' : '';
  return new RegistryError(tls ? 'TLS_ERROR' : 'NETWORK_ERROR', `${init.subject}: ${init.method} ${redactUrl(init.url)} failed: ${message}${hint}`, {
    temporary: !tls && isTemporary(error),
    details: { url: redactUrl(init.url), networkCode: code },
    cause: error,
  });
}
