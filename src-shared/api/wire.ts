/**
 * How the contract travels, written once for both ends of each transport:
 * the Electron bridge (`window.ferry`, built by the preload in
 * src-main/app/ipc.ts, used by src-renderer/api/client.ts) and browser mode's
 * HTTP + server-sent events (src-main/server/browser-server.ts and the same
 * client). Nothing else may spell a channel, route, header or cookie name.
 */
import type { ApiEvent, ApiEvents, ApiMethod, ApiResponse } from './contract.ts';

/** The global the Electron preload installs the bridge as (`window.ferry`), and the renderer looks for. */
export const BRIDGE_GLOBAL = 'ferry';

/**
 * What the preload exposes as `window.ferry`: the whole bridge, nothing else.
 * `invoke` answers with the `{ ok, result | error }` envelope, never throws an
 * engine error (Electron would keep only its message). Arguments are
 * `unknown` on purpose: they come from the untrusted renderer, and the engine
 * checks them.
 */
export interface FerryBridge {
  invoke<M extends ApiMethod>(method: M, args: unknown): Promise<ApiResponse<M>>;
  on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** The Electron IPC channel of a method: its contract name (`export:plan`), for ipcMain.handle and ipcRenderer.invoke alike. */
export function methodChannel(method: ApiMethod): string {
  return method;
}

/**
 * The name an event travels under: its contract name (`job:state`), as the
 * Electron IPC channel and as the `event:` field of browser mode's
 * server-sent events. Method and event names never collide (contract test).
 */
export function eventChannel(event: ApiEvent): string {
  return event;
}

/** The header every browser-mode API call carries the session token in (header names are case-insensitive; Node reads them lower-cased). */
export const TOKEN_HEADER = 'X-Ferry-Token';

/**
 * The query parameter of the address `ferry ui` opens (`/?token=…`). The page
 * reads its token from it once and removes it from the address bar; the
 * server never accepts a token from a URL (nor from a cookie: browsers send
 * cookies to every port of 127.0.0.1).
 */
export const TOKEN_QUERY = 'token';

/** Where the page keeps its token for reloads: sessionStorage, which is bound to the origin (port included) and this tab, and never sent anywhere. */
export const TOKEN_STORAGE_KEY = 'ferry-session-token';

/**
 * Browser mode's page in words for a tab without a usable session token (none in the address or the tab's
 * storage, or one the server refuses): the renderer goes there instead of showing an app whose every call fails.
 */
export const SESSION_NEEDED_PATH = '/session-needed';

/** Where browser mode's API lives: every method at `POST /api/<method>`. */
export const API_PATH_PREFIX = '/api/';

/** Browser mode's one server-sent events stream (`GET`), carrying every contract event. */
export const EVENTS_PATH = `${API_PATH_PREFIX}events` as const;

/** The path a method is called at in browser mode (`/api/export:plan`). */
export function methodPath(method: ApiMethod): string {
  return `${API_PATH_PREFIX}${method}`;
}
