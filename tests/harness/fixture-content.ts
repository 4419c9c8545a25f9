/**
 * Byte-exact building blocks for fixture images: a seeded PRNG, reproducible
 * tar and gzip, content-addressed blobs, and writers for the two on-disk forms
 * skopeo reads (OCI image layout and its own `dir:` layout). Same input, same
 * bytes, on every run.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

/** OCI and Docker media types used by the fixtures (image-spec media-types.md, Docker manifest v2 schema 2). */
export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** An OCI descriptor (image-spec descriptor.md), the link between every node of the graph. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The platform object of an index entry (image-spec image-index.md). */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** A blob with its bytes, ready to be written anywhere. */
export interface Content extends Descriptor {
  data: Buffer;
}

/** Every timestamp in fixtures: fixed so configs and tar headers never change between runs. */
export const FIXED_TIME = new Date('2020-01-01T00:00:00Z');
/** gzip level for layers: fixed because a different level yields different bytes and digests. */
export const GZIP_LEVEL = 6;
/** gzip OS header byte (RFC 1952 §2.3.1) forced to 3 "Unix" so the bytes match whatever zlib build wrote them. */
const GZIP_OS_UNIX = 3;

/** sha256 digest string of some bytes, the only algorithm Ferry and Distribution 2.8 use by default. */
export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Deterministic pseudo-random bytes from a seed: an AES-128-CTR keystream keyed by sha256(seed); incompressible, fast, reproducible. */
export function seededBytes(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(`ferry-fixture:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** One regular file of a layer tar. */
export interface TarFile {
  name: string;
  data: Buffer;
}

/** One tar entry of any kind the tests need: a file (the default), folder, symlink, hard link (`link`) or FIFO. */
export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
  data?: Buffer;
  linkname?: string;
  /** The entry's mode when a test needs another (setuid, sticky, group-writable); 0644 (folders 0755) otherwise. */
  mode?: number;
}

/** A reproducible tar: fixed mtime, uid/gid 0, no user names, mode 0644 (folders 0755) unless the entry says, entries in the given order (names as given, however hostile). */
export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => {
    if (Buffer.isBuffer(chunk)) chunks.push(chunk);
  });
  const done = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const data = type === 'file' ? (entry.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const header = { name: entry.name, type, size: data.length, mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: FIXED_TIME, uid: 0, gid: 0, uname: '', gname: '' };
    await new Promise<void>((resolve, reject) => {
      tar.entry(entry.linkname ? { ...header, linkname: entry.linkname } : header, data, (error) => (error ? reject(error) : resolve()));
    });
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A reproducible tar of regular files only. */
export async function makeTar(files: readonly TarFile[]): Promise<Buffer> {
  return tarOf(files);
}

/** Reproducible gzip: fixed level, mtime 0 (Node's default) and a fixed OS byte. */
export function gzipFixed(data: Buffer, level: number = GZIP_LEVEL): Buffer {
  const out = gzipSync(data, { level });
  out[9] = GZIP_OS_UNIX;
  return out;
}

/** Wraps bytes as content-addressed content with a media type. */
export function toContent(mediaType: string, data: Buffer): Content {
  return { mediaType, digest: sha256Digest(data), size: data.length, data };
}

/** Serialises a manifest/config exactly once, so its digest is the digest of these bytes. */
export function jsonContent(mediaType: string, value: object): Content {
  return toContent(mediaType, Buffer.from(JSON.stringify(value), 'utf8'));
}

/** A descriptor without the bytes, plus optional extra fields. */
export function describe(content: Content, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType: content.mediaType, digest: content.digest, size: content.size, ...extra };
}

/** A compressed layer and the diff_id (digest of the uncompressed tar) its config must list. */
export interface Layer {
  content: Content;
  diffId: string;
}

/** Builds a gzip layer from files, typed with the given layer media type. */
export async function makeLayer(mediaType: string, files: readonly TarFile[], level: number = GZIP_LEVEL): Promise<Layer> {
  const tar = await makeTar(files);
  return { content: toContent(mediaType, gzipFixed(tar, level)), diffId: sha256Digest(tar) };
}

/** An image config (OCI image-spec config.md; Docker's is the same shape) with fixed timestamps. */
export function imageConfig(mediaType: string, platform: Platform, layers: readonly Layer[], label: string): Content {
  return jsonContent(mediaType, {
    created: FIXED_TIME.toISOString(),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: ['/bin/true'], Labels: { 'dev.ferry.fixture': label } },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: FIXED_TIME.toISOString(), created_by: `ferry fixture ${label} layer ${i}` })),
  });
}

/** An image manifest (OCI image-spec manifest.md or Docker schema2) over a config and layers. */
export function imageManifest(mediaType: string, config: Content, layers: readonly Content[], extra: Record<string, unknown> = {}): Content {
  return jsonContent(mediaType, {
    schemaVersion: 2,
    mediaType,
    ...('artifactType' in extra ? { artifactType: extra.artifactType } : {}),
    config: describe(config),
    layers: layers.map((l) => describe(l, l.annotations ? { annotations: l.annotations } : {})),
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'artifactType')),
  });
}

/** An OCI index or Docker manifest list (image-spec image-index.md) over child descriptors. */
export function imageIndex(mediaType: string, manifests: readonly Descriptor[]): Content {
  return jsonContent(mediaType, { schemaVersion: 2, mediaType, manifests });
}

/** One tag of a layout: a ref name and the descriptor it resolves to. */
export interface LayoutRef {
  refName: string;
  descriptor: Descriptor;
}

/** Writes an OCI image layout (image-spec image-layout.md): oci-layout, index.json with ref names, blobs/sha256. */
export async function writeOciLayout(dir: string, blobs: Iterable<Content>, refs: readonly LayoutRef[]): Promise<void> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const blob of blobs) await writeFile(join(blobDir, blob.digest.slice('sha256:'.length)), blob.data);
  const manifests = refs.map((r) => ({ ...r.descriptor, annotations: { ...r.descriptor.annotations, 'org.opencontainers.image.ref.name': r.refName } }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }));
}

/**
 * Writes skopeo's `dir:` layout (containers/image directory transport, version
 * 1.1): `manifest.json` for the top manifest, `<hex>.manifest.json` for each
 * child manifest of a list, and `<hex>` for every other blob. Used for Docker
 * media types, which skopeo 1.9's `oci:` transport will not look up.
 */
export async function writeDirLayout(dir: string, top: Content, childManifests: readonly Content[], blobs: Iterable<Content>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
  await writeFile(join(dir, 'manifest.json'), top.data);
  for (const child of childManifests) await writeFile(join(dir, `${child.digest.slice('sha256:'.length)}.manifest.json`), child.data);
  for (const blob of blobs) await writeFile(join(dir, blob.digest.slice('sha256:'.length)), blob.data);
}
