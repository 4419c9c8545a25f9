/**
 * The Electron main process: one window showing the bundled renderer from
 * disk, locked down as the Electron security checklist asks, and the contract
 * served over IPC by the same service browser mode uses.
 * https://www.electronjs.org/docs/latest/tutorial/security
 *
 * Expects the build layout: dist/renderer/index.html (Vite) and
 * dist/app/preload.cjs (the bundled preload) beside dist/app/main.js.
 * TODO: serve the page from a custom `app://` protocol instead of file://
 * (https://www.electronjs.org/docs/latest/tutorial/security#18-avoid-usage-of-the-file-protocol-and-prefer-usage-of-custom-protocols).
 */
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent } from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createService } from '../service.ts';
import { forwardEvents, registerIpcHandlers } from './ipc.ts';

const rendererIndex = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const rendererUrl = pathToFileURL(rendererIndex).href;
const preloadFile = fileURLToPath(new URL('./preload.cjs', import.meta.url));

/** Only the app's own page may call the API. https://www.electronjs.org/docs/latest/tutorial/security#17-validate-the-sender-of-all-ipc-messages */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  return event.senderFrame?.url.split('#')[0] === rendererUrl;
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    show: false,
    webPreferences: {
      preload: preloadFile,
      // https://www.electronjs.org/docs/latest/tutorial/security#3-enable-context-isolation
      contextIsolation: true,
      // https://www.electronjs.org/docs/latest/tutorial/security#4-enable-process-sandboxing
      sandbox: true,
      // https://www.electronjs.org/docs/latest/tutorial/security#2-do-not-enable-nodejs-integration-for-remote-content
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      // https://www.electronjs.org/docs/latest/tutorial/security#6-do-not-disable-websecurity
      webSecurity: true,
      // https://www.electronjs.org/docs/latest/tutorial/security#9-do-not-enable-experimental-features
      experimentalFeatures: false,
      // https://www.electronjs.org/docs/latest/tutorial/security#12-verify-webview-options-before-creation
      webviewTag: false,
      // https://www.electronjs.org/docs/latest/tutorial/security#8-do-not-enable-allowrunninginsecurecontent
      allowRunningInsecureContent: false,
      // Middle-click (auxclick) on a link would otherwise try to open a new window; setWindowOpenHandler denies it, and this removes the event.
      // https://www.electronjs.org/docs/latest/tutorial/security#14-disable-or-limit-creation-of-new-windows
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
    },
  });
  // https://www.electronjs.org/docs/latest/tutorial/security#13-disable-or-limit-navigation
  window.webContents.on('will-navigate', (event, url) => {
    if (url.split('#')[0] !== rendererUrl) event.preventDefault();
  });
  window.webContents.on('will-redirect', (event) => event.preventDefault());
  // https://www.electronjs.org/docs/latest/tutorial/security#14-disable-or-limit-creation-of-new-windows
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // https://www.electronjs.org/docs/latest/tutorial/security#12-verify-webview-options-before-creation
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  // https://www.electronjs.org/docs/latest/tutorial/security#1-only-load-secure-content (no remote content: the page is a local file)
  void window.loadFile(rendererIndex);
  return window;
}

async function start(): Promise<void> {
  await app.whenReady();
  // https://www.electronjs.org/docs/latest/tutorial/security#7-define-a-content-security-policy
  // The same CSP browser mode sends (SECURITY_HEADERS in ../server/browser-server.ts), written out as a literal so
  // electronegativity can evaluate it; tests/integration/electronegativity.test.ts checks the two stay equal.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [
          "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
        ],
      },
    });
  });
  // https://www.electronjs.org/docs/latest/tutorial/security#5-handle-session-permission-requests-from-remote-content
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  // No remote content: any request that is not a local file is cancelled (registries are reached by the main process, never the page).
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !details.url.startsWith('file:') && !details.url.startsWith('devtools:') }));

  const service = createService({ mode: 'electron' });
  registerIpcHandlers(ipcMain, service, isTrustedSender);
  const window = createWindow();
  const stopForwarding = forwardEvents(service, (channel, payload) => {
    if (!window.isDestroyed()) window.webContents.send(channel, payload);
  });
  app.on('window-all-closed', () => {
    stopForwarding();
    void service.close().finally(() => app.quit());
  });
}

void start();
