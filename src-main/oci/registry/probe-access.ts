/**
 * The small requests `ferry registry check` builds its answers from: open an
 * upload session and cancel it, push and delete one blob, ask whether deletes
 * are routed at all, find a repository under a prefix. Each answers with what
 * the registry said, a refusal included, instead of throwing: a refusal is the
 * finding, not a failure of the check (docs/registries.md).
 */
import { randomBytes } from 'node:crypto';
import { FerryError } from '../../../src-shared/errors.ts';
import type { Scope } from './auth.ts';
import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { firstHeader } from './response-body.ts';
import { listRepositoriesPage } from './tags.ts';
import { uploadBlob } from './uploads.ts';

/** What a registry said when it refused a probe: its status, its error codes and the whole message. */
export interface ProbeRefusal {
  /** The HTTP status; undefined when the request never got an answer (connection refused, TLS). */
  status: number | undefined;
  /** The distribution-spec error codes of the body (`NAME_INVALID`, `NAME_UNKNOWN`, `UNSUPPORTED`). */
  codes: string[];
  /** The error's message: method, redacted URL, status and the registry's own words. */
  message: string;
}

/** A probe's outcome: the registry did it, or refused with its reasons. */
export type ProbeAnswer<T> = { ok: true; value: T } | { ok: false; refusal: ProbeRefusal };

/** Turns what a probe request threw into the refusal it stands for; a cancellation and Ferry's own bugs are thrown on. */
export function refusalOf(error: unknown, signal?: AbortSignal): ProbeRefusal {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new FerryError('CANCELLED', 'the registry check was cancelled');
  if (error instanceof RegistryError) {
    const codes = (error.details as { registryCodes?: unknown } | undefined)?.registryCodes;
    return { status: error.status, codes: Array.isArray(codes) ? codes.filter((c): c is string => typeof c === 'string') : [], message: error.message };
  }
  if (error instanceof FerryError && error.code !== 'INTERNAL' && error.code !== 'CANCELLED') return { status: undefined, codes: [], message: error.message };
  throw error;
}

/** Runs one probe request, turning a registry's refusal into an answer. */
export async function probe<T>(run: () => Promise<T>, signal?: AbortSignal): Promise<ProbeAnswer<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, refusal: refusalOf(error, signal) };
  }
}

/** The refusal in the registry's words for a table cell: `400 NAME_INVALID`, else the status, else the message. */
export function refusalWords(refusal: ProbeRefusal): string {
  const status = refusal.status === undefined ? '' : String(refusal.status);
  const codes = refusal.codes.join(', ');
  return [status, codes].filter((part) => part !== '').join(' ') || refusal.message;
}

/** A digest no registry holds: for requests that ask how the registry answers about something absent. */
export function absentDigest(): string {
  return `sha256:${randomBytes(32).toString('hex')}`;
}

/**
 * The access every probe request in a repository asks for: pushing, and deleting again what it pushed (an
 * upload's cancel included: Distribution's token auth wants `delete` for any DELETE). One scope set per
 * repository, so one token covers a probe's upload, its cancel and its clean-up. A token service grants
 * what the user may have; a missing `delete` only leaves the probes listed as leftovers.
 */
export function probeScopes(repository: string): Scope[] {
  return [{ repository, actions: ['pull', 'push', 'delete'] }];
}

/**
 * Opens an upload session in `repository` (`POST /v2/<name>/blobs/uploads/`) and returns its Location.
 * Retried like any bodiless request (a 429, a 503, a dropped connection): one throttled answer must not
 * read as a refusal. A retry whose first attempt did open a session leaves that one to expire.
 */
export async function startProbeUpload(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<ProbeAnswer<string>> {
  const subject = `probe upload in ${client.registry}/${repository}`;
  return probe(async () => {
    const response = await client.send({
      method: 'POST',
      path: `/v2/${repository}/blobs/uploads/`,
      scopes: probeScopes(repository),
      expect: [202],
      subject,
      signal,
    });
    await response.body.dump();
    const location = firstHeader(response.headers.location);
    if (!location) throw new FerryError('REGISTRY_ERROR', `${subject}: the registry opened an upload without a Location`);
    return location;
  }, signal);
}

/** Sends `bytes` into an open upload session (one PATCH) without completing it; answers the session's next Location. */
export async function patchProbeUpload(client: RegistryClient, repository: string, location: string, bytes: Buffer, signal?: AbortSignal): Promise<ProbeAnswer<string>> {
  const subject = `probe upload in ${client.registry}/${repository}`;
  return probe(async () => {
    const response = await client.send({
      method: 'PATCH',
      path: location,
      scopes: probeScopes(repository),
      expect: [202],
      subject,
      signal,
      noRetry: true,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length), 'content-range': `0-${bytes.length - 1}` },
      body: bytes,
    });
    await response.body.dump();
    return firstHeader(response.headers.location) ?? location;
  }, signal);
}

/** Cancels an upload session (`DELETE` on its Location); true when the registry confirmed it (or had dropped it already). */
export async function cancelProbeUpload(client: RegistryClient, repository: string, location: string, signal?: AbortSignal): Promise<boolean> {
  const answer = await probe(async () => {
    const response = await client.send({
      method: 'DELETE',
      path: location,
      scopes: probeScopes(repository),
      expect: [200, 202, 204, 404],
      subject: `cancel of a probe upload in ${client.registry}/${repository}`,
      signal,
    });
    await response.body.dump();
  }, signal);
  return answer.ok;
}

/** Pushes one small blob (a whole upload: POST, then PUT with its digest). */
export async function pushProbeBlob(client: RegistryClient, repository: string, blob: { digest: string; bytes: Buffer }, signal?: AbortSignal): Promise<ProbeAnswer<void>> {
  return probe(
    () =>
      uploadBlob(
        client,
        repository,
        { digest: blob.digest, size: blob.bytes.length },
        async function* () {
          yield blob.bytes;
        },
        signal ? { signal } : {},
      ),
    signal,
  );
}

/** True when `repository` holds the blob (`HEAD`); undefined when the registry would not say. */
export async function probeBlobExists(client: RegistryClient, repository: string, digest: string, signal?: AbortSignal): Promise<boolean | undefined> {
  const answer = await probe(async () => {
    const response = await client.send({
      method: 'HEAD',
      path: `/v2/${repository}/blobs/${digest}`,
      scopes: probeScopes(repository),
      expect: [200, 404],
      subject: `blob ${digest}`,
      signal,
    });
    await response.body.dump();
    return response.statusCode === 200;
  }, signal);
  return answer.ok ? answer.value : undefined;
}

/** Deletes a blob or a manifest by digest (`DELETE /v2/<name>/blobs|manifests/<digest>`). */
export async function deleteByDigest(client: RegistryClient, repository: string, kind: 'blobs' | 'manifests', digest: string, signal?: AbortSignal): Promise<ProbeAnswer<void>> {
  return probe(async () => {
    const response = await client.send({
      method: 'DELETE',
      path: `/v2/${repository}/${kind}/${digest}`,
      scopes: probeScopes(repository),
      expect: [200, 202, 204],
      subject: `${client.registry}/${repository}@${digest}`,
      signal,
    });
    await response.body.dump();
  }, signal);
}

/** True when a refusal is about who asks (401, 403, `DENIED`), not about what the registry does. */
export function isAccessRefusal(refusal: ProbeRefusal): boolean {
  return refusal.status === 401 || refusal.status === 403 || refusal.codes.includes('DENIED') || refusal.codes.includes('UNAUTHORIZED');
}

/** True when a refusal says the registry does not do this at all (405, `UNSUPPORTED`), rather than "not here" or "not you". */
export function isUnsupported(refusal: ProbeRefusal): boolean {
  return refusal.status === 405 || refusal.codes.includes('UNSUPPORTED');
}

/**
 * Whether the registry routes manifest deletes at all, asked without deleting anything: a `DELETE` of a
 * manifest digest nobody pushed answers 404 where deletes are enabled and 405 `UNSUPPORTED` where they
 * are not (Distribution's `storage.delete.enabled`). Undefined for any other answer.
 */
export async function probeDeleteRoute(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<{ deletes: boolean | undefined; words: string }> {
  const answer = await deleteByDigest(client, repository, 'manifests', absentDigest(), signal);
  if (answer.ok) return { deletes: true, words: 'a DELETE by digest was accepted' };
  const words = refusalWords(answer.refusal);
  if (isUnsupported(answer.refusal)) return { deletes: false, words: `a DELETE by digest answered ${words}` };
  if (answer.refusal.status === 404) return { deletes: true, words: `a DELETE of a manifest that does not exist answered ${words}, as where deletes are enabled` };
  if (isAccessRefusal(answer.refusal)) return { deletes: undefined, words: `this login may not delete (a DELETE by digest answered ${words})` };
  return { deletes: undefined, words: `a DELETE by digest answered ${words}` };
}

/** How many catalog pages the search for a repository under the prefix reads at most. */
const CATALOG_PAGES = 5;
/** Names asked for per catalog page. */
const CATALOG_PAGE_SIZE = 100;

/**
 * A repository the registry already lists under `prefix` (or any, for the root), from `GET /v2/_catalog`
 * starting after the prefix; undefined when there is none, or the registry keeps its catalog to itself.
 */
export async function findRepositoryUnder(client: RegistryClient, prefix: string, signal?: AbortSignal): Promise<ProbeAnswer<string | undefined>> {
  const under = prefix === '' ? '' : `${prefix}/`;
  return probe(async () => {
    let last: string | undefined = prefix === '' ? undefined : prefix;
    for (let page = 0; page < CATALOG_PAGES; page += 1) {
      const listing = await listRepositoriesPage(client, { n: CATALOG_PAGE_SIZE, ...(last === undefined ? {} : { last }) }, signal);
      const found = listing.names.find((name) => name.startsWith(under));
      if (found !== undefined) return found;
      // Sorted listings put `prefix/…` right after `prefix`; a page past them means there are none.
      if (listing.next === undefined || listing.names.some((name) => name > under && !name.startsWith(under))) return undefined;
      last = listing.next;
    }
    return undefined;
  }, signal);
}
