/**
 * Browser mode answers a person's browser in words and the renderer's client
 * in JSON: a page without a usable token, an unknown path, a refused path and
 * a foreign Host get a short HTML page saying where the full address is
 * (never the token), while the API keeps its JSON envelopes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { renderWordsPage } from '../../src-main/server/words-page.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { methodPath, SESSION_NEEDED_PATH, TOKEN_QUERY } from '../../src-shared/api/wire.ts';

let work: string;
let service: Service;
let server: BrowserServer;
let origin: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-browser-words-'));
  const rendererDir = join(work, 'renderer');
  await mkdir(rendererDir, { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Ferry</title>');
  service = createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') });
  server = await startBrowserServer({ service, host: '127.0.0.1', rendererDir });
  origin = new URL(server.url).origin;
});

afterAll(async () => {
  await server.close();
  await service.close();
  await rm(work, { recursive: true, force: true });
});

/** One raw request (paths unnormalised, any Host). */
function raw(path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; type: string; body: string }> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browser mode in words', () => {
  it('says where the full address is when the page has no usable token, and never shows the token', async () => {
    for (const path of [SESSION_NEEDED_PATH, `/?${TOKEN_QUERY}=${'0'.repeat(64)}`, `/?${TOKEN_QUERY}=cut-short`, `/index.html?${TOKEN_QUERY}=`]) {
      const answer = await raw(path);
      expect(answer.status, path).toBe(401);
      expect(answer.type, path).toMatch(/^text\/html/);
      expect(answer.body, path).toContain('<h1>Open Ferry with its full address</h1>');
      expect(answer.body, path).toContain(`Ferry is running at ${origin}/?${TOKEN_QUERY}=…`);
      expect(answer.body, path).toContain('<code>ferry ui</code>');
      expect(answer.body, path).not.toContain(server.token);
      expect(answer.body, path).not.toMatch(/<script|style=/);
    }
    // The page address with this start's token is the app itself.
    expect((await raw(`/?${TOKEN_QUERY}=${server.token}`)).body).toContain('<title>Ferry</title>');
  });

  it('answers an unknown path, a refused path, a wrong method and a foreign Host in words, and the API in JSON', async () => {
    const missing = await raw('/no-such-page');
    expect([missing.status, missing.type.split(';')[0], missing.body.includes('Ferry has no page here')]).toEqual([404, 'text/html', true]);
    const outside = await raw('/../package.json');
    expect([outside.status, outside.body.includes('Ferry refused this path')]).toEqual([403, true]);
    const posted = await raw('/', { method: 'POST' });
    expect([posted.status, posted.body.includes('Ferry only shows pages here')]).toEqual([405, true]);
    const foreign = await raw('/', { headers: { Host: 'evil.example' } });
    expect([foreign.status, foreign.type.split(';')[0], foreign.body.includes('This address is not Ferry&#39;s')]).toEqual([403, 'text/html', true]);
    const foreignApi = await raw(methodPath('app:info'), { method: 'POST', headers: { Host: 'evil.example' } });
    expect([foreignApi.status, foreignApi.type.split(';')[0], JSON.parse(foreignApi.body)]).toEqual([403, 'application/json', expect.objectContaining({ ok: false })]);
    const api = await raw(methodPath('app:info'), { method: 'POST' });
    expect([api.status, JSON.parse(api.body)]).toEqual([401, { ok: false, error: expect.objectContaining({ code: 'UNAUTHORIZED' }) }]);
    const unknownApi = await raw('/api/no:such', { method: 'POST' });
    expect(unknownApi.type).toMatch(/^application\/json/);
  });

  it('escapes what it shows, so a page can carry no markup of anyone else', () => {
    const html = renderWordsPage({ status: 400, title: '<b>x</b>', paragraphs: ['a & "b" <script>', 'run `ferry <ui>`'] });
    expect(html).toContain('<h1>&lt;b&gt;x&lt;/b&gt;</h1>');
    expect(html).toContain('<p>a &amp; &quot;b&quot; &lt;script&gt;</p>');
    expect(html).toContain('<p>run <code>ferry &lt;ui&gt;</code></p>');
  });
});
