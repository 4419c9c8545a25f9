/**
 * The `charts:` section of an image set: Helm charts carried as the OCI
 * artifacts `helm push` makes (config `application/vnd.cncf.helm.config.v1+json`,
 * one `application/vnd.cncf.helm.chart.content.v1.tar+gzip` layer), plus the
 * images each chart declares. A chart from an HTTP repository is downloaded,
 * checked and handed on as a LocalArtifact built on this side; a chart already
 * in an OCI registry is an ordinary reference. Either way its Chart.yaml and
 * values.yaml are read (from checked bytes only) for the images, which join the
 * set under section `charts` and are listed per chart in the plan.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { readBlobToBuffer } from '../oci/registry/blobs.ts';
import { getManifest } from '../oci/registry/manifests.ts';
import { redactUrl } from '../oci/registry/errors.ts';
import { listTags } from '../oci/registry/tags.ts';
import {
  chartTag,
  CHART_SIZE_LIMIT,
  HELM_CHART_LAYER_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  HELM_LEGACY_LAYER_MEDIA_TYPE,
  helmAnnotations,
  helmConfig,
  parseChartYaml,
  readChartArchive,
  type ChartArchive,
} from './chart-archive.ts';
import { declaredImages } from './chart-images.ts';
import { downloadChart, findChart, type IndexCache } from './chart-repository.ts';
import { closeHttpConnections } from './http-download.ts';
import type { ChartSelection } from './image-set-schema.ts';
import type { LocalArtifact, ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';
import { anyVersion, compareVersions, satisfies, type Version } from './versions.ts';

/** Where a chart from an HTTP repository lands when the set names no `target`: `charts/<name>`, tagged with its version. */
export const DEFAULT_CHART_FOLDER = 'charts';

/** A chart as found: what it is, what the plan calls it, and its archive's files. */
interface FoundChart {
  label: string;
  archive: ChartArchive;
}

/** The OCI tag of a chart version read back as a version (`1.2.3_build.1` → `1.2.3+build.1`). */
function tagVersion(tag: string): Version | undefined {
  return anyVersion(tag.replaceAll('_', '+'));
}

/** An `oci://` chart: the reference of the version asked for, its tags listed when a range was given. */
async function ociChartReference(chart: ChartSelection, context: ResolveContext): Promise<Reference> {
  if (chart.repository.kind !== 'oci') throw new FerryError('INTERNAL', 'not an OCI chart');
  // Through the reference grammar: Docker Hub's hosts normalise to docker.io, and a name no repository may hold is refused by name.
  const { registry, repository } = parseReference(`${chart.repository.registry}/${chart.repository.path}/${chart.name}`);
  const { version } = chart;
  if ('exact' in version) return { registry, repository, tag: chartTag(version.exact) };
  const client = await context.registries.client(registry);
  let best: { tag: string; version: Version } | undefined;
  for (const tag of await listTags(client, repository, context.signal ? { signal: context.signal } : {})) {
    const parsed = tagVersion(tag);
    if (parsed && satisfies(parsed, version.range) && (!best || compareVersions(parsed, best.version) > 0)) best = { tag, version: parsed };
  }
  if (!best) throw new FerryError('NOT_FOUND', `chart ${registry}/${repository}: no tag matches "${version.range.raw}"`, { chart: chart.name, version: version.range.raw });
  return { registry, repository, tag: best.tag };
}

/** Reads an OCI chart's archive layer (checked against its digest) for its Chart.yaml and values. */
async function readOciChart(reference: Reference, context: ResolveContext): Promise<ChartArchive> {
  const client = await context.registries.client(reference.registry);
  const subject = formatReference(reference);
  const manifest = await getManifest(client, reference.repository, reference.tag ?? 'latest', context.signal ? { signal: context.signal } : {});
  if (manifest.kind !== 'image' || manifest.manifest.config.mediaType !== HELM_CONFIG_MEDIA_TYPE) {
    throw new FerryError('INVALID_MANIFEST', `${subject} is not a Helm chart (its config is not ${HELM_CONFIG_MEDIA_TYPE})`, { reference: subject });
  }
  const layer = manifest.manifest.layers.find((l) => l.mediaType === HELM_CHART_LAYER_MEDIA_TYPE || l.mediaType === HELM_LEGACY_LAYER_MEDIA_TYPE);
  if (!layer) throw new FerryError('INVALID_MANIFEST', `${subject} has no ${HELM_CHART_LAYER_MEDIA_TYPE} layer`, { reference: subject });
  if (layer.size > CHART_SIZE_LIMIT) throw new FerryError('INVALID_MANIFEST', `${subject}: its chart layer is ${layer.size} bytes, more than ${CHART_SIZE_LIMIT}`, { reference: subject });
  return readChartArchive(await readBlobToBuffer(client, reference.repository, layer, context.signal), subject);
}

/** The images a chart and its subcharts declare, as resolved images, and the plan note listing them. */
function chartImages(found: FoundChart, section: ResolvedSection): void {
  const seen = new Set<string>();
  const listed: string[] = [];
  const problems: string[] = [...found.archive.notes];
  for (const part of found.archive.charts) {
    let metadata: Record<string, unknown>;
    try {
      metadata = parseChartYaml(part.chartYaml, `${part.path}/Chart.yaml`);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      continue;
    }
    const declared = declaredImages(metadata, part.valuesYaml, part.path);
    problems.push(...declared.problems);
    for (const image of declared.images) {
      const key = formatReference(image.reference);
      if (seen.has(key)) continue;
      seen.add(key);
      listed.push(`${key} (${part.path === found.archive.charts[0]?.path ? '' : `${part.path}: `}${image.from})`);
      section.images.push({ source: image.reference, section: 'charts' });
    }
  }
  const head = `charts: ${found.label} declares ${listed.length === 0 ? 'no images' : `${listed.length} image${listed.length === 1 ? '' : 's'}: ${listed.join(', ')}`}`;
  section.notes.push(head);
  for (const problem of problems) section.notes.push(`charts: ${found.label}: ${problem}`);
}

/** Checks that an archive holds the chart the set asked for (a repository serving another chart under its name is refused). */
function checkChart(archive: ChartArchive, name: string, version: string, source: string): ReturnType<typeof parseChartYaml> {
  const top = archive.charts[0];
  if (!top) throw new FerryError('INVALID_CONTENT', `${source} holds no chart`, { source });
  const metadata = parseChartYaml(top.chartYaml, `${source}: ${top.path}/Chart.yaml`);
  if (metadata.name !== name || metadata.version !== version) {
    throw new FerryError('INVALID_CONTENT', `${source} holds chart ${metadata.name} ${metadata.version}, not the ${name} ${version} its repository lists`, { source });
  }
  return metadata;
}

/** Resolves one chart from an HTTP repository into a LocalArtifact, after checking what was downloaded. */
async function httpChart(chart: ChartSelection, context: ResolveContext, staging: () => Promise<string>, indexes: IndexCache, section: ResolvedSection): Promise<void> {
  if (chart.repository.kind !== 'http') throw new FerryError('INTERNAL', 'not an HTTP chart');
  const found = await findChart(context.registries, chart.repository.url, chart.name, chart.version, { indexes, ...(context.signal ? { signal: context.signal } : {}) });
  // Recorded in ferry.json, shown in the plan and in errors: an index URL may carry a token or a signature in its query.
  const source = redactUrl(found.url.href);
  if (found.digest === undefined && (chart.repository.url.protocol === 'http:' || found.url.protocol === 'http:')) {
    // Over plain HTTP nothing vouches for the bytes: neither TLS nor a digest.
    throw new FerryError(
      'INVALID_CONTENT',
      `charts: ${found.name} ${found.version}: its index gives no digest and it would come over plain http (${source}); serve the repository over https, or index it with digests (helm repo index writes them)`,
      { chart: found.name, version: found.version },
    );
  }
  const download = await downloadChart(context.registries, found, await mkdtemp(join(await staging(), 'chart-')), context.signal);
  const archive = await readChartArchive(createReadStream(download.file), source);
  const metadata = checkChart(archive, found.name, found.version, source);
  const artifact: LocalArtifact = {
    source,
    target: { path: chart.target ?? `${DEFAULT_CHART_FOLDER}/${chart.name}`, tag: chartTag(found.version) },
    section: 'charts',
    artifactType: HELM_CONFIG_MEDIA_TYPE,
    config: { mediaType: HELM_CONFIG_MEDIA_TYPE, bytes: helmConfig(metadata) },
    layers: [{ mediaType: HELM_CHART_LAYER_MEDIA_TYPE, file: download.file, title: `${found.name}-${found.version}.tgz` }],
    annotations: helmAnnotations(metadata),
  };
  (section.artifacts ??= []).push(artifact);
  if (found.digest === undefined) section.notes.push(`charts: the index gives no digest for ${found.name} ${found.version}; carried as downloaded over https (${download.digest})`);
  if (chart.images) chartImages({ label: `${found.name} ${found.version}`, archive }, section);
}

/** Resolves one chart from an OCI registry: the chart is an image like any other; its archive is read for its images. */
async function ociChart(chart: ChartSelection, context: ResolveContext, section: ResolvedSection): Promise<void> {
  const reference = await ociChartReference(chart, context);
  const image: ResolvedImage = { source: reference, section: 'charts' };
  if (chart.target !== undefined) image.target = { path: chart.target, ...(reference.tag !== undefined ? { tag: reference.tag } : {}) };
  section.images.push(image);
  if (!chart.images) return;
  const archive = await readOciChart(reference, context);
  chartImages({ label: `${chart.name} ${reference.tag ?? ''}`.trim(), archive }, section);
}

/** Resolves every chart of the section: the charts themselves (artifacts or images), their images, and a note per chart. */
export async function resolveCharts(charts: readonly ChartSelection[], context: ResolveContext): Promise<ResolvedSection> {
  const section: ResolvedSection = { images: [], notes: [] };
  let folder: Promise<string> | undefined;
  const indexes: IndexCache = new Map();
  const staging = (): Promise<string> => {
    if (context.staging === undefined) throw new FerryError('INTERNAL', 'no staging folder was given to the image set resolvers');
    return (folder ??= mkdtemp(join(context.staging, 'charts-')));
  };
  try {
    for (const chart of charts) {
      if (chart.repository.kind === 'http') await httpChart(chart, context, staging, indexes, section);
      else await ociChart(chart, context, section);
    }
  } finally {
    await closeHttpConnections(context.registries);
  }
  return section;
}
