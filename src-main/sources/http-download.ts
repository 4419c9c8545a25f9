/**
 * Plain HTTP(S) downloads of the connected side (chart repositories, `files:`
 * URLs): one GET with the job's TLS trust (`Registries.tlsFor`, so a private
 * CA works), a timeout, redirects followed by hand (a few hops, only http(s),
 * never https → http), temporary failures retried, and a byte cap on every
 * body. Nothing but the GET is sent: no login, no cookie.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { readCapped, type RegistryResponse } from '../oci/registry/client.ts';
import { dispatchRequest } from '../oci/registry/response-body.ts';
import { Agent } from '../oci/registry/undici-agent.ts';
import { errorForNetwork, errorForStatus, isTemporary, redactUrl } from '../oci/registry/errors.ts';
import type { Registries } from '../oci/registry/registries.ts';

/** Hops followed for one download (GitHub release assets redirect once, to a CDN). */
export const MAX_REDIRECTS = 5;
/** Attempts of one request when the failure is temporary (a dropped connection, 429, 5xx). */
const ATTEMPTS = 3;

/** Agents by scheme and host per job, so the index and archives of one repository share connections. */
const agents = new WeakMap<Registries, Map<string, Agent>>();

async function agentFor(registries: Registries, url: URL): Promise<Agent> {
  let byHost = agents.get(registries);
  if (!byHost) {
    byHost = new Map();
    agents.set(registries, byHost);
  }
  const key = `${url.protocol}//${url.host}`;
  let agent = byHost.get(key);
  if (!agent) {
    const tls = url.protocol === 'https:' ? await registries.tlsFor(url.host) : undefined;
    agent = new Agent({
      connections: 4,
      headersTimeout: 60_000,
      bodyTimeout: 300_000,
      ...(tls ? { connect: { rejectUnauthorized: tls.rejectUnauthorized, ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) } } : {}),
    });
    byHost.set(key, agent);
  }
  return agent;
}

/** Closes the connections a job's downloads opened (call once its resolvers are done). */
export async function closeHttpConnections(registries: Registries): Promise<void> {
  const byHost = agents.get(registries);
  agents.delete(registries);
  await Promise.all([...(byHost?.values() ?? [])].map((agent) => agent.close()));
}

async function getOnce(registries: Registries, start: URL, subject: string, signal: AbortSignal | undefined, headers: Readonly<Record<string, string>>): Promise<RegistryResponse> {
  let url = start;
  for (let hop = 0; ; hop += 1) {
    signal?.throwIfAborted();
    const agent = await agentFor(registries, url);
    let response: RegistryResponse;
    try {
      response = await dispatchRequest(agent, { origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers: { ...headers, 'user-agent': 'ferry/0.1' }, signal });
    } catch (error) {
      throw errorForNetwork(error, { method: 'GET', url: url.href, subject });
    }
    const { statusCode } = response;
    if (statusCode === 200) return response;
    const body = await readCapped(response.body, 64 * 1024, subject, 'REGISTRY_ERROR').catch(() => Buffer.alloc(0));
    const location = response.headers.location;
    if ([301, 302, 303, 307, 308].includes(statusCode) && typeof location === 'string') {
      if (hop >= MAX_REDIRECTS) throw new FerryError('REGISTRY_ERROR', `${subject}: more than ${MAX_REDIRECTS} redirects from ${redactUrl(start.href)}`, { url: redactUrl(start.href) });
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new FerryError('REGISTRY_ERROR', `${subject}: ${redactUrl(url.href)} redirects to something that is not a URL`, { url: redactUrl(url.href) });
      }
      if ((next.protocol !== 'https:' && next.protocol !== 'http:') || (url.protocol === 'https:' && next.protocol === 'http:')) {
        throw new FerryError('INSECURE_REDIRECT', `${subject}: ${redactUrl(url.href)} redirects to ${next.protocol}//${next.host}, which is refused`, { url: redactUrl(url.href) });
      }
      url = next;
      continue;
    }
    if (statusCode === 401 || statusCode === 403) {
      throw new FerryError(statusCode === 401 ? 'UNAUTHORIZED' : 'DENIED', `${subject}: GET ${redactUrl(url.href)} returned ${statusCode}: downloads that need a login are not supported`, {
        url: redactUrl(url.href),
      });
    }
    const retryAfter = response.headers['retry-after'];
    throw errorForStatus({ status: statusCode, method: 'GET', url: url.href, subject, body: body.toString('utf8'), ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
  }
}

/** One GET answered 200, after redirects and retries of temporary failures; the caller reads (and caps) the body. `headers` (such as `accept`) go with every hop. */
export async function httpGet(registries: Registries, url: URL, subject: string, signal: AbortSignal | undefined, headers: Readonly<Record<string, string>> = {}): Promise<RegistryResponse> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await getOnce(registries, url, subject, signal, headers);
    } catch (error) {
      if (attempt >= ATTEMPTS || !isTemporary(error) || signal?.aborted === true) throw error;
      await sleep(250 * 2 ** attempt, undefined, { signal });
    }
  }
}

/** Drops a response's body unread, releasing its connection. */
function discard(response: RegistryResponse): void {
  response.body.destroy();
}

/** A body read whole into memory, refused past `limit` bytes (declared or actual); `headers` as for httpGet. */
export async function httpGetCapped(
  registries: Registries,
  url: URL,
  subject: string,
  limit: number,
  signal: AbortSignal | undefined,
  headers: Readonly<Record<string, string>> = {},
): Promise<Buffer> {
  const response = await httpGet(registries, url, subject, signal, headers);
  const declared = Number(response.headers['content-length'] ?? '0');
  if (declared > limit) {
    discard(response);
    throw new FerryError('INVALID_CONTENT', `${subject}: ${redactUrl(url.href)} is ${declared} bytes, more than the ${limit} bytes allowed`, { limit });
  }
  return readCapped(response.body, limit, `${subject}: ${redactUrl(url.href)}`, 'REGISTRY_ERROR');
}

/** What a download wrote: its sha256 (`sha256:<hex>`) and size. */
export interface Downloaded {
  digest: string;
  size: number;
}

/**
 * Downloads `url` into a new file (never over an existing one), hashing as it
 * writes and refusing more than `limit` bytes; on any failure the file is
 * removed. Checking the digest is the caller's: it knows what was expected.
 */
export async function downloadToFile(registries: Registries, url: URL, file: string, options: { subject: string; limit: number; signal?: AbortSignal | undefined }): Promise<Downloaded> {
  const { subject, limit, signal } = options;
  const response = await httpGet(registries, url, subject, signal);
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > limit) {
        done(new FerryError('INVALID_CONTENT', `${subject}: ${redactUrl(url.href)} is larger than ${limit} bytes`, { limit }));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const declared = Number(response.headers['content-length'] ?? '0');
    if (declared > limit) throw new FerryError('INVALID_CONTENT', `${subject}: ${redactUrl(url.href)} is ${declared} bytes, more than the ${limit} bytes allowed`, { limit });
    await pipeline(response.body, count, createWriteStream(file, { flags: 'wx' }), signal ? { signal } : {});
    return { digest: `sha256:${hash.digest('hex')}`, size };
  } catch (error) {
    discard(response);
    await rm(file, { force: true });
    if (error instanceof FerryError) throw error;
    throw errorForNetwork(error, { method: 'GET', url: url.href, subject });
  }
}
