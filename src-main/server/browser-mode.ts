/**
 * Running browser mode as a process: find the built renderer, start the
 * service and the server, print the address, optionally open it, and stop
 * cleanly on SIGINT/SIGTERM. Shared by `ferry ui` and `npm start` where no
 * Electron binary exists.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createService } from '../service.ts';
import { startBrowserServer } from './browser-server.ts';

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

/** Opens the address in the desktop's browser; failing to is not an error (the address is printed). */
function openInBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine (a headless import station): the printed address is enough.
  }
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
  if (options.open) openInBrowser(server.url);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await service.close();
  return 0;
}
