/**
 * `npm start`: opens the desktop app when an Electron binary is installed; where
 * none is (machines that install with ELECTRON_SKIP_BINARY_DOWNLOAD=1), it says
 * so in one line and serves browser mode (`ferry ui`) instead. Whatever is
 * missing or older than its sources is built first, one line each (the app's
 * pages, and for Electron its main-process bundle), so `npm install` then
 * `npm start` is all a fresh clone needs.
 *
 * `npm start -- --no-open` serves browser mode without opening a browser;
 * `npm start -- --browser` serves browser mode even where Electron is installed.
 */
import { spawn } from 'node:child_process';
import { runBrowserMode } from '../server/browser-mode.ts';
import { checkoutRoot, ensureRenderer } from '../server/renderer-build.ts';
import { buildDesktop, desktopEntry, desktopState } from './build-app.ts';
import { electronBinary } from './electron-binary.ts';

/** Starts the app the way this machine can; resolves with the exit code once it has stopped. */
async function start(): Promise<number> {
  const root = checkoutRoot();
  const binary = process.argv.includes('--browser') ? undefined : electronBinary();
  if (binary === undefined) {
    if (!process.argv.includes('--browser')) {
      process.stderr.write('ferry: no Electron binary is installed here (npm ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1), so Ferry starts in browser mode instead\n');
    }
    return runBrowserMode({ open: !process.argv.includes('--no-open'), out: process.stdout, err: process.stderr });
  }
  await ensureRenderer(root, process.stderr, 'ferry');
  const state = desktopState(root);
  if (state === 'missing' || state === 'stale') {
    process.stderr.write(`ferry: building the desktop app into dist/app (${state === 'missing' ? 'not built yet' : 'its sources changed'})…\n`);
    await buildDesktop(root);
  }
  // The desktop app proper: Electron runs the bundled main process.
  const child = spawn(binary, [desktopEntry(root)], { stdio: 'inherit' });
  return new Promise((resolvePromise) => child.on('exit', (code) => resolvePromise(code ?? 1)));
}

process.exitCode = await start();
