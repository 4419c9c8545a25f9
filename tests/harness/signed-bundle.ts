/**
 * A directory-form bundle written straight to disk from fixture content:
 * images, and referrers carried beside them (ferry.json images[].referrer),
 * every digest and the index.json pin right, so `verifyBundleDetailed`
 * passes it and tests get a real verified view without a registry. For the
 * image-signature checks (trust/image-signatures.ts); the export use case
 * makes the same shape from a registry once referrers travel.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { indexJson, OCI_LAYOUT_CONTENT } from '../../src-main/bundle/layout.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { imageConfig, imageManifest, makeLayer, MediaTypes, sha256Digest, type Content } from './fixture-content.ts';

/** One entry of the bundle: a manifest and the blobs below it, and for a referrer what it refers to. */
export interface BundleEntry {
  name: string;
  source: string;
  manifest: Content;
  blobs: Content[];
  referrer?: { subject: string; kind: 'signature' | 'attestation' | 'sbom' | 'other' };
}

/** A one-layer linux/amd64 OCI image whose file says `label` (each label its own digest), as a bundle entry. */
export async function smallImageEntry(name: string, label: string): Promise<BundleEntry> {
  const layer = await makeLayer(MediaTypes.ociLayerGzip, [{ name: 'label.txt', data: Buffer.from(`${label}\n`) }]);
  const config = imageConfig(MediaTypes.ociConfig, { architecture: 'amd64', os: 'linux' }, [layer], label);
  const manifest = imageManifest(MediaTypes.ociManifest, config, [layer.content]);
  return { name, source: name, manifest, blobs: [config, layer.content] };
}

/** Writes the bundle into `dir` (oci-layout, blobs, index.json, ferry.json) and returns its ferry.json. */
export async function writeDirectoryBundle(dir: string, entries: readonly BundleEntry[], bundleId = '6f1c2b7e-3c1a-4f7e-9a51-2b8f0c9d4e10'): Promise<BundleManifest> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  const blobs = new Map<string, Content>();
  for (const entry of entries) for (const blob of [entry.manifest, ...entry.blobs]) blobs.set(blob.digest, blob);
  for (const blob of blobs.values()) await writeFile(join(blobDir, blob.digest.slice('sha256:'.length)), blob.data);
  await writeFile(join(dir, 'oci-layout'), OCI_LAYOUT_CONTENT);
  const index = Buffer.from(
    indexJson(entries.map((entry) => ({ name: entry.name, source: entry.source, digest: entry.manifest.digest, mediaType: entry.manifest.mediaType, manifestSize: entry.manifest.size }))),
  );
  await writeFile(join(dir, 'index.json'), index);
  const ferry: BundleManifest = {
    formatVersion: 1,
    bundleId,
    sequence: 1,
    created: new Date(0).toISOString(),
    exporter: { host: 'connected', user: 'exporter', ferryVersion: '0' },
    form: 'directory',
    imageSet: { references: entries.filter((entry) => !entry.referrer).map((entry) => entry.source), lists: [], platforms: [] },
    images: entries.map((entry) => ({
      name: entry.name,
      source: entry.source,
      digest: entry.manifest.digest,
      mediaType: entry.manifest.mediaType,
      platforms: entry.referrer ? [] : ['linux/amd64'],
      size: [entry.manifest, ...entry.blobs].reduce((sum, blob) => sum + blob.size, 0),
      ...(entry.referrer ? { referrer: entry.referrer } : {}),
    })),
    blobs: [...blobs.values()].map((blob) => ({ digest: blob.digest, size: blob.size })),
    parts: [],
    parent: null,
    index: { digest: sha256Digest(index), size: index.length },
  };
  await writeFile(join(dir, 'ferry.json'), `${JSON.stringify(ferry, null, 2)}\n`);
  return ferry;
}
