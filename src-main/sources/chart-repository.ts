/**
 * HTTP chart repositories (https://helm.sh/docs/topics/chart_repository/):
 * `index.yaml` fetched with undici (the job's TLS trust, a timeout, a size
 * cap, redirects followed by hand) and read by the strict YAML reader; the
 * chart version chosen by node-semver; its `.tgz` downloaded into a staging
 * folder and checked against the index entry's sha256 `digest`. A chart URL
 * in the index may be relative (resolved against the repository URL, as Helm
 * does) or absolute http(s); anything else is refused by name.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { asMapping, readYaml } from '../base/yaml-read.ts';
import { redactUrl } from '../oci/registry/errors.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { CHART_SIZE_LIMIT } from './chart-archive.ts';
import { downloadToFile, httpGetCapped } from './http-download.ts';
import { anyVersion, compareVersions, satisfies, type Version, type VersionRange } from './versions.ts';

/**
 * Largest index.yaml read. The biggest public one Ferry is meant to read,
 * Bitnami's, is ~27 MB (2026); parsed strictly it costs ~1 GB of heap and ~18 s
 * on a busy 2-core machine, so the cap sits just above it rather than at 64 MiB.
 */
export const INDEX_SIZE_LIMIT = 32 * 1024 * 1024;

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
  const bytes = await httpGetCapped(registries, index, `chart repository ${redactUrl(repository.href)}`, INDEX_SIZE_LIMIT, signal);
  const document = asMapping(readYaml(bytes.toString('utf8'), where, { maxBytes: INDEX_SIZE_LIMIT }).value);
  const entries = asMapping(document?.entries);
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
  let pending = options.indexes?.get(indexUrl(repository).href);
  if (!pending) {
    pending = readIndex(registries, repository, options.signal);
    options.indexes?.set(indexUrl(repository).href, pending);
  }
  const entries = await pending;
  const listed = entries[name];
  if (!Array.isArray(listed) || listed.length === 0) throw new FerryError('NOT_FOUND', `${where} lists no chart "${name}"`, { chart: name });
  let best: { entry: Record<string, unknown>; version: Version; text: string } | undefined;
  for (const item of listed) {
    const entry = asMapping(item);
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
  const downloaded = await downloadToFile(registries, chart.url, file, { subject, limit: CHART_SIZE_LIMIT, signal });
  if (chart.digest !== undefined && downloaded.digest !== chart.digest) {
    await rm(file, { force: true });
    throw new FerryError('DIGEST_MISMATCH', `${subject}: ${redactUrl(chart.url.href)} has digest ${downloaded.digest}, not the ${chart.digest} its repository index gives`, {
      expected: chart.digest,
      actual: downloaded.digest,
    });
  }
  return { file, ...downloaded };
}
