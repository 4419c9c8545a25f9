/**
 * The preload: exposes exactly `window.ferry = { invoke, on }`, built from
 * the contract's lists in ipc.ts, and nothing else (no ipcRenderer, no send).
 * https://www.electronjs.org/docs/latest/tutorial/security#20-do-not-expose-electron-apis-to-untrusted-web-content
 *
 * A sandboxed preload cannot load local modules, so it must be bundled to one
 * CommonJS file (esbuild --bundle --format=cjs --external:electron) before the
 * app is packaged; `main.ts` loads that file.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_GLOBAL } from '../../src-shared/api/wire.ts';
import { buildPreloadApi } from './ipc.ts';

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, buildPreloadApi(ipcRenderer));
