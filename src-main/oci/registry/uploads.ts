/**
 * Blob uploads: existence checks, cross-repository mounts, monolithic and
 * chunked uploads, and resuming an upload by asking the registry how far it got.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError } from '../../../src-shared/errors.ts';
import type { RegistryClient } from './client.ts';
import { isTemporary, RegistryError } from './errors.ts';

/** Where blob bytes come from: a fresh stream from any offset, so a failed upload can continue. */
export type BlobSource = (offset: number) => AsyncIterable<Uint8Array>;

/** Options of an upload. */
export interface UploadOptions {
  /** Send in PATCH chunks of this many bytes instead of one streaming PUT (some proxies cap request bodies). */
  chunkSize?: number;
  /** An upload session already opened, e.g. by a mount that fell back to 202. */
  location?: string;
  signal?: AbortSignal;
  /** Bytes the registry has confirmed so far, for progress. */
  onProgress?: (bytes: number) => void;
}

/** Chunk size when a broken streaming upload continues in PATCH chunks: big enough to be fast, small enough to buffer. */
const DEFAULT_RESUME_CHUNK_SIZE = 16 * 1024 * 1024;
/** An upload that fails this many times in a row is given up on. */
const MAX_UPLOAD_ATTEMPTS = 5;

function location(response: { headers: Record<string, string | string[] | undefined> }, subject: string): string {
  const value = response.headers.location;
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) throw new FerryError('REGISTRY_ERROR', `${subject}: the registry opened an upload without a Location`);
  return text;
}

/** True when the repository already has the blob, so the upload can be skipped. */
export async function blobExists(client: RegistryClient, repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
  const response = await client.send({
    method: 'HEAD',
    path: `/v2/${repository}/blobs/${digest}`,
    scopes: [{ repository, actions: ['pull', 'push'] }],
    expect: [200, 404],
    subject: `blob ${digest} in ${client.registry}/${repository}`,
    signal,
    followRedirects: true,
  });
  await response.body.dump();
  return response.statusCode === 200;
}

/**
 * Asks the registry to link a blob from another repository it holds. Returns
 * 'mounted' on 201, or the upload session it opened instead (202), which the
 * caller uses for a normal upload.
 */
export async function mountBlob(client: RegistryClient, repository: string, digest: string, fromRepository: string, signal?: AbortSignal): Promise<'mounted' | { location: string }> {
  const subject = `mount of ${digest} from ${fromRepository} into ${client.registry}/${repository}`;
  const response = await client.send({
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`,
    scopes: [
      { repository, actions: ['pull', 'push'] },
      { repository: fromRepository, actions: ['pull'] },
    ],
    expect: [201, 202],
    subject,
    signal,
  });
  await response.body.dump();
  return response.statusCode === 201 ? 'mounted' : { location: location(response, subject) };
}

/** Opens an upload session and returns its Location. */
async function startUpload(client: RegistryClient, repository: string, subject: string, signal?: AbortSignal): Promise<string> {
  const response = await client.send({
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/`,
    scopes: [{ repository, actions: ['pull', 'push'] }],
    expect: [202],
    subject,
    signal,
  });
  await response.body.dump();
  return location(response, subject);
}

/** How many bytes an open upload session holds (GET on its Location); undefined when the session is gone or its state is unclear, so the caller starts afresh. */
async function uploadedBytes(client: RegistryClient, repository: string, sessionUrl: string, subject: string, signal?: AbortSignal): Promise<{ bytes: number; location: string } | undefined> {
  const response = await client.send({
    method: 'GET',
    path: sessionUrl,
    scopes: [{ repository, actions: ['pull', 'push'] }],
    expect: [204, 404],
    subject,
    signal,
  });
  await response.body.dump();
  if (response.statusCode === 404) return undefined;
  const range = String(response.headers.range ?? '');
  const match = /^(?:bytes=)?0-(\d+)$/.exec(range);
  // Distribution answers "0-0" both for an empty session and for one holding a single byte: treat it as unknown.
  if (!match || match[1] === '0') return undefined;
  const next = response.headers.location ? location(response, subject) : sessionUrl;
  return { bytes: Number(match[1]) + 1, location: next };
}

/**
 * The session URL with `digest=` added for the final PUT. Appended to the query as it stands rather than set
 * through URLSearchParams, which re-encodes every parameter (Distribution's long `_state`) character by character.
 */
function withDigest(sessionUrl: string, digest: string, baseUrl: string): string {
  const url = new URL(sessionUrl, baseUrl);
  const parameter = `digest=${encodeURIComponent(digest)}`;
  url.search = url.search.length > 1 ? `${url.search}&${parameter}` : parameter;
  return url.href;
}

/**
 * Splits a stream into buffers of exactly `size` bytes (the last may be shorter), for chunked PATCH: each
 * chunk is copied once into the buffer it is sent from, so no source chunk is held (sources may reuse theirs).
 */
async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let buffer: Buffer | undefined;
  let length = 0;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.byteLength) {
      buffer ??= Buffer.allocUnsafe(size);
      const take = Math.min(size - length, chunk.byteLength - offset);
      buffer.set(chunk.subarray(offset, offset + take), length);
      length += take;
      offset += take;
      if (length === size) {
        yield buffer;
        buffer = undefined;
        length = 0;
      }
    }
  }
  if (buffer !== undefined && length > 0) yield buffer.subarray(0, length);
}

/**
 * Uploads a blob from `source`, from the first byte or from where a failed
 * attempt stopped: on a temporary failure the registry is asked how many bytes
 * it holds and the rest is sent in PATCH chunks; a lost session starts over.
 */
export async function uploadBlob(client: RegistryClient, repository: string, blob: { digest: string; size: number }, source: BlobSource, options: UploadOptions = {}): Promise<void> {
  const subject = `upload of ${blob.digest} to ${client.registry}/${repository}`;
  const scopes = [{ repository, actions: ['pull', 'push'] as Array<'pull' | 'push'> }];
  const send = async (request: { method: 'PUT' | 'PATCH'; path: string; headers: Record<string, string>; body: Buffer | (() => AsyncIterable<Uint8Array>) }) => {
    const response = await client.send({ ...request, scopes, expect: request.method === 'PUT' ? [201] : [202], subject, signal: options.signal, noRetry: true });
    await response.body.dump();
    return response;
  };
  let session = options.location ?? (await startUpload(client, repository, subject, options.signal));
  let offset = 0;
  let chunkSize = options.chunkSize;
  for (let attempt = 1; ; attempt += 1) {
    try {
      if (chunkSize === undefined) {
        // One streaming PUT: the fastest path, one request per blob.
        await send({
          method: 'PUT',
          path: withDigest(session, blob.digest, client.baseUrl),
          body: () => source(0),
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
        });
        options.onProgress?.(blob.size);
        return;
      }
      for await (const chunk of rechunk(source(offset), chunkSize)) {
        const response = await send({
          method: 'PATCH',
          path: session,
          body: chunk,
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(chunk.length), 'content-range': `${offset}-${offset + chunk.length - 1}` },
        });
        session = location(response, subject);
        offset += chunk.length;
        options.onProgress?.(offset);
      }
      await send({ method: 'PUT', path: withDigest(session, blob.digest, client.baseUrl), headers: { 'content-length': '0' }, body: Buffer.alloc(0) });
      return;
    } catch (error) {
      // A digest or size failure of the source is final: sending the same bytes again cannot help.
      const sourceProblem = error instanceof FerryError && !(error instanceof RegistryError);
      if (sourceProblem || !isTemporary(error) || attempt >= MAX_UPLOAD_ATTEMPTS || options.signal?.aborted) throw error;
      await sleep(client.backoff(attempt, error), undefined, { signal: options.signal });
      const status = await uploadedBytes(client, repository, session, subject, options.signal).catch(() => undefined);
      if (status === undefined) {
        session = await startUpload(client, repository, subject, options.signal);
        offset = 0;
      } else {
        session = status.location;
        offset = status.bytes;
        // The registry kept part of the blob: send the rest in chunks from where it stopped.
        if (offset > 0) chunkSize ??= DEFAULT_RESUME_CHUNK_SIZE;
      }
    }
  }
}
