/**
 * HTTP chart repositories (https://helm.sh/docs/topics/chart_repository/):
 * `index.yaml` fetched with undici (the job's TLS trust, a timeout, a size
 * cap, redirects followed by hand) and read by the strict YAML reader; the
 * chart version chosen by node-semver; its `.tgz` downloaded into a staging
 * folder and checked against the index entry's sha256 `digest`. A chart URL
 * in the index may be relative (resolved against the repository URL, as Helm
 * does) or absolute http(s); anything else is refused by name.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { FerryError } from '../../src-shared/errors.ts';
import { readYaml } from '../base/yaml-read.ts';
import { readCapped } from '../oci/registry/client.ts';
import { errorForNetwork, errorForStatus, isTemporary, redactUrl } from '../oci/registry/errors.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { CHART_SIZE_LIMIT } from './chart-archive.ts';
import { anyVersion, compareVersions, satisfies, type Version, type VersionRange } from './versions.ts';

/** An index.yaml may list every version of hundreds of charts; bigger than this is refused (Bitnami's full index was ~20 MiB). */
export const INDEX_SIZE_LIMIT = 64 * 1024 * 1024;
/** Hops followed for one download (GitHub release assets redirect once). */
const MAX_REDIRECTS = 5;
/** Attempts of one request when the failure is temporary (a dropped connection, 429, 5xx). */
const ATTEMPTS = 3;

/** The chart version a repository's index offers, as chosen. */
export interface IndexedChart {
  name: string;
  version: string;
  /** The chart archive's URL, resolved and checked. */
  url: URL;
  /** `sha256:<hex>` when the index gives one. */
  digest?: string;
}

/** A downloaded chart archive in the staging folder, with its checked digest and size. */
export interface DownloadedChart {
  file: string;
  digest: string;
  size: number;
}

/** The folder URL relative chart URLs resolve against: the repository URL with a trailing slash (Helm's ResolveReferenceURL). */
function baseOf(repository: URL): URL {
  const base = new URL(repository.href);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  base.search = '';
  return base;
}

/** The address of a repository's index.yaml. */
export function indexUrl(repository: URL): URL {
  return new URL('index.yaml', baseOf(repository));
}

/**
 * Resolves one `urls` entry of an index: a relative URL stays inside the
 * repository's folder; an absolute one must be http(s), hold no login, and not
 * drop from https to http. Anything else is INVALID_CONTENT naming the entry.
 */
export function chartUrl(entry: string, repository: URL, what: string): URL {
  const fail = (why: string): never => {
    throw new FerryError('INVALID_CONTENT', `${what}: chart URL ${JSON.stringify(redactUrl(entry) === '<unparseable url>' ? entry.replace(/\/\/[^/@]*@/, '//') : redactUrl(entry))} ${why}`, {
      source: redactUrl(repository.href),
    });
  };
  const text = entry.trim();
  if (text === '') fail('is empty');
  if (text.startsWith('//') || text.startsWith('\\')) fail('is protocol-relative: write it as a full https:// URL or a path relative to the repository');
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(text);
  let url: URL;
  try {
    url = new URL(text, baseOf(repository));
  } catch {
    return fail('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`has scheme "${url.protocol}": only http(s) chart URLs are fetched`);
  if (url.username !== '' || url.password !== '') fail('holds a login (user:password@), which is never sent');
  if (absolute) {
    if (repository.protocol === 'https:' && url.protocol === 'http:') fail('drops from https to plain http');
  } else if (url.origin !== repository.origin || !url.pathname.startsWith(baseOf(repository).pathname)) {
    fail('climbs out of the repository with "..": a relative chart URL must stay inside the repository');
  }
  return url;
}

/** One HTTP GET with the job's TLS, following redirects by hand (never to another scheme than http(s), never https → http), retrying temporary failures. */
async function get(registries: Registries, url: URL, subject: string, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await getOnce(registries, url, subject, signal);
    } catch (error) {
      if (attempt >= ATTEMPTS || !isTemporary(error) || signal?.aborted === true) throw error;
      await sleep(250 * 2 ** attempt, undefined, { signal });
    }
  }
}

/** Agents by TLS settings of a host, so index and archive of one repository share connections. */
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

/** Closes the connections the chart downloads of a job opened. */
export async function closeChartConnections(registries: Registries): Promise<void> {
  const byHost = agents.get(registries);
  agents.delete(registries);
  await Promise.all([...(byHost?.values() ?? [])].map((agent) => agent.close()));
}

async function getOnce(registries: Registries, start: URL, subject: string, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData> {
  let url = start;
  for (let hop = 0; ; hop += 1) {
    signal?.throwIfAborted();
    const agent = await agentFor(registries, url);
    let response: Dispatcher.ResponseData;
    try {
      response = await agent.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers: { 'user-agent': 'ferry/0.1' }, signal });
    } catch (error) {
      throw errorForNetwork(error, { method: 'GET', url: url.href, subject });
    }
    const { statusCode } = response;
    if (statusCode === 200) return response;
    const body = await readCapped(response.body, 64 * 1024, subject, 'REGISTRY_ERROR').catch(() => Buffer.alloc(0));
    const location = response.headers.location;
    if ([301, 302, 303, 307, 308].includes(statusCode) && typeof location === 'string') {
      if (hop >= MAX_REDIRECTS) throw new FerryError('REGISTRY_ERROR', `${subject}: more than ${MAX_REDIRECTS} redirects from ${redactUrl(start.href)}`);
      const next = new URL(location, url);
      if ((next.protocol !== 'https:' && next.protocol !== 'http:') || (url.protocol === 'https:' && next.protocol === 'http:')) {
        throw new FerryError('INSECURE_REDIRECT', `${subject}: ${redactUrl(url.href)} redirects to ${next.protocol}//${next.host}, which is refused`, { url: redactUrl(url.href) });
      }
      url = next;
      continue;
    }
    if (statusCode === 401 || statusCode === 403) {
      throw new FerryError(statusCode === 401 ? 'UNAUTHORIZED' : 'DENIED', `${subject}: GET ${redactUrl(url.href)} returned ${statusCode}: chart repositories that need a login are not supported`, {
        url: redactUrl(url.href),
      });
    }
    const retryAfter = response.headers['retry-after'];
    throw errorForStatus({ status: statusCode, method: 'GET', url: url.href, subject, body: body.toString('utf8'), ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
  }
}

function mapping(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `sha256:<hex>` from an index `digest` (Helm writes bare hex); undefined when absent; refused when it is not sha256. */
function indexDigest(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  const hex = text.startsWith('sha256:') ? text.slice('sha256:'.length) : text;
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new FerryError('INVALID_CONTENT', `${what}: digest is not a sha256 hex digest`, {});
  return `sha256:${hex}`;
}

/** Indexes already read in one job, by index URL: a set naming several charts of one repository fetches and parses its index once. */
export type IndexCache = Map<string, Promise<Record<string, unknown>>>;

/** Fetches and strictly parses a repository's index.yaml; answers its `entries` mapping. */
async function readIndex(registries: Registries, repository: URL, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
  const index = indexUrl(repository);
  const where = redactUrl(index.href);
  const response = await get(registries, index, `chart repository ${redactUrl(repository.href)}`, signal);
  const declared = Number(response.headers['content-length'] ?? '0');
  if (declared > INDEX_SIZE_LIMIT) {
    response.body.destroy();
    throw new FerryError('INVALID_CONTENT', `${where} is ${declared} bytes, more than the ${INDEX_SIZE_LIMIT} bytes an index may have`, { limit: INDEX_SIZE_LIMIT });
  }
  const bytes = await readCapped(response.body, INDEX_SIZE_LIMIT, where, 'REGISTRY_ERROR');
  const document = mapping(readYaml(bytes.toString('utf8'), where, { maxBytes: INDEX_SIZE_LIMIT }).value);
  const entries = mapping(document?.entries);
  if (!entries) throw new FerryError('INVALID_CONTENT', `${where} is not a chart repository index: it has no entries`, {});
  return entries;
}

/**
 * Fetches a repository's index.yaml (once per job when given a cache) and
 * picks the chart version: the exact version asked for, or the newest in the
 * range (pre-releases only where the range names one, as node-semver decides).
 */
export async function findChart(
  registries: Registries,
  repository: URL,
  name: string,
  wanted: { exact: string } | { range: VersionRange },
  options: { signal?: AbortSignal; indexes?: IndexCache } = {},
): Promise<IndexedChart> {
  const where = redactUrl(indexUrl(repository).href);
  let pending = options.indexes?.get(where);
  if (!pending) {
    pending = readIndex(registries, repository, options.signal);
    options.indexes?.set(where, pending);
  }
  const entries = await pending;
  const listed = entries[name];
  if (!Array.isArray(listed) || listed.length === 0) throw new FerryError('NOT_FOUND', `${where} lists no chart "${name}"`, { chart: name });
  let best: { entry: Record<string, unknown>; version: Version; text: string } | undefined;
  for (const item of listed) {
    const entry = mapping(item);
    const text = typeof entry?.version === 'string' ? entry.version : typeof entry?.version === 'number' ? String(entry.version) : undefined;
    const version = text === undefined ? undefined : anyVersion(text);
    if (!entry || !version || text === undefined) continue;
    const matches = 'exact' in wanted ? text === wanted.exact || version.version === anyVersion(wanted.exact)?.version : satisfies(version, wanted.range);
    if (matches && (!best || compareVersions(version, best.version) > 0)) best = { entry, version, text };
  }
  const asked = 'exact' in wanted ? wanted.exact : wanted.range.raw;
  if (!best) throw new FerryError('NOT_FOUND', `${where}: chart "${name}" has no version ${'exact' in wanted ? asked : `matching "${asked}"`}`, { chart: name, version: asked });
  const what = `${where}: ${name} ${best.text}`;
  const urls = best.entry.urls;
  const first: unknown = Array.isArray(urls) ? urls[0] : undefined;
  if (typeof first !== 'string') throw new FerryError('INVALID_CONTENT', `${what} lists no download URL`, { chart: name });
  const digest = indexDigest(best.entry.digest, what);
  return { name, version: best.text, url: chartUrl(first, repository, what), ...(digest ? { digest } : {}) };
}

/**
 * Downloads a chart archive into `folder`, hashing as it goes; a digest that
 * does not match the index's removes the file and is DIGEST_MISMATCH.
 */
export async function downloadChart(registries: Registries, chart: IndexedChart, folder: string, signal?: AbortSignal): Promise<DownloadedChart> {
  const subject = `chart ${chart.name} ${chart.version}`;
  const file = join(folder, `${chart.name}-${chart.version.replace(/[^\w.-]/g, '_')}.tgz`);
  const response = await get(registries, chart.url, subject, signal);
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > CHART_SIZE_LIMIT) {
        done(new FerryError('INVALID_CONTENT', `${subject}: ${redactUrl(chart.url.href)} is larger than ${CHART_SIZE_LIMIT} bytes`, { limit: CHART_SIZE_LIMIT }));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(response.body, count, createWriteStream(file, { flags: 'wx' }), signal ? { signal } : {});
    const digest = `sha256:${hash.digest('hex')}`;
    if (chart.digest !== undefined && digest !== chart.digest) {
      throw new FerryError('DIGEST_MISMATCH', `${subject}: ${redactUrl(chart.url.href)} has digest ${digest}, not the ${chart.digest} its repository index gives`, {
        expected: chart.digest,
        actual: digest,
      });
    }
    return { file, digest, size };
  } catch (error) {
    await rm(file, { force: true });
    if (error instanceof FerryError) throw error;
    throw errorForNetwork(error, { method: 'GET', url: chart.url.href, subject });
  }
}
