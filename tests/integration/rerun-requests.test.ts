/**
 * A rerun spends no pull quota on what Ferry already holds. Docker Hub counts
 * manifest GETs (not HEADs) against its pull limit, so an export resumed in
 * its folder, an export into a folder that already holds its bundle, and a
 * copy whose images are already at the destination must not GET a manifest
 * from the source for digest-pinned content they hold: a tag is resolved by
 * HEAD, and the bytes come from the bundle or the destination, digest-checked.
 * Counted at a proxy in front of a real Distribution registry.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { makeBenchSet, seedImageSet, type ImageSet } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const teardown = new Teardown();
let source: RunningRegistry;
let target: RunningRegistry;
let proxy: FaultProxy;
let set: ImageSet;
let work: string;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry({ mode: 'anonymous' }), startRegistry({ mode: 'anonymous' })]);
  teardown.add(source, (started) => started.stop());
  teardown.add(target, (started) => started.stop());
  // The bench set's shape (shared bases, OCI indexes) with small layers.
  set = await makeBenchSet({ repositoryPrefix: 'rerun', layerBytes: 4096 });
  await seedImageSet(source, set);
  proxy = teardown.add(await startFaultProxy({ upstream: { url: source.url, storageDir: source.storageDir } }), (started) => started.stop());
  work = await mkdtemp(join(tmpdir(), 'ferry-rerun-requests-'));
}, 300_000);

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Half the set pinned by digest, half by tag, as an image list mixes them. */
function references(): string[] {
  return set.images.map((image, i) => (i % 2 === 0 ? `${proxy.host}/${image.repository}@${image.manifestDigest}` : `${proxy.host}/${image.repository}:${image.tag}`));
}

/** Manifest GETs and HEADs the source saw since `from` (an index into the proxy's record). */
function manifestRequests(from: number): { gets: number; heads: number } {
  const seen = proxy.requests.slice(from).filter((request) => /\/manifests\//.test(request.path));
  return { gets: seen.filter((request) => request.method === 'GET').length, heads: seen.filter((request) => request.method === 'HEAD').length };
}

const access = ['--plain-http', '--authfile', emptyAuthFile];

describe('export rerun', () => {
  it('an export into a folder that already holds its bundle GETs no manifest from the source', async () => {
    const bundle = join(work, 'bundle');
    const first = proxy.requests.length;
    const result = await runFerry('export', '--to', bundle, ...references(), ...access);
    expect(result.code, result.stderr).toBe(0);
    expect(manifestRequests(first).gets).toBeGreaterThan(0);
    const rerun = proxy.requests.length;
    const again = await runFerry('export', '--to', bundle, ...references(), ...access, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { alreadyComplete: boolean }).alreadyComplete).toBe(true);
    const counted = manifestRequests(rerun);
    expect(counted.gets).toBe(0);
    // Only the tags are asked about, by HEAD, to learn what they point at now.
    expect(counted.heads).toBe(Math.floor(set.images.length / 2));
  }, 120_000);

  it('an export resumed after a failure GETs no manifest it already wrote', async () => {
    const bundle = join(work, 'resumed');
    const layer = set.images[1]?.blobs.at(-1);
    if (!layer) throw new Error('no layer');
    // A refusal no retry rides out, on one layer: the export stops with every manifest already in its folder.
    proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), times: 1, fault: { kind: 'status', status: 400 } });
    const failed = await runFerry('export', '--to', bundle, ...references(), ...access);
    expect(failed.code).toBe(1);
    expect(proxy.pendingFaults()).toBe(0);
    const rerun = proxy.requests.length;
    const resumed = await runFerry('export', '--to', bundle, ...references(), ...access);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(manifestRequests(rerun).gets).toBe(0);
    const verified = await runFerry('verify', bundle);
    expect(verified.code, verified.stderr).toBe(0);
  }, 120_000);
});

describe('copy rerun', () => {
  it('a copy whose images are already at the destination GETs no manifest from the source', async () => {
    const list = join(work, 'images.txt');
    await writeFile(list, `${references().join('\n')}\n`);
    const first = await runFerry('copy', '--images', list, '--to', `${target.host}/mirror`, ...access);
    expect(first.code, first.stderr).toBe(0);
    const rerun = proxy.requests.length;
    const again = await runFerry('copy', '--images', list, '--to', `${target.host}/mirror`, ...access);
    expect(again.code, again.stderr).toBe(0);
    expect(manifestRequests(rerun).gets).toBe(0);
    for (const image of set.images) {
      expect(await skopeoInspectRawDigest(`docker://${target.host}/mirror/${image.repository}@${image.manifestDigest}`, target)).toBe(image.manifestDigest);
    }
  }, 120_000);
});
