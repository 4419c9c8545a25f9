/**
 * The `ferry` CLI as the desktop packages carry it (electron-builder.yml's
 * extraResources → resources/cli/): the CLI bundle of dist/cli, the app's
 * pages for `ferry ui`, the launchers
 * of resources/cli (ferry.mjs, `ferry` for Linux and macOS, ferry.cmd for
 * Windows) and, in node_modules/, the packages the bundle keeps outside
 * (build-cli.ts: better-sqlite3, @peculiar/x509 with its decorator registry)
 * with everything they need at run time, copied from this checkout's
 * node_modules before electron-builder rebuilds better-sqlite3 for Electron.
 * The packaged app's own node_modules sit inside app.asar, which plain Node
 * cannot read, and the packaged Electron binary cannot run as Node (its
 * runAsNode fuse is off), so the CLI runs with the Node.js on the PATH.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/**
 * The packages the CLI bundle loads at run time: build-cli.ts's `external` as imported, and undici, whose
 * connection pool alone is required by path (oci/registry/undici-agent.ts), which esbuild does not follow.
 */
export const CLI_RUNTIME_PACKAGES = ['better-sqlite3', '@peculiar/x509', 'reflect-metadata', 'tsyringe', 'undici'];

/** Dependencies that only install or build a package, never load at run time: not copied. */
const INSTALL_ONLY = new Set(['prebuild-install', 'node-gyp']);

/** The folder of package `name` as Node would find it from `fromDir`: the nearest node_modules/name upwards, within `root`. */
function findPackage(name: string, fromDir: string, root: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) throw new Error(`package ${name} (needed by the packaged CLI) is not installed under ${root}; run npm install`);
  }
}

/** Every package folder the CLI needs at run time: the roots and their dependencies, transitively. */
export function cliPackageFolders(root: string): string[] {
  const found = new Set<string>();
  const queue = CLI_RUNTIME_PACKAGES.map((name) => findPackage(name, root, root));
  for (let folder = queue.pop(); folder !== undefined; folder = queue.pop()) {
    if (found.has(folder)) continue;
    found.add(folder);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies ?? {})) if (!INSTALL_ONLY.has(name)) queue.push(findPackage(name, folder, root));
  }
  return [...found].sort();
}

/** What of a package folder is copied: for better-sqlite3 its JavaScript and the compiled module only (not the 25 MB of SQLite sources and objects). */
function keep(folder: string, path: string): boolean {
  if (!folder.endsWith(`${sep}better-sqlite3`)) return true;
  const inside = relative(folder, path).split(sep);
  if (inside[0] === 'build') return inside.length < 3 || (inside[1] === 'Release' && (inside.length === 2 || inside[2] === 'better_sqlite3.node'));
  return !['deps', 'src'].includes(inside[0] ?? '');
}

/**
 * Writes the packaged CLI into `out` (emptied first): the launchers, dist/cli's
 * bundle in lib/ with a package.json above it (its version, read by
 * `ferry --version` and written into bundles), the app's pages in renderer/
 * (where `ferry ui` looks beside the bundle) and the run-time packages.
 */
export function stageCliPackage(root: string, out = join(root, 'dist', 'cli-package')): string {
  const bundle = join(root, 'dist', 'cli');
  const pages = join(root, 'dist', 'renderer');
  if (!existsSync(join(bundle, 'main.mjs'))) throw new Error(`the CLI bundle ${bundle} is not built; run npm run build:cli`);
  if (!existsSync(join(pages, 'index.html'))) throw new Error(`the app's pages ${pages} are not built; run npm run build:renderer`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'lib'), { recursive: true });
  for (const name of readdirSync(bundle)) if (name.endsWith('.mjs')) cpSync(join(bundle, name), join(out, 'lib', name));
  cpSync(pages, join(out, 'renderer'), { recursive: true });
  cpSync(join(root, 'resources', 'cli'), out, { recursive: true });
  const { version, license } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; license: string };
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ name: 'ferry-cli', version, license, private: true, type: 'module' }, null, 2)}\n`);
  for (const folder of cliPackageFolders(root)) {
    cpSync(folder, join(out, relative(root, folder)), { recursive: true, dereference: true, filter: (path) => keep(folder, path) });
  }
  return out;
}
