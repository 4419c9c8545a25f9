/**
 * Both ends of each transport speak the names of src-shared/api/wire.ts: a
 * real browser-mode server on 127.0.0.1 answers the renderer's own client
 * (src-renderer/api/client.ts) and requests built from the shared constants,
 * and refuses them without the token; the renderer finds the Electron bridge
 * under the shared global name and reaches the handlers the main side
 * registered on the shared channel names.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobOfKind, type JobState } from '../../src-shared/api/contract.ts';
import { API_PATH_PREFIX, BRIDGE_GLOBAL, EVENTS_PATH, methodPath, TOKEN_HEADER, TOKEN_QUERY, TOKEN_STORAGE_KEY } from '../../src-shared/api/wire.ts';
import { buildPreloadApi, registerIpcHandlers } from '../../src-main/app/ipc.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { ApiError, clientOver, createApiClient, httpTransport, type PageEnvironment } from '../../src-renderer/api/client.ts';
import { Teardown } from '../harness/teardown.ts';

let work: string;
let service: Service;
let server: BrowserServer;
let origin: string;
const teardown = new Teardown();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-wire-test-'));
  const rendererDir = join(work, 'renderer');
  await mkdir(rendererDir, { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Ferry</title>');
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (created) => created.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', rendererDir }), (started) => started.close());
  origin = new URL(server.url).origin;
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The browser's fetch, telling when the event stream's answer has arrived, so no event is sent before the test listens. */
function openingFetch(): { impl: typeof fetch; opened: Promise<void> } {
  let markOpen: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    markOpen = resolve;
  });
  const impl: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = input instanceof URL ? input.href : typeof input === 'string' ? input : input.url;
    if (url.endsWith(EVENTS_PATH) && response.ok) markOpen();
    return response;
  };
  return { impl, opened };
}

/** A page as the browser gives it to the client: its address, a history that records replaceState, and a sessionStorage. */
function pageAt(href: string, storage = new Map<string, string>()): PageEnvironment & { replaced: string[]; storage: Map<string, string> } {
  const url = new URL(href);
  const replaced: string[] = [];
  return {
    location: { href: url.href, search: url.search },
    history: { replaceState: (_data, _unused, next) => replaced.push(String(next)) },
    sessionStorage: { getItem: (key) => storage.get(key) ?? null, setItem: (key, value) => void storage.set(key, value) },
    replaced,
    storage,
  };
}

describe('browser mode speaks the shared wire names', () => {
  it('prints the page address with the token under TOKEN_QUERY; the page comes without a cookie', async () => {
    const printed = new URL(server.url);
    expect(printed.hostname).toBe('127.0.0.1');
    expect(printed.searchParams.get(TOKEN_QUERY)).toBe(server.token);
    const page = await fetch(server.url, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(page.headers.get('set-cookie')).toBeNull();
  });

  it('answers the renderer client created from that address, which drops the token from the address and keeps it for reloads', async () => {
    const first = pageAt(`${server.url}#/start`);
    const client = createApiClient(first);
    expect(first.replaced).toEqual(['/#/start']);
    expect(first.storage.get(TOKEN_STORAGE_KEY)).toBe(server.token);
    await expect(client['app:info']({})).resolves.toMatchObject({ mode: 'browser' });
    await expect(client['catalog:bundles']({ limit: 5 })).resolves.toEqual([]);
    // The reload: no token in the address any more, the tab's sessionStorage still has it.
    const reloaded = pageAt(`${origin}/#/start`, first.storage);
    await expect(createApiClient(reloaded)['app:info']({})).resolves.toMatchObject({ mode: 'browser' });
    expect(reloaded.replaced).toEqual([]);
    // Another tab (empty sessionStorage) without the address is refused.
    const refused = await createApiClient(pageAt(`${origin}/`))
      ['app:info']({})
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('answers a request built from methodPath and TOKEN_HEADER (in any letter case), and refuses it without the token', async () => {
    expect(methodPath('app:info').startsWith(API_PATH_PREFIX)).toBe(true);
    const url = new URL(methodPath('app:info'), origin);
    const send = (headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{}' });
    const ok = await send({ [TOKEN_HEADER]: server.token });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, result: { mode: 'browser' } });
    expect((await send({ [TOKEN_HEADER.toLowerCase()]: server.token })).status).toBe(200);
    const without = await send({});
    expect(without.status).toBe(401);
    expect(await without.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect((await send({ [TOKEN_HEADER]: 'f'.repeat(server.token.length) })).status).toBe(401);
    expect((await fetch(new URL(EVENTS_PATH, origin))).status).toBe(401);
  });

  it('refuses the renderer client with a wrong or missing token, keeping the code', async () => {
    for (const token of ['', '0'.repeat(64)]) {
      const client = clientOver(httpTransport({ baseUrl: `${origin}/`, token }));
      const refused = await client['app:info']({}).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ApiError);
      expect(refused).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it('delivers job events on EVENTS_PATH under their contract names, typed per kind', async () => {
    const { impl, opened } = openingFetch();
    const client = clientOver(httpTransport({ baseUrl: `${origin}/`, token: server.token, fetchImpl: impl }));
    const states: JobState[] = [];
    let ended: (state: JobState) => void = () => undefined;
    const end = new Promise<JobState>((resolve) => {
      ended = resolve;
    });
    const off = client.on('job:state', (state) => {
      states.push(state);
      if (state.status !== 'running') ended(state);
    });
    try {
      await opened;
      const { jobId } = await client['bundle:verify']({ bundle: join(work, 'no-such-bundle') });
      const last = await end;
      expect(states[0]).toMatchObject({ id: jobId, kind: 'verify', status: 'running' });
      const verify = jobOfKind(last, 'verify');
      expect(verify?.id).toBe(jobId);
      expect(jobOfKind(last, 'export')).toBeUndefined();
      // A folder that is no bundle is a verify report that fails, not a failed job.
      expect(verify?.status, JSON.stringify(last.error)).toBe('succeeded');
      if (verify?.status === 'succeeded') {
        expect(verify.result.ok).toBe(false);
        expect(verify.result.bundle).toBe(join(work, 'no-such-bundle'));
      }
    } finally {
      off();
    }
  });
});

describe('the Electron bridge speaks the shared wire names', () => {
  it('the renderer finds the bridge under BRIDGE_GLOBAL and reaches the handlers registered on the shared channels', async () => {
    // Electron's IPC cannot run here; this loop hands each invoke to the handler registered for its channel, as ipcMain would.
    const handlers = new Map<string, (event: never, args: unknown) => unknown>();
    registerIpcHandlers({ handle: (channel, listener) => handlers.set(channel, listener) }, service, () => true);
    const bridge = buildPreloadApi({
      invoke: async (channel: string, args: unknown) => {
        const handler = handlers.get(channel);
        if (!handler) throw new Error(`no handler on channel ${channel}`);
        return handler({} as never, args);
      },
      on: (() => undefined) as never,
      removeListener: (() => undefined) as never,
    });
    const client = createApiClient({ location: { href: 'app://ferry/', search: '' }, [BRIDGE_GLOBAL]: bridge });
    await expect(client['app:info']({})).resolves.toMatchObject({ mode: 'browser' });
    await expect(client['catalog:totals']({})).resolves.toEqual([]);
    const refused = await client['export:plan']({ references: ['Not A Reference!!'], target: '' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'INVALID_REFERENCE' });
  });
});
