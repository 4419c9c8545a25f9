import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getManifest } from '../../src-main/oci/registry/manifests.ts';
import { blobExists, mountBlob, uploadBlob } from '../../src-main/oci/registry/uploads.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import { accessFor, registriesFor } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { Registries } from '../../src-main/oci/registry/registries.ts';
import { failure } from '../harness/test-helpers.ts';

let fixture: FixtureImage;

beforeAll(async () => {
  fixture = (await buildFixtures())['oci-single'];
});

describe('TLS + htpasswd basic auth', () => {
  let registry: RunningRegistry;
  const teardown = new Teardown();
  beforeAll(async () => {
    registry = teardown.add(await startRegistry({ mode: 'tls-basic' }), (started) => started.stop());
    await seedFixtures(registry, [fixture]);
  });
  afterAll(() => teardown.run());

  it('pulls with credentials and the per-run CA (--ca-cert)', async () => {
    const registries = registriesFor(registry);
    const client = await registries.client(registry.host);
    expect((await getManifest(client, fixture.repository, fixture.tag)).digest).toBe(fixture.manifestDigest);
    await registries.close();
  });

  it('trusts the CA through a certs.d folder (--cert-dir)', async () => {
    const registries = registriesFor(registry, { tls: { verify: true, caCertFiles: [], certDirs: [registry.certDir ?? ''] } });
    const client = await registries.client(registry.host);
    expect((await getManifest(client, fixture.repository, fixture.tag)).digest).toBe(fixture.manifestDigest);
    await registries.close();
  });

  it('without the CA it is a TLS_ERROR with a ca-certificate hint and no flag in its words; --tls-verify=false gets through', async () => {
    const emptyCertDir = await mkdtemp(join(tmpdir(), 'ferry-no-certs-'));
    const untrusted = registriesFor(registry, { tls: { verify: true, caCertFiles: [], certDirs: [emptyCertDir] } });
    const error = await failure(untrusted.client(registry.host).then((c) => getManifest(c, fixture.repository, fixture.tag)));
    expect(error.code).toBe('TLS_ERROR');
    expect(error.details?.hint).toEqual({ kind: 'ca-certificate', host: registry.host });
    expect(error.message).toContain('not trust');
    expect(error.message).not.toMatch(/--[a-z]/);
    await untrusted.close();
    const insecure = registriesFor(registry, { tls: { verify: false, caCertFiles: [], certDirs: [] } });
    expect((await getManifest(await insecure.client(registry.host), fixture.repository, fixture.tag)).digest).toBe(fixture.manifestDigest);
    await insecure.close();
  });

  it('a wrong password is UNAUTHORIZED and the password appears nowhere in the error', async () => {
    const password = 'hunter2-wrong-password';
    const registries = registriesFor(registry, { creds: { username: registry.username ?? '', password, host: registry.host } });
    const error = await failure(registries.client(registry.host).then((c) => getManifest(c, fixture.repository, fixture.tag)));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.details?.hint).toEqual({ kind: 'credentials', host: registry.host });
    expect(error.message).not.toMatch(/--[a-z]/);
    expect(JSON.stringify({ fields: Object.entries(error), message: error.message, stack: error.stack })).not.toContain(password);
    expect(error.message).toContain(`${registry.host}/${fixture.repository}:${fixture.tag}`);
    await registries.close();
  });

  it('reads credentials from an auth file (--authfile)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-authfile-'));
    const authFile = join(dir, 'auth.json');
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
    await writeFile(authFile, JSON.stringify({ auths: { [registry.host]: { auth } } }));
    const access = accessFor(registry, { authFile });
    delete access.creds;
    const registries = new Registries(access);
    expect((await getManifest(await registries.client(registry.host), fixture.repository, fixture.tag)).digest).toBe(fixture.manifestDigest);
    await registries.close();
  });
});

describe('bearer token auth', () => {
  let registry: RunningRegistry;
  const teardown = new Teardown();
  beforeAll(async () => {
    const started = await startRegistry({
      mode: 'token',
      users: [
        { username: 'ferry', password: 'ferry-token-pass', access: { '*': ['pull', 'push'] } },
        { username: 'reader', password: 'reader-pass', access: { '*': ['pull'] } },
      ],
    });
    registry = teardown.add(started, (running) => running.stop());
    await seedFixtures(registry, [fixture]);
  });
  afterAll(() => teardown.run());

  it('pulls and pushes with a token, reusing it for the same scopes', async () => {
    const registries = registriesFor(registry);
    const client = await registries.client(registry.host);
    const issuer = registry.tokenIssuer;
    if (!issuer) throw new Error('token mode without issuer');
    const before = issuer.requests.length;
    await getManifest(client, fixture.repository, fixture.tag);
    await getManifest(client, fixture.repository, fixture.manifestDigest);
    expect(issuer.requests.length - before).toBe(1);
    const bytes = Buffer.from('pushed with a bearer token');
    await uploadBlob(client, 'token/push', { digest: sha256Digest(bytes), size: bytes.length }, async function* () {
      yield bytes;
    });
    expect(await blobExists(client, 'token/push', sha256Digest(bytes))).toBe(true);
    await registries.close();
  });

  it('a cross-repository mount asks for both scopes in one token request', async () => {
    const registries = registriesFor(registry);
    const client = await registries.client(registry.host);
    const issuer = registry.tokenIssuer;
    if (!issuer) throw new Error('token mode without issuer');
    const layer = fixture.blobs[1];
    if (!layer) throw new Error('fixture without layer');
    const before = issuer.requests.length;
    expect(await mountBlob(client, 'token/mounted', layer.digest, fixture.repository)).toBe('mounted');
    const mountRequests = issuer.requests.slice(before);
    expect(mountRequests).toHaveLength(1);
    expect(mountRequests[0]?.scopes.sort()).toEqual([`repository:${fixture.repository}:pull`, 'repository:token/mounted:pull,push'].sort());
    await registries.close();
  });

  it('a pull-only user cannot push: DENIED or UNAUTHORIZED at once, naming the repository', async () => {
    const registries = registriesFor(registry, { creds: { username: 'reader', password: 'reader-pass', host: registry.host } });
    const client = await registries.client(registry.host);
    expect((await getManifest(client, fixture.repository, fixture.tag)).digest).toBe(fixture.manifestDigest);
    const bytes = Buffer.from('not allowed');
    const error = await failure(
      uploadBlob(client, 'token/forbidden', { digest: sha256Digest(bytes), size: bytes.length }, async function* () {
        yield bytes;
      }),
    );
    expect(['DENIED', 'UNAUTHORIZED']).toContain(error.code);
    expect(error.message).toContain('token/forbidden');
    await registries.close();
  });

  it('the issuer refuses a bad password and the error says so without the password', async () => {
    const registries = registriesFor(registry, { creds: { username: 'ferry', password: 'definitely-wrong', host: registry.host } });
    const error = await failure(registries.client(registry.host).then((c) => getManifest(c, fixture.repository, fixture.tag)));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.details?.hint).toEqual({ kind: 'credentials', host: registry.host });
    expect(error.message).not.toContain('definitely-wrong');
    await registries.close();
  });
});
