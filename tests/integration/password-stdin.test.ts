/**
 * Finding 8 of issue 11: the registry password off the command line. Against
 * a real TLS + htpasswd registry: `--password-stdin` (with --username or a
 * --creds that holds only the user) and `--creds-file` on every command that
 * takes --creds, one stdin for the two sides of a copy, a warning when
 * --creds carries a password, and no password in any /proc/PID/cmdline while
 * an import runs.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli/main.ts';
import { describe as describeContent, imageConfig, imageManifest, makeLayer, MediaTypes, writeOciLayout } from '../harness/fixture-content.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { Capture } from '../harness/test-helpers.ts';

const USER = 'pusher';
const PASSWORD = 'stdin-secret-7f3a91';
let registry: RunningRegistry;
let fixture: FixtureImage;
let work: string;
let bundle: string;
const teardown = new Teardown();

/** Runs `ferry ARGV…` in this process with `stdin` as standard input. */
async function ferry(stdin: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await main(argv, out, err, Readable.from([Buffer.from(stdin)]));
  return { code, stdout: out.text, stderr: err.text };
}

const tls = (): string[] => ['--ca-cert', registry.caFile ?? '', '--authfile', emptyAuthFile];
const ref = (): string => `${registry.host}/${fixture.repository}:${fixture.tag}`;

async function credsFile(name: string, text: string, mode: number): Promise<string> {
  const path = join(work, name);
  await writeFile(path, text);
  await chmod(path, mode);
  return path;
}

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'tls-basic', users: [{ username: USER, password: PASSWORD }] }), (started) => started.stop());
  fixture = (await buildFixtures())['oci-single'];
  await seedFixtures(registry, [fixture]);
  work = await mkdtemp(join(tmpdir(), 'ferry-password-stdin-'));
  bundle = join(work, 'bundle');
  const layer = await makeLayer(MediaTypes.ociLayerGzip, [{ name: 'hello.txt', data: Buffer.from('hello') }]);
  const config = imageConfig(MediaTypes.ociConfig, { os: 'linux', architecture: 'amd64' }, [layer], 'password-stdin');
  const manifest = imageManifest(MediaTypes.ociManifest, config, [layer.content]);
  await writeOciLayout(bundle, [layer.content, config, manifest], [{ refName: 'example.com/hello:v1', descriptor: describeContent(manifest) }]);
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('--password-stdin', () => {
  it('inspect: --username USER --password-stdin logs in; one trailing newline is dropped', async () => {
    const result = await ferry(`${PASSWORD}\n`, 'inspect', ref(), ...tls(), '--username', USER, '--password-stdin', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ digest: fixture.manifestDigest });
  });

  it('inspect: --creds USER (no password) with --password-stdin logs in too', async () => {
    const result = await ferry(PASSWORD, 'inspect', ref(), ...tls(), '--creds', USER, '--password-stdin', '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('a wrong password from stdin is refused by the registry and never printed', async () => {
    const result = await ferry('wrong-password-5521\n', 'inspect', ref(), ...tls(), '--username', USER, '--password-stdin');
    expect(result.code).toBe(1);
    expect(`${result.stdout}${result.stderr}`).not.toContain('wrong-password-5521');
    expect(result.stderr).toContain('hint:');
  });

  it('--password-stdin without a user name, or with an empty stdin, says what is missing', async () => {
    const noUser = await ferry(PASSWORD, 'inspect', ref(), ...tls(), '--password-stdin');
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toMatch(/--password-stdin needs --username USER/);
    const empty = await ferry('\n', 'inspect', ref(), ...tls(), '--username', USER, '--password-stdin');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/standard input held no password/);
    const both = await ferry(PASSWORD, 'inspect', ref(), ...tls(), '--creds', `${USER}:${PASSWORD}`, '--password-stdin');
    expect(both.code).toBe(2);
    expect(both.stderr).not.toContain(PASSWORD);
  });

  it('export reads the password from stdin', async () => {
    const result = await ferry(`${PASSWORD}\n`, 'export', '--to', join(work, 'exported'), ref(), ...tls(), '--username', USER, '--password-stdin', '--catalog', join(work, 'catalog.sqlite'));
    expect(result.stderr).not.toContain(PASSWORD);
    expect(result.code).toBe(0);
  });

  it('copy: one side takes stdin, the other a credentials file; both sides asking for stdin is refused by name', async () => {
    const file = await credsFile('dest-creds', `${USER}:${PASSWORD}\n`, 0o600);
    const result = await ferry(PASSWORD, 'copy', ref(), `${registry.host}/copied/hello:v1`, ...tls(), '--src-username', USER, '--src-password-stdin', '--dest-creds-file', file);
    expect(result.stderr).not.toContain(PASSWORD);
    expect(result.code).toBe(0);
    expect(await skopeoInspectRawDigest(`docker://${registry.host}/copied/hello:v1`, registry, { username: USER, password: PASSWORD })).toBe(fixture.manifestDigest);

    const twice = await ferry(PASSWORD, 'copy', ref(), `${registry.host}/copied/hello:v2`, ...tls(), '--src-username', USER, '--src-password-stdin', '--dest-username', USER, '--dest-password-stdin');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--src-password-stdin and --dest-password-stdin.*one/);
  });
});

describe('--creds-file', () => {
  it('import: a 0600 file holding USER:PASSWORD logs in', async () => {
    const file = await credsFile('creds', `${USER}:${PASSWORD}\n`, 0o600);
    const result = await ferry(
      '',
      'import',
      bundle,
      '--to',
      `${registry.host}/from-file`,
      ...tls(),
      '--creds-file',
      file,
      '--catalog',
      join(work, 'catalog.sqlite'),
      '--receipt',
      join(work, 'receipt-file.json'),
    );
    expect(result.stderr).not.toContain(PASSWORD);
    expect(result.code).toBe(0);
  });

  it.runIf(process.platform !== 'win32')('a file other users can read is refused, naming the file and not its content', async () => {
    const file = await credsFile('open-creds', `${USER}:${PASSWORD}\n`, 0o644);
    const result = await ferry('', 'inspect', ref(), ...tls(), '--creds-file', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/chmod 600/);
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it('a file without a user name is refused without echoing it', async () => {
    const file = await credsFile('bad-creds', `${PASSWORD}\n`, 0o600);
    const result = await ferry('', 'inspect', ref(), ...tls(), '--creds-file', file);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain(PASSWORD);
  });
});

describe('--creds with a password', () => {
  it('still works, with a warning on stderr that never shows the password', async () => {
    const result = await ferry('', 'inspect', ref(), ...tls(), '--creds', `${USER}:${PASSWORD}`, '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: --creds .*visible to other users in the process list.*--password-stdin or --creds-file/);
    expect(result.stderr).not.toContain(PASSWORD);
  });
});

/** Every /proc/PID/cmdline that holds `needle` right now. */
async function cmdlinesHolding(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`).catch(() => Buffer.alloc(0));
    if (cmdline.includes(needle)) found.push(pid);
  }
  return found;
}

/** Spawns the real `ferry` executable, sends `stdin` after a pause, and scans every process's command line until it exits. */
async function importWatchingProcesses(prefix: string, stdin: string, loginFlags: string[]): Promise<{ code: number | null; stderr: string; seen: string[]; scans: number }> {
  const bin = join(import.meta.dirname, '..', '..', 'src-main', 'cli', 'bin.mjs');
  const args = [bin, 'import', bundle, '--to', `${registry.host}/${prefix}`, ...tls(), ...loginFlags, '--catalog', join(work, 'catalog.sqlite'), '--receipt', join(work, `receipt-${prefix}.json`)];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  setTimeout(() => child.stdin.end(stdin), 500);
  const seen = new Set<string>();
  let scans = 0;
  while (running()) {
    for (const pid of await cmdlinesHolding(PASSWORD)) seen.add(pid);
    if (running()) scans += 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { code: await exited, stderr, seen: [...seen], scans };
}

describe('the process list', () => {
  it('holds the password with --creds USER:PASSWORD (the scan works) and never with --password-stdin', async () => {
    const visible = await importWatchingProcesses('ps-creds', '', ['--creds', `${USER}:${PASSWORD}`]);
    expect(visible.code).toBe(0);
    expect(visible.seen.length).toBeGreaterThan(0);

    const hidden = await importWatchingProcesses('ps-stdin', `${PASSWORD}\n`, ['--username', USER, '--password-stdin']);
    expect(hidden.stderr).not.toContain(PASSWORD);
    expect(hidden.code).toBe(0);
    expect(hidden.scans).toBeGreaterThan(5);
    expect(hidden.seen).toEqual([]);
    const manifest = await skopeoInspectRawDigest(`docker://${registry.host}/ps-stdin/hello:v1`, registry, { username: USER, password: PASSWORD });
    expect(manifest).toMatch(/^sha256:/);
  }, 60_000);
});

describe('a login inside a registry address on the command line', () => {
  it.each([
    ['import --to', (secret: string) => ['import', bundle, '--to', `${USER}:${secret}@${registry.host}/site`, ...tls()]],
    ['inspect REF', (secret: string) => ['inspect', `${USER}:${secret}@${registry.host}/${fixture.repository}:${fixture.tag}`, ...tls()]],
    ['copy --to', (secret: string) => ['copy', '--images', join(work, 'none.txt'), '--to', `${USER}:${secret}@${registry.host}/x`, ...tls()]],
  ])('%s is refused without echoing the password', async (_name, argv) => {
    await writeFile(join(work, 'none.txt'), `${ref()}\n`);
    const result = await ferry('', ...argv(PASSWORD));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/user name\/password/);
    expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD);
  });
});
