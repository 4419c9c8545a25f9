import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFerry as ferry } from '../harness/test-helpers.ts';
import { copyImages } from '../../src-main/transfer/copy.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { parseReference } from '../../src-main/oci/reference.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, makeImageSet, seedFixtures, seedImageSet, type FixtureImage, type FixtureName, type ImageSet } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { countRequests } from '../bench/registry-requests.ts';

let source: RunningRegistry;
let target: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let imageSet: ImageSet;
let workDir: string;

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  imageSet = await makeImageSet(20, 256 * 1024);
  await Promise.all([seedFixtures(source, Object.values(fixtures)), seedImageSet(source, imageSet)]);
  workDir = await mkdtemp(join(tmpdir(), 'ferry-copy-test-'));
});

afterAll(() => teardown.run());

describe('ferry copy --images', () => {
  it('copies a 20-image set into a prefix with byte-identical manifests, blobs deduplicated across images', async () => {
    const list = join(workDir, 'set.txt');
    await writeFile(list, ['# the benchmark set', ...imageSet.images.map((i) => `${source.host}/${i.repository}:${i.tag}`), ''].join('\n'));
    const logBefore = target.readLog().length;
    const result = await ferry('copy', '--images', list, '--to', `${target.host}/mirror`, '--plain-http', '--authfile', emptyAuthFile, '--json');
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { images: Array<{ destination: string; digest: string }>; blobs: { copied: number; mounted: number; skipped: number } };
    expect(summary.images).toHaveLength(20);
    // 20 own layers + 20 configs + 1 shared base: the base moves once and is mounted into the other 19 repositories.
    expect(summary.blobs.copied).toBe(41);
    expect(summary.blobs.mounted).toBe(19);
    // Only the 21 layers (256 KiB) are asked about before their upload; the 20 configs (under 64 KiB) go up at once.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(countRequests(target.readLog().slice(logBefore)).byKind.get('HEAD blob')).toBe(21);
    for (const image of imageSet.images) {
      const digest = await skopeoInspectRawDigest(`docker://${target.host}/mirror/${image.repository}:${image.tag}`, target);
      expect(digest).toBe(image.manifestDigest);
    }
  });

  it('a second run moves nothing: every image is already there', async () => {
    const list = join(workDir, 'set.txt');
    const result = await ferry('copy', '--images', list, '--to', `${target.host}/mirror`, '--plain-http', '--authfile', emptyAuthFile, '--json');
    const summary = JSON.parse(result.stdout) as { blobs: { copied: number; skipped: number }; bytesCopied: number };
    expect(summary.blobs.copied).toBe(0);
    expect(summary.bytesCopied).toBe(0);
    expect(summary.blobs.skipped).toBeGreaterThanOrEqual(41);
  });

  it('reports every bad line of a list at once, with file and line, and writes nothing', async () => {
    const list = join(workDir, 'bad.txt');
    await writeFile(list, `${source.host}/fixtures/oci-single:v1\nUpper/Case\n\n${source.host}/x:-bad\n`);
    const result = await ferry('copy', '--images', list, '--to', target.host, '--plain-http');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${list}:2`);
    expect(result.stderr).toContain(`${list}:4`);
    expect(result.stderr).toContain('2 bad references');
  });

  it('lists every image that cannot be resolved before writing anything to the destination', async () => {
    const proxy: FaultProxy = await startFaultProxy({ upstream: target.url });
    try {
      const list = join(workDir, 'missing.txt');
      await writeFile(list, [`${source.host}/fixtures/oci-single:v1`, `${source.host}/nope/one:v1`, `${source.host}/nope/two:v1`].join('\n'));
      const result = await ferry('copy', '--images', list, '--to', proxy.host, '--plain-http', '--authfile', emptyAuthFile);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('2 images cannot be resolved');
      expect(result.stderr).toContain(`${source.host}/nope/one:v1`);
      expect(result.stderr).toContain(`${source.host}/nope/two:v1`);
      // Planning may read the destination (a rerun takes the manifests it already holds from there), never write to it.
      expect(proxy.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
      expect(proxy.requests.filter((r) => r.method === 'GET' && !/^\/v2\/(|.*\/manifests\/sha256:[0-9a-f]{64})$/.test(r.path))).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});

describe('ferry copy SRC DST', () => {
  const NAMES: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index', 'docker-list', 'artifact-referrer', 'empty-layer', 'big-layers'];
  for (const name of NAMES) {
    it(`${name}: digest preserved, as skopeo sees it`, async () => {
      const fixture = fixtures[name];
      const result = await ferry('copy', `${source.host}/${fixture.repository}:${fixture.tag}`, `${target.host}/single/${name}:${fixture.tag}`, '--plain-http', '--authfile', emptyAuthFile);
      expect(result.stderr).toMatch(/^planned 1 images, [0-9]+ blobs, [0-9.]+ [KMG]?i?B\n$/);
      expect(result.code).toBe(0);
      expect(await skopeoInspectRawDigest(`docker://${target.host}/single/${name}:${fixture.tag}`, target)).toBe(fixture.manifestDigest);
    });
  }

  it('copies by digest when the destination names no tag', async () => {
    const fixture = fixtures['oci-index'];
    const result = await ferry('copy', `${source.host}/${fixture.repository}@${fixture.manifestDigest}`, `${target.host}/bydigest/index`, '--plain-http', '--authfile', emptyAuthFile, '--json');
    expect(result.code).toBe(0);
    expect(await skopeoInspectRawDigest(`docker://${target.host}/bydigest/index@${fixture.manifestDigest}`, target)).toBe(fixture.manifestDigest);
  });

  it('--platform picks one manifest of an index; its digest is the child digest', async () => {
    const fixture = fixtures['oci-index'];
    // fixture.manifests lists the index first, then its children in the order of fixture.platforms.
    const child = fixture.manifests[fixture.platforms.findIndex((p) => p.architecture === 'arm64') + 1];
    if (!child) throw new Error('no arm64 child');
    const result = await ferry(
      'copy',
      `${source.host}/${fixture.repository}:${fixture.tag}`,
      `${target.host}/platform/one:v1`,
      '--platform',
      'linux/arm64',
      '--plain-http',
      '--authfile',
      emptyAuthFile,
    );
    expect(result.code).toBe(0);
    expect(await skopeoInspectRawDigest(`docker://${target.host}/platform/one:v1`, target)).toBe(child.digest);
    const missing = await ferry(
      'copy',
      `${source.host}/${fixture.repository}:${fixture.tag}`,
      `${target.host}/platform/none:v1`,
      '--platform',
      'windows/s390x',
      '--plain-http',
      '--authfile',
      emptyAuthFile,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no manifest for platform windows\/s390x.*linux\/amd64/);
  });

  it('within one registry, blobs are mounted rather than copied', async () => {
    const registries = registriesFor(source);
    const fixture = fixtures['big-layers'];
    const summary = await copyImages(
      [{ source: parseReference(`${source.host}/${fixture.repository}:${fixture.tag}`), destination: parseReference(`${source.host}/mounted/big:v1`) }],
      registries,
      registries,
      { platforms: ALL_PLATFORMS },
    );
    await registries.close();
    expect(summary.failed).toEqual([]);
    expect(summary.blobs.mounted).toBe(fixture.blobs.length);
    expect(summary.bytesCopied).toBe(0);
    expect(await skopeoInspectRawDigest(`docker://${source.host}/mounted/big:v1`, source)).toBe(fixture.manifestDigest);
  });
});

describe('ferry inspect', () => {
  it('--json reports digest, media type, platforms, layers and total size', async () => {
    const fixture = fixtures['oci-index'];
    const result = await ferry('inspect', `${source.host}/${fixture.repository}:${fixture.tag}`, '--plain-http', '--authfile', emptyAuthFile, '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { digest: string; mediaType: string; platforms: string[]; totalSize: number; manifests: Array<{ layers: unknown[] }> };
    expect(report.digest).toBe(fixture.manifestDigest);
    expect(report.mediaType).toBe(fixture.mediaType);
    expect(report.platforms.sort()).toEqual(fixture.platforms.map((p) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`).sort());
    expect(report.totalSize).toBe(fixture.totalSize);
    expect(report.manifests).toHaveLength(2);
  });

  it('--raw prints the exact manifest bytes', async () => {
    const fixture = fixtures['docker-schema2'];
    const result = await ferry('inspect', `${source.host}/${fixture.repository}:${fixture.tag}`, '--raw', '--plain-http', '--authfile', emptyAuthFile);
    expect(result.code).toBe(0);
    expect(sha256Digest(result.stdoutBytes)).toBe(fixture.manifestDigest);
  });

  it('a bad reference exits 2 naming the part that is wrong', async () => {
    const result = await ferry('inspect', 'localhost:5000/Bad/Name');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('must be lowercase');
  });
});
