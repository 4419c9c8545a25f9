/**
 * A release-channel-like image for the browsing tests (`ferry ls` / `ferry
 * cat`), pushed to a real registry by plain HTTP: a gzip layer holding
 * version.json and a few files, and an uncompressed layer above it that
 * replaces version.json, whites out one file, makes a folder opaque and adds
 * a symlink — so what `ferry cat` prints is only right when the layers are
 * applied in order. `pushTags` PUTs one manifest under many tags quickly.
 */
import { gzipSync } from 'node:zlib';
import { FIXED_TIME, MediaTypes, jsonContent, seededBytes, sha256Digest, tarOf, toContent, type Content } from './fixture-content.ts';
import type { RunningRegistry } from './registry.ts';

/** The old and new version.json of the fixture, as Deckhouse's release-channel image holds it. */
export const OLD_VERSION = Buffer.from('{"version":"v1.69.3"}\n');
export const NEW_VERSION = Buffer.from(`${JSON.stringify({ version: 'v1.70.2', requirements: { k8s: '1.27' }, disruptions: { '1.70': [] } }, null, 2)}\n`);
/** A file big enough to flow past cat's in-memory hold in the tests (they set a small hold), incompressible so its layer streams in many chunks. */
export const BIG_FILE = seededBytes('browse-big', 300_000);

/** Everything the fixture image is made of. */
export interface BrowseImage {
  config: Content;
  layers: Content[];
  manifest: Content;
}

/** Builds the two-layer release-channel-like image; another `version` gives an image with its own upper layer. */
export async function buildBrowseImage(version: Buffer = NEW_VERSION, big: Buffer = BIG_FILE): Promise<BrowseImage> {
  const lower = await tarOf([
    { name: 'version.json', data: OLD_VERSION },
    { name: 'changelog.yaml', data: Buffer.from('v1.69.3: fixes\n') },
    { name: 'gone.txt', data: Buffer.from('deleted above\n') },
    { name: 'cache/', type: 'directory' },
    { name: 'cache/old', data: Buffer.from('hidden by an opaque folder\n') },
    { name: 'big.bin', data: big },
  ]);
  const upper = await tarOf([
    { name: 'version.json', data: version },
    { name: '.wh.gone.txt' },
    { name: 'cache/', type: 'directory' },
    { name: 'cache/.wh..wh..opq' },
    { name: 'cache/new', data: Buffer.from('fresh\n') },
    { name: 'current.json', type: 'symlink', linkname: 'version.json' },
  ]);
  const layers = [toContent(MediaTypes.ociLayerGzip, gzipSync(lower)), toContent(MediaTypes.ociLayerTar, upper)];
  const config = jsonContent(MediaTypes.ociConfig, {
    created: FIXED_TIME.toISOString(),
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [sha256Digest(lower), sha256Digest(upper)] },
    config: {},
  });
  const manifest = jsonContent(MediaTypes.ociManifest, {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((layer) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size })),
  });
  return { config, layers, manifest };
}

/** Uploads one blob monolithically (POST, then PUT with the digest) to an anonymous registry. */
export async function pushBlob(registry: RunningRegistry, repository: string, blob: Content): Promise<void> {
  const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  await start.arrayBuffer();
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw new Error(`upload to ${repository}: ${start.status}`);
  const url = new URL(location, registry.url);
  url.searchParams.set('digest', blob.digest);
  const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: blob.data });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`upload of ${blob.digest} to ${repository}: ${put.status}`);
}

/** PUTs one manifest under every tag, a few requests at a time. */
export async function pushTags(registry: RunningRegistry, repository: string, manifest: Content, tags: readonly string[]): Promise<void> {
  const queue = [...tags];
  const worker = async (): Promise<void> => {
    for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) {
      const response = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': manifest.mediaType }, body: manifest.data });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`PUT ${repository}:${tag}: ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Pushes the image's blobs and manifest under `tags`. */
export async function pushBrowseImage(registry: RunningRegistry, repository: string, image: BrowseImage, tags: readonly string[]): Promise<void> {
  for (const blob of [image.config, ...image.layers]) await pushBlob(registry, repository, blob);
  await pushTags(registry, repository, image.manifest, tags);
}

/** Where Distribution keeps a blob's bytes under its storage root. */
export function registryBlobFile(registry: RunningRegistry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return `${registry.storageDir}/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
}

/** An index over images pushed to `repository`, each under its platform, plus an attestation manifest (`unknown/unknown`) as BuildKit adds one; pushed under `tag`. */
export async function pushBrowseIndex(
  registry: RunningRegistry,
  repository: string,
  images: ReadonlyArray<{ image: BrowseImage; platform: { os: string; architecture: string } }>,
  tag: string,
): Promise<Content> {
  for (const { image } of images) {
    for (const blob of [image.config, ...image.layers]) await pushBlob(registry, repository, blob);
    await pushTags(registry, repository, image.manifest, [`m-${image.manifest.digest.slice(7, 19)}`]);
  }
  const emptyConfig = toContent(MediaTypes.ociEmpty, Buffer.from('{}'));
  const statement = toContent('application/vnd.in-toto+json', Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}'));
  for (const blob of [emptyConfig, statement]) await pushBlob(registry, repository, blob);
  const attestation = jsonContent(MediaTypes.ociManifest, {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: emptyConfig.mediaType, digest: emptyConfig.digest, size: emptyConfig.size },
    layers: [{ mediaType: statement.mediaType, digest: statement.digest, size: statement.size }],
  });
  await pushTags(registry, repository, attestation, ['attestation']);
  const index = jsonContent(MediaTypes.ociIndex, {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      ...images.map(({ image, platform }) => ({ mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size, platform })),
      { mediaType: attestation.mediaType, digest: attestation.digest, size: attestation.size, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  });
  await pushTags(registry, repository, index, [tag]);
  return index;
}
