/**
 * The contract is the only list of channels: the preload exposes exactly its
 * methods and events, the IPC adapter registers exactly its methods, and the
 * service implements every one.
 */
import { describe, expect, it } from 'vitest';
import { API_EVENTS, API_METHODS, CONTRACT_IS_COMPLETE } from '../../src-shared/api/contract.ts';
import { eventChannel, methodChannel } from '../../src-shared/api/wire.ts';
import { buildPreloadApi, ipcChannels, registerIpcHandlers } from '../../src-main/app/ipc.ts';
import { createService } from '../../src-main/service.ts';

describe('API contract', () => {
  it('is complete at compile time', () => {
    expect(CONTRACT_IS_COMPLETE).toBe(true);
    expect(new Set(API_METHODS).size).toBe(API_METHODS.length);
    expect(new Set(API_EVENTS).size).toBe(API_EVENTS.length);
  });

  it('method and event channels never collide and follow domain:verb', () => {
    const { methods, events } = ipcChannels();
    const eventChannels = new Set(events.map((e) => e.channel));
    expect(methods.filter((m) => eventChannels.has(m.channel))).toEqual([]);
    expect(new Set(methods.map((m) => m.channel)).size).toBe(API_METHODS.length);
    expect(eventChannels.size).toBe(API_EVENTS.length);
    for (const name of [...API_METHODS, ...API_EVENTS]) expect(name).toMatch(/^[a-z]+:[a-z]+$/);
  });

  it('the preload exposes exactly invoke and on, and invokes exactly the contract methods', async () => {
    const invoked: string[] = [];
    const listened: string[] = [];
    const bridge = buildPreloadApi({
      invoke: async (channel: string) => {
        invoked.push(channel);
        return { ok: true, result: null };
      },
      on: ((channel: string) => {
        listened.push(channel);
      }) as never,
      removeListener: (() => undefined) as never,
    });
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on']);
    for (const method of API_METHODS) await bridge.invoke(method, {});
    for (const event of API_EVENTS) bridge.on(event, () => undefined);
    expect(new Set(invoked)).toEqual(new Set(API_METHODS.map(methodChannel)));
    expect(new Set(listened)).toEqual(new Set(API_EVENTS.map(eventChannel)));
    await expect(bridge.invoke('shell:exec' as never, {})).rejects.toThrow(/unknown Ferry method/);
    expect(() => bridge.on('ipc:raw' as never, () => undefined)).toThrow(/unknown Ferry event/);
    expect(invoked).toHaveLength(API_METHODS.length);
  });

  it('the IPC adapter registers exactly the contract methods and keeps error codes', async () => {
    const handlers = new Map<string, (event: never, args: unknown) => unknown>();
    const service = createService({ mode: 'electron' });
    try {
      registerIpcHandlers({ handle: (channel, listener) => handlers.set(channel, listener) }, service, () => true);
      expect(new Set(handlers.keys())).toEqual(new Set(API_METHODS.map(methodChannel)));
      const info = await handlers.get(methodChannel('app:info'))?.({} as never, {});
      expect(info).toMatchObject({ ok: true, result: { mode: 'electron' } });
      const bad = await handlers.get(methodChannel('export:plan'))?.({} as never, { references: ['Not A Reference!!'], target: '' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_REFERENCE' } });
      const eject = await handlers.get(methodChannel('drives:eject'))?.({} as never, { path: '/nonexistent/ferry-not-a-drive' });
      expect(eject).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining('/nonexistent/ferry-not-a-drive') } });
    } finally {
      await service.close();
    }
  });

  it('the service implements every method', () => {
    const service = createService({ mode: 'browser' });
    for (const method of API_METHODS) expect(typeof service[method], method).toBe('function');
    void service.close();
  });
});
