/**
 * Gigabytes of image content in a harness registry, cheaply: each layer is an
 * uncompressed tar of one file whose bytes are an AES-128-CTR keystream (fast,
 * incompressible, deterministic in its seed), hashed while it is written
 * straight into Distribution's filesystem storage. Pushing 20 GB over HTTP
 * would double the disk traffic and add the registry's hashing; only the
 * small configs and manifests go through the API (so the registry still checks
 * every manifest's references). Exists for the large-bundle memory benchmark.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { MediaTypes, describe, imageConfig, imageManifest, type Content, type Layer } from './fixture-content.ts';
import { putManifestRaw } from './raw-push.ts';
import type { RunningRegistry } from './registry.ts';

/** One generated image: where it is and its size. */
export interface BigImage {
  repository: string;
  tag: string;
  manifestDigest: string;
}

/** What was seeded. */
export interface BigImageSet {
  images: BigImage[];
  /** Bytes of every layer, config and manifest. */
  totalBytes: number;
  layerCount: number;
}

/** The keystream is produced in chunks of this size: big enough that per-chunk overhead is nil. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/** Where Distribution 2.8's filesystem driver keeps things, below its root directory. */
function v2(registry: RunningRegistry, ...parts: string[]): string {
  return join(registry.storageDir, 'docker', 'registry', 'v2', ...parts);
}

/** Links a blob into a repository, as a finished upload or a cross-repository mount would. */
async function linkLayer(registry: RunningRegistry, repository: string, digest: string): Promise<void> {
  const dir = v2(registry, 'repositories', repository, '_layers', 'sha256', digest.slice('sha256:'.length));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'link'), digest);
}

/** Writes content into the blob store under its digest. */
async function storeBlob(registry: RunningRegistry, repository: string, data: Buffer, digest: string): Promise<void> {
  const hex = digest.slice('sha256:'.length);
  const dir = v2(registry, 'blobs', 'sha256', hex.slice(0, 2), hex);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'data'), data);
  await linkLayer(registry, repository, digest);
}

/** Streams one tar layer of a single `payloadBytes` file into the blob store, hashing as it goes; returns its descriptor. */
async function storeKeystreamLayer(registry: RunningRegistry, repository: string, seed: string, payloadBytes: number): Promise<Layer> {
  const key = createHash('sha256').update(`ferry-big-layer:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const zeros = Buffer.alloc(CHUNK_BYTES);
  const tar = tarPack();
  const entry = tar.entry({ name: `data/${seed.replaceAll('/', '-')}.bin`, size: payloadBytes, mtime: new Date(0), mode: 0o644 });
  const feed = (async () => {
    for (let left = payloadBytes; left > 0; left -= CHUNK_BYTES) {
      const chunk = cipher.update(left >= CHUNK_BYTES ? zeros : zeros.subarray(0, left));
      if (!entry.write(chunk)) await once(entry, 'drain');
    }
    entry.end(Buffer.alloc(0));
    tar.finalize();
  })();
  const hash = createHash('sha256');
  let size = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const uploads = v2(registry, '_uploads');
  await mkdir(uploads, { recursive: true });
  const partial = join(uploads, `${repository.replaceAll('/', '_')}-${seed.replaceAll('/', '-')}`);
  await Promise.all([pipeline(tar, hashing, createWriteStream(partial, { highWaterMark: CHUNK_BYTES })), feed]);
  const digest = `sha256:${hash.digest('hex')}`;
  const hex = digest.slice('sha256:'.length);
  const dir = v2(registry, 'blobs', 'sha256', hex.slice(0, 2), hex);
  await mkdir(dir, { recursive: true });
  await rename(partial, join(dir, 'data'));
  await linkLayer(registry, repository, digest);
  // An uncompressed tar layer: its digest is its diff id.
  return { content: { mediaType: MediaTypes.ociLayerTar, digest, size, data: Buffer.alloc(0) }, diffId: digest };
}

/**
 * Seeds `imageCount` single-platform OCI images (`big/image-NN:v1`), each with
 * `layersPerImage` layers of `layerBytes` keystream bytes; every layer distinct.
 */
export async function seedBigImages(registry: RunningRegistry, imageCount: number, layersPerImage: number, layerBytes: number): Promise<BigImageSet> {
  const images: BigImage[] = [];
  let totalBytes = 0;
  for (let i = 0; i < imageCount; i++) {
    const label = `image-${String(i).padStart(3, '0')}`;
    const repository = `big/${label}`;
    const layers: Layer[] = [];
    for (let l = 0; l < layersPerImage; l++) layers.push(await storeKeystreamLayer(registry, repository, `${label}/${l}`, layerBytes));
    const config = imageConfig(MediaTypes.ociConfig, { architecture: 'amd64', os: 'linux' }, layers, label);
    await storeBlob(registry, repository, config.data, config.digest);
    const manifest: Content = imageManifest(
      MediaTypes.ociManifest,
      config,
      layers.map((layer) => layer.content),
    );
    await putManifestRaw(registry, repository, 'v1', manifest.mediaType, manifest.data);
    images.push({ repository, tag: 'v1', manifestDigest: describe(manifest).digest });
    totalBytes += layers.reduce((sum, layer) => sum + layer.content.size, 0) + config.size + manifest.size;
  }
  return { images, totalBytes, layerCount: imageCount * layersPerImage };
}
