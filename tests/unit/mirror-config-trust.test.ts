/**
 * The mirror's CA and the files that carry it: the CA check (a real openssl
 * CA and leaf from the harness PKI), the trust files (certs.d, containerd,
 * the OpenShift ConfigMap), KET's plan fields, Deckhouse's registry settings,
 * the install guide, the transport decision the use cases make from the job's
 * own registry settings, and writeMirrorConfig writing it all (no login ever written; the files to fill 0600).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { deckhouseFiles } from '../../src-main/mirror-config/deckhouse.ts';
import { installGuide } from '../../src-main/mirror-config/install-guide.ts';
import { ketPlanRegistry } from '../../src-main/mirror-config/ket.ts';
import type { MirrorConfigOptions, RepositoryMapping } from '../../src-main/mirror-config/mapping.ts';
import { checkMirrorCa, readMirrorCa } from '../../src-main/mirror-config/mirror-ca.ts';
import { trustFiles, trustedCaKey } from '../../src-main/mirror-config/trust-files.ts';
import { writeMirrorConfig } from '../../src-main/mirror-config/write.ts';
import { mirrorTrust, storeMirrorCa } from '../../src-main/usecases/mirror-trust.ts';
import { makePki, type Pki } from '../harness/pki.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';

let work: string;
let pki: Pki;
let other: Pki;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-mirror-trust-'));
  [pki, other] = await Promise.all([makePki(work, 'site', 'server'), makePki(work, 'other', 'server')]);
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const MIRROR = 'mirror.local:5000';
const options = (extra: Partial<MirrorConfigOptions> = {}): MirrorConfigOptions => ({ mirrorRegistry: `${MIRROR}/dkp`, ...extra });

describe('the mirror CA check', () => {
  it('accepts a CA file and a bundle of CAs, normalised to certificate blocks only', async () => {
    const one = await readMirrorCa(pki.caCertFile);
    expect(one.subjects).toEqual(['CN=ferry-test-site-ca']);
    expect(one.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const bundle = await checkMirrorCa(`# comment\n${pki.caCertPem}\n${other.caCertPem}`, 'bundle.pem');
    expect(bundle.subjects).toEqual(['CN=ferry-test-site-ca', 'CN=ferry-test-other-ca']);
    expect(bundle.pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect((await readMirrorCa(pki.caCertPem)).pem).toBe(one.pem);
  });

  it("refuses the server's own certificate, naming the file and the reason", async () => {
    const error = await failure(readMirrorCa(pki.leafCertFile));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(pki.leafCertFile);
    expect(error.message).toMatch(/is not a CA certificate \(basicConstraints CA:TRUE is false\).*give the CA that signed it/);
  });

  it('refuses a private key without echoing it, text that is no PEM, an expired CA and a missing file', async () => {
    const keyFile = join(work, 'with-key.pem');
    await writeFile(keyFile, `${pki.caCertPem}${pki.leafKeyPem}`);
    const withKey = await failure(readMirrorCa(keyFile));
    expect(withKey.message).toMatch(/block 2 is a "PRIVATE KEY" block, not a CERTIFICATE/);
    expect(withKey.message).not.toContain(pki.leafKeyPem.split('\n')[1] ?? 'never');
    expect((await failure(checkMirrorCa('hello', 'ca.txt'))).message).toMatch(/^ca\.txt cannot be the mirror's CA: it holds no "-----BEGIN CERTIFICATE-----" block/);
    const expired = await failure(checkMirrorCa(pki.caCertPem, 'old.pem', new Date(Date.now() + 10 * 86_400_000)));
    expect(expired.message).toMatch(/old\.pem cannot be the mirror's CA: its certificate \(CN=ferry-test-site-ca\) expired on/);
    const missing = await failure(readMirrorCa(join(work, 'nope.pem')));
    expect(missing.code).toBe('INVALID_ARGUMENT');
    expect(missing.message).toMatch(/cannot read the mirror CA file .*nope\.pem \(ENOENT\)/);
  });
});

describe('the transport the use cases pass', () => {
  it("writes the mirror as the job reached it: plain HTTP, unverified TLS, or TLS with the job's CA files", async () => {
    expect(await mirrorTrust({ plainHttp: true })).toEqual({ transport: 'http' });
    expect(await mirrorTrust({ tlsVerify: false })).toEqual({ transport: 'https-skip-verify' });
    expect(await mirrorTrust({})).toEqual({ transport: 'https' });
    // The job's (push) login is never passed on to the mirror configuration.
    const fromCaCert = await mirrorTrust({ caCertFiles: [pki.caCertFile], login: { username: 'u', password: 'p' } });
    expect(fromCaCert).toEqual({ transport: 'https', caPem: expect.stringContaining('BEGIN CERTIFICATE') as unknown });
    expect(fromCaCert.caPem).toContain('BEGIN CERTIFICATE');
    // With the CA the nodes can verify, even when the job itself skipped the check.
    expect((await mirrorTrust({ tlsVerify: false }, pki.caCertFile)).transport).toBe('https');
  });

  it("takes a store's `ferry serve --tls auto` CA for an import --to-store, unless the job names a CA or speaks plain HTTP", async () => {
    const store = join(work, 'store');
    expect(await storeMirrorCa(store, {}, undefined)).toBeUndefined();
    await mkdir(join(store, 'tls'), { recursive: true });
    await copyFile(pki.caCertFile, join(store, 'tls', 'ca.crt'));
    expect(await storeMirrorCa(store, {}, undefined)).toBe(join(store, 'tls', 'ca.crt'));
    expect(await storeMirrorCa(store, {}, other.caCertFile)).toBe(other.caCertFile);
    expect(await storeMirrorCa(store, { caCertFiles: [other.caCertFile] }, undefined)).toBeUndefined();
    expect(await storeMirrorCa(store, { plainHttp: true }, undefined)).toBeUndefined();
    expect(await storeMirrorCa(undefined, {}, undefined)).toBeUndefined();
  });

  it('refuses a CA for a plain-HTTP mirror, and a --ca-cert that is no CA with a pointer to --mirror-ca', async () => {
    expect((await failure(mirrorTrust({ plainHttp: true }, pki.caCertFile))).message).toMatch(/plain HTTP has no certificate to check/);
    expect((await failure(mirrorTrust({ caCertFiles: [pki.leafCertFile] }))).message).toMatch(/is not a CA certificate.*name it with --mirror-ca FILE/);
  });
});

describe('--mirror-ca on the command line', () => {
  it('refuses a CA that is not one before import or copy touch a registry or the bundle, and only with --mirror-config', async () => {
    const config = join(work, 'never-written');
    const importing = await runFerry(
      'import',
      join(work, 'no-bundle'),
      '--to',
      'mirror.invalid:5000/x',
      '--mirror-config',
      config,
      '--mirror-ca',
      pki.leafCertFile,
      '--catalog',
      join(work, 'c.sqlite'),
    );
    expect(importing.code).not.toBe(0);
    expect(importing.stderr).toContain(`${pki.leafCertFile} cannot be the mirror's CA`);
    const set = join(work, 'set.yaml');
    await writeFile(set, 'images:\n  - mirror.invalid:5000/a/b:v1\n');
    const copying = await runFerry('copy', '--set', set, '--to', 'mirror.invalid:5000/x', '--mirror-config', config, '--mirror-ca', pki.leafCertFile);
    expect(copying.code).not.toBe(0);
    expect(copying.stderr).toContain(`${pki.leafCertFile} cannot be the mirror's CA`);
    expect((await runFerry('import', join(work, 'no-bundle'), '--to', 'mirror.invalid:5000/x', '--mirror-ca', pki.caCertFile)).stderr).toContain('--mirror-ca goes with --mirror-config DIR');
    expect((await runFerry('copy', '--set', set, '--to', 'mirror.invalid:5000/x', '--mirror-ca', pki.caCertFile)).stderr).toContain('--mirror-ca goes with --mirror-config DIR');
  });
});

describe('the trust files', () => {
  it('writes certs.d/<host:port>/ca.crt, containerd/certs.d/<host_port_>/ca.crt and the additionalTrustedCA ConfigMap', () => {
    const files = trustFiles(options({ caPem: pki.caCertPem }));
    expect([...files.keys()]).toEqual([`certs.d/${MIRROR}/ca.crt`, 'containerd/certs.d/mirror.local_5000_/ca.crt', 'openshift/additional-trusted-ca.yaml']);
    expect(files.get(`certs.d/${MIRROR}/ca.crt`)).toMatch(/^# Generated by Ferry[\s\S]*\/etc\/docker\/certs\.d\/mirror\.local:5000\/ca\.crt[\s\S]*-----BEGIN CERTIFICATE-----/);
    const configMap = parseYaml(files.get('openshift/additional-trusted-ca.yaml') ?? '') as { data: Record<string, string> };
    expect(configMap.data).toEqual({ 'mirror.local..5000': pki.caCertPem });
    expect(trustFiles(options())).toEqual(new Map());
  });

  it('keys a host without a port by its name, and refuses one no ConfigMap key can hold', async () => {
    expect(trustedCaKey('mirror.local')).toBe('mirror.local');
    expect(trustedCaKey('10.0.0.1:8443')).toBe('10.0.0.1..8443');
    expect((await failure(Promise.resolve().then(() => trustedCaKey('[::1]:5000')))).code).toBe('INVALID_ARGUMENT');
  });
});

describe("KET's plan fields", () => {
  it('writes docker_registry address, port, CA path and an empty login to fill in, as the KET guide names them', () => {
    const text = ketPlanRegistry({ mirrorRegistry: MIRROR, caPem: pki.caCertPem });
    expect(parseYaml(text)).toEqual({ docker_registry: { address: 'mirror.local', port: 5000, CA: '/etc/docker/certs.d/mirror.local:5000/ca.crt', username: '', password: '' } });
    expect(text).toMatch(/# .*PULL-ONLY user of mirror\.local:5000/);
    const bare = parseYaml(ketPlanRegistry({ mirrorRegistry: 'mirror.local', transport: 'http' })) as unknown;
    expect(bare).toEqual({ docker_registry: { address: 'mirror.local', port: 80, username: '', password: '' } });
  });
});

describe("Deckhouse's registry settings", () => {
  const edition: RepositoryMapping[] = [
    { source: 'registry.deckhouse.io/deckhouse/ee', mirror: `${MIRROR}/dkp` },
    { source: 'registry.deckhouse.io/deckhouse/ee/modules/console', mirror: `${MIRROR}/dkp/modules/console` },
  ];

  it('writes InitConfiguration and ModuleSource with imagesRepo, scheme, CA and an anonymous base64 dockercfg with the command to fill it', async () => {
    const files = deckhouseFiles(edition, options({ caPem: pki.caCertPem }));
    const initText = files.get('deckhouse/init-configuration.yaml') ?? '';
    const init = parseYaml(initText) as { deckhouse: Record<string, string> };
    expect(init.deckhouse).toMatchObject({ imagesRepo: `${MIRROR}/dkp`, registryScheme: 'HTTPS', registryCA: pki.caCertPem });
    expect(JSON.parse(Buffer.from(init.deckhouse.registryDockerCfg ?? '', 'base64').toString('utf8'))).toEqual({ auths: { [MIRROR]: {} } });
    // The header's command, run by sh, makes the value Deckhouse expects for a pull-only user.
    const command = /^# +(printf .*)$/m.exec(initText)?.[1] ?? 'missing';
    const { stdout: made } = await promisify(execFile)('sh', ['-c', command.replace('USER:PASSWORD', 'puller:pw')]);
    expect(JSON.parse(Buffer.from(made, 'base64').toString('utf8'))).toEqual({ auths: { [MIRROR]: { auth: Buffer.from('puller:pw').toString('base64') } } });
    const source = parseYaml(files.get('deckhouse/module-source.yaml') ?? '') as { kind: string; spec: { registry: Record<string, string> } };
    expect(source.kind).toBe('ModuleSource');
    expect(source.spec.registry).toMatchObject({ repo: `${MIRROR}/dkp/modules`, scheme: 'HTTPS', ca: pki.caCertPem, dockerCfg: init.deckhouse.registryDockerCfg });
  });

  it('says HTTP for a plain-HTTP mirror (no CA), and writes nothing when no edition root landed at the prefix', () => {
    const files = deckhouseFiles(edition, options({ transport: 'http' }));
    const init = parseYaml(files.get('deckhouse/init-configuration.yaml') ?? '') as { deckhouse: Record<string, string> };
    expect(init.deckhouse.registryScheme).toBe('HTTP');
    expect(init.deckhouse).not.toHaveProperty('registryCA');
    expect(JSON.parse(Buffer.from(init.deckhouse.registryDockerCfg ?? '', 'base64').toString('utf8'))).toEqual({ auths: { [MIRROR]: {} } });
    expect(deckhouseFiles([{ source: 'quay.io/a/b', mirror: `${MIRROR}/dkp/a/b` }], options())).toEqual(new Map());
  });
});

describe('the install guide', () => {
  it.each([
    ['registries.conf.d/99-ferry-mirror.conf', '/etc/containers/registries.conf.d/99-ferry-mirror.conf', /^sudo install -D -m 0644 registries\.conf\.d\/99-ferry-mirror\.conf /],
    ['containerd/certs.d/quay.io/hosts.toml', '/etc/containerd/certs.d/quay.io/hosts.toml', /install -D -m 0644 containerd\/certs\.d\/quay\.io\/hosts\.toml \/etc\/containerd/],
    ['containerd/certs.d/mirror.local_5000_/ca.crt', '/etc/containerd/certs.d/mirror.local_5000_/ca.crt', /ca\.crt \/etc\/containerd\/certs\.d\/mirror\.local_5000_\/ca\.crt$/],
    ['certs.d/mirror.local:5000/ca.crt', '/etc/docker/certs.d/mirror.local:5000/ca.crt and /etc/containers/certs.d/mirror.local:5000/ca.crt', /&& sudo install/],
    // The portable spelling (written where ":" is not allowed) still installs under host:port.
    [
      'certs.d/mirror.local_5000_/ca.crt',
      '/etc/docker/certs.d/mirror.local:5000/ca.crt and /etc/containers/certs.d/mirror.local:5000/ca.crt',
      /mirror\.local_5000_\/ca\.crt \/etc\/docker\/certs\.d\/mirror\.local:5000\/ca\.crt/,
    ],
    ['openshift/imagedigestmirrorset.yaml', 'the cluster', /^oc apply -f openshift\/imagedigestmirrorset\.yaml$/],
    [
      'openshift/additional-trusted-ca.yaml',
      'the cluster: ConfigMap in openshift-config',
      /^oc apply -f openshift\/additional-trusted-ca\.yaml && current=.*oc patch image\.config\.openshift\.io\/cluster/,
    ],
    ['deckhouse/module-source.yaml', 'the cluster', /^d8 k apply -f deckhouse\/module-source\.yaml$/],
  ])('%s goes to %s', (path, destination, command) => {
    const step = installGuide(path);
    expect(step?.destination).toBe(destination);
    expect(step?.command).toMatch(command);
    expect(step?.consumer.length).toBeGreaterThan(0);
  });

  it('patches additionalTrustedCA only when the cluster names no other ConfigMap (run by sh against a recording oc)', async () => {
    const bin = join(work, 'fake-oc');
    await mkdir(bin, { recursive: true });
    // A stand-in oc that records its arguments and answers `get` with $CURRENT, the ConfigMap the cluster names.
    await writeFile(join(bin, 'oc'), '#!/bin/sh\necho "$*" >> "$LOG"\nif [ "$1" = get ]; then printf %s "$CURRENT"; fi\n', { mode: 0o755 });
    const command = installGuide('openshift/additional-trusted-ca.yaml')?.command ?? 'missing';
    const run = async (current: string): Promise<{ code: number; calls: string[]; stderr: string }> => {
      const log = join(bin, `log-${current || 'none'}`);
      const result = await promisify(execFile)('sh', ['-c', command], { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, LOG: log, CURRENT: current } }).then(
        (done) => ({ code: 0, stderr: done.stderr }),
        (error: unknown) => ({ code: (error as { code: number }).code, stderr: (error as { stderr: string }).stderr }),
      );
      return { ...result, calls: (await readFile(log, 'utf8')).trim().split('\n') };
    };
    for (const current of ['', 'ferry-mirror-ca']) {
      const { code, calls } = await run(current);
      expect(code).toBe(0);
      expect(calls.map((call) => call.split(' ')[0])).toEqual(['apply', 'get', 'patch']);
    }
    const other = await run('site-cas');
    expect(other.code).not.toBe(0);
    expect(other.calls.map((call) => call.split(' ')[0])).toEqual(['apply', 'get']);
    expect(other.stderr).toContain('ConfigMap site-cas');
  });

  it('has no step for files nobody installs', () => {
    expect(installGuide('containerd/SKIPPED.txt')).toBeUndefined();
    expect(installGuide('notes/mine.txt')).toBeUndefined();
  });
});

describe('writeMirrorConfig with a CA and a login', () => {
  it("never writes the job's login into any file, in clear or base64", async () => {
    const dir = join(work, 'no-secrets');
    const login = { username: 'pusher', password: 'Pa55-never-in-files' };
    const mappings: RepositoryMapping[] = [
      { source: 'registry.deckhouse.io/deckhouse/ee', mirror: `${MIRROR}/dkp` },
      { source: 'quay.io/a/b', mirror: `${MIRROR}/dkp/a/b` },
    ];
    // As import.ts / copy.ts do: the job's registry settings (with its login) → mirrorTrust → writeMirrorConfig.
    const trust = await mirrorTrust({ caCertFiles: [pki.caCertFile], login });
    const result = await writeMirrorConfig(dir, mappings, options(trust));
    expect(result.written).toEqual(expect.arrayContaining(['ket/plan-docker-registry.yaml', 'deckhouse/init-configuration.yaml', 'deckhouse/module-source.yaml']));
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    const forbidden = [
      login.password,
      b64(login.password),
      b64(`${login.username}:${login.password}`),
      b64(JSON.stringify({ auths: { [MIRROR]: { auth: b64(`${login.username}:${login.password}`) } } })),
    ];
    for (const relative of result.written) {
      const text = await readFile(join(dir, ...relative.split('/')), 'utf8');
      for (const secret of forbidden) expect(text.includes(secret), `${relative} holds the login`).toBe(false);
    }
  });

  it('writes the trust, KET and Deckhouse files, those to be filled with a login 0600, and removes a stale CA', async () => {
    const dir = join(work, 'written');
    const mappings: RepositoryMapping[] = [
      { source: 'registry.deckhouse.io/deckhouse/ee', mirror: `${MIRROR}/dkp` },
      { source: 'quay.io/a/b', mirror: `${MIRROR}/dkp/a/b` },
    ];
    const first = await writeMirrorConfig(dir, mappings, options({ caPem: pki.caCertPem }));
    expect(first.written).toEqual(
      expect.arrayContaining([
        `certs.d/${MIRROR}/ca.crt`,
        'containerd/certs.d/mirror.local_5000_/ca.crt',
        'openshift/additional-trusted-ca.yaml',
        'ket/plan-docker-registry.yaml',
        'deckhouse/init-configuration.yaml',
        'deckhouse/module-source.yaml',
      ]),
    );
    for (const secret of ['ket/plan-docker-registry.yaml', 'deckhouse/init-configuration.yaml', 'deckhouse/module-source.yaml']) expect((await stat(join(dir, secret))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, 'containerd', 'certs.d', 'quay.io', 'hosts.toml'), 'utf8')).includes('ca = "../mirror.local_5000_/ca.crt"')).toBe(true);
    // Without a CA the next run removes the CA files the first one wrote.
    const second = await writeMirrorConfig(dir, mappings, options());
    expect(second.removed).toEqual([`certs.d/${MIRROR}/ca.crt`, 'containerd/certs.d/mirror.local_5000_/ca.crt', 'openshift/additional-trusted-ca.yaml']);
  });
});
