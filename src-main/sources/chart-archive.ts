/**
 * Reading a packaged Helm chart (the `.tgz` `helm package` writes): its
 * `Chart.yaml` and `values.yaml`, and those of the subcharts it carries
 * (unpacked under `charts/` or packed there as `.tgz`), streamed through gzip
 * and tar-stream with caps on every file, on the whole archive and on subchart
 * depth, so a hostile archive costs bounded memory. Also the OCI config blob
 * `helm push` makes from Chart.yaml.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { asMapping, readYaml } from '../base/yaml-read.ts';

/** Helm's own media types for a chart pushed to an OCI registry (HIP 0017, `helm push`). */
export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';
/** The chart archive layer of a Helm OCI artifact. */
export const HELM_CHART_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
/** The layer type Helm 3.0–3.6 pushed before the current one; still found in registries and read the same way. */
export const HELM_LEGACY_LAYER_MEDIA_TYPE = 'application/tar+gzip';

/** One file of a chart is read only up to this size (Helm's own per-file limit is 5 MiB). */
const FILE_LIMIT = 5 * 1024 * 1024;
/** A chart's archive, and everything in it unpacked, may not exceed this (Helm's default decompressed limit is 100 MiB). */
export const CHART_SIZE_LIMIT = 100 * 1024 * 1024;
/** Subcharts inside subcharts are followed this deep; deeper ones are named in a note, not read. */
const MAX_DEPTH = 3;

/** The parts of one chart (or subchart) Ferry reads. */
export interface ChartFiles {
  /** Where it sits: the chart's name for the top, `parent/charts/sub` below. */
  path: string;
  chartYaml: Buffer;
  valuesYaml?: Buffer;
}

/** What an archive held: the chart first, then its subcharts; and what could not be read. */
export interface ChartArchive {
  charts: ChartFiles[];
  notes: string[];
}

/** Reads a whole stream into memory, refusing more than `limit` bytes. */
async function collect(stream: AsyncIterable<unknown>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new FerryError('INVALID_CONTENT', `${what} is larger than ${limit} bytes`, { limit });
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** The entry name without a leading `./` or `/`, split into components; `..` components make it unusable. */
function components(name: string): string[] | undefined {
  const parts = name
    .replace(/^\.?\/+/, '')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  return parts.includes('..') ? undefined : parts;
}

/**
 * Walks one chart archive (gzip + tar) and returns its Chart.yaml, values.yaml
 * and the subcharts below `<chart>/charts/`. `source` names the archive in
 * every error. The archive is read once; the caller checks its digest first.
 */
export async function readChartArchive(archive: Readable | Buffer, source: string): Promise<ChartArchive> {
  const result: ChartArchive = { charts: [], notes: [] };
  await walk(archive, source, '', 0, result, { unpacked: 0 });
  if (result.charts.length === 0) throw new FerryError('INVALID_CONTENT', `${source} is not a Helm chart: it has no <name>/Chart.yaml`, { source });
  return result;
}

async function walk(archive: Readable | Buffer, source: string, prefix: string, depth: number, result: ChartArchive, budget: { unpacked: number }): Promise<void> {
  const input = Buffer.isBuffer(archive) ? Readable.from([archive]) : archive;
  const gunzip = createGunzip();
  const extract = tarStream.extract();
  input.on('error', (error) => gunzip.destroy(error));
  gunzip.on('error', (error) => extract.destroy(error));
  input.pipe(gunzip).pipe(extract);
  // Files by their path below the archive's top folder: Chart.yaml, values.yaml, charts/<sub>/…
  const files = new Map<string, Buffer>();
  const packed: Array<{ path: string; bytes: Buffer }> = [];
  let top: string | undefined;
  const where = prefix === '' ? source : `${source} (${prefix})`;
  try {
    for await (const entry of extract) {
      const parts = components(entry.header.name);
      budget.unpacked += entry.header.size;
      if (budget.unpacked > CHART_SIZE_LIMIT) throw new FerryError('INVALID_CONTENT', `${where} unpacks to more than ${CHART_SIZE_LIMIT} bytes`, { source, limit: CHART_SIZE_LIMIT });
      const first = parts?.[0];
      top ??= first;
      const rest = parts && first === top ? parts.slice(1).join('/') : undefined;
      const wanted = rest !== undefined && entry.header.type === 'file' && (/^(charts\/[^/]+\/)*(Chart|values)\.yaml$/.test(rest) || /^(charts\/[^/]+\/)*charts\/[^/]+\.tgz$/.test(rest));
      if (!wanted) {
        entry.resume();
        continue;
      }
      const limit = rest.endsWith('.tgz') ? CHART_SIZE_LIMIT : FILE_LIMIT;
      const bytes = await collect(entry, limit, `${where}: ${rest}`);
      if (rest.endsWith('.tgz')) packed.push({ path: rest, bytes });
      else files.set(rest, bytes);
    }
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw new FerryError('INVALID_CONTENT', `${where} is not a readable chart archive (gzip + tar): ${error instanceof Error ? error.message : String(error)}`, { source }, { cause: error });
  } finally {
    // A refused or short archive must not leave its file open: the reader stops before the end.
    input.destroy();
  }
  if (top === undefined) return;
  // The chart and its unpacked subcharts, shallowest first: `charts/a/charts/b/Chart.yaml` → `top/charts/a/charts/b`.
  const folders = [...files.keys()].filter((k) => k.endsWith('Chart.yaml')).map((k) => k.slice(0, -'Chart.yaml'.length).replace(/\/$/, ''));
  folders.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  for (const folder of folders) {
    const at = folder === '' ? '' : `${folder}/`;
    const chartYaml = files.get(`${at}Chart.yaml`);
    if (!chartYaml) continue;
    const valuesYaml = files.get(`${at}values.yaml`);
    const path = [prefix === '' ? top : prefix, folder].filter((p) => p !== '').join('/');
    result.charts.push({ path, chartYaml, ...(valuesYaml ? { valuesYaml } : {}) });
  }
  for (const sub of packed) {
    const path = `${prefix === '' ? top : prefix}/${sub.path}`;
    if (depth + 1 >= MAX_DEPTH) {
      result.notes.push(`${source}: subchart ${path} is nested more than ${MAX_DEPTH} deep and was not read`);
      continue;
    }
    await walk(sub.bytes, source, path.replace(/\.tgz$/, ''), depth + 1, result, budget);
  }
}

/** Chart.yaml's metadata as a plain value, parsed strictly; `name` and `version` must be strings. */
export function parseChartYaml(bytes: Buffer, file: string): Record<string, unknown> & { name: string; version: string } {
  const value = asMapping(readYaml(bytes.toString('utf8'), file, { maxBytes: FILE_LIMIT }).value);
  if (!value) throw new FerryError('INVALID_CONTENT', `${file} is not a mapping`, { file });
  const { name, version } = value;
  if (typeof name !== 'string' || name === '') throw new FerryError('INVALID_CONTENT', `${file} has no name`, { file });
  if (typeof version !== 'string' && typeof version !== 'number') throw new FerryError('INVALID_CONTENT', `${file} has no version`, { file });
  return { ...value, name, version: String(version) };
}

/** Chart.yaml's keys in the order Helm's `chart.Metadata` declares them, which is the order `helm push` writes the config in. */
const METADATA_KEYS = [
  'name',
  'home',
  'sources',
  'version',
  'description',
  'keywords',
  'maintainers',
  'icon',
  'apiVersion',
  'condition',
  'tags',
  'appVersion',
  'deprecated',
  'annotations',
  'kubeVersion',
  'dependencies',
  'type',
];
const MAINTAINER_KEYS = ['name', 'email', 'url'];
const DEPENDENCY_KEYS = ['name', 'version', 'repository', 'condition', 'tags', 'enabled', 'import-values', 'alias'];
/** Keys Helm holds as strings even when YAML reads a number (`appVersion: 1.16`). */
const STRING_KEYS = new Set(['name', 'home', 'version', 'description', 'icon', 'apiVersion', 'condition', 'tags', 'appVersion', 'kubeVersion', 'type', 'email', 'url', 'repository', 'alias']);

/** Go's `omitempty`: nothing, false, "", an empty list or mapping. */
function empty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  const map = asMapping(value);
  return map !== undefined && Object.keys(map).length === 0;
}

/** The known keys of a mapping, in `order`, each empty one left out, string fields as strings. */
function ordered(value: Record<string, unknown>, order: readonly string[], nested: Record<string, readonly string[]> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) {
    let field = value[key];
    if (empty(field)) continue;
    if (STRING_KEYS.has(key) && typeof field === 'number') field = String(field);
    const inner = nested[key];
    if (inner && Array.isArray(field)) {
      field = (field as unknown[]).map((item): unknown => {
        const itemMap = asMapping(item);
        return itemMap ? ordered(itemMap, inner) : item;
      });
    }
    out[key] = field;
  }
  return out;
}

/**
 * The config blob `helm push` writes for a chart: Chart.yaml's metadata as
 * JSON (Go's json.Marshal of Helm's chart.Metadata: its keys in its order,
 * empty ones left out). Keys Helm does not know are not carried, as in Helm.
 */
export function helmConfig(metadata: Record<string, unknown>): Buffer {
  return Buffer.from(goJson(ordered(metadata, METADATA_KEYS, { maintainers: MAINTAINER_KEYS, dependencies: DEPENDENCY_KEYS })), 'utf8');
}

/** What Go's json.Marshal escapes and JSON.stringify writes raw (HTML-safe escaping, and the JavaScript line separators). */
const GO_ESCAPES: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/**
 * JSON text as Go's json.Marshal writes it, so the config digest is the one
 * `helm push` gives. These characters only ever stand inside strings (keys or
 * values) of JSON text, so replacing them after JSON.stringify is exact.
 */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

/** The manifest annotations `helm push` sets from Chart.yaml (title, version, description, url, source), without the push time. */
export function helmAnnotations(metadata: Record<string, unknown> & { name: string; version: string }): Record<string, string> {
  const annotations: Record<string, string> = { 'org.opencontainers.image.title': metadata.name, 'org.opencontainers.image.version': metadata.version };
  if (typeof metadata.description === 'string' && metadata.description !== '') annotations['org.opencontainers.image.description'] = metadata.description;
  if (typeof metadata.home === 'string' && metadata.home !== '') annotations['org.opencontainers.image.url'] = metadata.home;
  const sources = metadata.sources;
  if (Array.isArray(sources) && typeof sources[0] === 'string') annotations['org.opencontainers.image.source'] = sources[0];
  return annotations;
}

/** The tag a chart version is pushed under: OCI tags may not hold `+`, so Helm writes `_` for it. */
export function chartTag(version: string): string {
  return version.replaceAll('+', '_');
}
