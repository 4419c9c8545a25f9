/**
 * Error codes and the serialisable error shape shared by every layer.
 *
 * Errors cross process boundaries (CLI exit, IPC, HTTP) as plain
 * `{ code, message, details }` objects, so the code set is a closed union that
 * front ends can switch on without parsing messages.
 */

/** Every error code Ferry can report; a closed union so front ends can switch exhaustively. */
export type ErrorCode =
  | 'INVALID_REFERENCE'
  | 'INVALID_DIGEST'
  /** A bad argument: a flag value or an API call's argument. */
  | 'INVALID_ARGUMENT'
  /** A file Ferry reads (image set, image list, receipt, settings, journal) is malformed; details name the file and the part. */
  | 'INVALID_CONTENT'
  | 'INVALID_MANIFEST'
  | 'BUNDLE_INVALID'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'MANIFEST_TOO_LARGE'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NOT_FOUND'
  | 'REGISTRY_ERROR'
  | 'NETWORK_ERROR'
  | 'TLS_ERROR'
  | 'INSECURE_REDIRECT'
  | 'CREDENTIALS_ERROR'
  | 'PLATFORM_NOT_FOUND'
  | 'CANCELLED'
  | 'IO_ERROR'
  | 'INTERNAL';

/** The wire shape of an error: what crosses IPC, HTTP and `--json` output. */
export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * The one error class the engine throws, so every failure carries a code and
 * survives serialisation without losing it.
 */
export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FerryError';
    this.code = code;
    this.details = details;
  }

  /** Serialisable form for IPC, HTTP and JSON output. */
  toEnvelope(): ErrorEnvelope {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Turns anything thrown into an envelope, keeping the code of a FerryError. */
export function toErrorEnvelope(error: unknown): ErrorEnvelope {
  if (error instanceof FerryError) return error.toEnvelope();
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message };
  return { code: 'INTERNAL', message: String(error) };
}
