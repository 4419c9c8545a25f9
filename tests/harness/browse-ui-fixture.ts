/**
 * A small registry to browse, shaped like a Deckhouse source: a
 * multi-platform release-channel image whose layer holds version.json (with a
 * bidi override in one field, as untrusted text), a changelog, a nested
 * images_digests.json, a binary file and a file whose name carries a bidi
 * override, and a text file larger than the preview reads; many version tags
 * on it; and a single-platform image in two repositories beside it and in
 * more than a browser page of `mirror/app-NNN` repositories, for "load more".
 * Same bytes on every run.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir, trackDir } from './cleanup.ts';
import { describe, imageConfig, imageIndex, imageManifest, makeLayer, MediaTypes, writeOciLayout, type Content, type Descriptor, type TarFile } from './fixture-content.ts';
import { mapLimit } from './fixtures.ts';
import { putManifestRaw } from './raw-push.ts';
import type { RunningRegistry } from './registry.ts';
import { dockerRef, skopeoCopy } from './skopeo.ts';

/** The release-channel repository (an OCI index for linux/amd64 and linux/arm64). */
export const CHANNEL_REPOSITORY = 'deckhouse/ee/release-channel';
/** Two more repositories holding one single-platform image each. */
export const PLAIN_REPOSITORIES = ['deckhouse/ee', 'deckhouse/ee/install'] as const;
/** More repositories than one browser page (100), each holding the plain image: `mirror/app-000` … */
export const EXTRA_REPOSITORY_COUNT = 105;
/** The tags seeded through skopeo; `EXTRA_TAGS` more are put by manifest PUT. */
export const CHANNEL_TAGS = ['alpha', 'stable', 'v1.60.1'] as const;
/** How many `v1.0.N` tags are added to the channel, more than one browser page (100). */
export const EXTRA_TAG_COUNT = 120;
/** The version the channel's version.json names. */
export const CHANNEL_VERSION = 'v1.60.1';
/** A name with a right-to-left override, which the browser must show as an escape. */
export const BIDI_NAME = 'notes/evil\u202Etxt.sh';

/** version.json as the fixture writes it; `notes` carries a right-to-left override. */
export function channelVersionJson(): Buffer {
  return Buffer.from(`${JSON.stringify({ version: CHANNEL_VERSION, canary: { enabled: false }, notes: 'read \u202Eti dna' }, null, 2)}\n`);
}

/** A text file larger than the preview reads (300 KiB of numbered lines). */
export function bigText(): Buffer {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < 300 * 1024; i += 1) {
    const line = `line ${String(i).padStart(6, '0')} of a long changelog\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join(''));
}

/** The extra repositories, `mirror/app-000` … */
export function extraRepositories(): string[] {
  return Array.from({ length: EXTRA_REPOSITORY_COUNT }, (_, i) => `mirror/app-${String(i).padStart(3, '0')}`);
}

/** Mounts a blob from one repository into another (distribution's cross-repository mount; an anonymous registry answers 201). */
async function mountBlob(registry: RunningRegistry, repository: string, from: string, digest: string): Promise<void> {
  const response = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, { method: 'POST' });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`mount of ${digest} into ${repository}: HTTP ${response.status}`);
}

/** The extra tags, `v1.0.0` … */
export function extraTags(): string[] {
  return Array.from({ length: EXTRA_TAG_COUNT }, (_, i) => `v1.0.${i}`);
}

/** What the browser tests compare against. */
export interface BrowseUiFixture {
  content: Content[];
  channel: Descriptor;
  platforms: Array<{ platform: string; digest: string }>;
  plain: Descriptor;
}

async function singleImage(content: Map<string, Content>, label: string, architecture: string, files: TarFile[]): Promise<Descriptor> {
  const layer = await makeLayer(MediaTypes.ociLayerGzip, files);
  const config = imageConfig(MediaTypes.ociConfig, { os: 'linux', architecture }, [layer], label);
  const manifest = imageManifest(MediaTypes.ociManifest, config, [layer.content]);
  for (const c of [layer.content, config, manifest]) content.set(c.digest, c);
  return describe(manifest, { platform: { os: 'linux', architecture } });
}

/** Builds the images; nothing is pushed yet. */
export async function buildBrowseUiFixture(): Promise<BrowseUiFixture> {
  const content = new Map<string, Content>();
  const files = (arch: string): TarFile[] => [
    { name: 'version.json', data: channelVersionJson() },
    { name: 'changelog.yaml', data: Buffer.from(`${CHANNEL_VERSION}:\n  fixes:\n    - summary: built for ${arch}\n`) },
    { name: 'deckhouse/candi/images_digests.json', data: Buffer.from(`${JSON.stringify({ common: { init: `sha256:${'1'.repeat(64)}` } })}\n`) },
    { name: 'bin/tool', data: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]) },
    { name: BIDI_NAME, data: Buffer.from('#!/bin/sh\necho fixture\n') },
    { name: 'docs/big.txt', data: bigText() },
  ];
  const amd64 = await singleImage(content, 'channel amd64', 'amd64', files('amd64'));
  const arm64 = await singleImage(content, 'channel arm64', 'arm64', files('arm64'));
  const index = imageIndex(MediaTypes.ociIndex, [amd64, arm64]);
  content.set(index.digest, index);
  const plain = await singleImage(content, 'deckhouse', 'amd64', [{ name: 'deckhouse/version', data: Buffer.from(`${CHANNEL_VERSION}\n`) }]);
  return {
    content: [...content.values()],
    channel: describe(index),
    platforms: [
      { platform: 'linux/amd64', digest: amd64.digest },
      { platform: 'linux/arm64', digest: arm64.digest },
    ],
    plain: { mediaType: plain.mediaType, digest: plain.digest, size: plain.size },
  };
}

/** Pushes the fixture: the channel tags and the plain images through skopeo, then the extra tags by manifest PUT (their blobs are in the repository by then). */
export async function seedBrowseUiFixture(registry: RunningRegistry, fixture: BrowseUiFixture): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-seed-browse-'));
  trackDir(work);
  try {
    const layout = join(work, 'layout');
    await writeOciLayout(layout, fixture.content, [
      { refName: 'channel', descriptor: fixture.channel },
      { refName: 'plain', descriptor: fixture.plain },
    ]);
    const pushes = [
      ...CHANNEL_TAGS.map((tag) => ({ refName: 'channel', repository: CHANNEL_REPOSITORY, tag })),
      ...PLAIN_REPOSITORIES.map((repository) => ({ refName: 'plain', repository, tag: CHANNEL_VERSION })),
    ];
    // The first channel tag alone, so its blobs are in place before the others (and the PUTs) reuse them.
    const [first, ...rest] = pushes;
    if (!first) throw new Error('no pushes');
    const copy = (p: (typeof pushes)[number]): Promise<void> => skopeoCopy({ ref: `oci:${layout}:${p.refName}` }, { ref: dockerRef(registry, p.repository, p.tag), registry });
    await copy(first);
    await mapLimit(rest, 3, copy);
    const index = fixture.content.find((c) => c.digest === fixture.channel.digest);
    if (!index) throw new Error('the channel index is missing from the fixture');
    await mapLimit(extraTags(), 8, (tag) => putManifestRaw(registry, CHANNEL_REPOSITORY, tag, index.mediaType, index.data));
    // The extra repositories reuse the plain image's blobs by mount, then get its manifest.
    const plain = fixture.content.find((c) => c.digest === fixture.plain.digest);
    if (!plain) throw new Error('the plain image is missing from the fixture');
    const blobs = JSON.parse(plain.data.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    const from = PLAIN_REPOSITORIES[0];
    await mapLimit(extraRepositories(), 8, async (repository) => {
      for (const blob of [blobs.config, ...blobs.layers]) await mountBlob(registry, repository, from, blob.digest);
      await putManifestRaw(registry, repository, CHANNEL_VERSION, plain.mediaType, plain.data);
    });
  } finally {
    removeDir(work);
  }
}
