/**
 * Many small images, seeded fast: the per-image overhead benchmark needs a
 * thousand images in a registry, and a thousand skopeo runs would take
 * minutes. Each image is its own repository with a config and two small
 * gzip layers of its own (tens of KB, nothing shared), pushed with plain HTTP
 * (POST + PUT per blob, PUT per manifest), many repositories at once and one
 * repository's requests in order.
 */
import { MediaTypes, describe, imageConfig, imageManifest, makeLayer, seededBytes, type Content } from './fixture-content.ts';
import { mapLimit } from './fixtures.ts';
import type { RunningRegistry } from './registry.ts';

/** One small image as pushed: where it is and what its manifest's digest is. */
export interface SmallImage {
  repository: string;
  tag: string;
  manifestDigest: string;
  /** Config and layers. */
  blobs: Content[];
  manifest: Content;
}

/** A set of small images and its size. */
export interface SmallImageSet {
  images: SmallImage[];
  /** Bytes of all blobs and manifests. */
  totalBytes: number;
}

/** Sizes of each image's two layers' file contents (incompressible, so the gzip layers are about this big). */
const LAYER_FILE_BYTES = [20 * 1024, 40 * 1024] as const;
const AMD64 = { os: 'linux', architecture: 'amd64' };

/** Builds `count` small OCI images `PREFIX/app-NNNN:v1`, deterministic from their index. */
export async function makeSmallImages(count: number, prefix = 'small'): Promise<SmallImageSet> {
  const images: SmallImage[] = [];
  let totalBytes = 0;
  for (let i = 0; i < count; i++) {
    const label = `app-${String(i).padStart(4, '0')}`;
    const layers = await Promise.all(LAYER_FILE_BYTES.map((bytes, n) => makeLayer(MediaTypes.ociLayerGzip, [{ name: `${label}/part-${n}.bin`, data: seededBytes(`small/${label}/${n}`, bytes) }])));
    const config = imageConfig(MediaTypes.ociConfig, AMD64, layers, `small ${label}`);
    const manifest = imageManifest(
      MediaTypes.ociManifest,
      config,
      layers.map((l) => l.content),
    );
    const blobs = [config, ...layers.map((l) => l.content)];
    totalBytes += manifest.size + blobs.reduce((sum, b) => sum + b.size, 0);
    images.push({ repository: `${prefix}/${label}`, tag: 'v1', manifestDigest: describe(manifest).digest, blobs, manifest });
  }
  return { images, totalBytes };
}

async function expectStatus(response: Response, status: number, what: string): Promise<void> {
  const body = await response.text();
  if (response.status !== status) throw new Error(`${what}: HTTP ${response.status} ${body.slice(0, 300)}`);
}

/** Pushes one blob monolithically: POST opens a session, PUT with the digest sends and commits it. */
async function pushBlob(registry: RunningRegistry, repository: string, blob: Content): Promise<void> {
  const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  await expectStatus(start, 202, `open upload in ${repository}`);
  const location = start.headers.get('location');
  if (!location) throw new Error(`open upload in ${repository}: no Location`);
  const url = new URL(location, registry.url);
  url.searchParams.set('digest', blob.digest);
  await expectStatus(await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: blob.data }), 201, `upload ${blob.digest} to ${repository}`);
}

/**
 * Pushes every image to an anonymous registry, `concurrency` images at a
 * time; each image's blobs go before its manifest, and a repository never
 * sees two pushes at once (Distribution 2.8 can drop a link then).
 */
export async function seedSmallImages(registry: RunningRegistry, set: SmallImageSet, concurrency = 16): Promise<void> {
  await mapLimit(set.images, concurrency, async (image) => {
    for (const blob of image.blobs) await pushBlob(registry, image.repository, blob);
    const put = await fetch(`${registry.url}/v2/${image.repository}/manifests/${image.tag}`, { method: 'PUT', headers: { 'content-type': image.manifest.mediaType }, body: image.manifest.data });
    await expectStatus(put, 201, `PUT ${image.repository}:${image.tag}`);
    if (put.headers.get('docker-content-digest') !== image.manifestDigest)
      throw new Error(`${image.repository}:${image.tag} landed as ${put.headers.get('docker-content-digest')}, expected ${image.manifestDigest}`);
  });
}

/**
 * Checks that every image is at `registry`/`prefix`/repository:tag with its
 * manifest digest (a HEAD each, in parallel: a thousand `skopeo inspect`
 * runs would cost more than the copy measured).
 */
export async function checkSmallImages(registry: RunningRegistry, set: SmallImageSet, prefix: string, concurrency = 16): Promise<void> {
  await mapLimit(set.images, concurrency, async (image) => {
    const url = `${registry.url}/v2/${prefix}/${image.repository}/manifests/${image.tag}`;
    const response = await fetch(url, { method: 'HEAD', headers: { accept: image.manifest.mediaType } });
    await expectStatus(response, 200, `HEAD ${url}`);
    const digest = response.headers.get('docker-content-digest');
    if (digest !== image.manifestDigest) throw new Error(`${url}: digest ${digest}, expected ${image.manifestDigest}`);
  });
}
