/**
 * `ferry serve --user NAME --password-keychain` against a real keychain:
 * Debian's docker-credential-pass over a throwaway pass store encrypted to a
 * throwaway passphrase-less GnuPG key (nothing mocked, nothing of the
 * machine's own keychain touched). The password goes in with `ferry serve
 * password set` (standard input), the real CLI serves with it, and Basic
 * auth to /v2/ shows the right password is let in and a wrong one gets 401;
 * the password appears in no output, log or store file; a missing entry and
 * a missing keychain choice are refused naming the helper and the user.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerryServe, type RunningFerryServe } from '../harness/ferry-serve.ts';
import { Teardown } from '../harness/teardown.ts';

const execFileAsync = promisify(execFile);
const BIN = resolve('src-main/cli/bin.mjs');
/** Each CLI start loads through tsx on a shared machine: allow for it. */
const CLI_TIMEOUT_MS = 60_000;
const FIRST_PASSWORD = 'keychain-pw-7f3a-first';
const SECOND_PASSWORD = 'keychain-pw-91c2-second';

const teardown = new Teardown();
let work = '';
/** The environment every ferry, pass and gpg run sees: the throwaway keychain and a HOME with no docker or containers config. */
let env: NodeJS.ProcessEnv = {};
/** Everything any ferry run printed, checked for the passwords at the end of each test. */
let printed = '';

/** Runs the real CLI (`ferry ARGS`) with `stdin`, to its exit. */
function ferry(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`ferry ${args.join(' ')} did not finish: ${stderr}`));
    }, CLI_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      printed += stdout + stderr;
      done({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

/** GET /v2/ with a Basic login (or none): the status. */
async function v2Status(serve: RunningFerryServe, login?: { user: string; password: string }): Promise<number> {
  const headers: Record<string, string> = login ? { authorization: `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}` } : {};
  const response = await fetch(`${serve.url}/v2/`, { headers });
  await response.arrayBuffer();
  return response.status;
}

/** Every regular file's bytes under `dir`, concatenated (to show a secret is in none of them). */
async function allBytes(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) parts.push((await readFile(join(entry.parentPath, entry.name))).toString('latin1'));
  }
  return parts.join('\n');
}

beforeAll(async () => {
  // A short path: gpg-agent's socket lives in GNUPGHOME and socket paths are limited to ~100 bytes.
  work = teardown.add(await mkdtemp(join(tmpdir(), 'fkc-')), (dir) => rm(dir, { recursive: true, force: true }));
  const home = join(work, 'home');
  const gnupgHome = join(work, 'gnupg');
  await mkdir(home);
  await mkdir(gnupgHome, { mode: 0o700 });
  const { DOCKER_CONFIG: _docker, REGISTRY_AUTH_FILE: _auth, XDG_RUNTIME_DIR: _runtime, XDG_CONFIG_HOME: _config, ...rest } = process.env;
  env = { ...rest, HOME: home, GNUPGHOME: gnupgHome, PASSWORD_STORE_DIR: join(work, 'password-store') };
  teardown.add(gnupgHome, () => execFileAsync('gpgconf', ['--kill', 'all'], { env }).then(() => undefined));
  await execFileAsync('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Ferry keychain test <keychain@test.invalid>', 'future-default', 'default', 'never'], { env });
  const keys = await execFileAsync('gpg', ['--list-keys', '--with-colons'], { env });
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(keys.stdout)?.[1];
  if (fingerprint === undefined) throw new Error(`gpg made no key: ${keys.stdout}`);
  await execFileAsync('pass', ['init', fingerprint], { env });
}, CLI_TIMEOUT_MS);

afterAll(() => teardown.run());

describe('ferry serve --password-keychain through docker-credential-pass', () => {
  it('stores the password with password set, serves with it: the right password gets in, a wrong one gets 401, and it is printed nowhere', async () => {
    const set = await ferry(['serve', 'password', 'set', '--user', 'u', '--credential-helper', 'pass'], `${FIRST_PASSWORD}\n`);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('docker-credential-pass (key https://ferry-serve.invalid/u)');
    // pass keeps it encrypted: its bytes are nowhere in the store in clear.
    expect(await allBytes(env.PASSWORD_STORE_DIR ?? '')).not.toContain(FIRST_PASSWORD);

    const serve = await startFerryServe({ env, extraArgs: ['--user', 'u', '--password-keychain', '--credential-helper', 'pass'] });
    try {
      expect(serve.readLog()).toContain('the password of user u comes from docker-credential-pass (key https://ferry-serve.invalid/u)');
      expect(await v2Status(serve)).toBe(401);
      expect(await v2Status(serve, { user: 'u', password: FIRST_PASSWORD })).toBe(200);
      expect(await v2Status(serve, { user: 'u', password: `${FIRST_PASSWORD}x` })).toBe(401);
      expect(await v2Status(serve, { user: 'v', password: FIRST_PASSWORD })).toBe(401);
      expect(await allBytes(serve.storage)).not.toContain(FIRST_PASSWORD);
    } finally {
      await serve.stop();
    }
    expect(serve.readLog()).not.toContain(FIRST_PASSWORD);
    expect(printed).not.toContain(FIRST_PASSWORD);
  });

  it("defaults to the docker config's credsStore, and password set replaces the older password", async () => {
    const dockerDir = join(env.HOME ?? '', '.docker');
    await mkdir(dockerDir, { recursive: true });
    await writeFile(join(dockerDir, 'config.json'), JSON.stringify({ credsStore: 'pass' }));
    try {
      expect((await ferry(['serve', 'password', 'set', '--user', 'site'], FIRST_PASSWORD)).code).toBe(0);
      const replaced = await ferry(['serve', 'password', 'set', '--user', 'site'], `${SECOND_PASSWORD}\n`);
      expect(replaced.code).toBe(0);
      expect(replaced.stdout).toContain('docker-credential-pass');

      const serve = await startFerryServe({ env, extraArgs: ['--user', 'site', '--password-keychain'] });
      try {
        expect(await v2Status(serve, { user: 'site', password: SECOND_PASSWORD })).toBe(200);
        expect(await v2Status(serve, { user: 'site', password: FIRST_PASSWORD })).toBe(401);
      } finally {
        await serve.stop();
      }
      expect(serve.readLog()).not.toContain(SECOND_PASSWORD);
    } finally {
      await rm(join(dockerDir, 'config.json'));
    }
    expect(printed).not.toContain(FIRST_PASSWORD);
    expect(printed).not.toContain(SECOND_PASSWORD);
  });

  it('refuses to start without an entry, naming the helper and the user; delete removes it once; no keychain chosen is explained', async () => {
    const storage = join(work, 'store-missing');
    const missing = await ferry(['serve', '--storage', storage, '--listen', '127.0.0.1:0', '--user', 'nobody', '--password-keychain', '--credential-helper', 'pass']);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).not.toContain('serving');
    expect(missing.stderr).toContain('no password for registry user nobody in docker-credential-pass (key https://ferry-serve.invalid/nobody)');
    expect(missing.stderr).toContain('ferry serve password set --user nobody --credential-helper pass');

    const deleted = await ferry(['serve', 'password', 'delete', '--user', 'u', '--credential-helper', 'pass']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('deleted the password of user u from docker-credential-pass');
    const again = await ferry(['serve', 'password', 'delete', '--user', 'u', '--credential-helper', 'pass']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('no password for registry user u in docker-credential-pass');
    const afterDelete = await ferry(['serve', '--storage', storage, '--listen', '127.0.0.1:0', '--user', 'u', '--password-keychain', '--credential-helper', 'pass']);
    expect(afterDelete.code).not.toBe(0);
    expect(afterDelete.stderr).toContain('no password for registry user u in docker-credential-pass');

    const unchosen = await ferry(['serve', '--storage', storage, '--listen', '127.0.0.1:0', '--user', 'u', '--password-keychain']);
    expect(unchosen.code).not.toBe(0);
    expect(unchosen.stderr).toMatch(/no keychain is configured for the registry password of user u: give --credential-helper NAME .*credsStore/);

    const absent = await ferry(['serve', 'password', 'set', '--user', 'u', '--credential-helper', 'not-installed'], FIRST_PASSWORD);
    expect(absent.code).not.toBe(0);
    expect(absent.stderr).toMatch(/credential helper docker-credential-not-installed could not store server https:\/\/ferry-serve\.invalid\/u: it was not found on PATH/);
    expect(printed).not.toContain(FIRST_PASSWORD);
  });
});
