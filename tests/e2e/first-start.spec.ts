/**
 * The first start on a fresh clone: `npm install` (here: its `prepare` step,
 * what npm runs after installing the packages) then `npm start` serves a
 * working app, and so does `ferry ui`, with no build command of the
 * operator's. The checkout's files (as git lists them, so nothing built) are
 * copied into a temporary folder beside the installed node_modules, with CI's
 * conditions (CI=true, no Electron binary, no standard input). The app is
 * opened in Chromium with the printed address (the start screen), and without
 * its token (a page in words saying where the address is, never JSON).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { electronBinary } from '../../src-main/app/electron-binary.ts';
import { SESSION_NEEDED_PATH, TOKEN_QUERY } from '../../src-shared/api/wire.ts';
import { StartScreen } from './pages/start.ts';

let work: string;
let clone: string;
const started: ChildProcess[] = [];
/** What the `prepare` step printed: one line per build. */
let prepareOutput = '';

/** The environment of CI's clean clone (.ci/run): no Electron binary, CI=true, and a data folder of this test's own. */
function freshEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CI: 'true',
    ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
    XDG_DATA_HOME: join(work, 'data'),
    FERRY_CATALOG: join(work, 'catalog.sqlite'),
    BROWSER: 'true',
  };
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  work = mkdtempSync(join(tmpdir(), 'ferry-e2e-first-start-'));
  clone = join(work, 'clone');
  // What a clone holds: the files git tracks (and, in a working tree, new files not yet committed), none of them built.
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).split('\0');
  for (const file of listed) {
    if (file === '' || !existsSync(file)) continue;
    mkdirSync(join(clone, dirname(file)), { recursive: true });
    cpSync(file, join(clone, file));
  }
  symlinkSync(realpathSync('node_modules'), join(clone, 'node_modules'));
  expect(existsSync(join(clone, 'dist'))).toBe(false);
  const prepare = spawnSync('npm', ['run', '--silent', 'prepare'], { cwd: clone, env: freshEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  prepareOutput = `${prepare.stdout}${prepare.stderr}`;
  expect(prepare.status, prepareOutput).toBe(0);
});

test.afterAll(async () => {
  const running = started.filter((child) => child.exitCode === null && child.signalCode === null);
  const stopped = running.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of running) stop(child);
  await Promise.all(stopped);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Stops a started command and everything it started (npm → sh → tsx → node): it runs in a process group of its own. */
function stop(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** Runs a start command in the clone and waits for the address it prints; fails with its output if it stops first. */
async function startAndReadAddress(command: string, args: string[]): Promise<{ url: string; stderr: () => string }> {
  const child = spawn(command, args, { cwd: clone, env: freshEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /Ferry is running at (http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(stdout);
      if (found?.[1] !== undefined) resolve(found[1]);
    });
    child.on('exit', (code) => reject(new Error(`${command} ${args.join(' ')} stopped (exit ${String(code)}) before printing an address:\n${stdout}${stderr}`)));
  });
  return { url, stderr: () => stderr };
}

/** The printed address opens the start screen; the same address without its token, or with a wrong one, a page in words. */
async function expectWorkingApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await new StartScreen(page).expectShown();

  // Another tab (this one keeps its token for reloads) opens the address without the token, as typed by hand.
  const origin = new URL(url).origin;
  const tab = await page.context().newPage();
  const bare = await tab.goto(`${origin}/`);
  expect(bare?.status()).toBe(200);
  // The page has no token: it leaves for the words page, which says where the full address is.
  await tab.waitForURL(`${origin}${SESSION_NEEDED_PATH}`, { timeout: 60_000 });
  await expect(tab.getByRole('heading', { level: 1, name: 'Open Ferry with its full address' })).toBeVisible();
  await expect(tab.getByText(/printed in the terminal where ferry ui or npm start runs/)).toBeVisible();
  await expect(tab.getByText(`${origin}/?${TOKEN_QUERY}=…`, { exact: false })).toBeVisible();
  expect(await tab.content()).not.toContain(new URL(url).searchParams.get(TOKEN_QUERY));
  await expect(tab.locator('body')).not.toContainText('"ok"');

  await tab.close();

  // An address with a token that is not this start's (an earlier start's) gets the same words straight from the server.
  const stale = await page.request.get(`${origin}/?${TOKEN_QUERY}=${'0'.repeat(64)}`);
  expect(stale.status()).toBe(401);
  expect(stale.headers()['content-type']).toMatch(/^text\/html/);
  expect(await stale.text()).toContain('Open Ferry with its full address');
}

test('after npm install (its prepare step), npm start serves the app: the start screen with the printed address, words without it', async ({ page }) => {
  // Where an Electron binary is installed, npm start opens the desktop app; this test wants browser mode either way.
  const { url, stderr } = await startAndReadAddress('npm', ['start', '--silent', '--', '--no-open', ...(electronBinary() ? ['--browser'] : [])]);
  await expectWorkingApp(page, url);
  // The install built everything, one line per build, so the start built nothing.
  expect(prepareOutput.trim().split('\n')).toEqual(['ferry: building the command line into dist/cli…', "ferry: building the app's pages into dist/renderer (not built yet)…"]);
  expect(stderr()).not.toContain('building');
});

test('ferry ui builds the app on its first start when the build is missing (one line), then serves it', async ({ page }) => {
  rmSync(join(clone, 'dist', 'renderer'), { recursive: true, force: true });
  const { url, stderr } = await startAndReadAddress(process.execPath, ['src-main/cli/bin.mjs', 'ui', '--no-open']);
  expect(stderr().trim().split('\n')).toEqual(["ferry ui: building the app's pages into dist/renderer (not built yet)…"]);
  await expectWorkingApp(page, url);
});
