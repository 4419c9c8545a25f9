/**
 * Proves the containerd harness: a private daemon starts as root with its own
 * socket and root folder, ctr reaches it, a fetch by digest lands every blob
 * of the image in its content store, and a host that does not answer fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CtrError, startContainerd } from '../harness/containerd.ts';
import type { RunningContainerd } from '../harness/containerd.ts';
import { buildFixtures, seedFixture } from '../harness/fixtures.ts';
import type { FixtureImage } from '../harness/fixtures.ts';
import { freePort, startRegistry } from '../harness/registry.ts';
import type { RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

const teardown = new Teardown();
let containerd: RunningContainerd;
let registry: RunningRegistry;
let image: FixtureImage;

beforeAll(async () => {
  image = (await buildFixtures({ bigLayerCount: 0 }))['oci-single'];
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (r) => r.stop());
  await seedFixture(registry, image);
  containerd = teardown.add(await startContainerd(), (c) => c.stop());
}, 120_000);
afterAll(() => teardown.run());

describe('containerd harness', () => {
  it('runs a private daemon whose socket lives in its own folder', async () => {
    expect(containerd.address.startsWith(containerd.dir)).toBe(true);
    expect(await containerd.ctr(['version'])).toMatch(/Server:/);
    expect(await containerd.listContent()).toEqual([]);
  });

  it('fetches an image by digest into its content store', async () => {
    await containerd.fetch(`${registry.host}/${image.repository}@${image.manifestDigest}`, { plainHttp: true });
    const content = await containerd.listContent();
    for (const digest of [image.manifestDigest, ...image.blobs.map((b) => b.digest)]) expect(content).toContain(digest);
  });

  it("fails with ctr's message when the registry does not answer", async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const error = await containerd.fetch(`${closed}/${image.repository}@${image.manifestDigest}`, { plainHttp: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CtrError);
    expect((error as CtrError).stderr).toMatch(/connection refused|failed to resolve/);
  });
});
