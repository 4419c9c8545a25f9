/**
 * Browser mode end to end over real HTTP: the real server, the real service
 * (catalog in the test's temp FERRY_CATALOG), a real registry and a real
 * bundle. Every request without the session token is refused; with it, the
 * contract works and errors keep their codes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobOfKind, type BundleSummary, type JobState } from '../../src-shared/api/contract.ts';
import { API_PATH_PREFIX, EVENTS_PATH, methodPath, TOKEN_HEADER, TOKEN_QUERY } from '../../src-shared/api/wire.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, writeFixtureLayout, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

let work: string;
let rendererDir: string;
let service: Service;
let server: BrowserServer;
let origin: string;
let registry: RunningRegistry;
let fixture: FixtureImage;

const teardown = new Teardown();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-server-test-'));
  rendererDir = join(work, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Ferry</title><script type="module" src="/assets/app.js"></script>');
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log("ferry");');
  await writeFile(join(work, 'package.json'), '{"secret": true}');
  const fixtures = await buildFixtures({ bigLayerBytes: 64 * 1024, bigLayerCount: 1 });
  fixture = fixtures['oci-single'];
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  await seedFixtures(registry, [fixture]);
  service = teardown.add(createService({ mode: 'browser', ...(process.env.FERRY_CATALOG ? { catalogPath: process.env.FERRY_CATALOG } : {}) }), (created) => created.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', rendererDir }), (started) => started.close());
  origin = new URL(server.url).origin;
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A raw request, so paths like `/../x` reach the server unnormalised. */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      // Server-sent events never end: read what is there and stop.
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        return;
      }
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const withToken = (extra: Record<string, string> = {}): Record<string, string> => ({ [TOKEN_HEADER]: server.token, ...extra });

async function call(method: string, args: unknown): Promise<{ status: number; body: { ok: boolean; result?: unknown; error?: { code: string; message: string } } }> {
  const res = await fetch(`${origin}${API_PATH_PREFIX}${method}`, { method: 'POST', headers: withToken({ 'Content-Type': 'application/json' }), body: JSON.stringify(args) });
  return { status: res.status, body: (await res.json()) as { ok: boolean; result?: unknown; error?: { code: string; message: string } } };
}

/** Collects server-sent events until `until` returns true for one. */
async function events(until: (name: string, data: unknown) => boolean, timeoutMs = 30_000): Promise<{ seen: Array<{ name: string; data: unknown }>; ready: Promise<void>; done: Promise<void> }> {
  const seen: Array<{ name: string; data: unknown }> = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const res = await fetch(`${origin}${EVENTS_PATH}`, { headers: withToken(), signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  // A fetch body is bytes; Node's types leave its chunks `any`.
  const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (!reader) throw new Error('no body');
  let buffer = '';
  const decoder = new TextDecoder();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) return;
        buffer += decoder.decode(value, { stream: true });
        if (buffer.includes(': connected')) markReady();
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const name = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (name === undefined || data === undefined) continue;
          const parsed = JSON.parse(data) as unknown;
          seen.push({ name, data: parsed });
          if (until(name, parsed)) return;
        }
      }
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  })().catch(() => undefined);
  return { seen, ready, done };
}

describe('browser mode without the token', () => {
  it('refuses the API and the event stream with 401, whatever the page address, a cookie or a malformed token carry', async () => {
    for (const [path, method] of [
      [methodPath('app:info'), 'POST'],
      [EVENTS_PATH, 'GET'],
      [`${API_PATH_PREFIX}no:such`, 'POST'],
      [`${EVENTS_PATH}?${TOKEN_QUERY}=${server.token}`, 'GET'],
      [`${methodPath('app:info')}?${TOKEN_QUERY}=${server.token}`, 'POST'],
    ] as const) {
      const res = await raw(path, { method, headers: method === 'POST' ? { 'Content-Type': 'application/json' } : {} });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body).not.toContain('Ferry</title>');
    }
    // No cookie authorises anything: a cookie is sent to every port of 127.0.0.1, so the token never travels in one.
    expect((await raw(EVENTS_PATH, { headers: { Cookie: `ferry_token=${server.token}; ferry_token_${new URL(origin).port}=${server.token}` } })).status).toBe(401);
    // Malformed tokens are 401, never 500: 64 characters that are not 64 bytes, the wrong length, upper case, spaces.
    for (const bad of ['é'.repeat(64), 'ä'.repeat(32), server.token.slice(1), `${server.token}0`, server.token.toUpperCase(), ` ${server.token.slice(1)}`, '']) {
      const res = await raw(EVENTS_PATH, { headers: { [TOKEN_HEADER]: bad } });
      expect(res.status, JSON.stringify(bad)).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    }
  });

  it('serves the page and its assets without the token and never sets a cookie (they hold no secret; the token stays in the page)', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', `/?${TOKEN_QUERY}=${server.token}`]) {
      const res = await raw(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['set-cookie'], path).toBeUndefined();
    }
    expect((await raw('/../package.json')).status).toBe(403);
  });

  it('listens on 127.0.0.1 only, with a 32-byte hex token in the printed URL', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/\\?${TOKEN_QUERY}=[0-9a-f]{64}$`));
  });
});

describe('the Host allow-list (DNS rebinding)', () => {
  it('answers 403 to a foreign Host before looking at the token, valid token or not', async () => {
    const port = new URL(origin).port;
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, '127.0.0.1', `localhost.evil.example:${port}`, `[::1]:${port}`, `0.0.0.0:${port}`]) {
      for (const [path, method] of [
        [methodPath('app:info'), 'POST'],
        [EVENTS_PATH, 'GET'],
        ['/', 'GET'],
      ] as const) {
        const res = await raw(path, { method, headers: withToken({ Host: host, 'Content-Type': 'application/json' }) });
        expect(res.status, `${method} ${path} Host: ${host}`).toBe(403);
        expect(res.body).not.toContain('browser');
      }
    }
    const malformed = await raw(EVENTS_PATH, { headers: { Host: 'evil.example', [TOKEN_HEADER]: 'é'.repeat(64) } });
    expect(malformed.status).toBe(403);
  });

  it('accepts 127.0.0.1:PORT and localhost:PORT', async () => {
    const port = new URL(origin).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const res = await raw(methodPath('app:info'), { method: 'POST', headers: withToken({ Host: host, 'Content-Type': 'application/json' }), body: '{}' });
      expect(res.status, host).toBe(200);
    }
  });
});

describe('browser mode with the token', () => {
  it('sends the page with CSP (no inline styles) and nosniff', async () => {
    const res = await raw(`/?${TOKEN_QUERY}=${server.token}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Ferry</title>');
    expect(res.headers['content-security-policy']).toBe("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const asset = await raw('/assets/app.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('never serves a file outside the renderer folder', async () => {
    for (const path of ['/../package.json', '/assets/../../package.json', '/%2e%2e/package.json', '/..%2fpackage.json']) {
      const res = await raw(path, { headers: withToken() });
      expect([403, 404], path).toContain(res.status);
      expect(res.body).not.toContain('secret');
    }
  });

  it('answers app:info, 404 for an unknown method, and crosses a FerryError as an envelope with its code', async () => {
    const info = await call('app:info', {});
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ ok: true, result: { mode: 'browser', catalog: process.env.FERRY_CATALOG } });
    const unknown = await call('shell:exec', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const bad = await call('export:plan', { references: ['Not A Reference!!'], target: '' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ ok: false, error: { code: 'INVALID_REFERENCE' } });
    const notJson = await raw(methodPath('app:info'), { method: 'POST', headers: withToken({ 'Content-Type': 'text/plain' }), body: '{}' });
    expect(notJson.status).toBe(415);
    const viaGet = await raw(methodPath('app:info'), { headers: withToken() });
    expect(viaGet.status).toBe(405);
  });

  it('plans an export, listing an unresolvable reference as a problem, without echoing credentials', async () => {
    const good = `${registry.host}/${fixture.repository}:${fixture.tag}`;
    const missing = `${registry.host}/fixtures/does-not-exist:v1`;
    const plan = await call('export:plan', { references: [good, missing], target: '', registry: { plainHttp: true, authFile: emptyAuthFile } });
    expect(plan.body.ok).toBe(true);
    const result = plan.body.result as { images: Array<{ reference: string; digest: string }>; problems: Array<{ reference: string; message: string }>; bytes: number };
    expect(result.images.map((i) => i.digest)).toEqual([fixture.manifestDigest]);
    expect(result.problems.map((p) => p.reference)).toEqual([missing]);
    expect(result.bytes).toBe(fixture.totalSize);
  });

  it('runs an export job, reports job:state over SSE, records it in the catalog, and verifies the bundle', async () => {
    const bundle = join(work, 'bundle');
    const ended = (name: string, data: unknown): boolean => name === 'job:state' && (data as JobState).status !== 'running';
    const stream = await events(ended);
    await stream.ready;
    const started = await call('export:run', {
      references: [`${registry.host}/${fixture.repository}:${fixture.tag}`],
      target: bundle,
      registry: { plainHttp: true, authFile: emptyAuthFile, username: 'u', password: 'hunter2-secret' },
    });
    expect(started.body.ok).toBe(true);
    const { jobId } = started.body.result as { jobId: string };
    await stream.done;
    const states = stream.seen.filter((e) => e.name === 'job:state').map((e) => e.data as JobState);
    expect(states[0]).toMatchObject({ id: jobId, kind: 'export', status: 'running' });
    const last = states.at(-1);
    expect(last, JSON.stringify(last?.error)).toMatchObject({ id: jobId, status: 'succeeded' });
    const exported = last && jobOfKind(last, 'export');
    if (exported?.status === 'succeeded') expect(exported.result).toMatchObject({ bundle, images: 1, alreadyComplete: false });
    else expect.unreachable('the export job did not succeed');
    expect(JSON.stringify(stream.seen)).not.toContain('hunter2-secret');
    const list = await call('job:list', {});
    expect(JSON.stringify(list.body)).not.toContain('hunter2-secret');

    const bundles = await call('catalog:bundles', {});
    const row = (bundles.body.result as BundleSummary[]).find((b) => b.path === bundle);
    expect(row).toMatchObject({ direction: 'export', form: 'directory', images: 1 });
    // A search answers the same full rows as the listing, not ids alone.
    const found = await call('catalog:bundles', { contains: fixture.manifestDigest });
    expect(found.body.result).toEqual([row]);

    const inspection = await call('import:inspect', { bundle, target: '127.0.0.1:5999/mirror' });
    expect(inspection.body).toMatchObject({ ok: true, result: { form: 'directory', images: [{ digest: fixture.manifestDigest, destination: expect.stringContaining('127.0.0.1:5999/mirror/') }] } });

    const verifyStream = await events(ended);
    await verifyStream.ready;
    const verify = await call('bundle:verify', { bundle });
    const verifyId = (verify.body.result as { jobId: string }).jobId;
    await verifyStream.done;
    const verified = verifyStream.seen
      .filter((e) => e.name === 'job:state')
      .map((e) => e.data as JobState)
      .at(-1);
    expect(verified).toMatchObject({ id: verifyId, kind: 'verify', status: 'succeeded', result: { ok: true } });
  });

  it('verifies a plain OCI layout as a job and reports job:state over SSE', async () => {
    const layout = join(work, 'layout');
    await writeFixtureLayout(fixture, layout);
    const stream = await events((name, data) => name === 'job:state' && (data as JobState).status !== 'running');
    await stream.ready;
    const started = await call('bundle:verify', { bundle: layout });
    const { jobId } = started.body.result as { jobId: string };
    await stream.done;
    expect(stream.seen.filter((e) => e.name === 'job:state').map((e) => e.data)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: jobId, status: 'running' }), expect.objectContaining({ id: jobId, status: 'succeeded' })]),
    );
  });

  it('renders the mirror configuration of a bundle', async () => {
    const res = await call('mirror:config', { bundle: join(work, 'bundle'), target: '127.0.0.1:5999/mirror' });
    expect(res.body.ok).toBe(true);
    const files = (res.body.result as { files: Array<{ path: string; text: string }> }).files;
    expect(files.map((f) => f.path)).toContain('registries.conf.d/99-ferry-mirror.conf');
    expect(files.find((f) => f.path.endsWith('.conf'))?.text).toContain('127.0.0.1:5999/mirror');
  });
});
