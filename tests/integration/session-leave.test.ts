/**
 * The renderer in browser mode without a session goes to the server's page in
 * words instead of showing an app whose every call fails: at once when the
 * tab has no token (none in the address or its storage), and on the first
 * call the server refuses (a token of an earlier start), forgetting it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { SESSION_NEEDED_PATH, TOKEN_STORAGE_KEY } from '../../src-shared/api/wire.ts';
import { createApiClient, type PageEnvironment } from '../../src-renderer/api/client.ts';

let work: string;
let service: Service;
let server: BrowserServer;
let origin: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-session-leave-'));
  await writeFile(join(work, 'index.html'), '<!doctype html><title>Ferry</title>');
  service = createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') });
  server = await startBrowserServer({ service, host: '127.0.0.1', rendererDir: work });
  origin = new URL(server.url).origin;
});

afterAll(async () => {
  await server.close();
  await service.close();
  await rm(work, { recursive: true, force: true });
});

/** A tab at `href` with the given sessionStorage, recording where it was sent. */
function tab(href: string, storage: Map<string, string>): PageEnvironment & { went: string[] } {
  const went: string[] = [];
  return {
    location: { href, search: new URL(href).search, replace: (url: string) => void went.push(url) },
    history: { replaceState: () => undefined },
    sessionStorage: { getItem: (key) => storage.get(key) ?? null, setItem: (key, value) => void storage.set(key, value), removeItem: (key) => void storage.delete(key) },
    went,
  };
}

describe('the renderer without a session', () => {
  it('goes to the page in words at once when the tab has no token', () => {
    const page = tab(`${origin}/`, new Map());
    createApiClient(page);
    expect(page.went).toEqual([`${origin}${SESSION_NEEDED_PATH}`]);
  });

  it('stays with this start’s token, and leaves (forgetting the token) when the server refuses an earlier start’s', async () => {
    const current = tab(server.url, new Map());
    await expect(createApiClient(current)['app:info']({})).resolves.toMatchObject({ mode: 'browser' });
    expect(current.went).toEqual([]);

    const storage = new Map([[TOKEN_STORAGE_KEY, 'f'.repeat(64)]]);
    const stale = tab(`${origin}/`, storage);
    await expect(createApiClient(stale)['app:info']({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(stale.went).toEqual([`${origin}${SESSION_NEEDED_PATH}`]);
    expect(storage.has(TOKEN_STORAGE_KEY)).toBe(false);
  });
});
