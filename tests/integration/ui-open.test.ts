/**
 * `ferry ui` opens the browser without putting the session token in any
 * process's argv (every local user can read /proc/PID/cmdline): the opener
 * (here a test script named by BROWSER, as a user would set it) gets the path
 * of a 0600 redirect file in a private 0700 folder, and the file goes away
 * when the server stops. The real CLI runs as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_QUERY } from '../../src-shared/api/wire.ts';

const BIN = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');
let work: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-ui-open-'));
  // `ferry ui` serves the built renderer; build it once if this checkout has not.
  if (!existsSync(join('dist', 'renderer', 'index.html'))) {
    await new Promise<void>((resolve, reject) => {
      const build = spawn('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
      build.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited ${code}`))));
    });
  }
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every readable command line on this machine, NULs as spaces. */
async function allCommandLines(): Promise<Array<{ pid: string; cmdline: string }>> {
  const lines: Array<{ pid: string; cmdline: string }> = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      lines.push({ pid, cmdline: (await readFile(`/proc/${pid}/cmdline`, 'latin1')).replaceAll('\0', ' ') });
    } catch {
      // the process ended while we looked
    }
  }
  return lines;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('ferry ui opens the browser', () => {
  it('with no token in any /proc/*/cmdline, through a 0600 redirect file that is removed when the server stops', async () => {
    const runtime = join(work, 'runtime');
    await mkdir(runtime, { mode: 0o700 });
    await chmod(runtime, 0o700);
    const opened = join(work, 'opened.txt');
    const release = join(work, 'release');
    // The stand-in browser records its arguments and stays alive (its own argv visible in /proc) until the test releases it, or 2 minutes pass.
    const browser = join(work, 'fake-browser.sh');
    await writeFile(
      browser,
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${opened}.part' && mv '${opened}.part' '${opened}'\ni=0\nwhile [ ! -e '${release}' ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done\n`,
      { mode: 0o755 },
    );

    const env: NodeJS.ProcessEnv = { ...process.env, BROWSER: browser, XDG_RUNTIME_DIR: runtime, XDG_DATA_HOME: join(work, 'data'), FERRY_CATALOG: join(work, 'catalog.sqlite') };
    const started = spawn(process.execPath, [BIN, 'ui', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let stdout = '';
    let stderr = '';
    started.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => started.on('exit', (code) => resolve(code)));

    await waitFor(`the printed address (stderr: ${stderr})`, () => /https?:\/\/\S+/.test(stdout));
    const address = new URL(/https?:\/\/\S+/.exec(stdout)?.[0] ?? '');
    const token = address.searchParams.get(TOKEN_QUERY) ?? '';
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    await waitFor('the browser to be opened', () => existsSync(opened));

    // While the opener runs: its command line is readable, and no command line on the machine holds the token.
    const lines = await allCommandLines();
    expect(lines.some((line) => line.cmdline.includes(browser))).toBe(true);
    expect(lines.filter((line) => line.cmdline.includes(token))).toEqual([]);

    // What the browser got: one file: URL of a 0600 file in a 0700 folder, which sends it to the tokened address.
    const args = (await readFile(opened, 'utf8')).trim().split('\n');
    expect(args).toHaveLength(1);
    const file = fileURLToPath(args[0] ?? '');
    expect(file.startsWith(`${runtime}/`)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(file, '..'))).mode & 0o777).toBe(0o700);
    const html = await readFile(file, 'utf8');
    expect(html).toContain(`http-equiv="refresh" content="0;url=${address.href.replaceAll('&', '&amp;')}"`);

    await writeFile(release, '');
    started.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(file)).toBe(false);
  }, 120_000);
});
