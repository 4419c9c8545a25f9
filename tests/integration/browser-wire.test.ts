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
import { EventSource } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobOfKind, type JobState } from '../../src-shared/api/contract.ts';
import { API_PATH_PREFIX, BRIDGE_GLOBAL, EVENTS_PATH, methodPath, TOKEN_COOKIE, TOKEN_HEADER, TOKEN_QUERY } from '../../src-shared/api/wire.ts';
import { buildPreloadApi, registerIpcHandlers } from '../../src-main/app/ipc.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { ApiError, clientOver, createApiClient, httpTransport, type EventSourceConstructor } from '../../src-renderer/api/client.ts';
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

/** A real EventSource that also tells when its stream is open, so no event is sent before the test listens. */
function openingEventSource(): { impl: EventSourceConstructor; opened: Promise<void> } {
  let markOpen: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    markOpen = resolve;
  });
  class Opening extends EventSource {
    constructor(url: string) {
      super(url);
      this.addEventListener('open', () => markOpen());
    }
  }
  return { impl: Opening, opened };
}

describe('browser mode speaks the shared wire names', () => {
  it('prints the page address with the token under TOKEN_QUERY, and the page sets the TOKEN_COOKIE cookie', async () => {
    const printed = new URL(server.url);
    expect(printed.hostname).toBe('127.0.0.1');
    expect(printed.searchParams.get(TOKEN_QUERY)).toBe(server.token);
    const page = await fetch(server.url, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(page.headers.get('set-cookie')).toMatch(new RegExp(`^${TOKEN_COOKIE}=${server.token};`));
    const byCookie = await fetch(`${origin}/`, { headers: { Cookie: `${TOKEN_COOKIE}=${server.token}` } });
    expect(byCookie.status).toBe(200);
  });

  it('answers the renderer client created from that address, as the page creates it', async () => {
    const printed = new URL(server.url);
    const client = createApiClient({ location: { href: printed.href, search: printed.search } });
    await expect(client['app:info']({})).resolves.toMatchObject({ mode: 'browser' });
    await expect(client['catalog:bundles']({ limit: 5 })).resolves.toEqual([]);
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
    const { impl, opened } = openingEventSource();
    const client = clientOver(httpTransport({ baseUrl: `${origin}/`, token: server.token, eventSourceImpl: impl }));
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
