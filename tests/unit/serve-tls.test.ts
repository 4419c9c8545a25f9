/**
 * `ferry serve --tls auto`'s certificates, checked by independent consumers:
 * openssl verifies the server certificate against the CA and reads its
 * names; Node's TLS client connects to a server using it while trusting only
 * the CA (and is refused for a name the certificate does not cover). The CA
 * is kept across runs; the server certificate is reissued when names change.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { connect } from 'node:tls';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAutoTls, normaliseNames, type AutoTls } from '../../src-main/serve/tls-auto.ts';
import { certificateNames } from '../../src-main/usecases/serve.ts';
import { Teardown } from '../harness/teardown.ts';

const run = promisify(execFile);
const teardown = new Teardown();
let work = '';
let tls: AutoTls;

/** Connects with Node's TLS trusting only `ca`, for `servername`; resolves to the authorisation error or 'ok'. */
async function tlsCheck(port: number, ca: string, servername: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ca, servername: servername === host ? undefined : servername }, () => {
      socket.end();
      resolve('ok');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

beforeAll(async () => {
  work = teardown.add(await mkdtemp(join(tmpdir(), 'ferry-serve-tls-')), (dir) => rm(dir, { recursive: true, force: true }));
  tls = await ensureAutoTls(join(work, 'tls'), ['localhost', '127.0.0.1', 'registry.site.example', '::1']);
});

afterAll(() => teardown.run());

describe('ensureAutoTls', () => {
  it('writes a CA and a server certificate openssl verifies, with every name as a SAN and private keys 0600', async () => {
    const verified = await run('openssl', ['verify', '-CAfile', tls.caFile, tls.certFile]);
    expect(verified.stdout).toContain(': OK');
    const text = (await run('openssl', ['x509', '-in', tls.certFile, '-noout', '-ext', 'subjectAltName,basicConstraints,extendedKeyUsage'])).stdout;
    expect(text).toContain('DNS:localhost');
    expect(text).toContain('DNS:registry.site.example');
    expect(text).toContain('IP Address:127.0.0.1');
    expect(text).toMatch(/IP Address:0:0:0:0:0:0:0:1/);
    expect(text).toContain('CA:FALSE');
    expect(text).toContain('TLS Web Server Authentication');
    const ca = (await run('openssl', ['x509', '-in', tls.caFile, '-noout', '-ext', 'basicConstraints,keyUsage'])).stdout;
    expect(ca).toContain('CA:TRUE');
    expect(ca).toContain('Certificate Sign');
    for (const key of [join(work, 'tls', 'ca.key'), tls.keyFile]) expect((await stat(key)).mode & 0o777).toBe(0o600);
    expect(await readFile(tls.caFile, 'utf8')).toBe(tls.caPem);
  });

  it('lets Node connect trusting only the CA, and refuses a name the certificate lacks', async () => {
    const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    teardown.add(server, (s) => new Promise((resolve) => s.close(resolve)));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    expect(await tlsCheck(port, tls.caPem, '127.0.0.1')).toBe('ok');
    expect(await tlsCheck(port, tls.caPem, 'registry.site.example')).toBe('ok');
    expect(await tlsCheck(port, tls.caPem, 'other.example')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const stranger = await ensureAutoTls(join(work, 'other-tls'), ['localhost']);
    expect(await tlsCheck(port, stranger.caPem, '127.0.0.1')).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('keeps the CA and certificate when the names are the same (in any order or spelling), reissues when they change', async () => {
    const again = await ensureAutoTls(join(work, 'tls'), ['0:0:0:0:0:0:0:1', 'REGISTRY.site.example', '127.0.0.1', 'localhost', 'localhost']);
    expect(again.certPem).toBe(tls.certPem);
    expect(again.keyPem).toBe(tls.keyPem);
    const widened = await ensureAutoTls(join(work, 'tls'), ['localhost', '127.0.0.1', '10.0.0.5']);
    expect(widened.caPem).toBe(tls.caPem);
    expect(widened.certPem).not.toBe(tls.certPem);
    expect((await run('openssl', ['x509', '-in', widened.certFile, '-noout', '-ext', 'subjectAltName'])).stdout).toContain('IP Address:10.0.0.5');
    expect((await run('openssl', ['verify', '-CAfile', widened.caFile, widened.certFile])).stdout).toContain(': OK');
  });

  it('reissues a server certificate whose key does not match it (a kill between the two writes)', async () => {
    const dir = join(work, 'tls');
    const current = await ensureAutoTls(dir, ['localhost']);
    const other = await ensureAutoTls(join(work, 'mismatch'), ['localhost']);
    await writeFile(current.keyFile, other.keyPem, { mode: 0o600 });
    const repaired = await ensureAutoTls(dir, ['localhost']);
    expect(repaired.certPem).not.toBe(current.certPem);
    const modulus = async (args: string[]): Promise<string> => (await run('openssl', args)).stdout;
    expect(await modulus(['pkey', '-in', repaired.keyFile, '-pubout'])).toBe(await modulus(['x509', '-in', repaired.certFile, '-noout', '-pubkey']));
  });

  it('read-only writes nothing: new names get an in-memory certificate from the same CA, and a missing CA is refused', async () => {
    const dir = join(work, 'read-only');
    const first = await ensureAutoTls(dir, ['localhost']);
    const files = ['ca.crt', 'ca.key', 'server.crt', 'server.key'];
    const before = await Promise.all(files.map(async (f) => `${await readFile(join(dir, f), 'utf8')}${(await stat(join(dir, f))).mtimeMs}`));
    const wider = await ensureAutoTls(dir, ['localhost', 'ro.site.example'], { readOnly: true });
    expect(await Promise.all(files.map(async (f) => `${await readFile(join(dir, f), 'utf8')}${(await stat(join(dir, f))).mtimeMs}`))).toEqual(before);
    expect(wider.caPem).toBe(first.caPem);
    expect(wider.certPem).not.toBe(first.certPem);
    const memory = join(work, 'read-only-cert.pem');
    await writeFile(memory, wider.certPem);
    expect((await run('openssl', ['verify', '-CAfile', wider.caFile, memory])).stdout).toContain(': OK');
    expect((await run('openssl', ['x509', '-in', memory, '-noout', '-ext', 'subjectAltName'])).stdout).toContain('DNS:ro.site.example');
    const same = await ensureAutoTls(dir, ['localhost'], { readOnly: true });
    expect(same.certPem).toBe(first.certPem);
    const empty = join(work, 'read-only-none');
    await expect(ensureAutoTls(empty, ['localhost'], { readOnly: true })).rejects.toThrow(/--read-only --tls auto writes nothing, and .*ca\.crt does not exist yet/);
    await expect(stat(empty)).rejects.toThrow(/ENOENT/);
  });

  it('refuses half a CA by name instead of replacing it', async () => {
    const dir = join(work, 'half');
    await ensureAutoTls(dir, ['localhost']);
    await rm(join(dir, 'ca.key'));
    await expect(ensureAutoTls(dir, ['localhost'])).rejects.toThrow(/ca\.key is missing/);
  });
});

describe('normaliseNames', () => {
  it.each([
    [['Localhost', 'localhost.'], ['localhost']],
    [['[::1]', '::1', '0:0::1'], ['::1']],
    [['*.site.example', '10.1.2.3'], ['*.site.example', '10.1.2.3'].sort()],
  ])('normalises %j', (names, expected) => {
    expect(normaliseNames(names)).toEqual(expected);
  });

  it.each([[['']], [['bad_name']], [['-x.example']], [['a b']], [[]]])('refuses %j', (names) => {
    expect(() => normaliseNames(names)).toThrow(/--name|at least one name/);
  });
});

describe('certificateNames (what --tls auto covers)', () => {
  it.each([
    ['127.0.0.1', [], ['127.0.0.1', 'localhost']],
    ['127.0.0.1', ['registry.site.lan'], ['127.0.0.1', 'localhost', 'registry.site.lan']],
    ['10.0.0.5', ['Registry.Site.Lan'], ['10.0.0.5', 'registry.site.lan']],
    ['::1', [], ['127.0.0.1', '::1', 'localhost']],
  ])('listening on %s with --name %j covers %j', (host, names, expected) => {
    expect(certificateNames(host, names)).toEqual(expected);
  });

  it("on 0.0.0.0 covers the names, this machine's name and addresses, and loopback", () => {
    const covered = certificateNames('0.0.0.0', ['registry.site.lan']);
    expect(covered).toEqual(expect.arrayContaining(['registry.site.lan', 'localhost', '127.0.0.1', hostname().toLowerCase()]));
    for (const list of Object.values(networkInterfaces())) for (const entry of list ?? []) if (!entry.internal && entry.family === 'IPv4') expect(covered).toContain(entry.address);
  });

  it('refuses a malformed --name by name', () => {
    expect(() => certificateNames('127.0.0.1', ['bad name'])).toThrow(/--name "bad name"/);
  });
});
