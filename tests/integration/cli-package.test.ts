/**
 * The `ferry` CLI as the desktop packages carry it (cli-package.ts, copied to
 * resources/cli/ by electron-builder): staged into a folder outside the
 * checkout and run there by plain Node through its launcher, it answers
 * `--version` with the package's version and opens a catalog (better-sqlite3
 * and the other packages it keeps outside the bundle are found beside it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageCliPackage } from '../../src-main/app/cli-package.ts';
import { buildCli } from '../../src-main/cli/build-cli.ts';
import { buildRenderer } from '../../src-main/server/renderer-build.ts';

const work = mkdtempSync(join(tmpdir(), 'ferry-cli-package-'));
const packaged = join(work, 'resources', 'cli');

beforeAll(async () => {
  const root = process.cwd();
  // `npm install` built both (prepare); a checkout that has not gets them built here.
  if (!existsSync(join(root, 'dist', 'cli', 'main.mjs'))) await buildCli(root);
  if (!existsSync(join(root, 'dist', 'renderer', 'index.html'))) await buildRenderer(root);
  stageCliPackage(root, packaged);
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the packaged launcher from a folder outside the checkout. */
function ferry(...args: string[]): { status: number | null; out: string } {
  const run = spawnSync(process.execPath, [join(packaged, 'ferry.mjs'), ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, FERRY_CATALOG: join(work, 'catalog.sqlite'), XDG_DATA_HOME: join(work, 'data') },
  });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

describe('the packaged ferry CLI', () => {
  it('runs outside the checkout with plain Node: its version, and a catalog it creates', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(ferry('--version')).toEqual({ status: 0, out: `ferry ${version}\n` });
    const catalog = ferry('catalog', 'bundles');
    expect(catalog.status, catalog.out).toBe(0);
    expect(existsSync(join(work, 'catalog.sqlite'))).toBe(true);
    // Nothing of the checkout is reached: the sources are not beside it, and its pages for `ferry ui` are its own copy.
    expect(existsSync(join(packaged, 'renderer', 'index.html'))).toBe(true);
    expect(existsSync(join(packaged, 'node_modules', 'better-sqlite3', 'deps'))).toBe(false);
  });

  it('has a launcher for each platform that runs ferry.mjs with the Node.js on the PATH', () => {
    expect(readFileSync(join(packaged, 'ferry'), 'utf8')).toMatch(/exec node "\$here\/ferry\.mjs" "\$@"/);
    expect(readFileSync(join(packaged, 'ferry.cmd'), 'utf8')).toMatch(/node "%~dp0ferry\.mjs" %\*/);
  });
});
