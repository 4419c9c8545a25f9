/**
 * Non-image content built into an OCI artifact on the connected side: local
 * files, package repositories, charts fetched over HTTP. Each becomes one OCI
 * image manifest with an `artifactType`, a config blob and one layer per file
 * annotated with `org.opencontainers.image.title` — the layout oras pushes and
 * pulls. The manifest is built from the bytes hashed here (while planning),
 * so it is an ordinary manifest graph for the rest of Ferry; the layer bytes
 * are read from disk again when copied (`LocalFileBlobSource`) and checked
 * against the digests hashed here, so a file changed in between is refused.
 * https://github.com/opencontainers/image-spec/blob/main/manifest.md#guidelines-for-artifact-usage
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { Descriptor, Platform, Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import type { BlobRef, BlobSource } from './blob-io.ts';
import { buildOnBase, hashGzipLayer, type BaseImage } from './built-image.ts';
import { sha256Digest } from './digest.ts';
import { manifestsInPushOrder, type ManifestNode } from './image-graph.ts';
import { OCI_EMPTY, OCI_MANIFEST, TITLE_ANNOTATION } from './media-types.ts';

export { TITLE_ANNOTATION };
/** The OCI empty JSON blob: the config of an artifact that has none of its own. */
export const EMPTY_CONFIG = { mediaType: OCI_EMPTY, bytes: Buffer.from('{}') };

/** Non-image content built into an OCI artifact on the connected side (local files, package repositories, charts from HTTP repositories). */
export interface LocalArtifact {
  /** What it was made from, shown in the plan and recorded as the bundle image's source, e.g. `file:repo/debs` or `https://charts.example.com/nginx-1.2.3.tgz`. */
  source: string;
  /** Where it lands under the import prefix. */
  target: { path: string; tag: string };
  section: string;
  artifactType: string;
  /** The config blob; files use the OCI empty descriptor (`application/vnd.oci.empty.v1+json`, bytes `{}`). */
  config: { mediaType: string; bytes: Buffer };
  /** One layer per regular file on local disk; each is hashed while planning and re-hashed while copied. */
  layers: Array<{ mediaType: string; file: string; title: string; annotations?: Record<string, string> }>;
  annotations?: Record<string, string>;
  /**
   * Set for a runnable image built on a pulled one (oci/built-image.ts: the OpenShift update graph data image): each
   * platform of the base gets `layers` (gzip tar files; their titles name them in errors only) appended and its config
   * edited, and the base's own layers are read from its repository by digest when copied. `config` and `annotations`
   * are then unused (give EMPTY_CONFIG) and `artifactType` goes into ferry.json only, marking the entry as built here
   * (it lands at its target, its source is a description), never into the image's manifests.
   */
  base?: BaseImage;
}

/** A layer file as hashed while planning: what the copy must find again. */
export interface PlannedFile {
  file: string;
  digest: string;
  size: number;
  /** Modification time when hashed, so a file touched since is named before its bytes are read. */
  mtimeMs: number;
}

/** An artifact with its manifest built: the graph export plans and copies like a pulled image's. */
export interface LocalArtifactGraph {
  artifact: LocalArtifact;
  /** The manifest (exact bytes) with the config and layer descriptors as its blobs; for a built image on a multi-platform base, an index over one manifest per platform. */
  root: ManifestNode;
  /** Config blobs carried from memory, by digest: an artifact's one config, or a built image's new configs. */
  configs: Map<string, Buffer>;
  /** Layer files by digest (one file per digest: two identical files are one blob). */
  files: Map<string, PlannedFile>;
  /** A built image's base layers: read from the base's repository by digest when copied, and checked against it. */
  pulled?: { reference: Reference; blobs: Descriptor[] };
  /** A built image's platforms; empty for an artifact. */
  platforms: Platform[];
  /** Unique blobs: the config, then the layers. */
  blobs: Descriptor[];
  /** Bytes of the manifest and its unique blobs. */
  totalSize: number;
}

/** Hashes a file in one streaming pass; the stat taken on the open handle says what was hashed. */
async function hashFile(file: string, signal?: AbortSignal): Promise<PlannedFile> {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw new FerryError('INVALID_ARGUMENT', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { path: file });
  });
  try {
    const facts = await handle.stat();
    if (!facts.isFile()) throw new FerryError('INVALID_ARGUMENT', `${file} is not a regular file`, { path: file });
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false, ...(signal ? { signal } : {}) }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.byteLength;
    }
    return { file, digest: `sha256:${hash.digest('hex')}`, size, mtimeMs: facts.mtimeMs };
  } finally {
    await handle.close();
  }
}

/** Keeps annotation keys in code-point order, so the same artifact always gives the same manifest bytes. */
function sorted(annotations: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Hashes every layer file and builds the artifact's manifest. The bytes are
 * deterministic (no creation time), so an export run again, or resumed, plans
 * the same digest for unchanged files.
 */
export async function buildArtifactGraph(artifact: LocalArtifact, signal?: AbortSignal): Promise<LocalArtifactGraph> {
  if (artifact.base) return buildImageGraph(artifact, artifact.base, signal);
  if (artifact.layers.length === 0) throw new FerryError('INVALID_ARGUMENT', `${artifact.source}: holds no file to carry`, { source: artifact.source });
  const titles = new Set<string>();
  for (const layer of artifact.layers) {
    if (titles.has(layer.title)) throw new FerryError('INVALID_ARGUMENT', `${artifact.source}: two files are both titled "${layer.title}"`, { source: artifact.source, title: layer.title });
    titles.add(layer.title);
  }
  const configDescriptor: Descriptor = { mediaType: artifact.config.mediaType, digest: sha256Digest(artifact.config.bytes), size: artifact.config.bytes.length };
  const files = new Map<string, PlannedFile>();
  const layers: Descriptor[] = [];
  for (const layer of artifact.layers) {
    signal?.throwIfAborted();
    const hashed = await hashFile(layer.file, signal);
    if (!files.has(hashed.digest)) files.set(hashed.digest, hashed);
    layers.push({ mediaType: layer.mediaType, digest: hashed.digest, size: hashed.size, annotations: sorted({ ...layer.annotations, [TITLE_ANNOTATION]: layer.title }) });
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: artifact.artifactType,
    config: configDescriptor,
    layers,
    ...(artifact.annotations && Object.keys(artifact.annotations).length > 0 ? { annotations: sorted(artifact.annotations) } : {}),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const unique = new Map<string, Descriptor>([[configDescriptor.digest, configDescriptor]]);
  for (const layer of layers) if (!unique.has(layer.digest)) unique.set(layer.digest, layer);
  const blobs = [...unique.values()];
  const root: ManifestNode = { digest: sha256Digest(bytes), mediaType: OCI_MANIFEST, bytes, children: [], blobs: [configDescriptor, ...layers] };
  return {
    artifact,
    root,
    configs: new Map([[configDescriptor.digest, artifact.config.bytes]]),
    files,
    platforms: [],
    blobs,
    totalSize: bytes.length + blobs.reduce((sum, blob) => sum + blob.size, 0),
  };
}

/** A built image's graph: its added layer files hashed (digest and diff_id), the manifests built over the base (oci/built-image.ts). */
async function buildImageGraph(artifact: LocalArtifact, base: BaseImage, signal?: AbortSignal): Promise<LocalArtifactGraph> {
  if (artifact.layers.length === 0) throw new FerryError('INVALID_ARGUMENT', `${artifact.source}: adds no layer to its base image`, { source: artifact.source });
  const added = [];
  for (const layer of artifact.layers) {
    signal?.throwIfAborted();
    added.push(await hashGzipLayer(layer.file, signal));
  }
  const built = buildOnBase(base, added, artifact.source);
  const files = new Map<string, PlannedFile>();
  for (const { planned } of added) if (!files.has(planned.digest)) files.set(planned.digest, planned);
  const unique = new Map<string, Descriptor>();
  let manifestBytes = 0;
  for (const node of manifestsInPushOrder(built.root)) {
    manifestBytes += node.bytes.length;
    for (const blob of node.blobs) if (!unique.has(blob.digest)) unique.set(blob.digest, blob);
  }
  const blobs = [...unique.values()];
  return {
    artifact,
    root: built.root,
    configs: built.configs,
    files,
    pulled: { reference: base.reference, blobs: built.pulled },
    platforms: built.platforms,
    blobs,
    totalSize: manifestBytes + blobs.reduce((sum, blob) => sum + blob.size, 0),
  };
}

/**
 * Layer files as a blob source: each read from disk again, from any offset,
 * and checked by copyBlob against the digest hashed while planning. A file
 * whose size or modification time changed since is refused by name before a
 * byte is read; one changed in place without either fails its digest, whose
 * message names the file too.
 */
export class LocalFileBlobSource implements BlobSource {
  constructor(private readonly files: ReadonlyMap<string, PlannedFile>) {}

  /** True when the source holds this blob. */
  has(digest: string): boolean {
    return this.files.has(digest);
  }

  /** Names the blob by its file. */
  describe(blob: BlobRef): string {
    const planned = this.files.get(blob.digest);
    return planned ? `${planned.file} (hashed as ${blob.digest} while planning)` : `blob ${blob.digest} (no local file)`;
  }

  /** The file's bytes from `start`, after checking it is still the file that was hashed. */
  async *open(blob: BlobRef, start: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const planned = this.files.get(blob.digest);
    if (!planned) throw new FerryError('INTERNAL', `${this.describe(blob)} is not a planned file`, { digest: blob.digest });
    const now = await stat(planned.file).catch((error: unknown) => {
      throw new FerryError('INVALID_CONTENT', `${planned.file} was hashed while planning but cannot be read now: ${error instanceof Error ? error.message : String(error)}`, { path: planned.file });
    });
    if (now.size !== planned.size || now.mtimeMs !== planned.mtimeMs) {
      throw new FerryError(
        'INVALID_CONTENT',
        `${planned.file} changed after it was planned (${planned.size} bytes when hashed, ${now.size} now${now.mtimeMs !== planned.mtimeMs ? ', modified since' : ''}): run the export again`,
        { path: planned.file, digest: blob.digest },
      );
    }
    yield* createReadStream(planned.file, { start, ...(signal ? { signal } : {}) }) as AsyncIterable<Buffer>;
  }
}
