/**
 * `npm run build:cli`: bundles the CLI (main.ts) into dist/cli with esbuild,
 * one chunk per command so `ferry --version` loads only main.ts's own small
 * imports, and writes dist/cli/build-stamp.json beside it.
 *
 * The stamp is how bin.mjs knows, cheaply, that the bundle is what the
 * sources say. It records every source file the bundle was built from with
 * its modification time and size as the build read them (taken before
 * esbuild starts, so an edit during the build reads as a change), and which
 * of them main.ts's static imports reach: all that `--version` and `--help`
 * run. bin.mjs then stats those few files for `--version`, every listed file
 * for a command, and falls back to the sources (tsx) on any difference, so an
 * edited tree is never run stale. The format is read by bin.mjs (plain
 * JavaScript, no imports of ours): change both together.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, type Metafile } from 'esbuild';

/** The CLI's entry, relative to the repository root (esbuild's metafile paths are). */
export const CLI_ENTRY = 'src-main/cli/main.ts';
/** The stamp's file name inside the bundle's folder. */
export const STAMP_FILE = 'build-stamp.json';
/**
 * The stamp cut down to its `startup` sources, beside it: what bin.mjs reads for `--version` and `--help`, 600
 * bytes instead of 17 KB to read and parse on every start (docs/performance.md, "Start-up"). Written before the
 * full stamp, and read only while the full stamp is there, so the two always come from one build.
 */
export const STARTUP_STAMP_FILE = 'build-stamp-startup.json';

/** What npm rewrites whenever it installs or removes a package: the stamp's stand-in for the packages bundled into the CLI. */
export const PACKAGES_MARKER = 'node_modules/.package-lock.json';

/** dist/cli/build-stamp.json: what bin.mjs compares the source tree against. */
export interface BuildStamp {
  version: 1;
  /** Every source the bundle holds, and this script: [mtimeMs, size] as the build read it. */
  sources: Record<string, [number, number]>;
  /** The sources `--version` and `--help` run: main.ts and what it imports statically (command modules load on demand). */
  startup: string[];
}

/** [mtimeMs, size] of every file under `dir`, keyed by its path relative to `root` with forward slashes. */
function fileTimes(root: string, dir: string, into: Map<string, [number, number]>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) fileTimes(root, path, into);
    else if (entry.isFile()) {
      const stat = statSync(path);
      into.set(relative(root, path).split('\\').join('/'), [stat.mtimeMs, stat.size]);
    }
  }
}

/** The inputs reachable from `entry` by static imports only: a dynamic import is where a command's module starts. */
export function staticClosure(metafile: Metafile, entry: string): string[] {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    for (const imported of metafile.inputs[path]?.imports ?? []) {
      if (imported.external === true || imported.kind === 'dynamic-import' || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return [...seen].sort();
}

/** Bundles the CLI of the checkout at `root` into `outdir` (emptied first) and writes its stamp; returns the stamp. */
export async function buildCli(root: string, outdir = join(root, 'dist', 'cli')): Promise<BuildStamp> {
  const before = new Map<string, [number, number]>();
  for (const dir of ['src-main', 'src-shared']) fileTimes(root, join(root, dir), before);
  rmSync(outdir, { recursive: true, force: true });
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: [CLI_ENTRY],
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages are bundled too: loading them file by file from node_modules (zod, semver, undici…) cost
    // about 0.1 s of resolution on every command. better-sqlite3 stays outside (native), and so does
    // @peculiar/x509 with its decorator registry (tsyringe, reflect-metadata), which fails when bundled.
    external: ['better-sqlite3', '@peculiar/*', 'tsyringe', 'reflect-metadata'],
    // CommonJS packages bundled into ESM still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __ferryCreateRequire } from 'node:module'; const require = __ferryCreateRequire(import.meta.url);" },
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
    metafile: true,
  });
  const self = relative(root, import.meta.filename)
    .split('\\')
    .join('/');
  const sources: Record<string, [number, number]> = {};
  // Bundled packages are stamped by the one file npm rewrites on every install, not file by file (hundreds of stats per start).
  const ours = Object.keys(metafile.inputs).filter((path) => !`/${path}`.includes('/node_modules/'));
  const packages = ours.length < Object.keys(metafile.inputs).length && existsSync(join(root, PACKAGES_MARKER)) ? [PACKAGES_MARKER] : [];
  for (const path of [...ours, ...packages, self]) {
    const times = before.get(path);
    if (times) sources[path] = times;
    else {
      // Outside src-main and src-shared (not expected): as it is now.
      const stat = statSync(join(root, path));
      sources[path] = [stat.mtimeMs, stat.size];
    }
  }
  const stamp: BuildStamp = { version: 1, sources, startup: [...staticClosure(metafile, CLI_ENTRY), self] };
  const startupSources = Object.fromEntries(stamp.startup.flatMap((path) => (sources[path] ? [[path, sources[path]]] : [])));
  writeFileSync(join(outdir, STARTUP_STAMP_FILE), `${JSON.stringify({ ...stamp, sources: startupSources })}\n`);
  writeFileSync(join(outdir, STAMP_FILE), `${JSON.stringify(stamp)}\n`);
  return stamp;
}

if (process.argv[1] === import.meta.filename) await buildCli(join(import.meta.dirname, '..', '..'));
