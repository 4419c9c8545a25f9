/**
 * A runnable image built on the connected side on top of a pulled one, as
 * oc-mirror builds its update graph data image (internal/pkg/imagebuilder:
 * every platform of the base gets the new layers appended and its config's
 * Cmd replaced). Only what is new is built here: per platform a config (the
 * base's, with the new diff_ids, a history entry per new layer and the new
 * Cmd) and a manifest (the base's layers, then the new ones), and an index
 * over them when the base is multi-platform.
 *
 * Why the base layers stay blobs read from the base's repository by digest
 * rather than files downloaded into staging: the export engine already reads
 * every planned blob from the repository it was resolved from and copyBlob
 * checks each against its digest as it streams into the bundle
 * (transfer/plan.ts, transfer/export.ts), so the base layers (a few hundred MB
 * across ubi9's four platforms) are read once, verified, straight onto the
 * media, and never staged on the connected machine's disk. The new layers are
 * local files like any LocalArtifact's: hashed while planning (their diff_id,
 * the digest of the uncompressed tar, too) and re-checked while copied.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import type { Descriptor, Platform, Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseJsonDocument, type JsonDocumentKind } from '../../src-shared/schemas/document.ts';
import { IMAGE_INDEX_DOCUMENT, IMAGE_MANIFEST_DOCUMENT } from '../../src-shared/schemas/oci.ts';
import { sha256Digest } from './digest.ts';
import type { ManifestNode } from './image-graph.ts';
import type { PlannedFile } from './local-artifact.ts';
import { DOCKER_MANIFEST, isIndexMediaType, MAX_INDEX_NESTING } from './media-types.ts';

/** The layer media type of a gzip layer in a Docker schema2 manifest. */
export const DOCKER_GZIP_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** The layer media type of a gzip layer in an OCI manifest. */
export const OCI_GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
/** Config media types of runnable images: the manifests built on; any other (an attestation, an artifact) is left out of the built index. */
export const RUNNABLE_CONFIGS: readonly string[] = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];

/** Largest base image config read (real ones are a few KiB; history of a deep image some hundred). */
export const IMAGE_CONFIG_LIMIT = 4 * 1024 * 1024;

/** The base image a built image stands on: what the export carries of it, read from the registry while resolving. */
export interface BaseImage {
  /** The base pinned by the digest its root resolved to: its layers are read from this repository by digest when the export copies them. */
  reference: Reference;
  /** Its manifest graph as resolved (exact bytes, each checked against its digest), with the platforms the export selects. */
  root: ManifestNode;
  /** Each platform's config bytes by digest, read from the registry and checked against their digests while resolving. */
  configs: ReadonlyMap<string, Buffer>;
  /** What the built image runs: replaces the base config's Cmd (its Entrypoint is kept, as oc-mirror keeps it). */
  cmd: string[];
  /** The history entry's `created_by` for each added layer, so `podman history` says where it came from. */
  createdBy: string;
}

/** An added layer as hashed while planning: its file, compressed digest and size, and diff_id. */
export interface AddedLayer {
  planned: PlannedFile;
  diffId: string;
}

/** The built image's graph: new manifests (exact bytes), new configs from memory, base layers read by digest from the base's repository. */
export interface BuiltGraph {
  root: ManifestNode;
  /** The new configs, by digest. */
  configs: Map<string, Buffer>;
  /** The base's layers, once each. */
  pulled: Descriptor[];
  platforms: Platform[];
}

/** The parts of an image config (image-spec config.md) the build edits; every other field travels untouched. */
const ImageConfigSchema = z.object({
  config: z.record(z.string(), z.unknown()).optional(),
  rootfs: z.object({ type: z.literal('layers', 'must be "layers"'), diff_ids: z.array(z.string()) }),
  history: z.array(z.record(z.string(), z.unknown())).optional(),
});

const IMAGE_CONFIG_DOCUMENT: JsonDocumentKind<typeof ImageConfigSchema> = {
  schema: ImageConfigSchema,
  name: 'the OCI image config schema',
  maxBytes: IMAGE_CONFIG_LIMIT,
  code: 'INVALID_MANIFEST',
  keepUnknownKeys: true,
};

/**
 * Hashes a gzip layer file in one pass: its digest and size as stored, and
 * its diff_id (the digest of the tar inside), which the config must list.
 * A file that is not gzip is refused by name.
 */
export async function hashGzipLayer(file: string, signal?: AbortSignal): Promise<AddedLayer> {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw new FerryError('INVALID_ARGUMENT', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { path: file });
  });
  try {
    const facts = await handle.stat();
    if (!facts.isFile()) throw new FerryError('INVALID_ARGUMENT', `${file} is not a regular file`, { path: file });
    const stored = createHash('sha256');
    const inner = createHash('sha256');
    let size = 0;
    const gunzip = createGunzip();
    gunzip.on('data', (chunk: Buffer) => inner.update(chunk));
    const ended = new Promise<void>((resolve, reject) => {
      gunzip.on('end', resolve);
      gunzip.on('error', (error) => reject(new FerryError('INVALID_CONTENT', `${file} is not a gzip layer: ${error.message}`, { path: file })));
    });
    for await (const chunk of handle.createReadStream({ autoClose: false, ...(signal ? { signal } : {}) }) as AsyncIterable<Buffer>) {
      stored.update(chunk);
      size += chunk.byteLength;
      if (!gunzip.write(chunk)) await new Promise((resolve) => gunzip.once('drain', resolve));
    }
    gunzip.end();
    await ended;
    return { planned: { file, digest: `sha256:${stored.digest('hex')}`, size, mtimeMs: facts.mtimeMs }, diffId: `sha256:${inner.digest('hex')}` };
  } finally {
    await handle.close();
  }
}

/** Builds the new manifests over the base's graph; see the module comment. `subject` names the image in errors. */
export function buildOnBase(base: BaseImage, added: readonly AddedLayer[], subject: string): BuiltGraph {
  const configs = new Map<string, Buffer>();
  const pulled = new Map<string, Descriptor>();
  const platforms: Platform[] = [];
  const built = new Map<string, ManifestNode | undefined>();

  const image = (node: ManifestNode): ManifestNode | undefined => {
    const manifest = parseJsonDocument(node.bytes, IMAGE_MANIFEST_DOCUMENT, `${subject}: manifest ${node.digest}`);
    if (!RUNNABLE_CONFIGS.includes(manifest.config.mediaType)) return undefined;
    const baseConfig = base.configs.get(manifest.config.digest);
    if (!baseConfig) throw new FerryError('INTERNAL', `${subject}: the config ${manifest.config.digest} of manifest ${node.digest} was not read`, { digest: manifest.config.digest });
    const config = parseJsonDocument(baseConfig, IMAGE_CONFIG_DOCUMENT, `${subject}: config ${manifest.config.digest}`);
    const edited = {
      ...config,
      config: { ...config.config, Cmd: base.cmd },
      rootfs: { ...config.rootfs, diff_ids: [...config.rootfs.diff_ids, ...added.map((layer) => layer.diffId)] },
      // History is optional; when the base keeps one, each added layer gets its entry so the two still line up.
      ...(config.history ? { history: [...config.history, ...added.map(() => ({ created_by: base.createdBy }))] } : {}),
    };
    const configBytes = Buffer.from(JSON.stringify(edited));
    const configDescriptor: Descriptor = { mediaType: manifest.config.mediaType, digest: sha256Digest(configBytes), size: configBytes.length };
    configs.set(configDescriptor.digest, configBytes);
    for (const layer of manifest.layers) if (!pulled.has(layer.digest)) pulled.set(layer.digest, layer);
    const layerType = node.mediaType === DOCKER_MANIFEST ? DOCKER_GZIP_LAYER : OCI_GZIP_LAYER;
    const layers = [...manifest.layers, ...added.map((layer): Descriptor => ({ mediaType: layerType, digest: layer.planned.digest, size: layer.planned.size }))];
    const bytes = Buffer.from(JSON.stringify({ ...manifest, config: configDescriptor, layers }));
    if (node.platform) platforms.push(node.platform);
    return { digest: sha256Digest(bytes), mediaType: node.mediaType, bytes, ...(node.platform ? { platform: node.platform } : {}), children: [], blobs: [configDescriptor, ...layers] };
  };

  const build = (node: ManifestNode, depth: number): ManifestNode | undefined => {
    if (built.has(node.digest)) return built.get(node.digest);
    if (depth > MAX_INDEX_NESTING) throw new FerryError('INVALID_MANIFEST', `${subject}: index ${node.digest} is nested more than ${MAX_INDEX_NESTING} levels deep`, { digest: node.digest });
    let out: ManifestNode | undefined;
    if (!isIndexMediaType(node.mediaType)) {
      out = image(node);
    } else {
      const index = parseJsonDocument(node.bytes, IMAGE_INDEX_DOCUMENT, `${subject}: index ${node.digest}`);
      const children: ManifestNode[] = [];
      const manifests: Descriptor[] = [];
      for (const entry of index.manifests) {
        const child = node.children.find((candidate) => candidate.digest === entry.digest);
        const rebuilt = child ? build(child, depth + 1) : undefined;
        if (!rebuilt) continue;
        children.push(rebuilt);
        manifests.push({ ...entry, mediaType: rebuilt.mediaType, digest: rebuilt.digest, size: rebuilt.bytes.length });
      }
      if (manifests.length > 0) {
        const bytes = Buffer.from(JSON.stringify({ ...index, manifests }));
        out = { digest: sha256Digest(bytes), mediaType: node.mediaType, bytes, ...(node.platform ? { platform: node.platform } : {}), children, blobs: [] };
      }
    }
    built.set(node.digest, out);
    return out;
  };

  const root = build(base.root, 0);
  if (!root) throw new FerryError('INVALID_CONTENT', `${subject}: the base image has no runnable image to build on (no manifest with an image config)`, { digest: base.root.digest });
  return { root, configs, pulled: [...pulled.values()], platforms };
}
