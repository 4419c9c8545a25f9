/**
 * The mirror configuration Ferry writes, read by the real runtimes rather
 * than Ferry's own parsers. `ferry copy --set --mirror-config` carries images
 * into a mirror and writes the files from the settings it used for that
 * mirror; then the source registry is stopped, and
 * - containerd 1.6 (`ctr content fetch --hosts-dir`, the folder CRI's
 *   config_path names) fetches each image by digest through the generated
 *   hosts.toml, and
 * - skopeo (containers/image: Podman, CRI-O) with `--registries-conf` on the
 *   generated drop-in copies each image by its source digest from the mirror,
 * for a plain-HTTP mirror (Distribution, anonymous) and a TLS mirror signed
 * by a private CA (Distribution tls-basic), trusted only through the
 * generated certs.d/ca.crt files: no flag that weakens TLS is given to either
 * client. Each case has a control that fails without Ferry's file, so the
 * test can fail. The OpenShift additionalTrustedCA ConfigMap is checked
 * against the API's own schema (tests/harness/crd-schemas.ts).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CtrError, startContainerd, type RunningContainerd } from '../harness/containerd.ts';
import { loadChecks, problems } from '../harness/crd-schemas.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

/** Upper bound for one skopeo run over loopback. */
const SKOPEO_TIMEOUT_MS = 120_000;

const teardown = new Teardown();
let source: RunningRegistry;
let plainMirror: RunningRegistry;
let tlsMirror: RunningRegistry;
let containerd: RunningContainerd;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
/** Source host:port, stopped before any runtime reads the configuration. */
let sourceHost: string;

/** The image each mirror carries: different images, so containerd's content store shows which fetch brought what. */
const PLAIN_IMAGE: FixtureName = 'oci-index';
const TLS_IMAGE: FixtureName = 'docker-schema2';

function image(name: FixtureName): FixtureImage {
  return fixtures[name];
}

/** The source reference of an image pinned by digest: what a pod spec pins, and what the mirrors must answer for. */
function sourceRef(name: FixtureName): string {
  return `${sourceHost}/${image(name).repository}@${image(name).manifestDigest}`;
}

/** A set file naming one source image by tag, as an operator writes it. */
async function setFile(name: FixtureName): Promise<string> {
  const file = join(work, `${name}.set.yaml`);
  await writeFile(file, ['images:', `  - ${source.host}/${image(name).repository}:${image(name).tag}`, ''].join('\n'));
  return file;
}

/** `skopeo --registries-conf CONF copy docker://REF oci:DIR`, with only the given extra arguments and environment; resolves to the copied manifest digest. */
function skopeoCopy(conf: string, reference: string, extra: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ ok: true; digest: string } | { ok: false; stderr: string }> {
  const target = join(work, `oci-${Math.random().toString(36).slice(2)}`);
  const args = ['--registries-conf', conf, 'copy', '--all', '--preserve-digests', ...extra, `docker://${reference}`, `oci:${target}:copied`];
  return new Promise((resolve) => {
    execFile('skopeo', args, { timeout: SKOPEO_TIMEOUT_MS, env: { ...process.env, ...env } }, (error, _stdout, stderr) => {
      if (error) {
        resolve({ ok: false, stderr });
        return;
      }
      readFile(join(target, 'index.json'), 'utf8').then(
        (text) => resolve({ ok: true, digest: (JSON.parse(text) as { manifests: Array<{ digest: string }> }).manifests[0]?.digest ?? '' }),
        (readError: unknown) => resolve({ ok: false, stderr: String(readError) }),
      );
    });
  });
}

async function ctrFailure(promise: Promise<unknown>): Promise<CtrError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CtrError);
  return error as CtrError;
}

/** Every digest of an image: its manifests and its blobs. */
function digestsOf(name: FixtureName): string[] {
  return [...image(name).manifests.map((m) => m.digest), ...image(name).blobs.map((b) => b.digest)];
}

beforeAll(async () => {
  fixtures = await buildFixtures({ bigLayerCount: 0 });
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, plainMirror, tlsMirror] = await Promise.all([anonymous(), anonymous(), startRegistry({ mode: 'tls-basic' }).then((r) => teardown.add(r, (started) => started.stop()))]);
  sourceHost = source.host;
  await seedFixtures(source, [image(PLAIN_IMAGE), image(TLS_IMAGE)]);
  work = await mkdtemp(join(tmpdir(), 'ferry-mirror-runtimes-'));
  containerd = teardown.add(await startContainerd(), (started) => started.stop());

  const plain = await runFerry('copy', '--set', await setFile(PLAIN_IMAGE), '--to', `${plainMirror.host}/site`, '--plain-http', '--authfile', emptyAuthFile, '--mirror-config', join(work, 'plain'));
  expect(plain.code, plain.stderr).toBe(0);
  // The TLS mirror's CA reaches the mirror configuration only as the copy's own --dest-ca-cert (the default for --mirror-ca).
  const tls = await runFerry(
    'copy',
    '--set',
    await setFile(TLS_IMAGE),
    '--to',
    `${tlsMirror.host}/site`,
    '--src-plain-http',
    '--src-authfile',
    emptyAuthFile,
    '--dest-ca-cert',
    tlsMirror.caFile ?? '',
    '--dest-creds',
    `${tlsMirror.username ?? ''}:${tlsMirror.password ?? ''}`,
    '--mirror-config',
    join(work, 'tls'),
  );
  expect(tls.code, tls.stderr).toBe(0);
  // From here on only the mirrors can answer for the source host.
  await source.stop();
}, 300_000);

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a plain-HTTP mirror', () => {
  const hostsDir = (): string => join(work, 'plain', 'containerd', 'certs.d');
  const conf = (): string => join(work, 'plain', 'registries.conf.d', '99-ferry-mirror.conf');

  it('is written as plain HTTP: http:// in hosts.toml without skip_verify, insecure = true in registries.conf', async () => {
    const folder = sourceHost.replace(/:(\d+)$/, '_$1_');
    const hosts = parseToml(await readFile(join(hostsDir(), folder, 'hosts.toml'), 'utf8')) as { host: Record<string, Record<string, unknown>> };
    expect(Object.keys(hosts.host)).toEqual([`http://${plainMirror.host}/v2/site`]);
    expect(Object.values(hosts.host)[0]).not.toHaveProperty('skip_verify');
    const registries = parseToml(await readFile(conf(), 'utf8')) as { registry: Array<{ mirror: Array<{ insecure?: boolean }> }> };
    expect(registries.registry.flatMap((r) => r.mirror.map((m) => m.insecure))).toEqual([true]);
  });

  it('containerd fetches the source digest through the generated hosts.toml while the source is down', async () => {
    // Control: without Ferry's hosts folder the source host is all containerd knows, and it is down.
    await ctrFailure(containerd.fetch(sourceRef(PLAIN_IMAGE), { hostsDir: join(work, 'empty-hosts'), allPlatforms: true }));
    await containerd.fetch(sourceRef(PLAIN_IMAGE), { hostsDir: hostsDir(), allPlatforms: true });
    const content = await containerd.listContent();
    for (const digest of digestsOf(PLAIN_IMAGE)) expect(content).toContain(digest);
  });

  it('skopeo resolves the source digest to the mirror with the generated registries.conf drop-in', async () => {
    const empty = join(work, 'empty.conf');
    await writeFile(empty, '');
    expect((await skopeoCopy(empty, sourceRef(PLAIN_IMAGE), ['--src-no-creds'])).ok).toBe(false);
    expect(await skopeoCopy(conf(), sourceRef(PLAIN_IMAGE), ['--src-no-creds'])).toEqual({ ok: true, digest: image(PLAIN_IMAGE).manifestDigest });
  });
});

describe('a TLS mirror with a private CA', () => {
  const dir = (): string => join(work, 'tls');
  const conf = (): string => join(dir(), 'registries.conf.d', '99-ferry-mirror.conf');
  const user = (): string => `${tlsMirror.username ?? ''}:${tlsMirror.password ?? ''}`;

  it("writes the copy's --dest-creds login into no file, in clear or base64 (nodes get a pull login the user fills in)", async () => {
    const password = tlsMirror.password ?? 'missing';
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    const forbidden = [password, b64(password), b64(user())];
    const files = (await readdir(dir(), { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    expect(files.map((entry) => entry.name)).toContain('plan-docker-registry.yaml');
    for (const entry of files) {
      const text = await readFile(join(entry.parentPath, entry.name), 'utf8');
      for (const secret of forbidden) expect(text.includes(secret), `${entry.name} holds the login`).toBe(false);
    }
  });

  it('writes the CA as certs.d/<host:port>/ca.crt and containerd ca = beside the host folders, https:// without skip_verify', async () => {
    const caPem = (tlsMirror.caPem ?? '').trim();
    expect(await readFile(join(dir(), 'certs.d', tlsMirror.host, 'ca.crt'), 'utf8')).toContain(caPem.split('\n')[1] ?? 'missing');
    const folder = sourceHost.replace(/:(\d+)$/, '_$1_');
    const hosts = parseToml(await readFile(join(dir(), 'containerd', 'certs.d', folder, 'hosts.toml'), 'utf8')) as { host: Record<string, Record<string, unknown>> };
    const mirrorFolder = tlsMirror.host.replace(/:(\d+)$/, '_$1_');
    expect(hosts.host).toEqual({ [`https://${tlsMirror.host}/v2/site`]: { capabilities: ['pull', 'resolve'], override_path: true, ca: `../${mirrorFolder}/ca.crt` } });
    const registries = parseToml(await readFile(conf(), 'utf8')) as { registry: Array<{ mirror: Array<{ insecure?: boolean }> }> };
    expect(registries.registry.flatMap((r) => r.mirror.map((m) => m.insecure))).toEqual([undefined]);
  });

  it('containerd fetches the source digest through hosts.toml, trusting the mirror only through the generated ca.crt', async () => {
    // Control: the same tree with the ca line taken out of hosts.toml fails on the certificate, so Ferry's CA reference is what makes the fetch work.
    const noCa = join(work, 'tls-no-ca');
    await cp(join(dir(), 'containerd', 'certs.d'), noCa, { recursive: true });
    const hostsFile = join(noCa, sourceHost.replace(/:(\d+)$/, '_$1_'), 'hosts.toml');
    const withoutCa = parseToml(await readFile(hostsFile, 'utf8')) as { host: Record<string, Record<string, unknown>> };
    for (const settings of Object.values(withoutCa.host)) delete settings.ca;
    await writeFile(hostsFile, stringifyToml(withoutCa));
    const refused = await ctrFailure(containerd.fetch(sourceRef(TLS_IMAGE), { hostsDir: noCa, user: user(), allPlatforms: true }));
    expect(refused.stderr).toMatch(/x509|certificate/);
    expect(refused.stderr).not.toContain(tlsMirror.password ?? 'no password');

    await containerd.fetch(sourceRef(TLS_IMAGE), { hostsDir: join(dir(), 'containerd', 'certs.d'), user: user(), allPlatforms: true });
    const content = await containerd.listContent();
    for (const digest of digestsOf(TLS_IMAGE)) expect(content).toContain(digest);
  });

  it('skopeo resolves the source digest to the mirror, trusting it through the generated certs.d (installed in its per-user location)', async () => {
    // containers/image reads $HOME/.config/containers/certs.d/<host:port>/ca.crt before /etc: Ferry's certs.d is installed there as is.
    const home = join(work, 'home');
    await mkdir(join(home, '.config', 'containers'), { recursive: true });
    const bare = join(work, 'home-bare');
    await mkdir(bare, { recursive: true });
    // The mirror's login as a node holds it (the pull secret / auth.json), keyed by the mirror host only.
    const authFile = join(work, 'mirror-auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { [tlsMirror.host]: { auth: Buffer.from(user()).toString('base64') } } }), { mode: 0o600 });
    const creds = ['--authfile', authFile];
    const refused = await skopeoCopy(conf(), sourceRef(TLS_IMAGE), creds, { HOME: bare });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.stderr).toMatch(/x509|certificate/);
    await symlink(join(dir(), 'certs.d'), join(home, '.config', 'containers', 'certs.d'));
    expect(await skopeoCopy(conf(), sourceRef(TLS_IMAGE), creds, { HOME: home })).toEqual({ ok: true, digest: image(TLS_IMAGE).manifestDigest });
  });

  it('writes the OpenShift additionalTrustedCA ConfigMap the API accepts, keyed <host>..<port>, with the oc patch command', async () => {
    const text = await readFile(join(dir(), 'openshift', 'additional-trusted-ca.yaml'), 'utf8');
    const object = parseYaml(text) as { metadata: { name: string; namespace: string }; data: Record<string, string> };
    expect(problems(await loadChecks(), object)).toEqual([]);
    expect(object.metadata).toEqual({ name: 'ferry-mirror-ca', namespace: 'openshift-config' });
    expect(Object.keys(object.data)).toEqual([tlsMirror.host.replace(':', '..')]);
    expect(object.data[tlsMirror.host.replace(':', '..')]?.trim()).toBe((await readFile(join(dir(), 'certs.d', tlsMirror.host, 'ca.crt'), 'utf8')).replace(/^#.*\n/gm, '').trim());
    expect(text).toContain(`oc patch image.config.openshift.io/cluster --type=merge --patch '{"spec":{"additionalTrustedCA":{"name":"ferry-mirror-ca"}}}'`);
  });
});
