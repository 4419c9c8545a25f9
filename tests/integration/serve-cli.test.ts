/**
 * `ferry serve` as its operators run it: the real CLI in a child process
 * with `--storage --tls auto --user --password-stdin`, pushed to and read by
 * skopeo trusting only the printed CA (and refused without the login), SIGTERM
 * closing it cleanly (exit 0, store lock released), the CA kept across
 * restarts, a `--read-only` start refusing pushes, `ferry serve gc` refused
 * while a server holds the store and run after it stopped, `--print-service`
 * with absolute paths, and `--files` still serving a folder.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtures, writeFixtureLayout, type FixtureImage } from '../harness/fixtures.ts';
import { runSkopeo, SkopeoError } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';
import { ensureAutoTls } from '../../src-main/serve/tls-auto.ts';
import { startServe } from '../../src-main/usecases/serve.ts';
import { FerryError } from '../../src-shared/errors.ts';

const execFileAsync = promisify(execFile);
const BIN = resolve('src-main/cli/bin.mjs');
/** Starting the CLI through tsx on a busy 2-core machine takes a few seconds; never wait forever. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const USER = 'alice';
const PASSWORD = 'served-secret-41c9';

const teardown = new Teardown();
let work = '';
let storage = '';
let layout = '';
let fixture: FixtureImage;

/** A running `ferry serve` child: its printed line, URL, address, CA file, and everything it wrote. */
interface ServeProcess {
  child: ChildProcess;
  line: string;
  url: string;
  address: string;
  caFile?: string;
  stderr(): string;
}

/** Spawns `ferry serve ARGS`, feeding `stdin`, and waits for its "serving" line. */
async function startCli(args: string[], stdin = ''): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  teardown.add(child, (c) => (c.exitCode === null && c.signalCode === null ? c.kill('SIGKILL') : undefined));
  child.stdin.end(stdin);
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const line = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`ferry serve did not start in time: ${err}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const first = out.split('\n').find((l) => l.startsWith('serving '));
      if (first !== undefined && out.includes('\n')) {
        clearTimeout(timer);
        done(first);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`ferry serve exited (${String(code)}) before serving: ${err}`));
    });
  });
  const url = /at (https?:\/\/\S+)/.exec(line)?.[1] ?? '';
  const caFile = /\(CA: (.+)\)$/.exec(line)?.[1];
  return { child, line, url, address: new URL(url).host, ...(caFile ? { caFile } : {}), stderr: () => err };
}

/** Sends SIGTERM and waits for the exit code. */
async function stopCli(serve: ServeProcess): Promise<number | null> {
  const exited = new Promise<number | null>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('ferry serve did not stop after SIGTERM')), STOP_TIMEOUT_MS);
    serve.child.once('exit', (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
  serve.child.kill('SIGTERM');
  return exited;
}

/** skopeo's --cert-dir for a CA file: a folder holding only ca.crt. */
async function certDir(caFile: string, name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await copyFile(caFile, join(dir, 'ca.crt'));
  return dir;
}

beforeAll(async () => {
  work = teardown.add(await mkdtemp(join(tmpdir(), 'ferry-serve-cli-')), (dir) => rm(dir, { recursive: true, force: true }));
  storage = join(work, 'store');
  layout = join(work, 'layout');
  fixture = (await buildFixtures({ repositoryPrefix: 'cli' }))['oci-single'];
  await writeFixtureLayout(fixture, layout);
});

afterAll(() => teardown.run());

describe('ferry serve --storage', () => {
  it('serves TLS auto with one user: skopeo pushes and reads back with only the CA, and is refused without the login', async () => {
    const serve = await startCli(['--storage', storage, '--listen', '127.0.0.1:0', '--tls', 'auto', '--user', USER, '--password-stdin', '--quiet'], `${PASSWORD}\n`);
    expect(serve.line).toMatch(new RegExp(`^serving registry ${storage} at https://127\\.0\\.0\\.1:\\d+ \\(CA: ${join(storage, 'tls', 'ca.crt')}\\)$`));
    const certs = await certDir(serve.caFile ?? '', 'certs-1');
    const push = fixture.pushes[0];
    const target = `docker://${serve.address}/cli/single:v1`;
    await runSkopeo(['copy', '--quiet', '--preserve-digests', '--dest-cert-dir', certs, '--dest-creds', `${USER}:${PASSWORD}`, `oci:${layout}:${push?.refName ?? ''}`, target], [PASSWORD]);
    const raw = await runSkopeo(['inspect', '--raw', '--cert-dir', certs, '--creds', `${USER}:${PASSWORD}`, target], [PASSWORD]);
    expect(raw.equals(fixture.content.find((c) => c.digest === fixture.manifestDigest)?.data ?? Buffer.alloc(0))).toBe(true);
    const anonymous = await runSkopeo(['inspect', '--raw', '--cert-dir', certs, '--no-creds', target]).catch((error: unknown) => error);
    expect(anonymous).toBeInstanceOf(SkopeoError);
    expect((anonymous as SkopeoError).stderr).toMatch(/401|unauthorized|authentication required/i);
    expect(serve.stderr()).not.toContain(PASSWORD);

    const gcWhileServing = await runFerry('serve', 'gc', '--storage', storage, '--dry-run');
    expect(gcWhileServing.code).not.toBe(0);
    expect(gcWhileServing.stderr).toMatch(/in use by ferry serve/);

    expect(await stopCli(serve)).toBe(0);
    await expect(access(join(storage, 'serve.lock'))).rejects.toThrow();
  });

  it('keeps its CA across restarts, and a --read-only start serves pulls but refuses pushes', async () => {
    const caBefore = await readFile(join(storage, 'tls', 'ca.crt'), 'utf8');
    const serve = await startCli(['--storage', storage, '--listen', '127.0.0.1:0', '--tls', 'auto', '--read-only']);
    expect(serve.line).toMatch(/^serving registry .* read-only at https:/);
    expect(await readFile(join(storage, 'tls', 'ca.crt'), 'utf8')).toBe(caBefore);
    const certs = await certDir(serve.caFile ?? '', 'certs-2');
    const pulled = join(work, 'pulled');
    await runSkopeo(['copy', '--quiet', '--src-cert-dir', certs, '--src-no-creds', `docker://${serve.address}/cli/single:v1`, `oci:${pulled}:v1`]);
    const index = JSON.parse(await readFile(join(pulled, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(index.manifests[0]?.digest).toBe(fixture.manifestDigest);
    const refused = await runSkopeo(['copy', '--quiet', '--dest-cert-dir', certs, '--dest-no-creds', `oci:${pulled}:v1`, `docker://${serve.address}/cli/other:v1`]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SkopeoError);
    expect(await stopCli(serve)).toBe(0);
  });
});

describe('ferry serve gc', () => {
  it("removes nothing while every blob is used, and the deleted image's blobs once it is deleted (dry run first)", async () => {
    const untouched = await runFerry('serve', 'gc', '--storage', storage, '--dry-run');
    expect(untouched.code).toBe(0);
    expect(untouched.stdout).toMatch(/^dry run: would free 0 B in 0 blob\(s\); \d+ blob\(s\) still referenced$/m);

    const serve = await startCli(['--storage', storage, '--listen', '127.0.0.1:0', '--quiet']);
    await runSkopeo(['delete', '--tls-verify=false', '--no-creds', `docker://${serve.address}/cli/single:v1`]);
    expect(await stopCli(serve)).toBe(0);

    const dry = await runFerry('serve', 'gc', '--storage', storage, '--dry-run');
    expect(dry.code).toBe(0);
    const wouldGo = [...dry.stdout.matchAll(/^would remove (sha256:[0-9a-f]{64})/gm)].map((m) => m[1]);
    expect(wouldGo.sort()).toEqual([fixture.manifestDigest, ...fixture.blobs.map((b) => b.digest)].sort());
    const blobFile = (digest: string): string => join(storage, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));
    await expect(access(blobFile(fixture.manifestDigest))).resolves.toBeUndefined();

    const real = await runFerry('serve', 'gc', '--storage', storage);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(new RegExp(`^freed .* in ${wouldGo.length} blob\\(s\\)`, 'm'));
    await expect(access(blobFile(fixture.manifestDigest))).rejects.toThrow();
    expect((await runFerry('serve', 'gc', '--storage', storage, '--dry-run')).stdout).toMatch(/would free 0 B in 0 blob\(s\)/);
    await expect(access(join(storage, 'tls', 'ca.crt'))).resolves.toBeUndefined();
  });
});

describe('startServe with --cert/--key and --htpasswd', () => {
  it('serves HTTPS with the given certificate files and lets in only the htpasswd users', async () => {
    const pki = await ensureAutoTls(join(work, 'own-pki'), ['127.0.0.1']);
    const htpasswd = join(work, 'htpasswd');
    const made = execFileAsync('htpasswd', ['-c', '-B', '-i', htpasswd, USER]);
    made.child.stdin?.end(PASSWORD);
    await made;
    const handle = teardown.add(
      await startServe({ storage: join(work, 'store-files'), listen: { host: '127.0.0.1', port: 0 }, tls: { mode: 'files', certFile: pki.certFile, keyFile: pki.keyFile }, htpasswd }),
      (h) => h.close(),
    );
    expect(handle.caFile).toBeUndefined();
    expect(handle.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const get = (authorization?: string): Promise<{ status: number; headers: Record<string, unknown> }> =>
      new Promise((done, fail) => {
        httpsGet(`${handle.url}/v2/`, { ca: pki.caPem, headers: authorization ? { authorization } : {} }, (res) => {
          res.resume();
          done({ status: res.statusCode ?? 0, headers: res.headers });
        }).on('error', fail);
      });
    const anonymous = await get();
    expect(anonymous.status).toBe(401);
    expect(String(anonymous.headers['www-authenticate'])).toMatch(/^Basic realm="Ferry registry"/);
    expect((await get(`Basic ${Buffer.from(`${USER}:wrong`).toString('base64')}`)).status).toBe(401);
    const ok = await get(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    expect(ok.status).toBe(200);
    expect(ok.headers['docker-distribution-api-version']).toBe('registry/2.0');
    await expect(startServe({ storage: join(work, 'store-files'), listen: { host: '127.0.0.1', port: 0 }, tls: { mode: 'files', certFile: htpasswd, keyFile: pki.keyFile } })).rejects.toThrow(
      /--cert .*htpasswd is not a PEM file/,
    );
  });
});

describe('ferry serve faults, warnings and permissions', () => {
  it('prints a server fault with --quiet (method, path, cause; no login), warns about a world-readable --key, and makes a new store 0750', async () => {
    const pki = await ensureAutoTls(join(work, 'pki-open'), ['127.0.0.1']);
    const openKey = join(work, 'open.key');
    await copyFile(pki.keyFile, openKey);
    await chmod(openKey, 0o644);
    const store = join(work, 'store-faults');
    const serve = await startCli(['--storage', store, '--listen', '127.0.0.1:0', '--cert', pki.certFile, '--key', openKey, '--user', USER, '--password-stdin', '--quiet'], `${PASSWORD}\n`);
    expect(serve.stderr()).toContain(`ferry: warning: --key ${openKey} is readable by every local user (mode 644): chmod 600 it`);
    for (const folder of [store, join(store, 'blobs'), join(store, 'repositories')]) expect((await stat(folder)).mode & 0o777).toBe(0o750);
    // A tag link that is a folder: reading it fails with EISDIR, a fault of the server's disk, not of the request.
    await mkdir(join(store, 'repositories', 'cli', 'broken', '_manifests', 'tags', 'v1', 'link'), { recursive: true });
    const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    const status = await new Promise<number>((done, fail) => {
      httpsGet(`${serve.url}/v2/cli/broken/manifests/v1?secret=query`, { ca: pki.caPem, headers: { authorization } }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      }).on('error', fail);
    });
    expect(status).toBe(500);
    for (let i = 0; i < 100 && !serve.stderr().includes('ferry: error:'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(serve.stderr()).toMatch(/^ferry: error: GET \/v2\/cli\/broken\/manifests\/v1: .*(EISDIR|directory)/m);
    for (const secret of [PASSWORD, authorization.slice(6), 'secret=query']) expect(serve.stderr()).not.toContain(secret);
    expect(await stopCli(serve)).toBe(0);
  });

  it('--read-only --tls auto writes nothing into the store: without a CA there it is refused by name', async () => {
    const store = join(work, 'store-ro-tls');
    await (await startServe({ storage: store, listen: { host: '127.0.0.1', port: 0 } })).close();
    await expect(startServe({ storage: store, listen: { host: '127.0.0.1', port: 0 }, tls: { mode: 'auto', names: [] }, readOnly: true })).rejects.toThrow(
      /--read-only --tls auto writes nothing, and .*ca\.crt does not exist yet: start once without --read-only/,
    );
    await expect(access(join(store, 'tls'))).rejects.toThrow();
    await expect(access(join(store, 'serve.lock'))).rejects.toThrow();
  });

  it('a port another program holds is refused by address in plain words, and the store is released', async () => {
    const holder = createServer();
    teardown.add(holder, (server) => new Promise<void>((done) => server.close(() => done())));
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const port = (holder.address() as AddressInfo).port;
    const store = join(work, 'store-port-taken');
    const refused = await startServe({ storage: store, listen: { host: '127.0.0.1', port } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FerryError);
    expect((refused as FerryError).message).toBe(`port ${String(port)} on 127.0.0.1:${String(port)} is already in use by another program: choose another port`);
    expect((refused as FerryError).message).not.toMatch(/EADDRINUSE|listen /);
    expect((refused as FerryError).details).toMatchObject({ argument: 'port', address: `127.0.0.1:${String(port)}`, hint: { kind: 'listen-port', address: `127.0.0.1:${String(port)}` } });
    const cli = await runFerry('serve', '--storage', store, '--listen', `127.0.0.1:${String(port)}`);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain(`  hint: 127.0.0.1:${String(port)} cannot be listened on: give --listen HOST:PORT with another port`);
    // The store's lock was released: the same store starts on a free port.
    await (await startServe({ storage: store, listen: { host: '127.0.0.1', port: 0 } })).close();
  });
});

describe('ferry serve flags', () => {
  it('prints a service definition with absolute paths and the password by file, starting nothing', async () => {
    const passwordFile = join(work, 'password');
    await writeFile(passwordFile, `${PASSWORD}\n`);
    await chmod(passwordFile, 0o600);
    const relative = join('relative-store');
    const printed = await execFileAsync(
      process.execPath,
      [BIN, 'serve', '--storage', relative, '--tls', 'auto', '--name', 'registry.site.lan', '--user', USER, '--password-file', passwordFile, '--print-service', 'systemd'],
      {
        timeout: START_TIMEOUT_MS,
      },
    );
    const execStart = /^ExecStart=(.*)$/m.exec(printed.stdout)?.[1];
    expect(execStart).toBe(`${process.execPath} ${BIN} serve --storage ${resolve(relative)} --tls auto --name registry.site.lan --user ${USER} --password-file ${passwordFile}`);
    expect(printed.stdout).not.toContain(PASSWORD);
    expect(printed.stderr).toContain('save this as ferry-serve.service');
    await expect(access(resolve(relative))).rejects.toThrow();
    const stdinService = await runFerry('serve', '--storage', relative, '--user', USER, '--password-stdin', '--print-service', 'launchd');
    expect(stdinService.stderr).toMatch(/a service has no standard input/);
    const keychainService = await runFerry('serve', '--storage', relative, '--user', USER, '--password-keychain', '--credential-helper', 'pass', '--print-service', 'systemd');
    expect(keychainService.code).toBe(0);
    expect(/^ExecStart=(.*)$/m.exec(keychainService.stdout)?.[1]).toMatch(/ serve --storage \S+ --user alice --password-keychain --credential-helper pass$/);
    expect(keychainService.stderr).toMatch(/reads the password from the keychain of the account it runs as/);
  });

  it.each([
    [['--storage', 'x', '--files', 'y'], /--storage does not apply to --files/],
    [['--storage', 'x', '--tls', 'manual'], /--tls takes auto/],
    [['--storage', 'x', '--user', 'u'], /exactly one of --password-stdin, --password-file FILE or --password-keychain/],
    [['--storage', 'x', '--user', 'u', '--credential-helper', 'pass'], /--credential-helper names the keychain of --password-keychain/],
    [['--storage', 'x', '--user', 'u', '--password-stdin', '--password-keychain'], /exactly one of --password-stdin, --password-file FILE or --password-keychain/],
    [['password', 'set'], /usage: ferry serve password set\|delete --user NAME/],
    [['password', 'show', '--user', 'u'], /usage: ferry serve password set\|delete --user NAME/],
    [['password', 'set', '--user', 'u', '--storage', 'x'], /--storage does not apply to ferry serve password/],
    [['--storage', 'x', '--name', 'h'], /--name is for --tls auto/],
    [['--storage', 'x', '--cert', 'c'], /--cert and --key go together/],
    [['--storage', 'x', '--bundle', 'y'], /give one of --storage/],
    [['--storage', 'x', '--dry-run'], /--dry-run is for ferry serve gc/],
    [['gc'], /usage: ferry serve gc --storage DIR/],
    [['gc', '--storage', 'x', '--tls', 'auto'], /--tls does not apply to ferry serve gc/],
  ])('refuses %j by name', async (args, message) => {
    const result = await runFerry('serve', ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('still serves a folder with --files', async () => {
    const folder = join(work, 'files');
    await mkdir(folder);
    await writeFile(join(folder, 'hello.txt'), 'hello');
    const serve = await startCli(['--files', folder, '--listen', '127.0.0.1:0', '--quiet']);
    expect(serve.line).toMatch(/^serving .* read-only at http:\/\/127\.0\.0\.1:\d+/);
    expect(await (await fetch(`${serve.url}/hello.txt`)).text()).toBe('hello');
    expect(await stopCli(serve)).toBe(0);
  });
});
