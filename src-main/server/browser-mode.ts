/**
 * Running browser mode as a process: find the built renderer (built first from
 * the checkout when missing or stale, renderer-build.ts), start the
 * service and the server, print the address, optionally open it (through a
 * private redirect file, see open-browser.ts), and stop cleanly on
 * SIGINT/SIGTERM, removing that file. Shared by `ferry ui` and `npm start` where no
 * Electron binary exists.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { untilInterrupted } from '../base/interrupt.ts';
import { createService } from '../service.ts';
import { startBrowserServer } from './browser-server.ts';
import { openInBrowser, writeRedirectFile, type RedirectFile } from './open-browser.ts';
import { checkoutRoot, ensureRenderer } from './renderer-build.ts';

/**
 * The renderer build to serve: the checkout's dist/renderer (built first when
 * missing or older than its sources, with one line on `say`), else one beside
 * the bundled CLI; undefined when there is none.
 */
export async function findOrBuildRenderer(say: NodeJS.WritableStream): Promise<string | undefined> {
  const built = await ensureRenderer(checkoutRoot(), say, 'ferry ui');
  if (built !== undefined) return built;
  const beside = fileURLToPath(new URL('../renderer', import.meta.url));
  return existsSync(join(beside, 'index.html')) ? beside : undefined;
}

/** Options of one browser-mode run. */
export interface BrowserModeOptions {
  port?: number;
  catalogPath?: string;
  open: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Serves browser mode until SIGINT or SIGTERM; returns the exit code. */
export async function runBrowserMode(options: BrowserModeOptions): Promise<number> {
  const dir = await findOrBuildRenderer(options.err);
  if (dir === undefined) {
    options.err.write("ferry ui: the app's pages are not built here and their sources are not beside this copy of Ferry; run `npm run build:renderer` in a checkout\n");
    return 1;
  }
  const service = createService({ mode: 'browser', ...(options.catalogPath ? { catalogPath: options.catalogPath } : {}) });
  const server = await startBrowserServer({ service, host: '127.0.0.1', rendererDir: dir, ...(options.port !== undefined ? { port: options.port } : {}) });
  options.out.write(`Ferry is running at ${server.url}\n(only this machine can reach it; keep the address private, it carries the session token; Ctrl-C stops it)\n`);
  // The browser gets the path of a private redirect file, never the tokened address: argv is readable by every local user.
  let redirect: RedirectFile | undefined;
  if (options.open) {
    try {
      redirect = await writeRedirectFile(server.url);
      openInBrowser(redirect);
    } catch (error) {
      options.err.write(`ferry ui: not opening a browser: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  await untilInterrupted();
  await redirect?.remove();
  await server.close();
  await service.close();
  return 0;
}
