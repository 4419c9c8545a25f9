/**
 * Resolves a reference into the whole graph a copy needs: the root manifest,
 * the child manifests of an index (filtered by platform) and every blob, with
 * exact bytes kept so digests survive the trip. The graph is fetched level by
 * level without recursion, each manifest once (a manifest listed twice is one
 * node), and indexes nested deeper than MAX_INDEX_NESTING are refused.
 */
import type { Descriptor, Platform, Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { isDigest, sha256Digest } from './digest.ts';
import { MAX_INDEX_NESTING, OCI_INDEX } from './media-types.ts';
import { formatPlatform, selects, type PlatformSelection } from './platform.ts';
import { formatReference, manifestIdentifier } from './reference.ts';
import type { RegistryClient } from './registry/client.ts';
import { getManifest, headManifest, type FetchedManifest } from './registry/manifests.ts';
import { heldManifest, type HeldManifests } from './held-manifests.ts';

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

/** Every manifest of the graph once, in push order: an index only after everything below it, children in their listed order, the root last. */
export function manifestsInPushOrder(root: ManifestNode): ManifestNode[] {
  const out: ManifestNode[] = [];
  const placed = new Set<string>();
  const entered = new Set<string>();
  const stack: Array<{ node: ManifestNode; after: boolean }> = [{ node: root, after: false }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { node, after } = top;
    if (after) {
      if (!placed.has(node.digest)) out.push(node);
      placed.add(node.digest);
      continue;
    }
    if (entered.has(node.digest)) continue;
    entered.add(node.digest);
    stack.push({ node, after: true });
    for (const child of [...node.children].reverse()) if (!entered.has(child.digest)) stack.push({ node: child, after: false });
  }
  return out;
}

function toNode(fetched: FetchedManifest, platform: Platform | undefined): ManifestNode {
  const node: ManifestNode = { digest: fetched.digest, mediaType: fetched.mediaType, bytes: fetched.bytes, children: [], blobs: [] };
  if (platform) node.platform = platform;
  if (fetched.kind === 'image') node.blobs = [fetched.manifest.config, ...fetched.manifest.layers];
  return node;
}

/**
 * The root manifest, and whether it was held: fetched as today without held
 * manifests. With them (a rerun), a digest is looked up there first, and a
 * tag is first resolved to its current digest by HEAD (Docker Hub counts
 * manifest GETs, not HEADs), so the source is asked for the bytes only when
 * they are not held. A HEAD without a usable digest falls back to the GET by tag.
 */
async function rootManifest(
  client: RegistryClient,
  reference: Reference,
  held: HeldManifests | undefined,
  subject: string,
  signal?: AbortSignal,
): Promise<{ fetched: FetchedManifest; held: boolean }> {
  const fetch = async (identifier: string): Promise<{ fetched: FetchedManifest; held: boolean }> => ({
    fetched: await getManifest(client, reference.repository, identifier, { signal, subject }),
    held: false,
  });
  if (held === undefined) return fetch(manifestIdentifier(reference));
  let digest = reference.digest;
  if (digest === undefined) {
    const head = await headManifest(client, reference.repository, manifestIdentifier(reference), signal);
    digest = head?.digest !== undefined && isDigest(head.digest) ? head.digest : undefined;
  }
  if (digest === undefined) return fetch(manifestIdentifier(reference));
  const fromHeld = await heldManifest(held, digest, subject, signal);
  return fromHeld ? { fetched: fromHeld, held: true } : fetch(digest);
}

/**
 * Fetches the manifest graph of a reference from a registry, keeping only the
 * selected platforms; manifests in `held` (checked against their digests) are
 * taken from there instead of the source.
 */
export async function resolveImageGraph(client: RegistryClient, reference: Reference, selection: PlatformSelection, signal?: AbortSignal, held?: HeldManifests): Promise<ImageGraph> {
  const subject = formatReference(reference);
  const rootLookup = await rootManifest(client, reference, held, subject, signal);
  const rootFetched = rootLookup.fetched;
  // A holder that has the root has its children too (a registry accepts a manifest only after its children, an
  // export writes children first); one that lacks the root is not asked about each child (a request apiece at a destination).
  const childrenHeld = rootLookup.held ? held : undefined;
  const nodes = new Map<string, ManifestNode>();
  const top = toNode(rootFetched, undefined);
  nodes.set(top.digest, top);
  // Only the root index is filtered by platform; an index below it is kept whole, since its digest must not change.
  const rootWanted = rootFetched.kind === 'index' ? rootFetched.index.manifests.filter((d) => selects(selection, d.platform)) : [];
  let level: Array<{ node: ManifestNode; fetched: FetchedManifest }> = [{ node: top, fetched: rootFetched }];
  for (let depth = 0; level.length > 0; depth += 1) {
    const listing = level.filter((item): item is { node: ManifestNode; fetched: Extract<FetchedManifest, { kind: 'index' }> } => item.fetched.kind === 'index');
    const deep = depth > MAX_INDEX_NESTING ? listing[0] : undefined;
    if (deep)
      throw new FerryError('INVALID_MANIFEST', `${subject}: index ${deep.node.digest} is nested more than ${MAX_INDEX_NESTING} levels below the root (at depth ${depth})`, { reference: subject });
    // Each manifest not seen yet is fetched once, all of this level at once.
    const fresh = new Map<string, Descriptor>();
    for (const { node, fetched } of listing) {
      for (const d of node === top ? rootWanted : fetched.index.manifests) if (!nodes.has(d.digest) && !fresh.has(d.digest)) fresh.set(d.digest, d);
    }
    const next = await Promise.all(
      [...fresh.values()].map(async (d) => {
        const childSubject = `${subject} (manifest ${d.digest})`;
        const fetched = (await heldManifest(childrenHeld, d.digest, childSubject, signal)) ?? (await getManifest(client, reference.repository, d.digest, { signal, subject: childSubject }));
        const node = toNode(fetched, d.platform);
        nodes.set(d.digest, node);
        return { node, fetched };
      }),
    );
    for (const { node, fetched } of listing) {
      node.children = (node === top ? rootWanted : fetched.index.manifests).flatMap((d) => nodes.get(d.digest) ?? []);
    }
    level = next;
  }
  const root = rootFetched.kind === 'index' && rootWanted.length !== rootFetched.index.manifests.length ? rewriteIndex(top, rootFetched, rootWanted, selection, subject) : top;
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
