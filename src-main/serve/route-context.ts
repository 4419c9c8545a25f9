/**
 * What every route handler of `ferry serve` receives: the request, the
 * response, the parsed query, and the storage it serves from. A read-only
 * reader has no write side; `writable()` answers 405 UNSUPPORTED for it, as
 * the spec allows a registry that disables push and deletion.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#content-management
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryProblem } from './problems.ts';
import type { RegistryReader, RegistryStorage } from './storage.ts';
import { checkDigest as checkStoreDigest } from './store-layout.ts';
import type { UploadLimiter } from './upload-limits.ts';

/** One request as a route handler sees it. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  /** The request's query parameters. */
  query: URLSearchParams;
  reader: RegistryReader | RegistryStorage;
  /** The bound on open upload sessions, shared by every request of one server. */
  uploads: UploadLimiter;
}

/** The write side of the served storage, or UNSUPPORTED (405) when the registry is read-only. */
export function writable(context: RouteContext, what: string): RegistryStorage {
  if (context.reader.readOnly) {
    throw new RegistryProblem('UNSUPPORTED', `this registry is read-only: ${what} is not accepted`);
  }
  return context.reader as RegistryStorage;
}

/** Refuses a digest Ferry cannot verify (malformed or an unsupported algorithm) with DIGEST_INVALID (400), naming it; returns it checked. */
export function checkDigest(digest: string): string {
  checkStoreDigest(digest, 'this request');
  return digest;
}
