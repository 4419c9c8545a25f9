/**
 * The app's pages (the renderer, dist/renderer) built from the checkout when
 * they are missing or older than their sources, so `npm install` then
 * `npm start` or `ferry ui` opens the app with no third command: the
 * `prepare` script builds them at install (src-main/cli/prepare.ts), and a
 * start builds them again after a `git pull` or an edit. One line says so
 * while Vite runs; Vite runs as a child process, so neither the CLI bundle
 * nor the app loads it. Without the sources (an installed copy holding only
 * the builds) there is nothing to build and nothing is checked.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../../src-shared/errors.ts';

/**
 * The checkout this code runs from: two folders up from this module, from the
 * sources (src-main/server) as from the bundled CLI (dist/cli) or app (dist/app).
 */
export function checkoutRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url));
}

/** Where the renderer build lands inside a checkout. */
export function rendererOutDir(root: string): string {
  return join(root, 'dist', 'renderer');
}

/** What the renderer build needs and what makes it stale: its sources, the shared code and its Vite config. */
const RENDERER_SOURCES = ['src-renderer', 'src-shared', 'vite.config.renderer.ts', 'package-lock.json'];

/** Newest modification time (ms) of the files at `path` (a file, or every file below a folder); 0 when absent. */
export function newestModification(path: string): number {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    newest = Math.max(newest, newestModification(join(path, entry.name)));
  }
  return newest;
}

/** The renderer build against its sources: current, missing, stale, or not buildable here (no sources beside this code). */
export type BuildState = 'current' | 'missing' | 'stale' | 'no-sources';

/** Whether `root`'s renderer build is there and newer than every one of its sources. */
export function rendererState(root: string): BuildState {
  if (!existsSync(join(root, 'src-renderer', 'index.html')) || !existsSync(join(root, 'vite.config.renderer.ts'))) return 'no-sources';
  const built = statSync(join(rendererOutDir(root), 'index.html'), { throwIfNoEntry: false });
  if (!built) return 'missing';
  const newest = Math.max(...RENDERER_SOURCES.map((path) => newestModification(join(root, path))));
  return newest > built.mtimeMs ? 'stale' : 'current';
}

/** Runs a node script to its end, its output on our standard error; rejects naming `what` when it fails. */
export function runNodeScript(what: string, script: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // stdout too goes to standard error: `ferry ui` prints its address on standard output, and nothing else may land there.
    const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', (error) => reject(new FerryError('IO_ERROR', `${what} could not start: ${error.message}`, { path: script }, { cause: error })));
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new FerryError('INTERNAL', `${what} failed (${signal ?? `exit code ${String(code)}`}); its messages are above`, { path: script }));
    });
  });
}

/**
 * Builds `root`'s renderer with Vite into a fresh folder, then puts it in
 * place of dist/renderer, so a browser-mode server still running from the old
 * build loses its files for a moment only, never mid-build.
 */
export async function buildRenderer(root: string): Promise<void> {
  let vite: string;
  try {
    const manifest = createRequire(join(root, 'package.json')).resolve('vite/package.json');
    vite = join(dirname(manifest), 'bin', 'vite.js');
  } catch (error) {
    throw new FerryError('NOT_FOUND', `Vite is not installed in ${root}, so the app's pages cannot be built: run npm install there (with its dev dependencies)`, { path: root }, { cause: error });
  }
  const finished = rendererOutDir(root);
  const fresh = `${finished}.building-${process.pid}`;
  try {
    await runNodeScript("Building the app's pages (Vite)", vite, ['build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn', '--outDir', fresh], root);
    rmSync(finished, { recursive: true, force: true });
    renameSync(fresh, finished);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

/**
 * Builds the renderer when it is missing or stale, saying so in one line on
 * `say`; returns its folder, or undefined when there is none and no sources
 * to build it from.
 */
export async function ensureRenderer(root: string, say: NodeJS.WritableStream, who = 'ferry'): Promise<string | undefined> {
  const state = rendererState(root);
  if (state === 'missing' || state === 'stale') {
    say.write(`${who}: building the app's pages into dist/renderer (${state === 'missing' ? 'not built yet' : 'its sources changed'})…\n`);
    await buildRenderer(root);
  }
  return existsSync(join(rendererOutDir(root), 'index.html')) ? rendererOutDir(root) : undefined;
}
