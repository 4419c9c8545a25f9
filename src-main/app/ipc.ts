/**
 * The Electron IPC adapter and the preload bridge, generated from the
 * contract's lists (DESIGN.md decision 1): one `ipcMain.handle` per
 * API_METHODS entry, one forwarded channel per API_EVENTS entry, and a
 * `window.ferry` that can invoke exactly those methods and nothing else.
 *
 * Nothing here imports `electron` at run time (only its types), so tests can
 * check the exposed surface without an Electron binary.
 *
 * IPC wire shape: `invoke(method, args)` resolves to the same
 * `{ ok: true, result } | { ok: false, error: { code, message, details } }`
 * as browser mode's HTTP body; Electron keeps only an Error's message across
 * IPC and contextBridge, so errors travel as data and never lose their code.
 */
import type { IpcMainInvokeEvent, IpcRenderer, IpcRendererEvent } from 'electron';
import { API_EVENTS, API_METHODS, type ApiEvent, type ApiEvents, type ApiMethod, type ApiResponse } from '../../src-shared/api/contract.ts';
import { eventChannel, methodChannel, type FerryBridge } from '../../src-shared/api/wire.ts';
import { toErrorEnvelope } from '../../src-shared/errors.ts';
import type { Service } from '../service.ts';

/** The contract's methods and events, each with its IPC channel (named by src-shared/api/wire.ts). */
export function ipcChannels(): { methods: ReadonlyArray<{ method: ApiMethod; channel: string }>; events: ReadonlyArray<{ event: ApiEvent; channel: string }> } {
  return {
    methods: API_METHODS.map((method) => ({ method, channel: methodChannel(method) })),
    events: API_EVENTS.map((event) => ({ event, channel: eventChannel(event) })),
  };
}

/** Registers one handler per contract method; calls from any frame but the app's own are refused. */
export function registerIpcHandlers(
  ipcMain: { handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void },
  service: Service,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean,
): void {
  for (const { method, channel } of ipcChannels().methods) {
    ipcMain.handle(channel, async (event, args): Promise<ApiResponse<typeof method>> => {
      if (!isTrustedSender(event)) return { ok: false, error: { code: 'DENIED', message: 'IPC from an untrusted frame refused' } };
      try {
        return { ok: true, result: (await service.call(method, args)) as never };
      } catch (error) {
        return { ok: false, error: toErrorEnvelope(error) };
      }
    });
  }
}

/** Forwards every contract event to the window; returns the function that stops forwarding. */
export function forwardEvents(service: Service, send: (channel: string, payload: unknown) => void): () => void {
  const stops = ipcChannels().events.map(({ event, channel }) => service.on(event, (payload) => send(channel, payload)));
  return () => {
    for (const stop of stops) stop();
  };
}

/**
 * Builds `window.ferry` from an ipcRenderer. Method and event names are
 * checked against the contract at run time (the renderer is untrusted), and
 * listeners get the payload only, never the IpcRendererEvent (it carries
 * `sender`, which would reopen raw `send`).
 */
export function buildPreloadApi(ipcRenderer: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): FerryBridge {
  const { methods, events } = ipcChannels();
  const methodChannels = new Map<string, string>(methods.map(({ method, channel }) => [method, channel]));
  const eventChannels = new Map<string, string>(events.map(({ event, channel }) => [event, channel]));
  return {
    invoke: async (method, args) => {
      const channel = methodChannels.get(method);
      if (channel === undefined) throw new Error(`unknown Ferry method ${method}`);
      return (await ipcRenderer.invoke(channel, args ?? {})) as ApiResponse<typeof method>;
    },
    on: (event, listener) => {
      const channel = eventChannels.get(event);
      if (channel === undefined) throw new Error(`unknown Ferry event ${event}`);
      const wrapped = (_event: IpcRendererEvent, payload: unknown): void => listener(payload as ApiEvents[typeof event]);
      ipcRenderer.on(channel, wrapped);
      return () => {
        ipcRenderer.removeListener(channel, wrapped);
      };
    },
  };
}
