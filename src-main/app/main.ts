/**
 * The Electron main process: one window showing the bundled renderer at
 * app://ferry/index.html (a privileged custom scheme serving dist/renderer
 * only, see app-protocol.ts; never file://), locked down as the Electron
 * security checklist asks, and the contract served over IPC by the same
 * service browser mode uses.
 * https://www.electronjs.org/docs/latest/tutorial/security
 *
 * Expects the build layout: dist/renderer/index.html (Vite) and
 * dist/app/preload.cjs (the bundled preload) beside dist/app/main.js.
 */
import { app, BrowserWindow, ipcMain, protocol, session, type IpcMainInvokeEvent } from 'electron';
import { fileURLToPath } from 'node:url';
import { createService } from '../service.ts';
import { APP_PAGE_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler, isAllowedRequest, isAppPage } from './app-protocol.ts';
import { forwardEvents, registerIpcHandlers } from './ipc.ts';
import { keychainCipher } from './keychain-cipher.ts';
import { denyAllPermissions } from './session-policy.ts';

const rendererDir = fileURLToPath(new URL('../renderer', import.meta.url));
const preloadFile = fileURLToPath(new URL('./preload.cjs', import.meta.url));

// https://www.electronjs.org/docs/latest/tutorial/security#18-avoid-usage-of-the-file-protocol-and-prefer-usage-of-custom-protocols
// Privileges can only be granted before the app is ready: standard, secure and fetch-able, nothing more.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

/** Only the app's own page may call the API. https://www.electronjs.org/docs/latest/tutorial/security#17-validate-the-sender-of-all-ipc-messages */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  return isAppPage(event.senderFrame?.url ?? '');
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
    if (!isAppPage(url)) event.preventDefault();
  });
  window.webContents.on('will-redirect', (event) => event.preventDefault());
  // https://www.electronjs.org/docs/latest/tutorial/security#14-disable-or-limit-creation-of-new-windows
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // https://www.electronjs.org/docs/latest/tutorial/security#12-verify-webview-options-before-creation
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  // https://www.electronjs.org/docs/latest/tutorial/security#1-only-load-secure-content (no remote content: app:// serves the packaged renderer)
  void window.loadURL(APP_PAGE_URL);
  return window;
}

async function start(): Promise<void> {
  await app.whenReady();
  try {
    protocol.handle(APP_SCHEME, await createAppProtocolHandler(rendererDir));
  } catch (error) {
    console.error(`ferry: the renderer is not built at ${rendererDir} (run npm run build): ${String(error)}`);
    app.exit(1);
    return;
  }
  // https://www.electronjs.org/docs/latest/tutorial/security#7-define-a-content-security-policy
  // The same CSP browser mode sends (SECURITY_HEADERS in ../server/static-files.ts), written out as a literal so
  // electronegativity can evaluate it; tests/integration/electronegativity.test.ts checks the two stay equal.
  // The app:// handler sends it too; this also covers anything else the session loads. 'self' is app://ferry.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': ["default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"],
      },
    });
  });
  // https://www.electronjs.org/docs/latest/tutorial/security#5-handle-session-permission-requests-from-remote-content
  // Checks, requests and devices: all denied (session-policy.ts).
  denyAllPermissions(session.defaultSession);
  // No remote content: any request outside app://ferry/ (and devtools:) is cancelled, file: included (registries and disks are reached by the main process, never the page).
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url) }));

  // Registry logins the user saves are sealed by the system keychain (safeStorage), never written in clear.
  const service = createService({ mode: 'electron', cipher: keychainCipher() });
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
