/**
 * Graph completeness of a bundle (DESIGN.md "Bundle verification checks" 4):
 * from the index.json entries, every manifest's children must be present —
 * index → manifests, image manifest → config + layers — while `subject` may
 * point outside the bundle (image-spec manifest.md "subject"). Manifests are
 * collected while the blobs stream past, so the check needs no second read.
 */
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { isDigest } from '../oci/digest.ts';
import { detectManifestMediaType, isIndexMediaType, isManifestMediaType } from '../oci/media-types.ts';
import { MANIFEST_SIZE_LIMIT } from '../oci/registry/manifests.ts';
import { REF_NAME_ANNOTATION } from './layout.ts';

/** One index.json entry as read from untrusted bytes. */
export interface IndexEntryRead {
  digest?: unknown;
  mediaType?: unknown;
  size?: unknown;
  annotations?: Record<string, unknown>;
}

/** A manifest found among the blobs: its children by kind, for the walk. */
export interface CollectedManifest {
  mediaType: string;
  children: Array<{ role: 'manifest' | 'config' | 'layer'; descriptor: Descriptor }>;
}

/** What the blob pass learned: which blobs exist (and their sizes), which are damaged, and the manifests among them. */
export interface BlobFacts {
  present: Map<string, number>;
  damaged: Set<string>;
  manifests: Map<string, CollectedManifest>;
}

/** An empty set of facts, filled while the blobs stream past. */
export function newBlobFacts(): BlobFacts {
  return { present: new Map(), damaged: new Set(), manifests: new Map() };
}

function isDescriptor(value: unknown): value is Descriptor {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.mediaType === 'string' && typeof record.digest === 'string' && isDigest(record.digest)
    && typeof record.size === 'number' && Number.isSafeInteger(record.size) && record.size >= 0;
}

/**
 * Collects the bytes of one blob while it streams, only while it may be a
 * manifest (at most the registry manifest limit, starting with `{`), so memory
 * stays bounded by the manifests alone — never a layer.
 */
export class ManifestCollector {
  private chunks: Buffer[] = [];
  private length = 0;
  private live: boolean;

  constructor(size: number) {
    this.live = size < 0 || size <= MANIFEST_SIZE_LIMIT;
  }

  /** Feeds the next chunk of the blob. */
  update(chunk: Buffer): void {
    if (!this.live) return;
    if (this.length === 0 && chunk.length > 0 && chunk.subarray(0, 16).toString('latin1').trimStart()[0] !== '{') this.live = false;
    this.length += chunk.length;
    if (this.length > MANIFEST_SIZE_LIMIT) this.live = false;
    if (this.live) this.chunks.push(chunk);
    else this.chunks = [];
  }

  /** The blob as a manifest, if it is one (call only after its digest verified). */
  result(): CollectedManifest | undefined {
    if (!this.live || this.length === 0) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(this.chunks).toString('utf8'));
    } catch {
      return undefined;
    }
    this.chunks = [];
    const mediaType = detectManifestMediaType(parsed, undefined);
    if (mediaType === undefined) return undefined;
    const record = parsed as Record<string, unknown>;
    const children: CollectedManifest['children'] = [];
    if (isIndexMediaType(mediaType)) {
      for (const entry of Array.isArray(record.manifests) ? record.manifests : []) if (isDescriptor(entry)) children.push({ role: 'manifest', descriptor: entry });
    } else {
      if (!isDescriptor(record.config)) return undefined;
      children.push({ role: 'config', descriptor: record.config });
      for (const entry of Array.isArray(record.layers) ? record.layers : []) if (isDescriptor(entry)) children.push({ role: 'layer', descriptor: entry });
    }
    return { mediaType, children };
  }
}

/** Parses index.json text into its entries; a problem string when it is not an OCI index. */
export function parseIndexEntries(text: string): { entries: IndexEntryRead[] } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'index.json is not valid JSON' };
  }
  const manifests = (parsed as { manifests?: unknown } | null)?.manifests;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(manifests)) return { problem: 'index.json is not an OCI image index (no "manifests" list)' };
  return { entries: manifests as IndexEntryRead[] };
}

/** The name an index.json entry carries, for messages. */
export function entryName(entry: IndexEntryRead): string {
  const name = entry.annotations?.[REF_NAME_ANNOTATION];
  return typeof name === 'string' ? name : String(entry.digest);
}

/** Checks that index.json names exactly the images ferry.json lists, with the same digests and media types. */
export function checkIndex(text: string, manifest: BundleManifest): string[] {
  const parsed = parseIndexEntries(text);
  if ('problem' in parsed) return [parsed.problem];
  const key = (name: unknown, digest: unknown, mediaType: unknown): string => `${String(name)}@${String(digest)}:${String(mediaType)}`;
  const inIndex = parsed.entries.map((e) => key(e.annotations?.[REF_NAME_ANNOTATION], e.digest, e.mediaType));
  const listed = manifest.images.map((i) => key(i.name, i.digest, i.mediaType));
  if ([...inIndex].sort().join('\n') === [...listed].sort().join('\n')) return [];
  const indexSet = new Set(inIndex);
  const listedSet = new Set(listed);
  return [
    `index.json does not list the images ferry.json lists (${inIndex.length} entries against ${listed.length} images)`,
    ...manifest.images.filter((_, i) => !indexSet.has(listed[i] ?? '')).map((image) => `image ${image.name} (${image.digest}) is in ferry.json but not in index.json`),
    ...parsed.entries.filter((_, i) => !listedSet.has(inIndex[i] ?? '')).map((entry) => `index.json entry ${entryName(entry)} (${String(entry.digest)}) is not an image ferry.json lists`),
  ];
}

/**
 * Walks every image from its index.json entry and reports each child that is
 * missing, has the wrong size, or should be a manifest but is not one. Damaged
 * blobs are already reported by the blob check and are not followed.
 */
export function checkGraph(entries: IndexEntryRead[], facts: BlobFacts, omitted: ReadonlyMap<string, number> = new Map()): string[] {
  const problems: string[] = [];
  const visited = new Set<string>();
  const visit = (image: string, descriptor: Descriptor, role: string, parent: string | undefined): void => {
    const where = parent ? `, referenced by ${parent}` : '';
    const size = facts.present.get(descriptor.digest);
    if (size === undefined) {
      // Non-distributable ("foreign") layers live at their URLs, not in registries or bundles (image-spec layer.md).
      if (role === 'layer' && (descriptor.urls?.length ?? 0) > 0 && /nondistributable|foreign/.test(descriptor.mediaType)) return;
      // An incremental bundle leaves out configs and layers its parent carried; ferry.json lists them as omitted.
      if ((role === 'layer' || role === 'config') && omitted.get(descriptor.digest) === descriptor.size) return;
      problems.push(`image ${image}: ${role} ${descriptor.digest} is missing from the bundle${where}`);
      return;
    }
    if (size !== descriptor.size) problems.push(`image ${image}: ${role} ${descriptor.digest} is ${size} bytes, but its descriptor says ${descriptor.size}${where}`);
    if (facts.damaged.has(descriptor.digest) || visited.has(descriptor.digest)) return;
    visited.add(descriptor.digest);
    if (role !== 'manifest' && role !== 'index' && role !== 'root manifest') return;
    const manifest = facts.manifests.get(descriptor.digest);
    if (!manifest) {
      problems.push(`image ${image}: ${role} ${descriptor.digest} is not a valid image manifest or index${where}`);
      return;
    }
    for (const child of manifest.children) {
      const childRole = child.role === 'manifest' ? (isIndexMediaType(child.descriptor.mediaType) ? 'index' : 'manifest') : child.role;
      visit(image, child.descriptor, childRole, descriptor.digest);
    }
  };
  for (const entry of entries) {
    const name = entryName(entry);
    if (!isDescriptor(entry)) {
      problems.push(`index.json entry ${name} is not a valid descriptor (mediaType, digest, size)`);
      continue;
    }
    if (!isManifestMediaType(entry.mediaType)) {
      problems.push(`image ${name}: index.json gives it the media type ${entry.mediaType}, which is not a manifest type`);
      continue;
    }
    visit(name, entry, 'root manifest', undefined);
  }
  return problems;
}

/**
 * The graph check of a Ferry bundle: every blob ferry.json lists is present,
 * index.json names exactly ferry.json's images, and every image's graph is
 * complete. Blobs present but unlisted are reported by the caller, which
 * knows where it found them.
 */
export function bundleGraphProblems(manifest: BundleManifest, indexText: string | undefined, facts: BlobFacts): string[] {
  const problems: string[] = [];
  for (const blob of manifest.blobs) if (!facts.present.has(blob.digest)) problems.push(`blob ${blob.digest} is listed in ferry.json but missing from the bundle`);
  if (indexText === undefined) return [...problems, 'index.json is missing, so no image can be followed'];
  const index = checkIndex(indexText, manifest);
  const parsed = parseIndexEntries(indexText);
  const omitted = new Map((manifest.omitted ?? []).map((blob) => [blob.digest, blob.size]));
  return [...problems, ...index, ...('entries' in parsed ? checkGraph(parsed.entries, facts, omitted) : [])];
}
