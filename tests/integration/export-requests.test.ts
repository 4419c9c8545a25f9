/**
 * The requests an export makes, counted at a proxy in front of a real
 * Distribution registry (which has no referrers API and no cosign tags for
 * these images): one manifest GET per tag and per platform manifest, one GET
 * per unique blob and no HEADs, each repository's tags listed once instead of
 * probing every cosign tag, and the referrers API asked once for the whole
 * registry. Every extra request per image is latency and registry CPU.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { makeBenchSet, seedImageSet, type ImageSet } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const teardown = new Teardown();
let registry: RunningRegistry;
let proxy: FaultProxy;
let set: ImageSet;
let work: string;

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  // The bench set's shape (shared bases, OCI indexes) with small layers.
  set = await makeBenchSet({ repositoryPrefix: 'requests', layerBytes: 4096 });
  await seedImageSet(registry, set);
  proxy = teardown.add(await startFaultProxy({ upstream: { url: registry.url, storageDir: registry.storageDir } }), (started) => started.stop());
  work = await mkdtemp(join(tmpdir(), 'ferry-export-requests-'));
}, 300_000);

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('export requests', () => {
  it('asks for each manifest and blob once, lists tags once per repository and the referrers API once per registry', async () => {
    const references = set.images.map((image) => `${proxy.host}/${image.repository}:${image.tag}`);
    const result = await runFerry('export', '--to', join(work, 'bundle'), ...references, '--plain-http', '--authfile', emptyAuthFile, '--catalog', join(work, 'catalog.sqlite'));
    expect(result.code, result.stderr).toBe(0);
    const requests = proxy.requests.map((request) => `${request.method} ${request.path.replace(/\?.*$/, '')}`);
    const count = (pattern: RegExp): number => requests.filter((request) => pattern.test(request)).length;
    // Every manifest below a tag's own: the platform manifests of the indexes.
    const platformManifests = set.images.reduce((sum, image) => sum + image.manifests.length - 1, 0);
    const uniqueBlobs = new Set(set.images.flatMap((image) => image.blobs.map((blob) => blob.digest))).size;

    expect(count(/^HEAD /)).toBe(0);
    expect(count(/^GET \/v2\/.*\/manifests\/v1$/)).toBe(set.images.length);
    expect(count(/^GET \/v2\/.*\/manifests\/sha256:/)).toBe(platformManifests);
    expect(count(/^GET \/v2\/.*\/blobs\//)).toBe(uniqueBlobs);
    // Cosign tags and the fallback tag are read only when the tag list holds them (it holds none here).
    expect(count(/^GET \/v2\/.*\/manifests\/sha256-/)).toBe(0);
    expect(count(/^GET \/v2\/.*\/tags\/list$/)).toBe(set.images.length);
    expect(count(/^GET \/v2\/.*\/referrers\//)).toBe(1);
  }, 300_000);
});
