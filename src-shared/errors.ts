/**
 * Error codes and the serialisable error shape shared by every layer.
 *
 * Errors cross process boundaries (CLI exit, IPC, HTTP) as plain
 * `{ code, message, details }` objects, so the code set is a closed union that
 * front ends can switch on without parsing messages.
 *
 * Which code for which fault:
 * - what the caller passed is wrong → INVALID_ARGUMENT (INVALID_REFERENCE,
 *   INVALID_DIGEST when it is a reference or a digest);
 * - a file Ferry reads is malformed (image set, image list, receipt, settings,
 *   journal, pull secret) → INVALID_CONTENT, naming the file and the part;
 * - a bundle on media is not what its ferry.json vouches for, or ferry.json
 *   itself is broken → BUNDLE_INVALID (DIGEST_MISMATCH, SIZE_MISMATCH when a
 *   checksum or a length is what failed); a bundle whose id the catalog knows
 *   with another ferry.json → BUNDLE_CONFLICT;
 * - a registry answered something Ferry cannot accept → INVALID_MANIFEST (its
 *   manifest), UNSUPPORTED_MEDIA_TYPE, MANIFEST_TOO_LARGE, or its own refusal
 *   UNAUTHORIZED, DENIED, NOT_FOUND, REGISTRY_ERROR;
 * - the way to it failed → NETWORK_ERROR, TLS_ERROR, INSECURE_REDIRECT;
 * - a verified bundle the site policy does not let in (unsigned, unapproved,
 *   too old, a blocked image, a target outside the allowed ones) → POLICY_REFUSED,
 *   naming each failing rule.
 *
 * Messages are plain words for every front end: no command-line flag and no
 * form field. What a person can change is an {@link ErrorHint} in
 * `details.hint`, which each front end words its own way.
 */

/** Every error code Ferry can report; a closed union so front ends can switch exhaustively. */
export type ErrorCode =
  /** A reference the caller gave (or a line of an image list) is not a valid OCI reference. */
  | 'INVALID_REFERENCE'
  /** A digest the caller gave is not `algorithm:hex`. */
  | 'INVALID_DIGEST'
  /** A bad argument: a flag value or an API call's argument. */
  | 'INVALID_ARGUMENT'
  /** A file Ferry reads (image set, image list, receipt, settings, journal, pull secret) is malformed; details name the file and the part. */
  | 'INVALID_CONTENT'
  /** A manifest or index a registry returned cannot be read as OCI (or Docker schema 2). */
  | 'INVALID_MANIFEST'
  /** A bundle is damaged, incomplete or not a Ferry bundle: its ferry.json, layout, parts or files. */
  | 'BUNDLE_INVALID'
  /** A bundle carries the id of a bundle the catalog already knows, with other contents (another ferry.json): refused, never merged. */
  | 'BUNDLE_CONFLICT'
  /** The bundle is intact, but the site policy refuses it (docs/trust.md "Site policy"); details name each failing rule. Nothing was written. */
  | 'POLICY_REFUSED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'MANIFEST_TOO_LARGE'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  /** The registry wants credentials, or refused the ones given (HTTP 401). */
  | 'UNAUTHORIZED'
  /** The registry knows the account and refuses it this action (HTTP 403). */
  | 'DENIED'
  | 'NOT_FOUND'
  /** Any other refusal or malformed answer from a registry. */
  | 'REGISTRY_ERROR'
  | 'NETWORK_ERROR'
  | 'TLS_ERROR'
  | 'INSECURE_REDIRECT'
  | 'CREDENTIALS_ERROR'
  | 'PLATFORM_NOT_FOUND'
  | 'CANCELLED'
  | 'IO_ERROR'
  | 'INTERNAL';

/**
 * What a person can change to get past an error, carried in `details.hint`.
 * The engine names the remedy; the CLI words it as a flag
 * (`cli/error-words.ts`), the app as a field of its forms
 * (`src-renderer/api/hint-words.ts`). Both switch exhaustively, so a new kind
 * fails typecheck until both front ends word it.
 */
export type ErrorHint =
  /** The registry at `host` wants credentials, or refused the ones given: give a user name and password, or an auth file. */
  | { kind: 'credentials'; host: string }
  /** A typed login is for one registry, but the job talks to several: keep each registry's login in an auth file (or a saved login per registry). */
  | { kind: 'auth-file-per-registry' }
  /** Merging a pull secret needs the login of the mirror registry `host` typed in, since it is written into the secret. */
  | { kind: 'mirror-login'; host: string }
  /** The certificate of `host` is signed by a CA this machine does not trust: trust that CA (or, for a test registry, skip verification). */
  | { kind: 'ca-certificate'; host: string }
  /** The certificate of `host` fails a check no extra CA fixes (another name, out of date): reach it by its certificate's name, or skip verification. */
  | { kind: 'tls-verify'; host: string }
  /** `host` speaks plain HTTP (or hands out an http token address): allow plain HTTP for it. */
  | { kind: 'plain-http'; host: string }
  /** An incremental export for `site`, which has no receipt in the catalog: add the site's receipt, or export a full bundle. */
  | { kind: 'site-receipt'; site: string }
  /** Sources from different registries would land in one target repository: keep each source's registry host in the target paths. */
  | { kind: 'keep-source-host'; registry: string }
  /** Ferry's registry cannot listen at `address` (`host:port`): another program holds the port, or it is below 1024 without privileges; choose another port. */
  | { kind: 'listen-port'; address: string }
  /** The registry at `host` throttles Ferry (HTTP 429, HTTP/2 GOAWAY ENHANCE_YOUR_CALM): set a request rate for it. */
  | { kind: 'rate-limit'; host: string }
  /**
   * The registry check before an import found what the registry cannot take: keep paths at most
   * `maxNestedPaths` levels deep, and/or let Ferry create the missing repositories (`createRepositories`).
   */
  | { kind: 'registry-limits'; maxNestedPaths?: number; createRepositories?: boolean };

/** Every hint kind, for code that must check a hint that crossed a process boundary. */
export const ERROR_HINT_KINDS = [
  'credentials',
  'auth-file-per-registry',
  'mirror-login',
  'ca-certificate',
  'tls-verify',
  'plain-http',
  'site-receipt',
  'keep-source-host',
  'listen-port',
  'rate-limit',
  'registry-limits',
] as const satisfies readonly ErrorHint['kind'][];
/** Fails typecheck when a hint kind is missing from ERROR_HINT_KINDS (and so could never be read back). */
export const EVERY_HINT_KIND_LISTED: [Exclude<ErrorHint['kind'], (typeof ERROR_HINT_KINDS)[number]>] extends [never] ? true : never = true;

/**
 * The hint in an error's details, checked: details arrive over IPC and HTTP as
 * plain JSON, so a front end reads them through this rather than a cast.
 */
export function errorHint(details: Record<string, unknown> | undefined): ErrorHint | undefined {
  const hint = details?.hint;
  if (typeof hint !== 'object' || hint === null) return undefined;
  const fields = hint as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof fields[key] === 'string' && fields[key] !== '' ? fields[key] : undefined);
  const kind = ERROR_HINT_KINDS.find((k) => k === fields.kind);
  if (kind === undefined) return undefined;
  switch (kind) {
    case 'auth-file-per-registry':
      return { kind };
    case 'credentials':
    case 'mirror-login':
    case 'ca-certificate':
    case 'tls-verify':
    case 'plain-http':
    case 'rate-limit': {
      const host = text('host');
      return host === undefined ? undefined : { kind, host };
    }
    case 'site-receipt': {
      const site = text('site');
      return site === undefined ? undefined : { kind, site };
    }
    case 'keep-source-host': {
      const registry = text('registry');
      return registry === undefined ? undefined : { kind, registry };
    }
    case 'listen-port': {
      const address = text('address');
      return address === undefined ? undefined : { kind, address };
    }
    case 'registry-limits': {
      const depth = fields.maxNestedPaths;
      return {
        kind,
        ...(typeof depth === 'number' && Number.isInteger(depth) && depth > 0 ? { maxNestedPaths: depth } : {}),
        ...(fields.createRepositories === true ? { createRepositories: true } : {}),
      };
    }
    default:
      return kind satisfies never;
  }
}

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
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** Turns anything thrown into an envelope, keeping the code of a FerryError. */
export function toErrorEnvelope(error: unknown): ErrorEnvelope {
  if (error instanceof FerryError) return error.toEnvelope();
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message };
  return { code: 'INTERNAL', message: String(error) };
}
