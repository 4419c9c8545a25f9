/**
 * A bundle (either form) written straight to disk from fixture content:
 * images, and referrers carried beside them (ferry.json images[].referrer),
 * every digest and the index.json pin right, so `verifyBundleDetailed`
 * passes it and tests get a real verified view without a registry. For the
 * image-signature checks (trust/image-signatures.ts); the export use case
 * makes the same shape from a registry once referrers travel.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { indexJson, OCI_LAYOUT_CONTENT } from '../../src-main/bundle/layout.ts';
import { PartWriter } from '../../src-main/bundle/parts.ts';
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

/** Writes the layout files as tar parts (oci-layout, blobs, index.json: the order Ferry's archives have) and returns the parts. */
async function writeParts(dir: string, blobs: Iterable<Content>, index: Buffer): Promise<BundleManifest['parts']> {
  const writer = new PartWriter({ dir, partSize: 1024 * 1024 });
  const pack = tarStream.pack();
  const pumping = (async () => {
    for await (const chunk of pack) await writer.write(chunk as Buffer);
  })();
  const header = { mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) };
  pack.entry({ ...header, name: 'oci-layout', size: Buffer.byteLength(OCI_LAYOUT_CONTENT) }, OCI_LAYOUT_CONTENT);
  for (const blob of blobs) pack.entry({ ...header, name: `blobs/sha256/${blob.digest.slice('sha256:'.length)}`, size: blob.size }, blob.data);
  pack.entry({ ...header, name: 'index.json', size: index.length }, index);
  pack.finalize();
  await pumping;
  return writer.finish();
}

/** Writes the bundle into `dir` in either form (layout files, or tar parts holding them; then ferry.json) and returns its ferry.json. */
export async function writeBundle(
  dir: string,
  entries: readonly BundleEntry[],
  form: BundleManifest['form'] = 'directory',
  /** Layers and configs to leave out, as an incremental bundle does for what its parent carried (listed as `omitted`). */
  omit: readonly string[] = [],
): Promise<BundleManifest> {
  await mkdir(dir, { recursive: true });
  const blobs = new Map<string, Content>();
  const omitted = new Map<string, Content>();
  for (const entry of entries) for (const blob of [entry.manifest, ...entry.blobs]) (omit.includes(blob.digest) ? omitted : blobs).set(blob.digest, blob);
  const index = Buffer.from(
    indexJson(entries.map((entry) => ({ name: entry.name, source: entry.source, digest: entry.manifest.digest, mediaType: entry.manifest.mediaType, manifestSize: entry.manifest.size }))),
  );
  let parts: BundleManifest['parts'] = [];
  if (form === 'archive') parts = await writeParts(dir, blobs.values(), index);
  else {
    const blobDir = join(dir, 'blobs', 'sha256');
    await mkdir(blobDir, { recursive: true });
    for (const blob of blobs.values()) await writeFile(join(blobDir, blob.digest.slice('sha256:'.length)), blob.data);
    await writeFile(join(dir, 'oci-layout'), OCI_LAYOUT_CONTENT);
    await writeFile(join(dir, 'index.json'), index);
  }
  const ferry: BundleManifest = {
    formatVersion: 1,
    bundleId: '6f1c2b7e-3c1a-4f7e-9a51-2b8f0c9d4e10',
    sequence: omitted.size > 0 ? 2 : 1,
    created: new Date(0).toISOString(),
    exporter: { host: 'connected', user: 'exporter', ferryVersion: '0' },
    form,
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
    parts,
    parent: omitted.size > 0 ? '0f8fad5b-d9cb-469f-a165-70867728950e' : null,
    ...(omitted.size > 0 ? { omitted: [...omitted.values()].map((blob) => ({ digest: blob.digest, size: blob.size })) } : {}),
    index: { digest: sha256Digest(index), size: index.length },
    // Every export writes its channel; a bundle without one fails a policy's rollback rule.
    channel: 'build-1/test',
  };
  await writeFile(join(dir, 'ferry.json'), `${JSON.stringify(ferry, null, 2)}\n`);
  return ferry;
}
