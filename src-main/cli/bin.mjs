#!/usr/bin/env node
// The `ferry` executable. It runs the bundle `npm run build:cli` writes
// (dist/cli/main.mjs, fast to start) when that bundle is what the sources
// say, and otherwise loads the TypeScript sources through tsx, so a clone
// works right after `npm install` and an edit is never run stale.
//
// The check is cheap because the build says what to check: dist/cli/
// build-stamp.json (written by build-cli.ts, which documents it) lists each
// source the bundle holds with its mtime and size as the build read them.
// `--version` and `--help` run only main.ts and its few static imports, so
// only those are stat'ed for them, as listed in build-stamp-startup.json
// (the stamp cut down to them, read only while build-stamp.json is there);
// a command stats every listed source.
// Without a stamp (a bundle built some other way) every source under
// src-main and src-shared is compared with the bundle's time, as before.
// Without sources beside it (an installed copy holding only the bundle)
// the bundle is all there is.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundle = join(root, 'dist', 'cli', 'main.mjs');
const argv = process.argv.slice(2);
/** The arguments main.ts answers from its static imports alone (build-cli.ts: the stamp's `startup`). */
const ANSWERED_AT_STARTUP = new Set(['--version', '--help', '-h', 'help']);

/** Newest modification time of the TypeScript sources under `dir`: the check without a stamp. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const atStartup = argv.length === 0 || ANSWERED_AT_STARTUP.has(argv[0]);

/** A stamp file of the bundle's folder, or undefined when it is missing or not JSON. */
function readStamp(name) {
  try {
    return JSON.parse(readFileSync(join(root, 'dist', 'cli', name), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether every source the stamp lists for this run still has the time and size the build read. */
function matchesStamp(stamp) {
  const paths = atStartup ? stamp.startup : Object.keys(stamp.sources);
  for (const path of paths) {
    const recorded = stamp.sources[path];
    const now = statSync(join(root, path), { throwIfNoEntry: false });
    if (!recorded || !now || now.mtimeMs !== recorded[0] || now.size !== recorded[1]) return false;
  }
  return true;
}

function bundleIsCurrent() {
  if (!existsSync(join(root, 'src-main', 'cli', 'main.ts'))) return true;
  let stamp = atStartup && existsSync(join(root, 'dist', 'cli', 'build-stamp.json')) ? readStamp('build-stamp-startup.json') : undefined;
  if (stamp?.version !== 1 || !Array.isArray(stamp.startup)) stamp = readStamp('build-stamp.json');
  if (stamp?.version === 1) return existsSync(bundle) && matchesStamp(stamp);
  return existsSync(bundle) && statSync(bundle).mtimeMs >= Math.max(newestSource(join(root, 'src-main')), newestSource(join(root, 'src-shared')));
}

let main;
if (bundleIsCurrent()) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
}
process.exitCode = await main(argv);
