/**
 * What a verified bundle holds, entry by entry, as `ferry verify`, `ferry
 * inspect` and the app's inspector list it: images beside files, Helm charts
 * and package repositories, each with its size and, for an artifact, its
 * files (layer titles). Read from the verified view only.
 */
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { contentKind, type ListedContent } from '../../src-shared/model/content-kind.ts';
import { parseManifest } from '../oci/manifest-parse.ts';
import { TITLE_ANNOTATION } from '../oci/media-types.ts';
import type { BundleImageRef, VerifiedBundle, VerifiedManifest } from './bundle-view.ts';

export type { ListedContent } from '../../src-shared/model/content-kind.ts';

/** An image manifest's artifactType and config media type, and its layers; undefined fields for an index. */
export function manifestFacts(manifest: VerifiedManifest, digest: string): { artifactType?: string; configMediaType?: string; layers: Descriptor[] } {
  if (manifest.kind !== 'image') return { layers: [] };
  const parsed = parseManifest(manifest.bytes, manifest.mediaType, digest, `manifest ${digest}`);
  if (parsed.kind !== 'image') return { layers: [] };
  const { artifactType, config, layers } = parsed.manifest;
  return { ...(artifactType !== undefined ? { artifactType } : {}), configMediaType: config.mediaType, layers };
}

/** Bytes of an entry's graph (manifests and unique blobs), walked without recursion. */
function graphSize(view: VerifiedBundle, root: string): number {
  const seen = new Set<string>([root]);
  const queue = [root];
  let size = 0;
  for (let next = 0; next < queue.length; next += 1) {
    const digest = queue[next] as string;
    const manifest = view.manifests.get(digest);
    if (!manifest) continue;
    size += manifest.bytes.length;
    for (const { role, descriptor } of manifest.children) {
      if (seen.has(descriptor.digest)) continue;
      seen.add(descriptor.digest);
      if (role === 'manifest') queue.push(descriptor.digest);
      else size += descriptor.size;
    }
  }
  return size;
}

/** One entry of the view, listed. */
export function listEntry(view: VerifiedBundle, ref: BundleImageRef): ListedContent {
  const manifest = view.manifests.get(ref.digest);
  const facts = manifest ? manifestFacts(manifest, ref.digest) : { layers: [] };
  const artifactType = facts.artifactType ?? ref.artifactType;
  const kind = contentKind(artifactType, manifest?.kind === 'index' ? undefined : facts.configMediaType, ref.section);
  const size = view.manifest?.images.find((image) => image.name === ref.name && image.digest === ref.digest)?.size ?? graphSize(view, ref.digest);
  const listed: ListedContent = { name: ref.name, source: ref.source, kind, size };
  if (artifactType !== undefined) listed.artifactType = artifactType;
  if (kind !== 'image') listed.files = facts.layers.map((layer) => ({ title: layer.annotations?.[TITLE_ANNOTATION] ?? layer.digest, size: layer.size, mediaType: layer.mediaType }));
  return listed;
}

/** Every entry of the view, listed in index.json's order. */
export function listContent(view: VerifiedBundle): ListedContent[] {
  return view.images.map((ref) => listEntry(view, ref));
}
