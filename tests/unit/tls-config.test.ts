import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearTlsCache, defaultCertsDirs, resolveTlsForHost } from '../../src-main/oci/registry/tls-config.ts';
import type { ResolvedTls, TlsOptions } from '../../src-main/oci/registry/tls-config.ts';
import { failure } from '../harness/test-helpers.ts';

let root: string;
let counter = 0;
/** Two independent self-signed pairs: one acts as the registry's CA, one as a client identity. */
let serverCert: string;
let serverKey: string;
let clientCert: string;
let clientKey: string;
let keys: { server: string; client: string; serverCert: string; clientCert: string };

const OPTS: TlsOptions = { verify: true, caCertFiles: [], certDirs: [] };

function makePair(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key.pem`);
  const cert = join(dir, `${name}.crt.pem`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-days', '1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

async function freshDir(): Promise<string> {
  counter += 1;
  const dir = join(root, `case-${counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Writes files under a certs.d root: { 'host:port/ca.crt': text }. */
async function layout(base: string, files: Record<string, string>): Promise<string> {
  for (const [relative, text] of Object.entries(files)) {
    await mkdir(join(base, relative, '..'), { recursive: true });
    await writeFile(join(base, relative), text);
  }
  return base;
}

/** The CAs beyond Node's defaults (which vary: NODE_EXTRA_CA_CERTS may add a system bundle). */
function extras(resolved: ResolvedTls, count: number): string[] {
  const ca = resolved.ca ?? [];
  expect(ca.slice(0, tls.rootCertificates.length)).toEqual(tls.rootCertificates);
  return ca.slice(ca.length - count);
}

/** A real handshake against a server using `serverCert`, so "the CA is trusted" is proven, not assumed: 'ok', or the error's code. */
async function handshake(resolved: ResolvedTls): Promise<string> {
  const server = tls.createServer({ cert: serverCert, key: serverKey }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    return await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...resolved }, () => {
        socket.end();
        resolve('ok');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-tls-'));
  const server = makePair(root, 'server');
  const client = makePair(root, 'client');
  keys = { server: server.key, client: client.key, serverCert: server.cert, clientCert: client.cert };
  serverCert = await readFile(server.cert, 'utf8');
  serverKey = await readFile(server.key, 'utf8');
  clientCert = await readFile(client.cert, 'utf8');
  clientKey = await readFile(client.key, 'utf8');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

beforeEach(() => clearTlsCache());

describe('defaultCertsDirs', () => {
  it('puts the user directory first, then /etc/containers and /etc/docker', () => {
    expect(defaultCertsDirs({}, '/home/u')).toEqual(['/home/u/.config/containers/certs.d', '/etc/containers/certs.d', '/etc/docker/certs.d']);
    expect(defaultCertsDirs({ XDG_CONFIG_HOME: '/cfg' }, '/home/u')[0]).toBe('/cfg/containers/certs.d');
  });
});

describe('certs.d layout', () => {
  it('returns verification with default roots when no directory matches', async () => {
    const dir = await freshDir();
    const resolved = await resolveTlsForHost('reg.example', OPTS, [join(dir, 'a'), join(dir, 'b')]);
    expect(resolved).toEqual({ rejectUnauthorized: true });
  });

  it('adds *.crt from <dir>/<host:port> to the default roots, and the handshake then verifies', async () => {
    const certsD = await layout(join(await freshDir(), 'certs.d'), { '127.0.0.1:5000/ca.crt': serverCert });
    const resolved = await resolveTlsForHost('127.0.0.1:5000', OPTS, [certsD]);
    expect(resolved.rejectUnauthorized).toBe(true);
    expect(extras(resolved, 1)).toEqual([serverCert.trim()]);
    expect(await handshake(resolved)).toBe('ok');
    // Without the certs.d entry the same server is rejected: the CA really came from the file.
    expect(await handshake(await resolveTlsForHost('127.0.0.1', OPTS, [certsD]))).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('uses the first root that has the host folder, like containers/image', async () => {
    const base = await freshDir();
    const first = join(base, 'first');
    await mkdir(first);
    const second = await layout(join(base, 'second'), { 'reg.example/ca.crt': serverCert });
    const third = await layout(join(base, 'third'), { 'reg.example/other.crt': clientCert });
    const resolved = await resolveTlsForHost('reg.example', OPTS, [first, second, third]);
    expect(extras(resolved, 1)).toEqual([serverCert.trim()]);
    expect(resolved.ca).not.toContain(clientCert.trim());
  });

  it.skipIf('getCACertificates' in tls)('keeps NODE_EXTRA_CA_CERTS, which tls.rootCertificates lacks on Node 20', async () => {
    const dir = await freshDir();
    const extraFile = join(dir, 'extra.pem');
    await writeFile(extraFile, clientCert);
    const certsD = await layout(join(dir, 'certs.d'), { 'h/ca.crt': serverCert });
    const saved = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = extraFile;
    try {
      const resolved = await resolveTlsForHost('h', OPTS, [certsD]);
      expect(resolved.ca).toEqual([...tls.rootCertificates, clientCert.trim(), serverCert.trim()]);
    } finally {
      if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = saved;
    }
  });

  it('splits a bundle file into its certificates', async () => {
    const certsD = await layout(join(await freshDir(), 'certs.d'), { 'reg.example/bundle.crt': `${serverCert}\n${clientCert}` });
    const resolved = await resolveTlsForHost('reg.example', OPTS, [certsD]);
    expect(extras(resolved, 2)).toEqual([serverCert.trim(), clientCert.trim()]);
  });

  it('loads a client certificate pair and still sends it with --tls-verify=false', async () => {
    const certsD = await layout(join(await freshDir(), 'certs.d'), { 'reg.example/client.cert': clientCert, 'reg.example/client.key': clientKey });
    const resolved = await resolveTlsForHost('reg.example', { ...OPTS, verify: false }, [certsD]);
    expect(resolved).toEqual({ rejectUnauthorized: false, cert: clientCert, key: clientKey });
  });
});

describe('flags', () => {
  it('--ca-cert adds CAs for every host', async () => {
    const dir = await freshDir();
    const resolved = await resolveTlsForHost('127.0.0.1', { ...OPTS, caCertFiles: [keys.serverCert] }, [join(dir, 'none')]);
    expect(await handshake(resolved)).toBe('ok');
  });

  it('--cert-dir replaces the default roots and accepts a flat folder like skopeo', async () => {
    const base = await freshDir();
    const system = await layout(join(base, 'system'), { 'reg.example/ca.crt': clientCert });
    const flat = await layout(join(base, 'flat'), { 'ca.crt': serverCert });
    const perHost = await layout(join(base, 'tree'), { 'reg.example/ca.crt': serverCert });
    for (const certDir of [flat, perHost]) {
      const resolved = await resolveTlsForHost('reg.example', { ...OPTS, certDirs: [certDir] }, [system]);
      expect(extras(resolved, 1)).toEqual([serverCert.trim()]);
      expect(resolved.ca).not.toContain(clientCert.trim());
    }
  });

  it('rejects a --cert-dir that does not exist', async () => {
    const missing = join(await freshDir(), 'missing');
    const error = await failure(resolveTlsForHost('reg.example', { ...OPTS, certDirs: [missing] }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(missing);
    expect(error.message).not.toContain('--');
  });

  it('rejects hosts that would walk the file system', async () => {
    for (const host of ['../etc', 'a/b', '..', '', 'reg.example:port']) {
      const error = await failure(resolveTlsForHost(host, OPTS, []));
      expect(error.code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('bad certificate files are TLS_ERRORs naming the file', () => {
  const bad: Array<[string, Record<string, string>, string, RegExp]> = [
    ['a non-PEM CA', { 'h/ca.crt': 'not a certificate' }, 'h/ca.crt', /contains no PEM certificate/],
    ['a corrupt PEM CA', { 'h/ca.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, 'h/ca.crt', /invalid certificate/],
    ['a .cert without its .key', { 'h/client.cert': 'x' }, 'h/client.cert', /no matching key client\.key/],
    ['a .key without its .cert', { 'h/client.key': 'x' }, 'h/client.key', /no matching certificate client\.cert/],
  ];
  for (const [name, files, culprit, why] of bad) {
    it(name, async () => {
      const certsD = await layout(join(await freshDir(), 'certs.d'), files);
      const error = await failure(resolveTlsForHost('h', OPTS, [certsD]));
      expect(error.code).toBe('TLS_ERROR');
      expect(error.message).toContain(join(certsD, culprit));
      expect(error.message).toMatch(why);
    });
  }

  it('an unreadable or missing --ca-cert', async () => {
    const dir = await freshDir();
    for (const path of [dir, join(dir, 'missing.pem')]) {
      const error = await failure(resolveTlsForHost('h', { ...OPTS, caCertFiles: [path] }, []));
      expect(error.code).toBe('TLS_ERROR');
      expect(error.message).toContain(path);
    }
  });

  it('a key that does not match its certificate, or is not a key, without printing key material', async () => {
    const certsD = join(await freshDir(), 'certs.d');
    await layout(certsD, { 'h/client.cert': clientCert });
    await copyFile(keys.server, join(certsD, 'h', 'client.key'));
    const mismatch = await failure(resolveTlsForHost('h', OPTS, [certsD]));
    expect(mismatch.message).toMatch(/does not match certificate/);

    const secretish = '-----BEGIN PRIVATE KEY-----\nS3CRETKEYMATERIAL\n-----END PRIVATE KEY-----\n';
    await writeFile(join(certsD, 'h', 'client.key'), secretish);
    const garbage = await failure(resolveTlsForHost('h', OPTS, [certsD]));
    expect(garbage.code).toBe('TLS_ERROR');
    expect(garbage.message).toContain(join(certsD, 'h', 'client.key'));
    expect(`${inspect(garbage, { depth: 10 })}${JSON.stringify(garbage.toEnvelope())}`).not.toContain('S3CRETKEYMATERIAL');
    expect(inspect(mismatch, { depth: 10 })).not.toContain(serverKey.split('\n')[1]);
  });
});

describe('cache', () => {
  it('answers repeat questions from memory until cleared, and never caches failures', async () => {
    const certsD = await layout(join(await freshDir(), 'certs.d'), { 'h/ca.crt': serverCert });
    const first = await resolveTlsForHost('h', OPTS, [certsD]);
    const withOne = first.ca?.length ?? 0;
    await writeFile(join(certsD, 'h', 'extra.crt'), clientCert);
    expect(await resolveTlsForHost('h', OPTS, [certsD])).toBe(first);
    // Different options are a different entry.
    expect((await resolveTlsForHost('h', { ...OPTS, verify: false }, [certsD])).ca).toHaveLength(withOne + 1);
    clearTlsCache();
    expect((await resolveTlsForHost('h', OPTS, [certsD])).ca).toHaveLength(withOne + 1);

    await writeFile(join(certsD, 'h', 'broken.crt'), 'nope');
    clearTlsCache();
    await failure(resolveTlsForHost('h', OPTS, [certsD]));
    await rm(join(certsD, 'h', 'broken.crt'));
    expect((await resolveTlsForHost('h', OPTS, [certsD])).ca).toHaveLength(withOne + 1);
  });
});
