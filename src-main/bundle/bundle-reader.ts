/**
 * Opens a bundle (either form) or a plain OCI image layout for import: its
 * images, the bytes of every manifest of their graphs, and a way to stream
 * each blob. Verification is not done here: the importer runs the full
 * verifier first, and the bytes are checked against their digests again
 * while they stream to the registry.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { isManifestMediaType } from '../oci/media-types.ts';
import { digestWithAlgorithmOf } from '../oci/digest.ts';
import { parseManifest } from '../oci/registry/manifests.ts';
import { openPartsStream } from './parts.ts';
import { writeToExtract } from './tar-feed.ts';
import { parseLayoutIndex, readBundleManifestIfPresent } from './bundle-manifest.ts';
import { REF_NAME_ANNOTATION, SOURCE_ANNOTATION, type IndexEntry } from './layout.ts';

/** One image to import: its name in the bundle, where it came from, and its root manifest. */
export interface BundleImageRef {
  name: string;
  /** The source reference (`quay.io/org/app:v1`), or for a plain layout a name derived from the folder. */
  source: string;
  digest: string;
  mediaType: string;
  /** Where the image set wants it (repository path under the prefix, tag), from ferry.json. */
  targets?: Array<{ path: string; tag?: string }>;
}

/** An opened bundle: what it holds and how to read it. */
export interface OpenedBundle {
  dir: string;
  form: 'directory' | 'archive' | 'oci-layout';
  manifest: BundleManifest | undefined;
  images: BundleImageRef[];
  /** Manifest bytes and media type by digest, for every manifest reachable from the images. */
  manifests: Map<string, { bytes: Buffer; mediaType: string }>;
  /** Sizes of every blob, by digest. */
  sizes: Map<string, number>;
}

/** Manifests above this size are not manifests (registries cap them at 4 MiB). */
const MANIFEST_LIMIT = 4 * 1024 * 1024;

/** The registry host given to images of a plain layout whose names carry none; `.invalid` is reserved (RFC 2606), so it never names a real registry. */
export const LAYOUT_HOST = 'layout.invalid';

/**
 * The source reference a plain layout's entry stands for: a full reference
 * name as is; a bare tag (skopeo's `oci:DIR:TAG`) or digest as
 * `layout.invalid/<folder name>:<tag>`, so it lands at `PREFIX/<folder name>:<tag>`.
 */
function layoutSource(entry: IndexEntry, dir: string): string {
  const name = entry.annotations?.[REF_NAME_ANNOTATION] ?? entry.digest;
  const source = entry.annotations?.[SOURCE_ANNOTATION];
  if (source) return source;
  if (name.includes('/')) return name;
  const repository =
    basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'image';
  if (name.startsWith('sha256:')) return `${LAYOUT_HOST}/${repository}@${name}`;
  return name.includes(':') ? `${LAYOUT_HOST}/${name}` : `${LAYOUT_HOST}/${repository}:${name}`;
}

function imagesFromIndex(text: string | Uint8Array, dir: string, manifest: BundleManifest | undefined): BundleImageRef[] {
  const entries = parseLayoutIndex(text, join(dir, BUNDLE_FILES.index));
  return entries.map((entry) => {
    const listed = manifest?.images.find((i) => i.digest === entry.digest && i.name === entry.annotations?.[REF_NAME_ANNOTATION]);
    return {
      name: entry.annotations?.[REF_NAME_ANNOTATION] ?? entry.digest,
      source: listed?.source ?? layoutSource(entry, dir),
      digest: entry.digest,
      mediaType: entry.mediaType,
      ...(listed?.targets ? { targets: listed.targets } : {}),
    };
  });
}

/** Walks the graph from the images, reading each manifest through `read`, and records the size of every blob. */
async function collectGraph(images: BundleImageRef[], read: (digest: string) => Promise<Buffer | undefined>, opened: OpenedBundle): Promise<void> {
  const queue = images.map((image) => ({ digest: image.digest, mediaType: image.mediaType }));
  while (queue.length > 0) {
    const next = queue.shift();
    if (!next || opened.manifests.has(next.digest)) continue;
    const bytes = await read(next.digest);
    if (!bytes) throw new FerryError('BUNDLE_INVALID', `${opened.dir}: manifest ${next.digest} is missing from the bundle`, { digest: next.digest });
    // Read again after verification: the media may have changed since, so the graph is trusted only by digest.
    const actual = digestWithAlgorithmOf(next.digest, bytes);
    if (actual !== next.digest) throw new FerryError('DIGEST_MISMATCH', `${opened.dir}: manifest ${next.digest} changed since it was verified (now ${actual})`, { digest: next.digest });
    if (opened.manifest && !opened.manifest.blobs.some((b) => b.digest === next.digest)) {
      throw new FerryError('BUNDLE_INVALID', `${opened.dir}: manifest ${next.digest} is not listed in ferry.json`, { digest: next.digest });
    }
    const parsed = parseManifest(bytes, next.mediaType, next.digest, `manifest ${next.digest} in ${opened.dir}`);
    opened.manifests.set(next.digest, { bytes, mediaType: parsed.mediaType });
    opened.sizes.set(next.digest, bytes.length);
    if (parsed.kind === 'index') queue.push(...parsed.index.manifests.map((d) => ({ digest: d.digest, mediaType: d.mediaType })));
    else for (const blob of [parsed.manifest.config, ...parsed.manifest.layers]) opened.sizes.set(blob.digest, blob.size);
  }
}

/** Opens a bundle or OCI layout folder and reads its whole manifest graph (one pass over an archive's leading entries). */
export async function openBundle(dir: string): Promise<OpenedBundle> {
  const manifest = await readBundleManifestIfPresent(dir);
  const form = manifest?.form ?? 'oci-layout';
  const opened: OpenedBundle = { dir, form, manifest, images: [], manifests: new Map(), sizes: new Map() };
  if (form !== 'archive') {
    const indexText = await readFile(join(dir, BUNDLE_FILES.index)).catch(() => {
      throw new FerryError('BUNDLE_INVALID', `${dir} has neither ferry.json nor index.json: it is not a bundle or an OCI image layout`, { file: join(dir, BUNDLE_FILES.index), path: '$' });
    });
    opened.images = imagesFromIndex(indexText, dir, manifest);
    await collectGraph(opened.images, (digest) => readFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length))).catch(() => undefined), opened);
    return opened;
  }
  // Archive: index.json and every manifest come first in the stream; read until the first other blob.
  const found = new Map<string, Buffer>();
  let indexText: string | undefined;
  const extract = tarStream.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name;
      const small = entry.header.size <= MANIFEST_LIMIT;
      const chunks: Buffer[] = [];
      for await (const chunk of entry) if (small) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      if (name === BUNDLE_FILES.index) indexText = bytes.toString('utf8');
      else if (name.startsWith('blobs/sha256/') && small && looksLikeManifest(bytes)) found.set(`sha256:${name.slice('blobs/sha256/'.length)}`, bytes);
      else if (name.startsWith('blobs/')) return;
    }
  })();
  // Set by the reader when it has what it needs; an object, since the loop below reads it after awaits.
  const head = { read: false };
  void reading
    .finally(() => {
      head.read = true;
    })
    .catch(() => undefined);
  try {
    // The parts were verified already (the importer runs the verifier first); this pass stops at the first layer.
    for await (const chunk of openPartsStream(dir, manifest?.parts ?? [], { verify: false })) {
      if (!(await writeToExtract(extract, chunk)) || head.read) break;
    }
  } finally {
    extract.destroy();
  }
  await reading.catch(() => undefined);
  if (indexText === undefined) throw new FerryError('BUNDLE_INVALID', `${dir}: the archive has no index.json before its blobs`, { file: join(dir, BUNDLE_FILES.index), path: '$' });
  opened.images = imagesFromIndex(indexText, dir, manifest);
  await collectGraph(opened.images, async (digest) => found.get(digest), opened);
  return opened;
}

function looksLikeManifest(bytes: Buffer): boolean {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown; config?: unknown; layers?: unknown };
    return (typeof parsed.mediaType === 'string' && isManifestMediaType(parsed.mediaType)) || Array.isArray(parsed.manifests) || (parsed.config !== undefined && Array.isArray(parsed.layers));
  } catch {
    return false;
  }
}
