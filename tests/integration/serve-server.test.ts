/**
 * `ferry serve`'s HTTP registry (serve/registry-server.ts) over a real store
 * folder (serve/store.ts) and real sockets: every distribution-spec endpoint
 * by raw HTTP (undici), good and bad, plus read-only, Basic auth, TLS, blob
 * streaming with backpressure, bounded bodies and sessions, clients that leave,
 * a disk that fills (a real 2 MiB tmpfs, when run as root), and skopeo pushing
 * and pulling fixture images with their digests unchanged. The one in-process
 * fault (a blob stream failing mid-body) wraps the real store: it is a storage
 * read failing, which tests/harness/fault-proxy.ts (a network proxy) cannot make.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryServer, type RunningRegistryServer } from '../../src-main/serve/registry-server.ts';
import { openStore } from '../../src-main/serve/store.ts';
import type { RegistryReader, RegistryStorage } from '../../src-main/serve/storage.ts';
import { trackDir } from '../harness/cleanup.ts';
import { buildFixtures, seedFixture, type FixtureImage } from '../harness/fixtures.ts';
import { makePki } from '../harness/pki.ts';
import type { RunningRegistry } from '../harness/registry.ts';
import { runSkopeo } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const teardown = new Teardown();
let work: string;
let store: RegistryStorage;
let server: RunningRegistryServer;
const log: string[] = [];

/** The answer to one request, headers as undici gives them. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Error codes of a `{"errors":[…]}` body. */
  codes: string[];
}

/** One raw request to `base` (default: the read-write server). */
async function call(method: string, path: string, init: { body?: Buffer | string | Readable; headers?: Record<string, string>; base?: string; dispatcher?: Agent } = {}): Promise<Answer> {
  const response = await request(new URL(path, init.base ?? server.url), {
    method: method as 'GET',
    headers: init.headers ?? {},
    body: init.body ?? null,
    ...(init.dispatcher ? { dispatcher: init.dispatcher } : {}),
  });
  const body = Buffer.from(await response.body.arrayBuffer());
  let codes: string[] = [];
  if (response.statusCode >= 400 && body.length > 0) {
    const parsed = JSON.parse(body.toString('utf8')) as { errors: Array<{ code: string }> };
    codes = parsed.errors.map((e) => e.code);
  }
  return { status: response.statusCode, headers: response.headers, body, codes };
}

/** The JSON body of a listing or referrers answer. */
function json(answer: Answer): { name?: string; tags?: string[]; repositories?: string[]; manifests?: unknown[] } {
  return JSON.parse(answer.body.toString('utf8')) as { name?: string; tags?: string[]; repositories?: string[]; manifests?: unknown[] };
}

const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const header = (answer: Answer, name: string): string | undefined => {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/** The store seen through some replaced members (bound to the real store, so its private state still works). */
function overlay(target: RegistryStorage, replaced: Partial<Record<keyof RegistryStorage, unknown>>): RegistryReader {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(replaced, property)) return replaced[property as keyof RegistryStorage];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/** Pushes one blob by a single POST and returns its digest. */
async function pushBlob(repository: string, bytes: Buffer, base?: string): Promise<string> {
  const digest = sha256(bytes);
  const answer = await call('POST', `/v2/${repository}/blobs/uploads/?digest=${digest}`, { body: bytes, headers: { 'content-type': 'application/octet-stream' }, ...(base ? { base } : {}) });
  expect(answer.status, answer.body.toString()).toBe(201);
  return digest;
}

/** An OCI image manifest over the given config and layers (blobs already pushed), optionally with a subject. */
function imageManifest(config: Buffer, layers: Buffer[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((layer) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length })),
      ...extra,
    }),
  );
}

/** Pushes a manifest by PUT. */
function putManifest(repository: string, reference: string, bytes: Buffer, mediaType = OCI_MANIFEST, base?: string): Promise<Answer> {
  return call('PUT', `/v2/${repository}/manifests/${reference}`, { body: bytes, headers: { 'content-type': mediaType }, ...(base ? { base } : {}) });
}

/** A small image (config + one layer) pushed as `repository:tag`; returns the manifest bytes. */
async function pushImage(repository: string, tag: string, label: string): Promise<Buffer> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', label }));
  const layer = Buffer.from(`layer of ${label}\n`);
  await pushBlob(repository, config);
  await pushBlob(repository, layer);
  const manifest = imageManifest(config, [layer]);
  const answer = await putManifest(repository, tag, manifest);
  expect(answer.status, answer.body.toString()).toBe(201);
  return manifest;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-serve-server-'));
  trackDir(work);
  store = await openStore(join(work, 'store'));
  server = teardown.add(await startRegistryServer({ reader: store, host: '127.0.0.1', port: 0, onRequest: (line) => log.push(`${line.method} ${line.path} ${line.status}`) }), (s) => s.close());
});

afterAll(() => teardown.run());

describe('ferry serve: base, routing and errors', () => {
  it('answers /v2/ with 200 and the API version header, and an unknown path with a JSON 404', async () => {
    const base = await call('GET', '/v2/');
    expect(base.status).toBe(200);
    expect(header(base, 'docker-distribution-api-version')).toBe('registry/2.0');
    expect((await call('GET', '/v2/some/thing')).status).toBe(404);
    expect((await call('GET', '/v3/')).status).toBe(404);
  });

  it('refuses a name outside the grammar (NAME_INVALID), a bad digest (DIGEST_INVALID) and a wrong method (405 with Allow)', async () => {
    expect((await call('GET', '/v2/Upper/tags/list')).codes).toEqual(['NAME_INVALID']);
    expect((await call('GET', '/v2/a//b/tags/list')).codes).toEqual(['NAME_INVALID']);
    const bad = await call('GET', '/v2/a/blobs/sha256:zzz');
    expect([bad.status, bad.codes]).toEqual([400, ['DIGEST_INVALID']]);
    const wrong = await call('POST', '/v2/a/manifests/latest');
    expect([wrong.status, wrong.codes, header(wrong, 'allow')]).toEqual([405, ['UNSUPPORTED'], 'GET, HEAD, PUT, DELETE']);
  });

  it('logs every answered request with method, path and status (never the query)', async () => {
    await call('GET', '/v2/_catalog?n=1');
    expect(log).toContain('GET /v2/_catalog 200');
  });
});

describe('ferry serve: blob uploads', () => {
  it('takes a chunked upload in order, refuses an out-of-order chunk with 416 and its Range, and commits on PUT', async () => {
    const bytes = Buffer.from('0123456789abcdefghij');
    const started = await call('POST', '/v2/up/chunked/blobs/uploads/');
    expect(started.status).toBe(202);
    expect(header(started, 'range')).toBe('0-0');
    const location = header(started, 'location') ?? '';
    expect(location).toMatch(/^\/v2\/up\/chunked\/blobs\/uploads\/[^/]+$/);
    const first = await call('PATCH', location, { body: bytes.subarray(0, 8), headers: { 'content-range': '0-7', 'content-type': 'application/octet-stream' } });
    expect([first.status, header(first, 'range')]).toEqual([202, '0-7']);
    const wrong = await call('PATCH', header(first, 'location') ?? '', { body: bytes.subarray(2, 6), headers: { 'content-range': '2-5' } });
    expect([wrong.status, wrong.codes, header(wrong, 'range')]).toEqual([416, ['RANGE_INVALID'], '0-7']);
    const tooShort = await call('PATCH', location, { body: bytes.subarray(8, 12), headers: { 'content-range': '8-19' } });
    expect([tooShort.status, tooShort.codes]).toEqual([400, ['SIZE_INVALID']]);
    const status = await call('GET', location);
    expect([status.status, header(status, 'range'), header(status, 'location')]).toEqual([204, '0-7', location]);
    // A chunk streamed without Content-Range is appended at the offset (docker and containerd do this).
    const streamed = await call('PATCH', location, { body: Readable.from([bytes.subarray(8, 12), bytes.subarray(12, 16)]) });
    expect([streamed.status, header(streamed, 'range')]).toEqual([202, '0-15']);
    const digest = sha256(bytes);
    const badDigest = await call('PUT', `${location}?digest=${sha256('other')}`, { body: bytes.subarray(16), headers: { 'content-range': '16-19' } });
    expect([badDigest.status, badDigest.codes]).toEqual([400, ['DIGEST_INVALID']]);
    const done = await call('PUT', `${location}?digest=${digest}`);
    expect([done.status, header(done, 'location'), header(done, 'docker-content-digest')]).toEqual([201, `/v2/up/chunked/blobs/${digest}`, digest]);
    expect((await call('GET', `/v2/up/chunked/blobs/${digest}`)).body.equals(bytes)).toBe(true);
    const gone = await call('PATCH', location, { body: 'x' });
    expect([gone.status, gone.codes]).toEqual([404, ['BLOB_UPLOAD_UNKNOWN']]);
  });

  it('takes a monolithic POST ?digest=, refuses a wrong digest without keeping the bytes, and cancels a session with DELETE', async () => {
    const bytes = Buffer.from('monolithic blob');
    const wrong = await call('POST', `/v2/up/mono/blobs/uploads/?digest=${sha256('not these bytes')}`, { body: bytes });
    expect([wrong.status, wrong.codes]).toEqual([400, ['DIGEST_INVALID']]);
    expect((await call('HEAD', `/v2/up/mono/blobs/${sha256('not these bytes')}`)).status).toBe(404);
    const digest = await pushBlob('up/mono', bytes);
    const head = await call('HEAD', `/v2/up/mono/blobs/${digest}`);
    expect([head.status, header(head, 'content-length'), header(head, 'docker-content-digest'), head.body.length]).toEqual([200, String(bytes.length), digest, 0]);
    const session = header(await call('POST', '/v2/up/mono/blobs/uploads/'), 'location') ?? '';
    expect((await call('DELETE', session)).status).toBe(204);
    expect((await call('DELETE', session)).codes).toEqual(['BLOB_UPLOAD_UNKNOWN']);
    expect((await call('GET', '/v2/up/mono/blobs/uploads/../../../etc')).status).toBe(404);
  });

  it('mounts a blob from a repository that has it (201) and opens a session when the source lacks it (202)', async () => {
    const digest = await pushBlob('up/source', Buffer.from('mount me'));
    const mounted = await call('POST', `/v2/up/target/blobs/uploads/?mount=${digest}&from=up/source`);
    expect([mounted.status, header(mounted, 'location'), header(mounted, 'docker-content-digest')]).toEqual([201, `/v2/up/target/blobs/${digest}`, digest]);
    expect((await call('HEAD', `/v2/up/target/blobs/${digest}`)).status).toBe(200);
    const missing = await call('POST', `/v2/up/target2/blobs/uploads/?mount=${digest}&from=up/nowhere`);
    expect(missing.status).toBe(202);
    expect(header(missing, 'location')).toMatch(/^\/v2\/up\/target2\/blobs\/uploads\//);
  });
});

describe('ferry serve: clients that leave', () => {
  it('survives a client that drops mid-upload and mid-download: logged as 499, no server fault, the session still answers', async () => {
    const faults: unknown[] = [];
    const lines: string[] = [];
    const watched = await startRegistryServer({ reader: store, host: '127.0.0.1', port: 0, onError: (error) => faults.push(error), onRequest: (line) => lines.push(`${line.method} ${line.status}`) });
    try {
      const location = header(await call('POST', '/v2/leave/app/blobs/uploads/', { base: watched.url }), 'location') ?? '';
      // Larger than loopback socket buffers hold, so the server cannot finish sending before the client leaves.
      const big = await pushBlob('leave/app', Buffer.alloc(16 * 1024 * 1024, 7), watched.url);
      const port = Number(new URL(watched.url).port);
      const drop = (head: string, body?: Buffer): Promise<void> =>
        new Promise((resolve) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.write(head);
            if (body) socket.write(body);
            setTimeout(() => socket.destroy(), 150);
          });
          socket.on('error', () => undefined);
          socket.on('close', () => resolve());
        });
      await drop(`PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n`, Buffer.alloc(64 * 1024, 1));
      await drop(`GET /v2/leave/app/blobs/${big} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const status = await call('GET', location, { base: watched.url });
      expect(status.status).toBe(204);
      // The server logs a request when its side of the connection closes, which may trail the client's close a little.
      for (let i = 0; i < 40 && !(lines.includes('PATCH 499') && lines.includes('GET 499')); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(lines).toEqual(expect.arrayContaining(['PATCH 499', 'GET 499']));
      expect(faults).toEqual([]);
    } finally {
      await watched.close();
    }
  });
});

describe('ferry serve: a source that fails mid-body', () => {
  it('cuts the connection (the client sees a short body, never a complete-looking one) and reports the fault', async () => {
    const bytes = Buffer.alloc(2 * 1024 * 1024, 9);
    const digest = await pushBlob('fail/app', bytes);
    const faults: unknown[] = [];
    // The real store's stream, failing after its first chunk, as a drive read error or a failed re-check would.
    const failing = overlay(store, {
      openBlob: async (...args: Parameters<RegistryReader['openBlob']>) => {
        const source = await store.openBlob(...args);
        source.once('data', () => source.destroy(new Error('read error on the drive')));
        return source;
      },
    });
    const broken = await startRegistryServer({ reader: failing, host: '127.0.0.1', port: 0, onError: (error) => faults.push(error) });
    try {
      const response = await request(new URL(`/v2/fail/app/blobs/${digest}`, broken.url));
      expect(response.statusCode).toBe(200);
      await expect(response.body.arrayBuffer()).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(faults.map((fault) => (fault as Error).message)).toEqual(['read error on the drive']);
    } finally {
      await broken.close();
    }
  });
});

/** One raw HTTP/1.1 exchange over a socket: what the server sent back before it closed or `waitMs` passed. */
function rawExchange(base: string, head: string, body: (socket: Socket) => void = () => undefined, waitMs = 1_000): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve) => {
    let got = '';
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(head);
      body(socket);
    });
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (data: Buffer) => (got += data.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

describe('ferry serve: bodies, limits and faults', () => {
  it('answers an oversized chunked manifest with 413 (no reset) and keeps serving', async () => {
    const piece = Buffer.alloc(256 * 1024, 32);
    const got = await rawExchange(server.url, `PUT /v2/limits/app/manifests/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: ${OCI_MANIFEST}\r\nTransfer-Encoding: chunked\r\n\r\n`, (socket) => {
      for (let i = 0; i < 20; i++) socket.write(`${piece.length.toString(16)}\r\n${piece.toString('latin1')}\r\n`, 'latin1');
    });
    expect(got).toMatch(/^HTTP\/1\.1 413 /);
    expect(got).toContain('MANIFEST_INVALID');
    expect((await call('GET', '/v2/')).status).toBe(200);
  });

  it('holds a chunked PATCH to the length its Content-Range announces (SIZE_INVALID, nothing appended)', async () => {
    const location = header(await call('POST', '/v2/limits/range/blobs/uploads/'), 'location') ?? '';
    const wrong = await call('PATCH', location, { body: Readable.from([Buffer.from('world')]), headers: { 'content-range': '0-0' } });
    expect([wrong.status, wrong.codes]).toEqual([400, ['SIZE_INVALID']]);
    const short = await call('PATCH', location, { body: Readable.from([Buffer.from('ab')]), headers: { 'content-range': '0-9' } });
    expect([short.status, short.codes]).toEqual([400, ['SIZE_INVALID']]);
    expect(header(await call('GET', location), 'range')).toBe('0-0');
    const right = await call('PATCH', location, { body: Readable.from([Buffer.from('world')]), headers: { 'content-range': '0-4' } });
    expect([right.status, header(right, 'range')]).toEqual([202, '0-4']);
  });

  it('answers HEAD with a Range as GET would (206 and Content-Range, no body)', async () => {
    const digest = await pushBlob('limits/head', Buffer.from('hello world'));
    const head = await call('HEAD', `/v2/limits/head/blobs/${digest}`, { headers: { range: 'bytes=0-3' } });
    expect([head.status, header(head, 'content-range'), header(head, 'content-length'), head.body.length]).toEqual([206, 'bytes 0-3/11', '4', 0]);
  });

  it('sends 100 Continue only after authentication', async () => {
    const good = `Basic ${Buffer.from('ferry:s3cret').toString('base64')}`;
    const guarded = await startRegistryServer({ reader: store, host: '127.0.0.1', port: 0, authenticate: (authorization) => Promise.resolve(authorization === good) });
    try {
      const head = (authorization: string): string =>
        `POST /v2/limits/expect/blobs/uploads/?digest=${sha256('0123456789')} HTTP/1.1\r\nHost: x\r\n${authorization}Content-Length: 10\r\nExpect: 100-continue\r\n\r\n`;
      const refused = await rawExchange(guarded.url, head(''), undefined, 500);
      expect(refused).toMatch(/^HTTP\/1\.1 401 /);
      const accepted = await rawExchange(guarded.url, head(`Authorization: ${good}\r\n`), (socket) => setTimeout(() => socket.write('0123456789'), 100), 800);
      expect(accepted).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
    } finally {
      await guarded.close();
    }
  });

  it('bounds open upload sessions: 429 with Retry-After at the cap, idle sessions cancelled to make room', async () => {
    const limited = await startRegistryServer({ reader: store, host: '127.0.0.1', port: 0, limits: { maxOpenUploads: 3, uploadIdleMs: 300 } });
    try {
      const base = limited.url;
      const sessions: string[] = [];
      for (let i = 0; i < 3; i++) sessions.push(header(await call('POST', '/v2/limits/cap/blobs/uploads/', { base }), 'location') ?? '');
      const refused = await call('POST', '/v2/limits/cap/blobs/uploads/', { base });
      expect([refused.status, refused.codes, header(refused, 'retry-after')]).toEqual([429, ['TOOMANYREQUESTS'], '30']);
      // A session in use stays; the idle ones go once they pass the idle time.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await call('PATCH', sessions[2] ?? '', { base, body: 'x' })).status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await call('POST', '/v2/limits/cap/blobs/uploads/', { base })).status).toBe(202);
      expect((await call('GET', sessions[0] ?? '', { base })).status).toBe(404);
      expect((await call('GET', sessions[2] ?? '', { base })).status).toBe(204);
    } finally {
      await limited.close();
    }
  });

  it.skipIf(process.getuid?.() !== 0)('survives a disk that fills mid-PATCH: a 500 reported through onError, the session unchanged', async () => {
    const mount = join(work, 'full');
    await mkdir(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
    const faults: unknown[] = [];
    const lines: string[] = [];
    try {
      const small = await openStore(join(mount, 'store'));
      const full = await startRegistryServer({ reader: small, host: '127.0.0.1', port: 0, onError: (error) => faults.push(error), onRequest: (line) => lines.push(`${line.method} ${line.status}`) });
      try {
        const location = header(await call('POST', '/v2/full/app/blobs/uploads/', { base: full.url }), 'location') ?? '';
        const got = await rawExchange(full.url, `PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Length: ${5 << 20}\r\n\r\n`, (socket) => socket.write(Buffer.alloc(5 << 20, 1)), 3_000);
        expect(got).toMatch(/^HTTP\/1\.1 500 /);
        expect(faults).toHaveLength(1);
        expect(lines).toContain('PATCH 500');
        expect((await call('GET', '/v2/', { base: full.url })).status).toBe(200);
        expect(header(await call('GET', location, { base: full.url }), 'range')).toBe('0-0');
      } finally {
        await full.close();
        await (small as { close?: () => Promise<void> }).close?.();
      }
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});

describe('ferry serve: blob reads', () => {
  it('serves ranges: 206 for A-B, A- and -N, 416 with bytes */size when unsatisfiable, 404 BLOB_UNKNOWN for an unknown digest', async () => {
    const bytes = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    const digest = await pushBlob('reads/ranges', bytes);
    const path = `/v2/reads/ranges/blobs/${digest}`;
    const part = await call('GET', path, { headers: { range: 'bytes=2-5' } });
    expect([part.status, part.body.toString(), header(part, 'content-range'), header(part, 'content-length')]).toEqual([206, 'cdef', 'bytes 2-5/26', '4']);
    expect((await call('GET', path, { headers: { range: 'bytes=20-' } })).body.toString()).toBe('uvwxyz');
    expect((await call('GET', path, { headers: { range: 'bytes=-3' } })).body.toString()).toBe('xyz');
    const beyond = await call('GET', path, { headers: { range: 'bytes=26-' } });
    expect([beyond.status, header(beyond, 'content-range')]).toEqual([416, 'bytes */26']);
    const unknown = await call('GET', `/v2/reads/ranges/blobs/${sha256('absent')}`);
    expect([unknown.status, unknown.codes]).toEqual([404, ['BLOB_UNKNOWN']]);
    // A blob of another repository is not served through this one.
    const other = await pushBlob('reads/other', Buffer.from('only in other'));
    expect((await call('GET', `/v2/reads/ranges/blobs/${other}`)).status).toBe(404);
  });

  it('streams a large blob with backpressure: a client that does not read holds the server back', async () => {
    const size = 16 * 1024 * 1024;
    const big = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) big.writeUInt32BE(i, i);
    const digest = sha256(big);
    const upload = header(await call('POST', '/v2/reads/big/blobs/uploads/'), 'location') ?? '';
    // Streamed from an iterable in 1 MiB pieces: the server must take it without buffering it whole.
    const pieces = Array.from({ length: size / (1 << 20) }, (_, i) => big.subarray(i << 20, (i + 1) << 20));
    expect((await call('PUT', `${upload}?digest=${digest}`, { body: Readable.from(pieces) })).status).toBe(201);
    let pulled = 0;
    const counting = overlay(store, {
      openBlob: async (...args: Parameters<RegistryReader['openBlob']>) => {
        const source = await store.openBlob(...args);
        source.on('data', (chunk: Buffer) => (pulled += chunk.length));
        return source;
      },
    });
    const slow = await startRegistryServer({ reader: counting, host: '127.0.0.1', port: 0 });
    try {
      const response = await request(new URL(`/v2/reads/big/blobs/${digest}`, slow.url));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(pulled).toBeLessThan(size / 2);
      const hash = createHash('sha256');
      for await (const chunk of response.body) hash.update(chunk as Buffer);
      expect(`sha256:${hash.digest('hex')}`).toBe(digest);
      expect(pulled).toBe(size);
    } finally {
      await slow.close();
    }
  });
});

describe('ferry serve: manifests, tags, catalog, referrers, deletes', () => {
  it('stores a manifest exactly, serves it with its media type and digest, and refuses bad ones by spec code', async () => {
    const manifest = await pushImage('man/app', 'v1', 'app v1');
    const digest = sha256(manifest);
    const got = await call('GET', '/v2/man/app/manifests/v1', { headers: { accept: OCI_MANIFEST } });
    expect([got.status, header(got, 'content-type'), header(got, 'docker-content-digest')]).toEqual([200, OCI_MANIFEST, digest]);
    expect(got.body.equals(manifest)).toBe(true);
    const head = await call('HEAD', `/v2/man/app/manifests/${digest}`);
    expect([head.status, header(head, 'content-length')]).toEqual([200, String(manifest.length)]);
    expect((await call('GET', '/v2/man/app/manifests/nope')).codes).toEqual(['MANIFEST_UNKNOWN']);
    expect((await call('GET', '/v2/man/none/manifests/v1')).status).toBe(404);
    const missing = imageManifest(Buffer.from('{"never":"pushed"}'), []);
    const refused = await putManifest('man/app', 'broken', missing);
    expect([refused.status, refused.codes]).toEqual([400, ['MANIFEST_BLOB_UNKNOWN']]);
    expect((await putManifest('man/app', 'junk', Buffer.from('not json'))).codes).toEqual(['MANIFEST_INVALID']);
    expect((await putManifest('man/app', sha256('other bytes'), manifest)).codes).toEqual(['DIGEST_INVALID']);
    const huge = await putManifest('man/app', 'huge', Buffer.alloc(4 * 1024 * 1024 + 1, 32));
    expect([huge.status, huge.codes]).toEqual([413, ['MANIFEST_INVALID']]);
    expect((await putManifest('man/app', 'bad:tag', manifest)).status).toBe(400);
  });

  it('lists tags and the catalog in pages with Link rel="next"; n=0 is empty without Link; an unknown repository is NAME_UNKNOWN', async () => {
    for (const tag of ['a', 'b', 'c']) await pushImage('list/tags', tag, `tags ${tag}`);
    const first = await call('GET', '/v2/list/tags/tags/list?n=2');
    expect(json(first)).toEqual({ name: 'list/tags', tags: ['a', 'b'] });
    expect(header(first, 'link')).toBe('</v2/list/tags/tags/list?n=2&last=b>; rel="next"');
    const second = await call('GET', '/v2/list/tags/tags/list?n=2&last=b');
    expect([json(second).tags, header(second, 'link')]).toEqual([['c'], undefined]);
    const none = await call('GET', '/v2/list/tags/tags/list?n=0');
    expect([json(none).tags, header(none, 'link')]).toEqual([[], undefined]);
    expect((await call('GET', '/v2/list/tags/tags/list?n=x')).status).toBe(400);
    const unknown = await call('GET', '/v2/list/none/tags/list');
    expect([unknown.status, unknown.codes]).toEqual([404, ['NAME_UNKNOWN']]);
    const all = JSON.parse((await call('GET', '/v2/_catalog')).body.toString()) as { repositories: string[] };
    expect(all.repositories).toContain('list/tags');
    expect([...all.repositories].sort()).toEqual(all.repositories);
    const page = await call('GET', '/v2/_catalog?n=1');
    expect(json(page).repositories).toEqual(all.repositories.slice(0, 1));
    expect(header(page, 'link')).toBe(`</v2/_catalog?n=1&last=${encodeURIComponent(all.repositories[0] ?? '')}>; rel="next"`);
  });

  it('answers OCI-Subject for a manifest with a subject and lists it as a referrer, filtered by artifactType', async () => {
    const subject = await pushImage('ref/app', 'v1', 'subject');
    const empty = Buffer.from('{}');
    await pushBlob('ref/app', empty);
    const signature = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.sig',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 }],
        subject: { mediaType: OCI_MANIFEST, digest: sha256(subject), size: subject.length },
        annotations: { 'org.example.note': 'signed' },
      }),
    );
    const pushed = await putManifest('ref/app', sha256(signature), signature);
    expect([pushed.status, header(pushed, 'oci-subject')]).toEqual([201, sha256(subject)]);
    const list = await call('GET', `/v2/ref/app/referrers/${sha256(subject)}`);
    expect([list.status, header(list, 'content-type')]).toEqual([200, OCI_INDEX]);
    const index = JSON.parse(list.body.toString()) as { manifests: Array<Record<string, unknown>> };
    expect(index.manifests).toEqual([expect.objectContaining({ digest: sha256(signature), artifactType: 'application/vnd.example.sig', annotations: { 'org.example.note': 'signed' } })]);
    const filtered = await call('GET', `/v2/ref/app/referrers/${sha256(subject)}?artifactType=application/x-other`);
    expect([header(filtered, 'oci-filters-applied'), json(filtered).manifests]).toEqual(['artifactType', []]);
    const nothing = await call('GET', `/v2/ref/app/referrers/${sha256('no subject')}`);
    expect([nothing.status, json(nothing).manifests]).toEqual([200, []]);
    expect((await call('GET', '/v2/ref/app/referrers/sha256:short')).status).toBe(400);
  });

  it('deletes a tag, a manifest by digest and a blob with 202, after which they are 404', async () => {
    const manifest = await pushImage('del/app', 'v1', 'to delete');
    const digest = sha256(manifest);
    expect((await putManifest('del/app', 'v2', manifest)).status).toBe(201);
    expect((await call('DELETE', '/v2/del/app/manifests/v2')).status).toBe(202);
    expect((await call('GET', '/v2/del/app/manifests/v2')).status).toBe(404);
    expect((await call('DELETE', `/v2/del/app/manifests/${digest}`)).status).toBe(202);
    expect((await call('GET', '/v2/del/app/manifests/v1')).status).toBe(404);
    expect((await call('DELETE', `/v2/del/app/manifests/${digest}`)).codes).toEqual(['MANIFEST_UNKNOWN']);
    const layer = sha256(Buffer.from('layer of to delete\n'));
    expect((await call('DELETE', `/v2/del/app/blobs/${layer}`)).status).toBe(202);
    expect((await call('HEAD', `/v2/del/app/blobs/${layer}`)).status).toBe(404);
    expect((await call('DELETE', `/v2/del/app/blobs/${layer}`)).codes).toEqual(['BLOB_UNKNOWN']);
  });
});

describe('ferry serve: read-only, Basic auth and TLS', () => {
  it('answers every write with 405 UNSUPPORTED when read-only, and still serves reads', async () => {
    const manifest = await pushImage('ro/app', 'v1', 'read-only');
    const readOnly = overlay(store, { readOnly: true });
    const ro = await startRegistryServer({ reader: readOnly, host: '127.0.0.1', port: 0 });
    try {
      const base = ro.url;
      expect((await call('GET', '/v2/ro/app/manifests/v1', { base })).body.equals(manifest)).toBe(true);
      for (const [method, path] of [
        ['POST', '/v2/ro/app/blobs/uploads/'],
        ['PUT', '/v2/ro/app/manifests/v2'],
        ['DELETE', '/v2/ro/app/manifests/v1'],
        ['DELETE', `/v2/ro/app/blobs/${sha256('x')}`],
        ['GET', '/v2/ro/app/blobs/uploads/some-id'],
      ] as const) {
        const answer = await call(method, path, { base, ...(method === 'PUT' ? { body: manifest } : {}) });
        expect([method, path, answer.status, answer.codes]).toEqual([method, path, 405, ['UNSUPPORTED']]);
      }
    } finally {
      await ro.close();
    }
  });

  it('asks for Basic credentials with 401, WWW-Authenticate and UNAUTHORIZED, and serves with the right ones', async () => {
    const good = `Basic ${Buffer.from('ferry:s3cret').toString('base64')}`;
    const seen: string[] = [];
    const guarded = await startRegistryServer({
      reader: store,
      host: '127.0.0.1',
      port: 0,
      realm: 'Ferry test',
      authenticate: (authorization) => Promise.resolve(authorization === good),
      onRequest: (line) => seen.push(JSON.stringify(line)),
    });
    try {
      const anonymous = await call('GET', '/v2/', { base: guarded.url });
      expect([anonymous.status, anonymous.codes, header(anonymous, 'www-authenticate')]).toEqual([401, ['UNAUTHORIZED'], 'Basic realm="Ferry test"']);
      const wrong = await call('GET', '/v2/_catalog', { base: guarded.url, headers: { authorization: `Basic ${Buffer.from('ferry:nope').toString('base64')}` } });
      expect(wrong.status).toBe(401);
      const push = await call('POST', `/v2/auth/app/blobs/uploads/?digest=${sha256('guarded')}`, { base: guarded.url, body: 'guarded' });
      expect(push.status).toBe(401);
      expect((await call('GET', '/v2/', { base: guarded.url, headers: { authorization: good } })).status).toBe(200);
      expect((await call('POST', `/v2/auth/app/blobs/uploads/?digest=${sha256('guarded')}`, { base: guarded.url, body: 'guarded', headers: { authorization: good } })).status).toBe(201);
      expect(seen.join('\n')).not.toContain('Basic');
    } finally {
      await guarded.close();
    }
  });

  it('serves HTTPS with the given certificate, verified by its CA', async () => {
    const pki = await makePki(work, 'serve', 'server');
    const secure = await startRegistryServer({ reader: store, host: '127.0.0.1', port: 0, tls: { cert: pki.leafCertPem, key: pki.leafKeyPem } });
    const dispatcher = new Agent({ connect: { ca: pki.caCertPem } });
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect((await call('GET', '/v2/', { base: secure.url, dispatcher })).status).toBe(200);
    } finally {
      await dispatcher.close();
      await secure.close();
    }
  });
});

describe('ferry serve: skopeo', () => {
  let fixtures: Record<string, FixtureImage>;
  /** The server as the harness's skopeo helpers address a registry (plain HTTP, anonymous). */
  let asRegistry: RunningRegistry;
  beforeAll(async () => {
    fixtures = await buildFixtures({ repositoryPrefix: 'skopeo', bigLayerBytes: 2 * 1024 * 1024, bigLayerCount: 2 });
    asRegistry = {
      mode: 'anonymous',
      host: server.address,
      url: server.url,
      storageDir: join(work, 'store'),
      logFile: '',
      pid: process.pid,
      readLog: () => log.join('\n'),
      stop: () => Promise.resolve(),
    };
  });

  it.each(['oci-index', 'docker-list', 'docker-schema2', 'artifact-referrer', 'big-layers'])('takes a push of %s with every digest unchanged', async (name) => {
    const fixture = fixtures[name];
    if (!fixture) throw new Error(`no fixture ${name}`);
    // seedFixture pushes every tag (skopeo, or a raw PUT for the referrers index) and checks each digest with skopeo inspect --raw.
    await seedFixture(asRegistry, fixture);
  });

  it.each(['oci-index', 'big-layers'])('gives %s back to skopeo with identical manifest and blob digests', async (name) => {
    const fixture = fixtures[name];
    if (!fixture) throw new Error(`no fixture ${name}`);
    const back = join(work, `back-${name}`);
    await runSkopeo(['copy', '--quiet', '--all', '--preserve-digests', '--src-tls-verify=false', `docker://${server.address}/${fixture.repository}:${fixture.tag}`, `oci:${back}:${fixture.tag}`]);
    const index = JSON.parse(await readFile(join(back, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(index.manifests.map((m) => m.digest)).toEqual([fixture.manifestDigest]);
    for (const blob of fixture.blobs) {
      const bytes = await readFile(join(back, 'blobs', 'sha256', blob.digest.slice('sha256:'.length)));
      expect(sha256(bytes)).toBe(blob.digest);
    }
  });
});
