import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { parseReference } from '../../src-main/oci/reference.ts';
import { Registries } from '../../src-main/oci/registry/registries.ts';
import { blobExists } from '../../src-main/oci/registry/uploads.ts';
import { copyImages, type CopyEvent } from '../../src-main/transfer/copy.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';

const FAST_RETRY = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 1_000 };

let source: RunningRegistry;
let target: RunningRegistry;
let proxy: FaultProxy;
let fixtures: Record<FixtureName, FixtureImage>;

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['docker-schema2'], fixtures['big-layers']]);
  proxy = teardown.add(await startFaultProxy({ upstream: target.url }), (started) => started.stop());
});

afterAll(() => teardown.run());

const ref = (registry: RunningRegistry | FaultProxy, repository: string, tag: string) => parseReference(`${registry.host}/${repository}:${tag}`);

it('one image failing does not stop the others, crash the process or leave transfers running', async () => {
  const from = registriesFor(source);
  const to = new Registries({ plainHttp: true, tls: { verify: true, caCertFiles: [], certDirs: [] }, authFile: emptyAuthFile, retry: FAST_RETRY });
  // Every upload into the "broken" repository fails with 500, past the retry limit.
  proxy.addFault({ method: 'POST', path: /^\/v2\/broken\/.*\/blobs\/uploads\//, times: 1000, fault: { kind: 'status', status: 500 } });
  const events: CopyEvent[] = [];
  const summary = await copyImages(
    [
      { source: ref(source, fixtures['oci-single'].repository, 'v1'), destination: ref(proxy, 'ok/single', 'v1') },
      { source: ref(source, fixtures['big-layers'].repository, 'v1'), destination: ref(proxy, 'broken/big', 'v1') },
      { source: ref(source, fixtures['docker-schema2'].repository, 'v1'), destination: ref(proxy, 'ok/schema2', 'v1') },
    ],
    from,
    to,
    { platforms: ALL_PLATFORMS, onEvent: (event) => events.push(event) },
  );
  proxy.clearFaults();
  expect(summary.images.map((i) => i.destination).sort()).toEqual([`${proxy.host}/ok/schema2:v1`, `${proxy.host}/ok/single:v1`]);
  expect(summary.failed).toHaveLength(1);
  expect(summary.failed[0]).toMatchObject({ destination: `${proxy.host}/broken/big:v1`, error: { code: 'REGISTRY_ERROR' } });
  expect(summary.failed[0]?.error.message).toContain('500');
  expect(events.some((e) => e.type === 'blob' && e.progress.state === 'failed')).toBe(true);
  // Nothing still runs after the summary: the request log stays still.
  const seen = proxy.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(proxy.requests.length).toBe(seen);
  expect(await skopeoInspectRawDigest(`docker://${target.host}/ok/single:v1`, target)).toBe(fixtures['oci-single'].manifestDigest);
  await Promise.all([from.close(), to.close()]);
});

it('a corrupted blob in the source registry is a DIGEST_MISMATCH and never lands in the destination', async () => {
  const fixture = fixtures['docker-schema2'];
  const layer = fixture.blobs[1];
  if (!layer) throw new Error('no layer');
  const hex = layer.digest.slice('sha256:'.length);
  const file = join(source.storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  const original = await readFile(file);
  const corrupted = Buffer.from(original);
  corrupted[corrupted.length >> 1] = (corrupted[corrupted.length >> 1] ?? 0) ^ 0xff;
  await writeFile(file, corrupted);
  const from = registriesFor(source);
  const to = registriesFor(target);
  try {
    const summary = await copyImages([{ source: ref(source, fixture.repository, 'v1'), destination: ref(target, 'corrupt/schema2', 'v1') }], from, to, { platforms: ALL_PLATFORMS });
    expect(summary.images).toEqual([]);
    expect(summary.failed[0]?.error).toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(summary.failed[0]?.error.message).toContain(layer.digest);
    expect(await blobExists(await to.client(target.host), 'corrupt/schema2', layer.digest)).toBe(false);
  } finally {
    await writeFile(file, original);
    await Promise.all([from.close(), to.close()]);
  }
});

it('credentials given for one host are never used for another', async () => {
  const basic = await startRegistry({ mode: 'tls-basic' });
  try {
    await seedFixtures(basic, [fixtures['oci-single']]);
    const elsewhere = registriesFor(basic, { creds: { username: basic.username ?? '', password: basic.password ?? '', host: 'some-other-host:5000' } });
    await expect(
      elsewhere.client(basic.host).then(async (client) => {
        const { getManifest } = await import('../../src-main/oci/registry/manifests.ts');
        return getManifest(client, fixtures['oci-single'].repository, 'v1');
      }),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await elsewhere.close();
  } finally {
    await basic.stop();
  }
});
