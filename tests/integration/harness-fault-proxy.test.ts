/**
 * Proves every fault the proxy can inject really happens on the wire, using
 * plain fetch against a real registry behind the proxy.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, httpDateAfter } from '../harness/fault-proxy.ts';
import type { FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixture } from '../harness/fixtures.ts';
import type { FixtureImage } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import type { RunningRegistry } from '../harness/registry.ts';

let registry: RunningRegistry;
let proxy: FaultProxy;
let image: FixtureImage;
let blob: { digest: string; size: number };
let blobPath: string;

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Reads a body chunk by chunk, returning the bytes that arrived and the error that ended it, if any. */
async function readAll(response: Response): Promise<{ bytes: Buffer; error: unknown }> {
  const chunks: Uint8Array[] = [];
  // A fetch body is bytes; Node's types leave its chunks `any`.
  const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (!reader) return { bytes: Buffer.alloc(0), error: null };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    return { bytes: Buffer.concat(chunks), error: null };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

beforeAll(async () => {
  image = (await buildFixtures({ bigLayerBytes: 256 * 1024, bigLayerCount: 1 }))['big-layers'];
  registry = await startRegistry({ mode: 'anonymous' });
  await seedFixture(registry, image);
  const layer = image.blobs.find((b) => b.size > 200 * 1024);
  if (!layer) throw new Error('fixture has no big layer');
  blob = layer;
  blobPath = `/v2/${image.repository}/blobs/${blob.digest}`;
  proxy = await startFaultProxy({ upstream: { url: registry.url, storageDir: registry.storageDir } });
});

afterAll(async () => {
  await proxy.stop();
  await registry.stop();
});

describe('pass-through', () => {
  it('forwards requests and records them', async () => {
    const before = proxy.requests.length;
    const response = await fetch(`${proxy.url}${blobPath}`);
    expect(response.status).toBe(200);
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(blob.digest);
    expect(proxy.requests.slice(before)).toMatchObject([{ method: 'GET', path: blobPath, status: 200, fault: null }]);
  });

  it('rewrites upload Locations so a push stays on the proxy', async () => {
    const start = await fetch(`${proxy.url}/v2/proxy/push/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    const location = start.headers.get('location') ?? '';
    expect(location.startsWith(`${proxy.url}/v2/proxy/push/blobs/uploads/`)).toBe(true);
    const data = Buffer.from('pushed through the fault proxy');
    const put = new URL(location);
    put.searchParams.set('digest', sha256(data));
    const done = await fetch(put, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
    expect(done.status).toBe(201);
    const head = await fetch(`${registry.url}/v2/proxy/push/blobs/${sha256(data)}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(data.length));
  });
});

describe('status faults', () => {
  it('answers 429 with Retry-After in seconds, then passes through once used up', async () => {
    proxy.addFault({ method: 'GET', path: /\/manifests\//, times: 2, fault: { kind: 'status', status: 429, retryAfter: '1' } });
    const url = `${proxy.url}/v2/${image.repository}/manifests/v1`;
    const headers = { accept: image.mediaType };
    const first = await fetch(url, { headers });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(((await first.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('TOOMANYREQUESTS');
    expect((await fetch(url, { headers })).status).toBe(429);
    const third = await fetch(url, { headers });
    expect(third.status).toBe(200);
    expect(third.headers.get('docker-content-digest')).toBe(image.manifestDigest);
    expect(proxy.pendingFaults()).toBe(0);
  });

  it('answers 503 with an HTTP-date Retry-After and 500 without one', async () => {
    const date = httpDateAfter(2);
    expect(Date.parse(date) - Date.now()).toBeGreaterThan(0);
    proxy.addFault({ path: /\/v2\/$/, times: 1, fault: { kind: 'status', status: 503, retryAfter: date } });
    proxy.addFault({ path: /\/v2\/$/, times: 1, fault: { kind: 'status', status: 500 } });
    const a = await fetch(`${proxy.url}/v2/`);
    expect(a.status).toBe(503);
    expect(a.headers.get('retry-after')).toBe(date);
    const b = await fetch(`${proxy.url}/v2/`);
    expect(b.status).toBe(500);
    expect(b.headers.get('retry-after')).toBeNull();
    expect((await fetch(`${proxy.url}/v2/`)).status).toBe(200);
    expect(proxy.requests.slice(-3).map((r) => [r.status, r.fault])).toEqual([
      [503, 'status'],
      [500, 'status'],
      [200, null],
    ]);
  });
});

describe('body faults', () => {
  it('resets the connection after exactly afterBytes of the body', async () => {
    proxy.addFault({ method: 'GET', path: /\/blobs\//, times: 1, fault: { kind: 'reset-mid-body', afterBytes: 1000 } });
    const response = await fetch(`${proxy.url}${blobPath}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(blob.size));
    const { bytes, error } = await readAll(response);
    expect(error).toBeTruthy();
    expect(bytes.length).toBe(1000);
    const again = await fetch(`${proxy.url}${blobPath}`);
    expect(sha256(Buffer.from(await again.arrayBuffer()))).toBe(blob.digest);
  });

  it('paces a slow body at the given rate and still delivers it whole', async () => {
    proxy.addFault({ method: 'GET', path: /\/blobs\//, times: 1, fault: { kind: 'slow-body', bytesPerSecond: 512 * 1024 } });
    const started = Date.now();
    const response = await fetch(`${proxy.url}${blobPath}`);
    const body = Buffer.from(await response.arrayBuffer());
    const elapsed = Date.now() - started;
    expect(sha256(body)).toBe(blob.digest);
    // 256 KiB at 512 KiB/s is 0.5 s; unthrottled loopback takes a few ms.
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('ignore-range strips Range so the registry answers 200 with the full body', async () => {
    const ranged = await fetch(`${proxy.url}${blobPath}`, { headers: { range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(10);
    proxy.addFault({ method: 'GET', path: /\/blobs\//, times: 1, fault: { kind: 'ignore-range' } });
    const full = await fetch(`${proxy.url}${blobPath}`, { headers: { range: 'bytes=10-19' } });
    expect(full.status).toBe(200);
    expect(sha256(Buffer.from(await full.arrayBuffer()))).toBe(blob.digest);
    const record = proxy.requests.at(-1);
    expect(record?.fault).toBe('ignore-range');
    expect(record?.headers.range).toBe('bytes=10-19');
  });
});

describe('redirect fault', () => {
  it('redirects a blob GET to the second host, which records what it received', async () => {
    proxy.addFault({ method: 'GET', path: /\/blobs\//, times: 1, fault: { kind: 'redirect', to: 'second-host' } });
    const manual = await fetch(`${proxy.url}${blobPath}`, { redirect: 'manual', headers: { authorization: 'Bearer secret-token' } });
    expect(manual.status).toBe(307);
    const location = manual.headers.get('location') ?? '';
    expect(location).toBe(`${proxy.redirectHost.url}${blobPath}`);

    // A client that follows it the right way drops Authorization on the cross-origin hop.
    const followed = await fetch(location, { headers: { range: 'bytes=0-99' } });
    expect(followed.status).toBe(206);
    expect(Buffer.from(await followed.arrayBuffer()).length).toBe(100);
    const whole = await fetch(location);
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(blob.digest);
    expect(proxy.redirectHost.requests).toHaveLength(2);
    expect(proxy.redirectHost.requests[0]?.headers.authorization).toBeUndefined();
    expect(proxy.redirectHost.requests[0]?.headers.range).toBe('bytes=0-99');

    // A client that leaks the header is visible in the record too.
    await (await fetch(location, { headers: { authorization: 'Bearer leaked' } })).arrayBuffer();
    expect(proxy.redirectHost.requests.at(-1)?.headers.authorization).toBe('Bearer leaked');
  });

  it('fetch (undici) following the redirect itself does not forward Authorization', async () => {
    proxy.addFault({ method: 'GET', path: /\/blobs\//, times: 1, fault: { kind: 'redirect', to: 'second-host' } });
    const before = proxy.redirectHost.requests.length;
    const response = await fetch(`${proxy.url}${blobPath}`, { headers: { authorization: 'Bearer secret-token' } });
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(blob.digest);
    const hop = proxy.redirectHost.requests[before];
    expect(hop?.status).toBe(200);
    expect(hop?.headers.authorization).toBeUndefined();
  });
});

describe('HTTPS upstream with basic auth', () => {
  it('forwards to a TLS registry using its CA, passing credentials through', async () => {
    const tlsRegistry = await startRegistry({ mode: 'tls-basic' });
    const tlsProxy = await startFaultProxy({ upstream: { url: tlsRegistry.url, caPem: tlsRegistry.caPem ?? '', storageDir: tlsRegistry.storageDir } });
    try {
      const auth = `Basic ${Buffer.from(`${tlsRegistry.username ?? ''}:${tlsRegistry.password ?? ''}`).toString('base64')}`;
      expect((await fetch(`${tlsProxy.url}/v2/`)).status).toBe(401);
      expect((await fetch(`${tlsProxy.url}/v2/`, { headers: { authorization: auth } })).status).toBe(200);
      tlsProxy.addFault({ path: /\/v2\/$/, times: 1, fault: { kind: 'status', status: 503, retryAfter: '0' } });
      expect((await fetch(`${tlsProxy.url}/v2/`, { headers: { authorization: auth } })).status).toBe(503);
    } finally {
      await tlsProxy.stop();
      await tlsRegistry.stop();
    }
  });
});
