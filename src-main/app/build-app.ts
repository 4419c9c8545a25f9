/**
 * `npm run build:app`: the Electron main process and its preload bundled with
 * esbuild into dist/app (main.js as ESM with the packages left to
 * node_modules, preload.cjs as CommonJS with only `electron` outside, as
 * sandboxed preloads must be). `npm start` calls it too, when an Electron
 * binary is installed and dist/app is missing or older than the sources.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { newestModification, type BuildState } from '../server/renderer-build.ts';

/** The bundle Electron starts (package.json `main`). */
export function desktopEntry(root: string): string {
  return join(root, 'dist', 'app', 'main.js');
}

/** Whether `root`'s desktop bundle is there and newer than every source it is built from. */
export function desktopState(root: string): BuildState {
  if (!existsSync(join(root, 'src-main', 'app', 'main.ts'))) return 'no-sources';
  const built = statSync(desktopEntry(root), { throwIfNoEntry: false });
  if (!built) return 'missing';
  const newest = Math.max(...['src-main', 'src-shared', 'package-lock.json'].map((path) => newestModification(join(root, path))));
  return newest > built.mtimeMs ? 'stale' : 'current';
}

/** Bundles `root`'s main process and preload into dist/app. */
export async function buildDesktop(root: string): Promise<void> {
  const common = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' } as const;
  await build({ ...common, entryPoints: ['src-main/app/main.ts'], format: 'esm', packages: 'external', outfile: 'dist/app/main.js' });
  await build({ ...common, entryPoints: ['src-main/app/preload.ts'], format: 'cjs', external: ['electron'], outfile: 'dist/app/preload.cjs' });
}

if (process.argv[1] === import.meta.filename) await buildDesktop(join(import.meta.dirname, '..', '..'));
