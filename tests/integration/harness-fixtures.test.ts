/**
 * Proves the fixtures are deterministic, well formed, and land in a real
 * registry exactly as computed, with skopeo as the judge.
 */
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTypes, seededBytes, sha256Digest } from '../harness/fixture-content.ts';
import { SIGNATURE_ARTIFACT_TYPE, buildFixtures, makeImageSet, seedFixtures, seedImageSet, writeFixtureLayout } from '../harness/fixtures.ts';
import type { FixtureImage, FixtureName } from '../harness/fixtures.ts';
import { removeDir, trackDir } from '../harness/cleanup.ts';
import { startRegistry } from '../harness/registry.ts';
import type { RunningRegistry } from '../harness/registry.ts';
import { dockerRef, runSkopeo, skopeoInspectRaw, skopeoInspectRawDigest } from '../harness/skopeo.ts';

/** Small big-layers so the suite stays fast; sizes do not change the code paths. */
const OPTIONS = { bigLayerBytes: 1024 * 1024, bigLayerCount: 3 };

let fixtures: Record<FixtureName, FixtureImage>;

function json(fixture: FixtureImage, digest: string): Record<string, unknown> {
  const content = fixture.content.find((c) => c.digest === digest);
  if (!content) throw new Error(`no content ${digest}`);
  return JSON.parse(content.data.toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  fixtures = await buildFixtures(OPTIONS);
});

describe('determinism', () => {
  it('two builds are byte-identical', async () => {
    const again = await buildFixtures(OPTIONS);
    for (const name of Object.keys(fixtures) as FixtureName[]) {
      const a = fixtures[name];
      const b = again[name];
      expect(b.manifestDigest).toBe(a.manifestDigest);
      expect(b.content.map((c) => c.digest)).toEqual(a.content.map((c) => c.digest));
      for (const [i, content] of a.content.entries()) expect(Buffer.compare(content.data, b.content[i]?.data ?? Buffer.alloc(0))).toBe(0);
    }
  });

  it('matches golden values that do not depend on the zlib build', () => {
    expect(sha256Digest(seededBytes('golden', 4096))).toBe('sha256:1fdb8d451841635a00ca574f1d67c6ff35566f39d20b3c6a195fb61ce1c5a79d');
    const single = fixtures['oci-single'];
    const config = json(single, single.blobs[0]?.digest ?? '') as { rootfs: { diff_ids: string[] }; created: string };
    expect(config.created).toBe('2020-01-01T00:00:00.000Z');
    expect(config.rootfs.diff_ids).toEqual(['sha256:de349491b5aecf1644d343b8f8dc76bc57e5fbf3d870f6f606a7a1b110f813fe', 'sha256:9a8f13e559e974534c1b6830dd52c90b08eb0ab28bc8a3e6f852e457b65dd12d']);
  });

  it('every digest and size is the digest and size of the bytes', () => {
    for (const fixture of Object.values(fixtures)) {
      for (const content of fixture.content) {
        expect(sha256Digest(content.data)).toBe(content.digest);
        expect(content.data.length).toBe(content.size);
      }
      expect(fixture.totalSize).toBe(fixture.content.reduce((sum, c) => sum + c.size, 0));
    }
  });
});

describe('shapes', () => {
  it('oci-single and docker-schema2 use their own media types', () => {
    const oci = fixtures['oci-single'];
    expect(oci.mediaType).toBe(MediaTypes.ociManifest);
    expect(oci.blobs).toHaveLength(3);
    const docker = fixtures['docker-schema2'];
    const manifest = json(docker, docker.manifestDigest) as { mediaType: string; config: { mediaType: string }; layers: { mediaType: string }[] };
    expect(manifest.mediaType).toBe(MediaTypes.dockerManifest);
    expect(manifest.config.mediaType).toBe(MediaTypes.dockerConfig);
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([MediaTypes.dockerLayerGzip, MediaTypes.dockerLayerGzip]);
  });

  it.each(['oci-index', 'docker-list'] as const)('%s lists amd64 and arm64 manifests', (name) => {
    const fixture = fixtures[name];
    const index = json(fixture, fixture.manifestDigest) as { manifests: { digest: string; mediaType: string; platform: { architecture: string } }[] };
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    expect(fixture.platforms.map((p) => p.architecture)).toEqual(['amd64', 'arm64']);
    expect(fixture.manifests).toHaveLength(3);
    const childType = name === 'oci-index' ? MediaTypes.ociManifest : MediaTypes.dockerManifest;
    for (const child of index.manifests) expect(child.mediaType).toBe(childType);
  });

  it('artifact-referrer points at oci-single and has a referrers fallback index', () => {
    const artifact = fixtures['artifact-referrer'];
    const subject = fixtures['oci-single'];
    const manifest = json(artifact, artifact.manifestDigest) as { artifactType: string; subject: { digest: string }; config: { mediaType: string; size: number } };
    expect(manifest.artifactType).toBe(SIGNATURE_ARTIFACT_TYPE);
    expect(manifest.subject.digest).toBe(subject.manifestDigest);
    expect(manifest.config).toMatchObject({ mediaType: MediaTypes.ociEmpty, size: 2 });
    expect(artifact.repository).toBe(subject.repository);
    expect(artifact.referrersTag).toBe(`sha256-${subject.manifestDigest.slice(7)}`);
    const referrers = json(artifact, artifact.referrersIndexDigest ?? '') as { manifests: { digest: string; artifactType: string }[] };
    expect(referrers.manifests).toEqual([expect.objectContaining({ digest: artifact.manifestDigest, artifactType: SIGNATURE_ARTIFACT_TYPE })]);
  });

  it('empty-layer holds a gzip of an empty tar and a zero-length blob', () => {
    const fixture = fixtures['empty-layer'];
    const config = json(fixture, fixture.blobs[0]?.digest ?? '') as { rootfs: { diff_ids: string[] } };
    // sha256 of 1024 zero bytes: the end-of-archive marker of an empty tar.
    expect(config.rootfs.diff_ids[0]).toBe('sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
    expect(fixture.blobs).toContainEqual({ digest: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size: 0 });
  });

  it('big-layers has incompressible layers of the requested size', () => {
    const layers = fixtures['big-layers'].blobs.filter((b) => b.size > OPTIONS.bigLayerBytes);
    expect(layers).toHaveLength(3);
    for (const layer of layers) expect(layer.size).toBeLessThan(OPTIONS.bigLayerBytes * 1.01 + 4096);
  });
});

describe('seeded into a registry', () => {
  let registry: RunningRegistry;
  let layoutRoot: string;
  beforeAll(async () => {
    registry = await startRegistry({ mode: 'anonymous' });
    layoutRoot = await mkdtemp(join(tmpdir(), 'ferry-layout-test-'));
    trackDir(layoutRoot);
    await seedFixtures(registry, Object.values(fixtures));
  });
  afterAll(async () => {
    await registry.stop();
    removeDir(layoutRoot);
  });

  it('skopeo sees every tag at the computed digest, and every child manifest by digest', async () => {
    for (const fixture of Object.values(fixtures)) {
      for (const push of fixture.pushes) {
        expect(await skopeoInspectRawDigest(dockerRef(registry, fixture.repository, push.tag), registry)).toBe(push.descriptor.digest);
      }
      for (const manifest of fixture.manifests.slice(1)) {
        expect(await skopeoInspectRawDigest(dockerRef(registry, fixture.repository, manifest.digest), registry)).toBe(manifest.digest);
      }
    }
  });

  it('every blob exists with its size', async () => {
    for (const fixture of Object.values(fixtures)) {
      for (const blob of fixture.blobs) {
        const head = await fetch(`${registry.url}/v2/${fixture.repository}/blobs/${blob.digest}`, { method: 'HEAD' });
        expect(head.status, `${fixture.name} ${blob.digest}`).toBe(200);
        expect(head.headers.get('content-length')).toBe(String(blob.size));
      }
    }
  });

  it('the referrers fallback tag serves the index with artifactType intact', async () => {
    const artifact = fixtures['artifact-referrer'];
    const raw = await skopeoInspectRaw(dockerRef(registry, artifact.repository, artifact.referrersTag ?? ''), registry);
    expect(sha256Digest(raw)).toBe(artifact.referrersIndexDigest);
    expect(raw.toString('utf8')).toContain(`"artifactType":"${SIGNATURE_ARTIFACT_TYPE}"`);
  });

  it('writeFixtureLayout writes an OCI layout skopeo reads back at the same digest', async () => {
    const fixture = fixtures['oci-index'];
    const dir = join(layoutRoot, 'oci-index');
    await writeFixtureLayout(fixture, dir);
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect((await readdir(join(dir, 'blobs', 'sha256'))).sort()).toEqual(fixture.content.map((c) => c.digest.slice(7)).sort());
    const raw = await runSkopeo(['inspect', '--raw', `oci:${dir}:v1`]);
    expect(sha256Digest(raw)).toBe(fixture.manifestDigest);
  });
});

describe('image set', () => {
  it('builds distinct images over one shared base layer and seeds them in parallel', async () => {
    const set = await makeImageSet(20, 16 * 1024);
    expect(set.images).toHaveLength(20);
    expect(new Set(set.images.map((i) => i.manifestDigest)).size).toBe(20);
    for (const image of set.images) expect(image.blobs).toContainEqual(set.baseLayer);
    const again = await makeImageSet(20, 16 * 1024);
    expect(again.images.map((i) => i.manifestDigest)).toEqual(set.images.map((i) => i.manifestDigest));

    const registry = await startRegistry({ mode: 'anonymous' });
    try {
      await seedImageSet(registry, set, { concurrency: 3 });
      const last = set.images[19];
      expect(last?.repository).toBe('set/image-19');
      expect(await skopeoInspectRawDigest(dockerRef(registry, last?.repository ?? '', 'v1'), registry)).toBe(last?.manifestDigest);
    } finally {
      await registry.stop();
    }
  });
});
