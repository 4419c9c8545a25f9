/**
 * The bad-bundle corpus (issue 4, "Done when"): copies of good exported
 * bundles, each damaged in one way, with the verification check that must
 * reject it. Archive damage that must get past the part hashes (a `../` or a
 * symlink entry) is crafted with tar-stream + PartWriter and a ferry.json
 * whose part hashes match, so tar safety — not a hash — is what refuses it.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { PartWriter } from '../../src-main/bundle/parts.ts';
import { indexJson, OCI_LAYOUT_CONTENT } from '../../src-main/bundle/layout.ts';
import type { VerifyCheckId } from '../../src-main/bundle/verify.ts';
import { OCI_MANIFEST } from '../../src-main/oci/media-types.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';

/** One damaged bundle and what verification must say about it. */
export interface BadBundle {
  name: string;
  dir: string;
  /** The check that must fail. */
  expectCheck: VerifyCheckId;
  /** What that check's problems must name: a part, a blob digest or a file. */
  mentions: string;
}

/** Good bundles to damage: a directory-form and an archive-form export with at least three full parts. */
export interface GoodBundles {
  directory: string;
  archive: string;
}

async function manifestOf(dir: string): Promise<BundleManifest> {
  return JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
}

/** Flips one bit of a file at `offset` (the middle when omitted). */
async function flipBit(path: string, offset?: number, bit = 0): Promise<void> {
  const bytes = await readFile(path);
  const at = offset ?? Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ (1 << bit);
  await writeFile(path, bytes);
}

/** Offset of the first decimal digit after `marker`, so flipping its lowest bit keeps the file parseable. */
async function digitAfter(path: string, marker: string): Promise<number> {
  const text = await readFile(path, 'latin1');
  const start = text.indexOf(marker);
  if (start < 0) throw new Error(`${marker} not found in ${path}`);
  for (let i = start + marker.length; i < text.length; i += 1) if (/[0-8]/.test(text[i] ?? '')) return i;
  throw new Error(`no digit after ${marker} in ${path}`);
}

const hex = (digest: string): string => digest.slice('sha256:'.length);
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The blobs of one tiny OCI image (its layer is not a real tar; every digest is right), for crafted bundles. */
export function tinyImageBlobs(): { config: Buffer; layer: Buffer; manifest: Buffer } {
  const layer = Buffer.from('not really a tar layer, but a blob all the same\n');
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256(config)}`, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${sha256(layer)}`, size: layer.length }],
    }),
  );
  return { config, layer, manifest };
}

/** The ferry.json of a crafted bundle of the tiny image, `name` its one image and `manifest` its root. */
export function tinyFerryJson(form: BundleManifest['form'], bundleId: string, name: string, manifest: Buffer, blobs: Buffer[], parts: BundleManifest['parts']): BundleManifest {
  return {
    formatVersion: 1,
    bundleId,
    sequence: 1,
    created: new Date(0).toISOString(),
    exporter: { host: 'h', user: 'u', ferryVersion: '0' },
    form,
    imageSet: { references: [name], lists: [], platforms: [] },
    images: [{ name, source: name, digest: `sha256:${sha256(manifest)}`, mediaType: OCI_MANIFEST, platforms: ['linux/amd64'], size: blobs.reduce((s, b) => s + b.length, 0) }],
    blobs: blobs.map((blob) => ({ digest: `sha256:${sha256(blob)}`, size: blob.length })),
    parts,
    parent: null,
  };
}

/**
 * Writes an archive-form bundle whose parts and ferry.json are self-consistent
 * (one tiny OCI image, every hash right) but whose tar stream also holds
 * `evil`: a `../` path, a symlink, or whatever the caller needs to refuse.
 */
export async function craftArchiveBundle(dir: string, evil: { name: string; type?: 'file' | 'symlink' | 'link' | 'directory' | 'fifo'; linkname?: string; content?: Buffer }): Promise<BundleManifest> {
  await mkdir(dir, { recursive: true });
  const { config, layer, manifest } = tinyImageBlobs();
  const blobs = [config, layer, manifest];
  const name = 'example.com/crafted/app:v1';
  const index = Buffer.from(indexJson([{ name, source: name, digest: `sha256:${sha256(manifest)}`, mediaType: OCI_MANIFEST, manifestSize: manifest.length }]));
  const writer = new PartWriter({ dir, partSize: 1024 * 1024 });
  const pack = tarStream.pack();
  const pumping = (async () => {
    for await (const chunk of pack) await writer.write(chunk as Buffer);
  })();
  const header = { mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) };
  pack.entry({ ...header, name: 'oci-layout', size: OCI_LAYOUT_CONTENT.length }, OCI_LAYOUT_CONTENT);
  for (const blob of blobs) pack.entry({ ...header, name: `blobs/sha256/${sha256(blob)}`, size: blob.length }, blob);
  const { content, ...evilHeader } = evil;
  if (content) pack.entry({ ...header, ...evilHeader, size: content.length }, content);
  else pack.entry({ ...header, ...evilHeader });
  pack.entry({ ...header, name: 'index.json', size: index.length }, index);
  pack.finalize();
  await pumping;
  const parts = await writer.finish();
  const ferry = tinyFerryJson('archive', '0f8fad5b-d9cb-469f-a165-70867728950e', name, manifest, blobs, parts);
  await writeFile(join(dir, 'ferry.json'), `${JSON.stringify(ferry, null, 2)}\n`);
  return ferry;
}

/** Builds the corpus under `work` from copies of the good bundles (which are left untouched). */
export async function buildBadBundles(good: GoodBundles, work: string): Promise<BadBundle[]> {
  const corpus: BadBundle[] = [];
  const copyOf = async (name: string, from: string): Promise<string> => {
    const dir = join(work, name);
    await rm(dir, { recursive: true, force: true });
    await cp(from, dir, { recursive: true });
    return dir;
  };
  const directory = await manifestOf(good.directory);
  const archive = await manifestOf(good.archive);
  const fullParts = archive.parts.filter((p) => p.size === archive.parts[0]?.size);
  const [part0, part1, part2] = fullParts;
  if (!part0 || !part1 || !part2 || archive.parts.length < 4) throw new Error('the good archive needs at least three full parts and a last one');

  const layerBlob = [...directory.blobs].sort((a, b) => b.size - a.size)[0];
  if (!layerBlob) throw new Error('the good directory bundle has no blobs');
  let dir = await copyOf('layer-bit-flip', good.directory);
  await flipBit(join(dir, 'blobs', 'sha256', hex(layerBlob.digest)));
  corpus.push({ name: 'layer-bit-flip', dir, expectCheck: 'blobs', mentions: layerBlob.digest });

  const root = directory.images[0]?.digest ?? '';
  dir = await copyOf('manifest-bit-flip', good.directory);
  await flipBit(join(dir, 'blobs', 'sha256', hex(root)));
  corpus.push({ name: 'manifest-bit-flip', dir, expectCheck: 'blobs', mentions: root });

  dir = await copyOf('index-bit-flip', good.directory);
  await flipBit(join(dir, 'index.json'), await digitAfter(join(dir, 'index.json'), '"digest": "sha256:'));
  corpus.push({ name: 'index-bit-flip', dir, expectCheck: 'graph', mentions: 'index.json' });

  dir = await copyOf('ferry-json-bit-flip', good.directory);
  await flipBit(join(dir, 'ferry.json'), await digitAfter(join(dir, 'ferry.json'), '"formatVersion":'));
  corpus.push({ name: 'ferry-json-bit-flip', dir, expectCheck: 'schema', mentions: 'formatVersion' });

  dir = await copyOf('extra-blob', good.directory);
  const smuggled = Buffer.from('smuggled');
  await writeFile(join(dir, 'blobs', 'sha256', sha256(smuggled)), smuggled);
  corpus.push({ name: 'extra-blob', dir, expectCheck: 'graph', mentions: sha256(smuggled) });

  dir = await copyOf('part-bit-flip', good.archive);
  await flipBit(join(dir, part1.name));
  corpus.push({ name: 'part-bit-flip', dir, expectCheck: 'parts', mentions: part1.name });

  dir = await copyOf('truncated-part', good.archive);
  await truncate(join(dir, part1.name), Math.floor(part1.size / 2));
  corpus.push({ name: 'truncated-part', dir, expectCheck: 'parts', mentions: part1.name });

  dir = await copyOf('missing-part', good.archive);
  await rm(join(dir, part2.name));
  corpus.push({ name: 'missing-part', dir, expectCheck: 'parts', mentions: part2.name });

  dir = await copyOf('swapped-parts', good.archive);
  await rename(join(dir, part0.name), join(dir, 'swap.tmp'));
  await rename(join(dir, part1.name), join(dir, part0.name));
  await rename(join(dir, 'swap.tmp'), join(dir, part1.name));
  corpus.push({ name: 'swapped-parts', dir, expectCheck: 'parts', mentions: part0.name });

  dir = await copyOf('extra-file', good.archive);
  await writeFile(join(dir, 'notes.txt'), 'left here by someone\n');
  corpus.push({ name: 'extra-file', dir, expectCheck: 'files', mentions: 'notes.txt' });

  dir = join(work, 'dotdot-entry');
  await rm(dir, { recursive: true, force: true });
  await craftArchiveBundle(dir, { name: '../../etc/cron.d/ferry', content: Buffer.from('* * * * * root id\n') });
  corpus.push({ name: 'dotdot-entry', dir, expectCheck: 'tar-safety', mentions: '../../etc/cron.d/ferry' });

  dir = join(work, 'symlink-entry');
  await rm(dir, { recursive: true, force: true });
  await craftArchiveBundle(dir, { name: `blobs/sha256/${'e'.repeat(64)}`, type: 'symlink', linkname: '/etc/shadow' });
  corpus.push({ name: 'symlink-entry', dir, expectCheck: 'tar-safety', mentions: '/etc/shadow' });

  return corpus;
}
