import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBlob, readBlobToBuffer } from '../../src-main/oci/registry/blobs.ts';
import type { RegistryClient } from '../../src-main/oci/registry/client.ts';
import { getManifest, putManifest } from '../../src-main/oci/registry/manifests.ts';
import { listTags, PAGE_BYTES_LIMIT } from '../../src-main/oci/registry/tags.ts';
import { mountBlob } from '../../src-main/oci/registry/uploads.ts';
import { Registries } from '../../src-main/oci/registry/registries.ts';
import { blobExists, uploadBlob } from '../../src-main/oci/registry/uploads.ts';
import { MANIFEST_SIZE_LIMIT } from '../../src-main/oci/registry/manifests.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { httpDateAfter, startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

/** Fast retries so the suite stays quick; the policy shape is what is under test, not the default delays. */
const FAST_RETRY = { attempts: 5, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 5_000 };

let registry: RunningRegistry;
let proxy: FaultProxy;
let registries: Registries;
let client: RegistryClient;
let fixtures: Record<FixtureName, FixtureImage>;
let bigLayer: { digest: string; size: number };

const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(registry, [fixtures['oci-single'], fixtures['big-layers']]);
  proxy = teardown.add(await startFaultProxy({ upstream: { url: registry.url, storageDir: registry.storageDir } }), (started) => started.stop());
  registries = teardown.add(new Registries({ plainHttp: true, tls: { verify: true, caCertFiles: [], certDirs: [] }, authFile: emptyAuthFile, retry: FAST_RETRY }), (opened) => opened.close());
  client = await registries.client(proxy.host);
  const layer = fixtures['big-layers'].blobs.find((b) => b.size > 1024 * 1024);
  if (!layer) throw new Error('big-layers fixture has no big layer');
  bigLayer = layer;
});

afterAll(() => teardown.run());

function requestsTo(path: RegExp, method = 'GET') {
  return proxy.requests.filter((r) => r.method === method && path.test(r.path));
}

describe('retries', () => {
  it('429 with Retry-After in seconds: waits that long, then succeeds', async () => {
    const fixture = fixtures['oci-single'];
    const path = new RegExp(`/manifests/${fixture.tag}$`);
    const before = requestsTo(path).length;
    proxy.addFault({ method: 'GET', path, times: 1, fault: { kind: 'status', status: 429, retryAfter: '1' } });
    const started = Date.now();
    expect((await getManifest(client, fixture.repository, fixture.tag)).digest).toBe(fixture.manifestDigest);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(requestsTo(path).length - before).toBe(2);
  });

  it('429 with Retry-After as an HTTP-date: waits until then', async () => {
    const fixture = fixtures['oci-single'];
    const path = new RegExp(`/manifests/${fixture.manifestDigest}$`);
    proxy.addFault({ method: 'GET', path, times: 1, fault: { kind: 'status', status: 429, retryAfter: httpDateAfter(2) } });
    const started = Date.now();
    expect((await getManifest(client, fixture.repository, fixture.manifestDigest)).digest).toBe(fixture.manifestDigest);
    // HTTP-dates have one-second resolution, so "2 s from now" is between 1 and 2 s away.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(proxy.pendingFaults()).toBe(0);
  });

  it('500 and 503 are retried with backoff', async () => {
    const layer = fixtures['oci-single'].blobs[1];
    if (!layer) throw new Error('no layer');
    const path = new RegExp(`/blobs/${layer.digest}$`);
    const before = requestsTo(path).length;
    proxy.addFault({ method: 'GET', path, times: 1, fault: { kind: 'status', status: 500 } });
    proxy.addFault({ method: 'GET', path, times: 1, fault: { kind: 'status', status: 503 } });
    expect(sha256Digest(await readBlobToBuffer(client, fixtures['oci-single'].repository, layer))).toBe(layer.digest);
    expect(requestsTo(path).length - before).toBe(3);
  });

  it('gives up after the attempt limit with the registry error code and the status', async () => {
    const fixture = fixtures['oci-single'];
    const path = new RegExp(`/manifests/${fixture.tag}$`);
    const before = requestsTo(path).length;
    proxy.addFault({ method: 'GET', path, times: 10, fault: { kind: 'status', status: 503 } });
    await expect(getManifest(client, fixture.repository, fixture.tag)).rejects.toMatchObject({ code: 'REGISTRY_ERROR', status: 503, message: expect.stringContaining('UNAVAILABLE') });
    expect(requestsTo(path).length - before).toBe(FAST_RETRY.attempts);
    proxy.clearFaults();
  });

  it('404 is reported at once, with no retry', async () => {
    const path = /\/manifests\/absent$/;
    await expect(getManifest(client, 'fixtures/oci-single', 'absent')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(requestsTo(path)).toHaveLength(1);
  });
});

describe('blob downloads', () => {
  it('resumes with Range after the connection is reset mid-body', async () => {
    const path = new RegExp(`/blobs/${bigLayer.digest}$`);
    const before = requestsTo(path).length;
    proxy.addFault({ method: 'GET', path, times: 1, fault: { kind: 'reset-mid-body', afterBytes: 1024 * 1024 } });
    const resumes: number[] = [];
    const chunks: Buffer[] = [];
    for await (const chunk of readBlob(client, fixtures['big-layers'].repository, bigLayer, { onResume: (offset) => resumes.push(offset) })) chunks.push(chunk);
    expect(sha256Digest(Buffer.concat(chunks))).toBe(bigLayer.digest);
    expect(resumes).toHaveLength(1);
    expect(resumes[0]).toBeGreaterThan(0);
    const seen = requestsTo(path).slice(before);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.headers.range).toBe(`bytes=${resumes[0]}-`);
  });

  it('falls back correctly when the server ignores Range and sends the whole blob again', async () => {
    const path = new RegExp(`/blobs/${bigLayer.digest}$`);
    proxy.addFault({ method: 'GET', path, times: 1, fault: { kind: 'reset-mid-body', afterBytes: 700_000 } });
    proxy.addFault({ method: 'GET', path, times: 1, fault: { kind: 'ignore-range' } });
    const bytes = await readBlobToBuffer(client, fixtures['big-layers'].repository, bigLayer);
    expect(bytes.length).toBe(bigLayer.size);
    expect(sha256Digest(bytes)).toBe(bigLayer.digest);
    expect(proxy.pendingFaults()).toBe(0);
  });

  it('completes a slow body', async () => {
    const config = fixtures['oci-single'].blobs[0];
    if (!config) throw new Error('no config');
    proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${config.digest}$`), times: 1, fault: { kind: 'slow-body', bytesPerSecond: Math.max(1000, config.size * 2) } });
    expect(sha256Digest(await readBlobToBuffer(client, fixtures['oci-single'].repository, config))).toBe(config.digest);
    expect(proxy.pendingFaults()).toBe(0);
  });
});

describe('redirects', () => {
  it('follows a 307 to another host for a blob and sends it no Authorization', async () => {
    const basic = await startRegistry({ mode: 'tls-basic' });
    const authProxy = await startFaultProxy({ upstream: { url: basic.url, caPem: basic.caPem, storageDir: basic.storageDir } });
    try {
      await seedFixtures(basic, [fixtures['oci-single']]);
      const authed = new Registries({
        plainHttp: true,
        tls: { verify: true, caCertFiles: [], certDirs: [] },
        authFile: emptyAuthFile,
        creds: { username: basic.username ?? '', password: basic.password ?? '', host: authProxy.host },
      });
      const authedClient = await authed.client(authProxy.host);
      const layer = fixtures['oci-single'].blobs[1];
      if (!layer) throw new Error('no layer');
      authProxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), times: 1, fault: { kind: 'redirect', to: 'second-host' } });
      expect(sha256Digest(await readBlobToBuffer(authedClient, fixtures['oci-single'].repository, layer))).toBe(layer.digest);
      const redirected = authProxy.requests.find((r) => r.fault === 'redirect');
      expect(redirected?.headers.authorization).toMatch(/^Basic /);
      expect(authProxy.redirectHost.requests).toHaveLength(1);
      expect(authProxy.redirectHost.requests[0]?.headers.authorization).toBeUndefined();
      await authed.close();
    } finally {
      await authProxy.stop();
      await basic.stop();
    }
  });
});

describe('uploads', () => {
  const content = Buffer.alloc(3 * 1024 * 1024, 9);
  const blob = { digest: sha256Digest(content), size: content.length };
  const source = async function* (offset: number) {
    for (let i = offset; i < content.length; i += 256 * 1024) yield content.subarray(i, Math.min(content.length, i + 256 * 1024));
  };

  it('a 503 on the streaming PUT asks the registry for the session state and sends again', async () => {
    proxy.addFault({ method: 'PUT', path: /\/blobs\/uploads\//, times: 1, fault: { kind: 'status', status: 503 } });
    await uploadBlob(client, 'faults/put', blob, source);
    expect(await blobExists(client, 'faults/put', blob.digest)).toBe(true);
    expect(requestsTo(/\/v2\/faults\/put\/blobs\/uploads\//, 'GET').length).toBeGreaterThanOrEqual(1);
  });

  it('a failed chunk continues from the offset the registry reports', async () => {
    const path = /\/v2\/faults\/chunked\/blobs\/uploads\//;
    let armed = false;
    // The second chunk is read only after the first PATCH completed: fail the PATCH that carries it.
    const armingSource = async function* (offset: number) {
      for await (const chunk of source(offset)) {
        if (!armed && offset === 0) {
          armed = true;
        } else if (armed && proxy.pendingFaults() === 0 && requestsTo(path, 'PATCH').length === 1) {
          proxy.addFault({ method: 'PATCH', path, times: 1, fault: { kind: 'status', status: 500 } });
        }
        yield chunk;
      }
    };
    await uploadBlob(client, 'faults/chunked', blob, armingSource, { chunkSize: 1024 * 1024 });
    expect(await blobExists(client, 'faults/chunked', blob.digest)).toBe(true);
    const patches = requestsTo(path, 'PATCH');
    expect(patches.map((r) => r.fault)).toEqual([null, 'status', null, null]);
    expect(patches.map((r) => r.headers['content-range'])).toEqual(['0-1048575', '1048576-2097151', '1048576-2097151', '2097152-3145727']);
  });
});

describe('tags and manifest limits', () => {
  it('follows Link pagination of a tag list to the end', async () => {
    const fixture = fixtures['oci-single'];
    const manifest = await getManifest(client, fixture.repository, fixture.tag);
    for (const blob of fixture.blobs) await mountBlob(client, 'faults/paged', blob.digest, fixture.repository);
    const tags = ['t1', 't2', 't3', 't4', 't5'];
    for (const tag of tags) await putManifest(client, 'faults/paged', tag, manifest.bytes, manifest.mediaType);
    proxy.addFault({ method: 'GET', path: /\/v2\/faults\/paged\/tags\/list/, times: 10, fault: { kind: 'paginate-tags', pageSize: 2 } });
    const before = requestsTo(/\/tags\/list/).length;
    expect(await listTags(client, 'faults/paged')).toEqual(tags);
    const pages = requestsTo(/\/tags\/list/).slice(before);
    expect(pages.map((r) => r.path)).toEqual(['/v2/faults/paged/tags/list?n=1000', '/v2/faults/paged/tags/list?n=2&last=t2', '/v2/faults/paged/tags/list?n=2&last=t4']);
    proxy.clearFaults();
  });

  it('refuses a tag list page over its cap as a registry error, not as a manifest', async () => {
    proxy.addFault({ method: 'GET', path: /\/v2\/faults\/paged\/tags\/list/, times: 1, fault: { kind: 'oversize-body', bytes: PAGE_BYTES_LIMIT + 1 } });
    await expect(listTags(client, 'faults/paged')).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringContaining('tags of') });
    expect(proxy.pendingFaults()).toBe(0);
  });

  it('refuses a manifest body over 4 MiB while reading it (Distribution itself caps PUTs at 4 MiB, so the proxy pads one)', async () => {
    const fixture = fixtures['oci-single'];
    proxy.addFault({ method: 'GET', path: new RegExp(`/manifests/${fixture.tag}$`), times: 1, fault: { kind: 'oversize-body', bytes: MANIFEST_SIZE_LIMIT + 1 } });
    await expect(getManifest(client, fixture.repository, fixture.tag)).rejects.toMatchObject({ code: 'MANIFEST_TOO_LARGE', message: expect.stringContaining(`${fixture.repository}:${fixture.tag}`) });
    expect(proxy.pendingFaults()).toBe(0);
  });
});
