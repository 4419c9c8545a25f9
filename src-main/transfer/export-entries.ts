/**
 * What an export's plan becomes in ferry.json and index.json: one entry per
 * image, referrer and local artifact (named, deduplicated, placed), the plan
 * minus what an incremental bundle leaves out, and whether a finished bundle
 * in the folder is this very plan.
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { BundleImage, BundleManifest } from '../../src-shared/model/bundle.ts';
import type { ImageGraph } from '../oci/image-graph.ts';
import type { LocalArtifactGraph } from '../oci/local-artifact.ts';
import { formatPlatform } from '../oci/platform.ts';
import { formatReference } from '../oci/reference.ts';
import type { ExportPlan } from './plan.ts';
import type { DiscoveredReferrer } from './referrers.ts';

/** Where image-set resolvers want images to land, by formatted source reference. */
export type Placements = ReadonlyMap<string, { targets: Array<{ path: string; tag?: string }>; section: string }>;

/** A ferry.json image entry with its root manifest's size (for index.json). */
export type DescribedImage = BundleImage & { manifestSize: number };

/** One resolved graph as a ferry.json entry (name, digest, media type, platforms, size, tag), with its root manifest's size. */
function describeGraph(graph: ImageGraph, name: string): BundleImage & { manifestSize: number } {
  const entry: BundleImage & { manifestSize: number } = {
    name,
    source: name,
    digest: graph.root.digest,
    mediaType: graph.root.mediaType,
    platforms: graph.platforms.map(formatPlatform),
    size: graph.totalSize,
    manifestSize: graph.root.bytes.length,
  };
  if (graph.reference.tag !== undefined) entry.tag = graph.reference.tag;
  return entry;
}

/** The images as ferry.json and index.json describe them. */
export function describeImages(graphs: ImageGraph[], placements: Placements | undefined): Array<BundleImage & { manifestSize: number }> {
  const seen = new Set<string>();
  return graphs.flatMap((graph) => {
    const name = formatReference(graph.reference);
    if (seen.has(name)) return [];
    seen.add(name);
    const image = describeGraph(graph, name);
    const placement = placements?.get(name);
    if (placement?.targets.length) image.targets = placement.targets;
    if (placement?.section) image.section = placement.section;
    return [image];
  });
}

/**
 * Referrers as ferry.json and index.json describe them: named by their full
 * reference (a cosign tag keeps its tag, one from the referrers API is named by
 * digest), tied to their subject's digest; they land where the subject lands.
 */
export function describeReferrers(referrers: readonly DiscoveredReferrer[], images: ReadonlyArray<{ name: string }>): Array<BundleImage & { manifestSize: number }> {
  const taken = new Set(images.map((image) => image.name));
  return referrers.flatMap(({ graph, subject, kind }) => {
    const name = formatReference(graph.reference);
    if (taken.has(name)) return [];
    taken.add(name);
    return [{ ...describeGraph(graph, name), referrer: { subject, kind } }];
  });
}

/**
 * Local artifacts as ferry.json and index.json describe them: named by their
 * target (`path:tag`, which no pulled image's full reference can be), with the
 * artifact type that tells readers the source is a description, not a reference.
 */
export function describeArtifacts(artifacts: LocalArtifactGraph[], images: ReadonlyArray<{ name: string }>): Array<BundleImage & { manifestSize: number }> {
  const taken = new Set(images.map((image) => image.name));
  return artifacts.map(({ artifact, root, platforms, totalSize }) => {
    const name = `${artifact.target.path}:${artifact.target.tag}`;
    if (taken.has(name)) throw new FerryError('INVALID_ARGUMENT', `${artifact.source} would be named ${name}, which another image of this export already is`, { name });
    taken.add(name);
    return {
      name,
      source: artifact.source,
      tag: artifact.target.tag,
      digest: root.digest,
      mediaType: root.mediaType,
      artifactType: artifact.artifactType,
      platforms: platforms.map(formatPlatform),
      size: totalSize,
      targets: [{ path: artifact.target.path, tag: artifact.target.tag }],
      section: artifact.section,
      manifestSize: root.bytes.length,
    };
  });
}

/** True when a finished bundle in the folder holds exactly this plan's images and content. */
export function sameBundle(existing: BundleManifest, plan: ExportPlan, images: BundleImage[]): boolean {
  const key = (list: Array<{ name: string; digest: string }>): string =>
    list
      .map((i) => `${i.name}@${i.digest}`)
      .sort()
      .join();
  return existing.blobs.length === plan.content.length && key(existing.images) === key(images);
}

/**
 * Leaves out of the plan the configs and layers a site already holds.
 * Manifests always stay: they are small, and tags cannot be set without them.
 */
export function leaveOut(plan: ExportPlan, siteHas: ReadonlySet<string> | undefined): { plan: ExportPlan; omitted: Array<{ digest: string; size: number }> } {
  if (!siteHas || siteHas.size === 0) return { plan, omitted: [] };
  const content = plan.content.filter((item) => item.bytes !== undefined || !siteHas.has(item.digest));
  const omitted = plan.content.filter((item) => item.bytes === undefined && siteHas.has(item.digest)).map(({ digest, size }) => ({ digest, size }));
  return { plan: { ...plan, content, uniqueBytes: content.reduce((sum, item) => sum + item.size, 0) }, omitted };
}
