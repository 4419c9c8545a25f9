/**
 * The desktop app's app://ferry handler, called the way Electron's
 * `protocol.handle` calls it (a Fetch API Request in, a Response out), without
 * an Electron binary; and the URL predicates main.ts uses for IPC senders,
 * navigation and the request filter.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_ORIGIN, APP_PAGE_URL, APP_SCHEME_PRIVILEGES, createAppProtocolHandler, isAllowedRequest, isAppPage, splitAppUrl } from '../../src-main/app/app-protocol.ts';
import { SECURITY_HEADERS } from '../../src-main/server/static-files.ts';

let handle: (request: Request) => Promise<Response>;

/** A request as Electron hands it over (a Fetch API Request, whose URL parser normalises dot segments). */
const get = (url: string, method = 'GET'): Promise<Response> => handle(new Request(url, { method }));

/** A GET Request whose `url` is `raw` exactly as written: the URL parser never saw it, so nothing was normalised away. */
const rawGet = (raw: string): Promise<Response> => handle(Object.defineProperty(new Request(APP_PAGE_URL), 'url', { value: raw }));

beforeAll(async () => {
  const parent = mkdtempSync(join(tmpdir(), 'ferry-app-protocol-'));
  mkdirSync(join(parent, 'renderer', 'assets'), { recursive: true });
  writeFileSync(join(parent, 'secret.txt'), 'secret');
  writeFileSync(join(parent, 'renderer', 'index.html'), '<!doctype html><title>Ferry</title><script type="module" src="./assets/index-abc.js"></script>');
  writeFileSync(join(parent, 'renderer', 'assets', 'index-abc.js'), 'export const x = 1;');
  writeFileSync(join(parent, 'renderer', 'assets', 'index-abc.css'), 'body {}');
  handle = await createAppProtocolHandler(join(parent, 'renderer'));
});

describe('the app://ferry handler', () => {
  it('serves index.html at the page URL and at the root, with the type and every browser-mode security header', async () => {
    for (const url of [APP_PAGE_URL, `${APP_ORIGIN}/`, APP_ORIGIN]) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), name).toBe(value);
      expect(await res.text()).toContain('<title>Ferry</title>');
    }
  });

  it('serves the assets a relative ./assets/ URL resolves to, with their types', async () => {
    const script = await get(new URL('./assets/index-abc.js', APP_PAGE_URL).href);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('content-length')).toBe('19');
    expect(await script.text()).toBe('export const x = 1;');
    const style = await get(`${APP_ORIGIN}/assets/index-abc.css?v=1#x`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get(APP_PAGE_URL, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  it('answers 404 for an unknown file and for any host but ferry', async () => {
    for (const url of [`${APP_ORIGIN}/missing.js`, `${APP_ORIGIN}/assets`, 'app://evil/index.html', 'app://ferry.evil/index.html', 'app://user@ferry/index.html', 'other://ferry/index.html']) {
      const res = await rawGet(url);
      expect(res.status, url).toBe(404);
      expect(res.headers.get('content-security-policy')).toBe(SECURITY_HEADERS['Content-Security-Policy']);
    }
  });

  it('never serves a file outside the renderer folder', async () => {
    // Raw URLs: Request's URL parser would normalise these before the handler saw them; a handler must not rely on that.
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/..%5csecret.txt', '//secret.txt', '/index.html%00']) {
      const res = await rawGet(`${APP_ORIGIN}${path}`);
      expect([400, 403], path).toContain(res.status);
      expect(await res.text()).not.toContain('secret');
    }
  });

  it('refuses writes with 405', async () => {
    const res = await get(APP_PAGE_URL, 'POST');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('fails to start on a missing renderer folder instead of serving nothing later', async () => {
    await expect(createAppProtocolHandler(join(tmpdir(), 'ferry-no-such-renderer-folder'))).rejects.toThrow();
  });
});

describe('the URLs main.ts checks', () => {
  it('registers app as a standard, secure, fetch-able scheme and nothing more', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } });
  });

  it('trusts only the app page, fragment ignored', () => {
    expect(isAppPage('app://ferry/index.html')).toBe(true);
    expect(isAppPage('app://ferry/index.html#/import')).toBe(true);
    for (const url of ['app://ferry/', 'app://ferry/index.html?x=1', 'app://evil/index.html', 'file:///work/dist/renderer/index.html', 'https://ferry/index.html', '']) {
      expect(isAppPage(url), url).toBe(false);
    }
  });

  it('lets the page request only app://ferry/ and devtools:', () => {
    for (const url of ['app://ferry/index.html', 'app://ferry/assets/index-abc.js', 'devtools://devtools/bundled/inspector.html']) expect(isAllowedRequest(url), url).toBe(true);
    for (const url of ['https://registry.example/v2/', 'http://127.0.0.1:5000/v2/', 'file:///etc/passwd', 'app://ferry.evil/x', 'app://evil/x', 'app://ferry', 'ws://127.0.0.1/', 'data:text/html,x']) {
      expect(isAllowedRequest(url), url).toBe(false);
    }
  });

  it('splits an app: URL without normalising its path', () => {
    expect(splitAppUrl('app://ferry/a/../b?q#f')).toEqual({ host: 'ferry', path: '/a/../b' });
    expect(splitAppUrl('APP://Ferry')).toEqual({ host: 'ferry', path: '/' });
    expect(splitAppUrl('https://ferry/index.html')).toBeUndefined();
  });
});
