/**
 * The answers `ferry serve` gives when a request cannot be served, spelled as
 * the OCI Distribution Specification's error codes so every client (skopeo,
 * containerd, Docker, Ferry's own) reads them as it reads Distribution's:
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 * The store throws them, the HTTP layer turns them into the JSON error body.
 */

/** The distribution-spec error codes `ferry serve` answers with (code-1 … code-14). */
export type RegistryProblemCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID';

/** The HTTP status each code is sent with unless the thrower says otherwise (the statuses Distribution uses for them). */
export const DEFAULT_PROBLEM_STATUS: Readonly<Record<RegistryProblemCode, number>> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
};

/**
 * A request the registry refuses, with its distribution-spec code, HTTP
 * status and a message that names the repository, digest or reference. The
 * store and the server throw it; the server sends it as
 * `{"errors":[{"code","message","detail"}]}`.
 */
export class RegistryProblem extends Error {
  readonly code: RegistryProblemCode;
  readonly status: number;
  readonly detail: unknown;

  constructor(code: RegistryProblemCode, message: string, options: { status?: number; detail?: unknown } = {}) {
    super(message);
    this.name = 'RegistryProblem';
    this.code = code;
    this.status = options.status ?? DEFAULT_PROBLEM_STATUS[code];
    this.detail = options.detail;
  }
}
