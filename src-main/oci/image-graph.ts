/**
 * Resolves a reference into the whole graph a copy needs: the root manifest,
 * the child manifests of an index (filtered by platform) and every blob, with
 * exact bytes kept so digests survive the trip.
 */
import type { Descriptor, Platform, Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { sha256Digest } from './digest.ts';
import { OCI_INDEX } from './media-types.ts';
import { formatPlatform, selects, type PlatformSelection } from './platform.ts';
import { formatReference, manifestIdentifier } from './reference.ts';
import type { RegistryClient } from './registry/client.ts';
import { getManifest, type FetchedManifest } from './registry/manifests.ts';

/** Indexes nested deeper than this are refused: real images use one level, a loop would never end. */
const MAX_INDEX_DEPTH = 4;

/** One manifest in the graph, with its exact bytes and what it points to. */
export interface ManifestNode {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** The platform this manifest was listed under in its parent index, if any. */
  platform?: Platform;
  /** Child manifests, for an index. */
  children: ManifestNode[];
  /** Config and layers, for an image manifest. */
  blobs: Descriptor[];
  /** Set when platform filtering replaced the source's index: the digest the source had. */
  sourceDigest?: string;
}

/** A resolved image: the root and the unique blobs, ready to copy in push order. */
export interface ImageGraph {
  reference: Reference;
  root: ManifestNode;
  /** True when platform filtering rewrote the root index (its digest then differs from the source's). */
  rootRewritten: boolean;
  platforms: Platform[];
  /** Unique blobs of every manifest in the graph. */
  blobs: Descriptor[];
  /** Bytes of the blobs plus the manifests. */
  totalSize: number;
}

/** Child manifests in push order: deepest first, so an index is pushed only after what it lists. */
export function manifestsInPushOrder(root: ManifestNode): ManifestNode[] {
  const out: ManifestNode[] = [];
  const visit = (node: ManifestNode): void => {
    node.children.forEach(visit);
    out.push(node);
  };
  visit(root);
  return out;
}

function toNode(fetched: FetchedManifest, platform: Platform | undefined): ManifestNode {
  const node: ManifestNode = { digest: fetched.digest, mediaType: fetched.mediaType, bytes: fetched.bytes, children: [], blobs: [] };
  if (platform) node.platform = platform;
  if (fetched.kind === 'image') node.blobs = [fetched.manifest.config, ...fetched.manifest.layers];
  return node;
}

/** Fetches the manifest graph of a reference from a registry, keeping only the selected platforms. */
export async function resolveImageGraph(client: RegistryClient, reference: Reference, selection: PlatformSelection, signal?: AbortSignal): Promise<ImageGraph> {
  const subject = formatReference(reference);
  const fetchNode = async (identifier: string, platform: Platform | undefined, depth: number, filter: boolean): Promise<ManifestNode> => {
    const fetched = await getManifest(client, reference.repository, identifier, { signal, subject: identifier === manifestIdentifier(reference) ? subject : `${subject} (manifest ${identifier})` });
    const node = toNode(fetched, platform);
    if (fetched.kind === 'index') {
      if (depth >= MAX_INDEX_DEPTH) throw new FerryError('INVALID_MANIFEST', `${subject}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
      const wanted = fetched.index.manifests.filter((d) => !filter || selects(selection, d.platform));
      node.children = await Promise.all(wanted.map((d) => fetchNode(d.digest, d.platform, depth + 1, false)));
      if (filter && wanted.length !== fetched.index.manifests.length) return rewriteIndex(node, fetched, wanted, selection, subject);
    }
    return node;
  };
  const root = await fetchNode(manifestIdentifier(reference), undefined, 0, true);
  const rootRewritten = root.sourceDigest !== undefined;
  const unique = new Map<string, Descriptor>();
  const platforms: Platform[] = [];
  for (const node of manifestsInPushOrder(root)) {
    for (const blob of node.blobs) if (!unique.has(blob.digest)) unique.set(blob.digest, blob);
    if (node.platform) platforms.push(node.platform);
  }
  const manifestBytes = manifestsInPushOrder(root).reduce((sum, node) => sum + node.bytes.length, 0);
  const blobBytes = [...unique.values()].reduce((sum, blob) => sum + blob.size, 0);
  return { reference, root, rootRewritten, platforms, blobs: [...unique.values()], totalSize: blobBytes + manifestBytes };
}

/**
 * Builds a new index listing only the selected platforms. A single selected
 * image manifest becomes the root itself, as `skopeo copy --override-arch` does.
 */
function rewriteIndex(node: ManifestNode, fetched: FetchedManifest, wanted: Descriptor[], selection: PlatformSelection, subject: string): ManifestNode {
  if (wanted.length === 0) {
    const asked = selection.kind === 'some' ? selection.platforms.map(formatPlatform).join(', ') : 'all';
    const offered = fetched.kind === 'index' ? fetched.index.manifests.map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown')).join(', ') : '';
    throw new FerryError('PLATFORM_NOT_FOUND', `${subject}: no manifest for platform ${asked} (the index offers ${offered || 'none'})`, { reference: subject });
  }
  const [only] = node.children;
  if (node.children.length === 1 && only && only.children.length === 0) {
    return { ...only, sourceDigest: node.digest };
  }
  const source = fetched.kind === 'index' ? fetched.index : undefined;
  const rewritten = {
    schemaVersion: 2,
    mediaType: source?.mediaType ?? OCI_INDEX,
    ...(source?.artifactType ? { artifactType: source.artifactType } : {}),
    manifests: wanted,
    ...(source?.subject ? { subject: source.subject } : {}),
    ...(source?.annotations ? { annotations: source.annotations } : {}),
  };
  const bytes = Buffer.from(JSON.stringify(rewritten));
  return { ...node, digest: sha256Digest(bytes), bytes, sourceDigest: node.digest };
}
