/**
 * `ferry serve --files`'s server over real sockets: GET and HEAD of files,
 * folder listings, one byte range, and every way out of the folder refused
 * (`..` raw or encoded, a symlink to a file outside, a symlinked folder, a FIFO).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFileServer, type FileServer } from '../../src-main/server/file-server.ts';
import { parseListen } from '../../src-main/cli/commands/serve.ts';

let work: string;
let server: FileServer;
const log: string[] = [];

/** One raw request (fetch would normalise `..` away before it is sent). */
async function get(path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-serve-'));
  const root = join(work, 'repo');
  await mkdir(join(root, 'pool'), { recursive: true });
  await writeFile(join(root, 'Packages'), 'Package: ferry-hello\n');
  await writeFile(join(root, 'pool', 'a b.deb'), '0123456789');
  await writeFile(join(work, 'secret.txt'), 'outside');
  await symlink(join(work, 'secret.txt'), join(root, 'leak.txt'));
  await symlink(work, join(root, 'up'));
  execFileSync('mkfifo', [join(root, 'pipe')]);
  server = await startFileServer({ root, host: '127.0.0.1', port: 0, onRequest: (line) => log.push(`${line.method} ${line.path} ${line.status}`) });
});

afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('ferry serve --files', () => {
  it('serves files by GET and HEAD, with their length', async () => {
    const got = await get('/Packages');
    expect(got).toMatchObject({ status: 200, body: 'Package: ferry-hello\n' });
    expect(got.headers['content-length']).toBe('21');
    const head = await get('/pool/a%20b.deb', { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe('10');
  });

  it('honours one byte range and refuses one past the end', async () => {
    const part = await get('/pool/a%20b.deb', { headers: { Range: 'bytes=2-5' } });
    expect(part).toMatchObject({ status: 206, body: '2345' });
    expect(part.headers['content-range']).toBe('bytes 2-5/10');
    expect((await get('/pool/a%20b.deb', { headers: { Range: 'bytes=-3' } })).body).toBe('789');
    expect((await get('/pool/a%20b.deb', { headers: { Range: 'bytes=20-' } })).status).toBe(416);
  });

  it('lists a folder (escaping names) and redirects one asked without its slash', async () => {
    const listing = await get('/');
    expect(listing.status).toBe(200);
    expect(listing.body).toContain('<a href="Packages">Packages</a>');
    expect(listing.body).toContain('<a href="pool/">pool/</a>');
    expect(listing.body).not.toContain('leak.txt');
    expect((await get('/pool')).status).toBe(301);
  });

  it('refuses every way out of the folder, and writing', async () => {
    expect((await get('/../secret.txt')).status).toBe(400);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(400);
    expect((await get('/pool%2f..%2f..%2fsecret.txt')).status).toBe(400);
    expect((await get('/leak.txt')).status).toBe(403);
    expect((await get('/up/secret.txt')).status).toBe(403);
    expect((await get('/pipe')).status).toBe(403);
    expect((await get('/missing')).status).toBe(404);
    const put = await get('/Packages', { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD');
    expect(log).toContain('GET /leak.txt 403');
  });

  it('reads --listen as HOST:PORT', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('8080')).toThrow(/--listen must be HOST:PORT/);
  });
});
