/**
 * Graph completeness of a bundle (DESIGN.md "Bundle verification checks" 4):
 * from the index.json entries, every manifest's children must be present —
 * index → manifests, image manifest → config + layers — while `subject` may
 * point outside the bundle (image-spec manifest.md "subject"). Manifests are
 * collected while the blobs stream past, so the check needs no second read.
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { ImageIndexSchema, ImageManifestSchema, MANIFEST_SIZE_LIMIT } from '../../src-shared/schemas/oci.ts';
import { parseStrictJson } from '../../src-shared/strict-json.ts';
import { detectManifestMediaType, isIndexMediaType, isManifestMediaType } from '../oci/media-types.ts';
import { parseLayoutIndex } from './bundle-manifest.ts';
import { REF_NAME_ANNOTATION, type IndexEntry } from './layout.ts';

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

  /** The blob as a manifest, if it is one (call only after its digest verified): strict JSON of a manifest's shape, or undefined. */
  result(): CollectedManifest | undefined {
    if (!this.live || this.length === 0) return undefined;
    let parsed: unknown;
    try {
      parsed = parseStrictJson(Buffer.concat(this.chunks), { file: 'manifest', maxBytes: MANIFEST_SIZE_LIMIT, code: 'INVALID_MANIFEST' });
    } catch {
      return undefined;
    }
    this.chunks = [];
    const mediaType = detectManifestMediaType(parsed, undefined);
    if (mediaType === undefined) return undefined;
    if (isIndexMediaType(mediaType)) {
      const index = ImageIndexSchema.safeParse(parsed);
      return index.success ? { mediaType, children: index.data.manifests.map((descriptor) => ({ role: 'manifest', descriptor })) } : undefined;
    }
    const manifest = ImageManifestSchema.safeParse(parsed);
    if (!manifest.success) return undefined;
    return { mediaType, children: [{ role: 'config', descriptor: manifest.data.config }, ...manifest.data.layers.map((descriptor) => ({ role: 'layer' as const, descriptor }))] };
  }
}

/** Parses index.json text into its entries; a problem string (naming the JSON path) when it is not an OCI index. */
export function parseIndexEntries(text: string): { entries: IndexEntry[] } | { problem: string } {
  try {
    return { entries: parseLayoutIndex(text, 'index.json') };
  } catch (error) {
    if (!(error instanceof FerryError)) throw error;
    const problems = error.details?.problems;
    return { problem: Array.isArray(problems) ? `index.json does not match the OCI image index schema: ${problems.join('; ')}` : error.message };
  }
}

/** The name an index.json entry carries, for messages. */
export function entryName(entry: IndexEntry): string {
  return entry.annotations?.[REF_NAME_ANNOTATION] ?? entry.digest;
}

/** Checks that index.json names exactly the images ferry.json lists, with the same digests and media types. */
export function checkIndex(text: string, manifest: BundleManifest): string[] {
  const parsed = parseIndexEntries(text);
  if ('problem' in parsed) return [parsed.problem];
  const key = (name: string | undefined, digest: string, mediaType: string): string => `${String(name)}@${digest}:${mediaType}`;
  const inIndex = parsed.entries.map((e) => key(e.annotations?.[REF_NAME_ANNOTATION], e.digest, e.mediaType));
  const listed = manifest.images.map((i) => key(i.name, i.digest, i.mediaType));
  if ([...inIndex].sort().join('\n') === [...listed].sort().join('\n')) return [];
  const indexSet = new Set(inIndex);
  const listedSet = new Set(listed);
  return [
    `index.json does not list the images ferry.json lists (${inIndex.length} entries against ${listed.length} images)`,
    ...manifest.images.filter((_, i) => !indexSet.has(listed[i] ?? '')).map((image) => `image ${image.name} (${image.digest}) is in ferry.json but not in index.json`),
    ...parsed.entries.filter((_, i) => !listedSet.has(inIndex[i] ?? '')).map((entry) => `index.json entry ${entryName(entry)} (${entry.digest}) is not an image ferry.json lists`),
  ];
}

/**
 * Walks every image from its index.json entry and reports each child that is
 * missing, has the wrong size, or should be a manifest but is not one. Damaged
 * blobs are already reported by the blob check and are not followed.
 */
export function checkGraph(entries: IndexEntry[], facts: BlobFacts, omitted: ReadonlyMap<string, number> = new Map()): string[] {
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
