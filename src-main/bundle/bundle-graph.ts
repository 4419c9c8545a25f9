/**
 * Graph completeness of a bundle (DESIGN.md "Bundle verification checks" 4):
 * from the index.json entries, every manifest's children must be present —
 * index → manifests, image manifest → config + layers — while `subject` may
 * point outside the bundle (image-spec manifest.md "subject"). Manifests are
 * collected, bytes and all, while the blobs stream past, so neither the check
 * nor the verified view built from it (bundle-view.ts) needs a second read.
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { ImageIndexSchema, ImageManifestSchema, MANIFEST_SIZE_LIMIT } from '../../src-shared/schemas/oci.ts';
import { parseStrictJson } from '../../src-shared/strict-json.ts';
import { detectManifestMediaType, isIndexMediaType, isManifestMediaType, MAX_INDEX_NESTING } from '../oci/media-types.ts';
import { formatPlatform } from '../oci/platform.ts';
import { parseLayoutIndex } from './bundle-manifest.ts';
import { REF_NAME_ANNOTATION, type IndexEntry } from './layout.ts';
import { checkReferrers } from './referrer-check.ts';

/** A manifest found among the blobs: its exact bytes, its kind and its children, for the walk and the verified view. */
export interface CollectedManifest {
  /** The media type the bytes declare (or their shape implies); in the graph walk's result, the one its descriptor lists it under. */
  mediaType: string;
  kind: 'index' | 'image';
  bytes: Buffer;
  children: Array<{ role: 'manifest' | 'config' | 'layer'; descriptor: Descriptor }>;
  /** The manifest this one is attached to (a signature's, an SBOM's image): never followed, since it may lie outside the bundle. */
  subject?: Descriptor;
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
    // A copy: readers reuse their buffers once a chunk is handed on (safe-read.ts `reuse`); only JSON-looking blobs get here.
    if (this.live) this.chunks.push(Buffer.from(chunk));
    else this.chunks = [];
  }

  /** The blob as a manifest, if it is one (call only after its digest verified): strict JSON of a manifest's shape, or undefined. */
  result(): CollectedManifest | undefined {
    if (!this.live || this.length === 0) return undefined;
    const bytes = Buffer.concat(this.chunks);
    this.chunks = [];
    let parsed: unknown;
    try {
      parsed = parseStrictJson(bytes, { file: 'manifest', maxBytes: MANIFEST_SIZE_LIMIT, code: 'INVALID_MANIFEST' });
    } catch {
      return undefined;
    }
    const mediaType = detectManifestMediaType(parsed, undefined);
    if (mediaType === undefined) return undefined;
    if (isIndexMediaType(mediaType)) {
      const index = ImageIndexSchema.safeParse(parsed);
      if (!index.success) return undefined;
      const children = index.data.manifests.map((descriptor) => ({ role: 'manifest' as const, descriptor }));
      return { mediaType, kind: 'index', bytes, children, ...(index.data.subject ? { subject: index.data.subject } : {}) };
    }
    const manifest = ImageManifestSchema.safeParse(parsed);
    if (!manifest.success) return undefined;
    return {
      mediaType,
      kind: 'image',
      bytes,
      children: [{ role: 'config', descriptor: manifest.data.config }, ...manifest.data.layers.map((descriptor) => ({ role: 'layer' as const, descriptor }))],
      ...(manifest.data.subject ? { subject: manifest.data.subject } : {}),
    };
  }
}

/** Parses index.json into its entries; a problem string (naming the JSON path) when it is not an OCI index. */
export function parseIndexEntries(text: string | Uint8Array): { entries: IndexEntry[] } | { problem: string } {
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

/** Checks that index.json's entries name exactly the images ferry.json lists, with the same digests and media types. */
export function checkIndex(entries: IndexEntry[], manifest: BundleManifest): string[] {
  const key = (name: string | undefined, digest: string, mediaType: string): string => `${String(name)}@${digest}:${mediaType}`;
  const inIndex = entries.map((e) => key(e.annotations?.[REF_NAME_ANNOTATION], e.digest, e.mediaType));
  const listed = manifest.images.map((i) => key(i.name, i.digest, i.mediaType));
  if ([...inIndex].sort().join('\n') === [...listed].sort().join('\n')) return [];
  const indexSet = new Set(inIndex);
  const listedSet = new Set(listed);
  return [
    `index.json does not list the images ferry.json lists (${inIndex.length} entries against ${listed.length} images)`,
    ...manifest.images.filter((_, i) => !indexSet.has(listed[i] ?? '')).map((image) => `image ${image.name} (${image.digest}) is in ferry.json but not in index.json`),
    ...entries.filter((_, i) => !listedSet.has(inIndex[i] ?? '')).map((entry) => `index.json entry ${entryName(entry)} (${entry.digest}) is not an image ferry.json lists`),
  ];
}

/** What the graph walk found: the problems, and every manifest of the images' graphs as listed (the verified view's manifests). */
export interface GraphCheck {
  problems: string[];
  /** Manifests reached from the index.json entries, by digest, with the media type their descriptor lists them under. */
  reached: Map<string, CollectedManifest>;
  /** Each damaged blob an image's graph reaches, with every image (and platform) it belongs to, so the report ties a bad blob to its images. */
  damagedIn: Map<string, DamagedBlobOwner[]>;
}

/** One image a damaged blob belongs to: the image (index.json entry name), what the blob is to it, and the platform when an index picks one. */
export interface DamagedBlobOwner {
  image: string;
  role: string;
  platform?: string;
}

/**
 * One line per damaged blob naming the images it belongs to (`blob sha256:… belongs to
 * image quay.io/app:v1 (layer of linux/amd64)`), for the blobs check: the owners are
 * read from manifests that did verify, and `sourceOf` turns a bundle name into its source.
 */
export function damagedBlobLines(damagedIn: ReadonlyMap<string, readonly DamagedBlobOwner[]>, sourceOf: (image: string) => string = (image) => image): string[] {
  return [...damagedIn.entries()].map(([digest, owners]) => {
    const named = owners.map((owner) => `${sourceOf(owner.image)} (${owner.role}${owner.platform !== undefined ? ` of ${owner.platform}` : ''})`);
    return `blob ${digest} belongs to image${owners.length === 1 ? '' : 's'} ${named.join(', ')}`;
  });
}

/** One step of the walk: a descriptor, what it is to its parent, who listed it and how many indexes lie above it. */
interface GraphStep {
  descriptor: Descriptor;
  role: 'root manifest' | 'manifest' | 'index' | 'config' | 'layer';
  parent: string | undefined;
  depth: number;
  /** The platform an index listed this manifest (or its parent manifest) under. */
  platform?: string;
}

/**
 * Walks every image from its index.json entry, breadth first and without
 * recursion, and reports each child that is missing, has the wrong size, or
 * should be a manifest but is not one (or is one of the other kind), and each
 * index nested more than MAX_INDEX_NESTING levels below the entry. Damaged
 * blobs are already reported by the blob check and are not followed. Each
 * image is walked on its own, so its depths are its own; a problem with a
 * shared blob is reported once.
 */
export function checkGraph(entries: IndexEntry[], facts: BlobFacts, omitted: ReadonlyMap<string, number> = new Map()): GraphCheck {
  const problems: string[] = [];
  const reached = new Map<string, CollectedManifest>();
  const damagedIn = new Map<string, DamagedBlobOwner[]>();
  const reported = new Set<string>();
  const report = (key: string, problem: string): void => {
    if (reported.has(key)) return;
    reported.add(key);
    problems.push(problem);
  };
  for (const entry of entries) {
    const image = entryName(entry);
    if (!isManifestMediaType(entry.mediaType)) {
      problems.push(`image ${image}: index.json gives it the media type ${entry.mediaType}, which is not a manifest type`);
      continue;
    }
    const queue: GraphStep[] = [{ descriptor: entry, role: 'root manifest', parent: undefined, depth: 0 }];
    const seen = new Set<string>([entry.digest]);
    for (let next = 0; next < queue.length; next += 1) {
      const step = queue[next] as GraphStep;
      const { descriptor, role, depth } = step;
      const where = step.parent ? `, referenced by ${step.parent}` : '';
      const size = facts.present.get(descriptor.digest);
      if (size === undefined) {
        // Non-distributable ("foreign") layers live at their URLs, not in registries or bundles (image-spec layer.md).
        if (role === 'layer' && (descriptor.urls?.length ?? 0) > 0 && /nondistributable|foreign/.test(descriptor.mediaType)) continue;
        // An incremental bundle leaves out configs and layers its parent carried; ferry.json lists them as omitted.
        if ((role === 'layer' || role === 'config') && omitted.get(descriptor.digest) === descriptor.size) continue;
        report(descriptor.digest, `image ${image}: ${role} ${descriptor.digest} is missing from the bundle${where}`);
        continue;
      }
      if (size !== descriptor.size)
        report(`${descriptor.digest} ${descriptor.size}`, `image ${image}: ${role} ${descriptor.digest} is ${size} bytes, but its descriptor says ${descriptor.size}${where}`);
      if (facts.damaged.has(descriptor.digest)) {
        const owners = damagedIn.get(descriptor.digest) ?? [];
        if (!owners.some((owner) => owner.image === image && owner.platform === step.platform)) owners.push({ image, role, ...(step.platform !== undefined ? { platform: step.platform } : {}) });
        damagedIn.set(descriptor.digest, owners);
        continue;
      }
      if (role === 'config' || role === 'layer') continue;
      const manifest = facts.manifests.get(descriptor.digest);
      if (!manifest) {
        report(`${descriptor.digest} manifest`, `image ${image}: ${role} ${descriptor.digest} is not a valid image manifest or index${where}`);
        continue;
      }
      // Pushed under the type its descriptor lists, as registries serve it; that type must be of the same kind as the bytes.
      const listedAs = isManifestMediaType(descriptor.mediaType) ? descriptor.mediaType : manifest.mediaType;
      if (isIndexMediaType(listedAs) !== (manifest.kind === 'index')) {
        report(
          `${descriptor.digest} kind`,
          `image ${image}: ${role} ${descriptor.digest} is listed as ${descriptor.mediaType}, but it is an ${manifest.kind === 'index' ? 'index' : 'image manifest'}${where}`,
        );
        continue;
      }
      if (manifest.kind === 'index' && depth > MAX_INDEX_NESTING) {
        report(`${descriptor.digest} depth`, `image ${image}: index ${descriptor.digest} is nested more than ${MAX_INDEX_NESTING} levels below its index.json entry (at depth ${depth})${where}`);
        continue;
      }
      if (!reached.has(descriptor.digest)) reached.set(descriptor.digest, { ...manifest, mediaType: listedAs });
      for (const child of manifest.children) {
        if (seen.has(child.descriptor.digest)) continue;
        seen.add(child.descriptor.digest);
        const childRole = child.role === 'manifest' ? (isIndexMediaType(child.descriptor.mediaType) ? 'index' : 'manifest') : child.role;
        const platform = child.descriptor.platform !== undefined ? formatPlatform(child.descriptor.platform) : step.platform;
        queue.push({ descriptor: child.descriptor, role: childRole, parent: descriptor.digest, depth: depth + 1, ...(platform !== undefined ? { platform } : {}) });
      }
    }
  }
  return { problems, reached, damagedIn };
}

/** The graph check of a Ferry bundle, with index.json's entries when it could be read. */
export interface BundleGraphCheck extends GraphCheck {
  entries?: IndexEntry[];
}

/**
 * The graph check of a Ferry bundle: every blob ferry.json lists is present,
 * index.json names exactly ferry.json's images, and every image's graph is
 * complete. Blobs present but unlisted are reported by the caller, which
 * knows where it found them.
 */
export function checkBundleGraph(manifest: BundleManifest, indexBytes: Buffer | undefined, facts: BlobFacts): BundleGraphCheck {
  const problems: string[] = [];
  for (const blob of manifest.blobs) if (!facts.present.has(blob.digest)) problems.push(`blob ${blob.digest} is listed in ferry.json but missing from the bundle`);
  if (indexBytes === undefined) return { problems: [...problems, 'index.json is missing, so no image can be followed'], reached: new Map(), damagedIn: new Map() };
  const parsed = parseIndexEntries(indexBytes);
  if ('problem' in parsed) return { problems: [...problems, parsed.problem], reached: new Map(), damagedIn: new Map() };
  const omitted = new Map((manifest.omitted ?? []).map((blob) => [blob.digest, blob.size]));
  const graph = checkGraph(parsed.entries, facts, omitted);
  const referrers = checkReferrers(manifest, graph.reached);
  return { problems: [...problems, ...checkIndex(parsed.entries, manifest), ...graph.problems, ...referrers], reached: graph.reached, damagedIn: graph.damagedIn, entries: parsed.entries };
}
