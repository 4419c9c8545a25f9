/**
 * Running browser mode as a process: find the built renderer, start the
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

/** Where the renderer build lands (`npm run build:renderer`), from the sources or from the bundled CLI in dist/cli. */
export function rendererDir(): string | undefined {
  for (const relative of ['../../dist/renderer', '../renderer']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
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
  const dir = rendererDir();
  if (dir === undefined) {
    options.err.write('ferry ui: the renderer is not built; run `npm run build:renderer` first\n');
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
