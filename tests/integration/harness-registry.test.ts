/**
 * Proves the registry harness: each auth mode really runs Distribution, accepts
 * the right credentials, refuses wrong ones, and the token issuer grants only
 * what its policy allows.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtures, seedFixture } from '../harness/fixtures.ts';
import type { FixtureImage } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import type { RunningRegistry } from '../harness/registry.ts';
import { SkopeoError, dockerRef, runSkopeo, skopeoCopy, skopeoInspectRawDigest } from '../harness/skopeo.ts';

let single: FixtureImage;

beforeAll(async () => {
  single = (await buildFixtures({ bigLayerCount: 0 }))['oci-single'];
});

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(claims ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

async function expectSkopeoFailure(promise: Promise<unknown>, pattern: RegExp): Promise<SkopeoError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SkopeoError);
  const skopeoError = error as SkopeoError;
  expect(skopeoError.stderr).toMatch(pattern);
  return skopeoError;
}

describe('anonymous mode', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ mode: 'anonymous' });
    await seedFixture(registry, single);
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('serves the v2 API over plain HTTP without credentials', async () => {
    expect(registry.url).toBe(`http://${registry.host}`);
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const response = await fetch(`${registry.url}/v2/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('holds what skopeo pushed, by the computed digest', async () => {
    expect(await skopeoInspectRawDigest(dockerRef(registry, single.repository, 'v1'), registry)).toBe(single.manifestDigest);
    const head = await fetch(`${registry.url}/v2/${single.repository}/manifests/v1`, { method: 'HEAD', headers: { accept: single.mediaType } });
    expect(head.headers.get('docker-content-digest')).toBe(single.manifestDigest);
  });

  it('has deletes enabled', async () => {
    const response = await fetch(`${registry.url}/v2/${single.repository}/manifests/${single.manifestDigest}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
  });

  it('captures the registry log and removes storage on stop', async () => {
    const other = await startRegistry({ mode: 'anonymous' });
    await fetch(`${other.url}/v2/`);
    expect(other.readLog()).toMatch(/listening on 127\.0\.0\.1/);
    expect(existsSync(other.storageDir)).toBe(true);
    await other.stop();
    expect(existsSync(other.storageDir)).toBe(false);
    await expect(fetch(`${other.url}/v2/`)).rejects.toThrow();
  });
});

describe('tls-basic mode', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({
      mode: 'tls-basic',
      users: [
        { username: 'ferry', password: 's3cret-pass' },
        { username: 'second', password: 'other-pass' },
      ],
    });
    await seedFixture(registry, single);
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('serves HTTPS with a per-run CA and asks for Basic auth', async () => {
    expect(registry.url).toBe(`https://${registry.host}`);
    expect(registry.caPem).toMatch(/BEGIN CERTIFICATE/);
    const dispatcher = new Agent({ connect: { ca: registry.caPem } });
    try {
      const anonymous = await undiciFetch(`${registry.url}/v2/`, { dispatcher });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="ferry-test"/);
      const good = await undiciFetch(`${registry.url}/v2/`, { dispatcher, headers: { authorization: basicAuth('second', 'other-pass') } });
      expect(good.status).toBe(200);
      const bad = await undiciFetch(`${registry.url}/v2/`, { dispatcher, headers: { authorization: basicAuth('ferry', 'wrong') } });
      expect(bad.status).toBe(401);
    } finally {
      await dispatcher.close();
    }
  });

  it('is not trusted without the CA', async () => {
    await expect(fetch(`${registry.url}/v2/`)).rejects.toThrow();
    await expectSkopeoFailure(runWithoutCertDir(registry), /certificate|x509/i);
  });

  it('lets skopeo in with the right credentials and refuses wrong ones', async () => {
    const ref = dockerRef(registry, single.repository, 'v1');
    expect(await skopeoInspectRawDigest(ref, registry)).toBe(single.manifestDigest);
    const error = await expectSkopeoFailure(skopeoInspectRawDigest(ref, registry, { username: 'ferry', password: 'wrong-password' }), /unauthorized|authentication required/i);
    expect(error.message).not.toContain('wrong-password');
    await expectSkopeoFailure(skopeoInspectRawDigest(ref, registry, null), /unauthorized|authentication required/i);
  });
});

async function runWithoutCertDir(registry: RunningRegistry): Promise<string> {
  // Same registry, but skopeo gets only the system trust store.
  const out = await runSkopeo(['inspect', '--raw', '--creds', `${registry.username ?? ''}:${registry.password ?? ''}`, `docker://${registry.host}/fixtures/oci-single:v1`], [registry.password ?? '']);
  return out.toString('utf8');
}

describe('token mode', () => {
  let registry: RunningRegistry;
  const writer = { username: 'writer', password: 'writer-pass' };
  const reader = { username: 'reader', password: 'reader-pass' };
  beforeAll(async () => {
    registry = await startRegistry({
      mode: 'token',
      users: [
        { username: writer.username, password: writer.password, access: { '*': ['pull', 'push', 'delete'] } },
        { username: reader.username, password: reader.password, access: { 'fixtures/*': ['pull'] } },
      ],
      anonymous: { 'public/*': ['pull'] },
    });
    await seedFixture(registry, single);
  });
  afterAll(async () => {
    await registry.stop();
  });

  const tokenUrl = (scopes: string[]): string => {
    const url = new URL(registry.tokenIssuer?.realm ?? 'http://invalid/');
    url.searchParams.set('service', registry.tokenIssuer?.service ?? '');
    for (const scope of scopes) url.searchParams.append('scope', scope);
    return url.toString();
  };

  it('sends a Bearer challenge pointing at the issuer', async () => {
    expect(registry.username).toBe('writer');
    const response = await fetch(`${registry.url}/v2/`);
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain(`realm="${registry.tokenIssuer?.realm ?? '?'}"`);
    expect(challenge).toContain(`service="${registry.tokenIssuer?.service ?? '?'}"`);
  });

  it('refuses a bad password with 401 and records it', async () => {
    const before = registry.tokenIssuer?.requests.length ?? 0;
    const response = await fetch(tokenUrl(['repository:fixtures/oci-single:pull']), { headers: { authorization: basicAuth('reader', 'nope') } });
    expect(response.status).toBe(401);
    const record = registry.tokenIssuer?.requests[before];
    expect(record).toMatchObject({ user: 'reader', status: 401, scopes: ['repository:fixtures/oci-single:pull'], granted: [] });
  });

  it('grants only the allowed subset, in a JWT Distribution accepts', async () => {
    const response = await fetch(tokenUrl(['repository:fixtures/oci-single:pull,push', 'repository:private/x:pull']), { headers: { authorization: basicAuth('reader', 'reader-pass') } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; access_token: string; expires_in: number };
    expect(body.access_token).toBe(body.token);
    const { header, claims } = decodeJwt(body.token);
    expect(header.alg).toBe('RS256');
    expect(Array.isArray(header.x5c)).toBe(true);
    expect(claims).toMatchObject({ iss: 'ferry-test-issuer', sub: 'reader', aud: registry.tokenIssuer?.service });
    expect(claims.access).toEqual([{ type: 'repository', name: 'fixtures/oci-single', actions: ['pull'] }]);
    const manifest = await fetch(`${registry.url}/v2/fixtures/oci-single/manifests/v1`, { headers: { authorization: `Bearer ${body.token}`, accept: single.mediaType } });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(single.manifestDigest);
    const upload = await fetch(`${registry.url}/v2/fixtures/oci-single/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${body.token}` } });
    expect(upload.status).toBe(401);
  });

  it('records one token request carrying every scope of a multi-repository request', async () => {
    const before = registry.tokenIssuer?.requests.length ?? 0;
    const scopes = ['repository:fixtures/oci-single:pull', 'repository:mirror/target:pull,push'];
    const response = await fetch(tokenUrl(scopes), { headers: { authorization: basicAuth('writer', 'writer-pass') } });
    expect(response.status).toBe(200);
    const records = registry.tokenIssuer?.requests.slice(before) ?? [];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ user: 'writer', scopes, status: 200, grantType: 'basic' });
    expect(records[0]?.granted).toEqual([
      { type: 'repository', name: 'fixtures/oci-single', actions: ['pull'] },
      { type: 'repository', name: 'mirror/target', actions: ['pull', 'push'] },
    ]);
  });

  it('applies the anonymous policy to requests without credentials', async () => {
    const response = await fetch(tokenUrl(['repository:public/img:pull,push', 'repository:fixtures/oci-single:pull']));
    expect(response.status).toBe(200);
    const { claims } = decodeJwt(((await response.json()) as { token: string }).token);
    expect(claims.sub).toBe('');
    expect(claims.access).toEqual([{ type: 'repository', name: 'public/img', actions: ['pull'] }]);
  });

  it('supports the OAuth2 password grant', async () => {
    const form = new URLSearchParams({
      grant_type: 'password',
      username: 'reader',
      password: 'reader-pass',
      service: registry.tokenIssuer?.service ?? '',
      scope: 'repository:fixtures/a:pull',
      client_id: 'ferry',
    });
    const response = await fetch(registry.tokenIssuer?.realm ?? '', { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const { claims } = decodeJwt(((await response.json()) as { access_token: string }).access_token);
    expect(claims.access).toEqual([{ type: 'repository', name: 'fixtures/a', actions: ['pull'] }]);
  });

  it('lets skopeo pull as reader, refuses reader pushes and wrong passwords', async () => {
    const ref = dockerRef(registry, single.repository, 'v1');
    expect(await skopeoInspectRawDigest(ref, registry, { username: reader.username, password: reader.password })).toBe(single.manifestDigest);
    await expectSkopeoFailure(
      skopeoCopy(
        { ref, registry, creds: { username: reader.username, password: reader.password } },
        { ref: dockerRef(registry, 'fixtures/copy-by-reader', 'v1'), registry, creds: { username: reader.username, password: reader.password } },
        { expectRefusal: true },
      ),
      /denied|unauthorized|authentication required/i,
    );
    await expectSkopeoFailure(skopeoInspectRawDigest(ref, registry, { username: reader.username, password: 'bad' }), /401|unauthorized|authentication required/i);
    // The writer may push the same image elsewhere.
    await skopeoCopy({ ref, registry }, { ref: dockerRef(registry, 'mirror/by-writer', 'v1'), registry });
    expect(await skopeoInspectRawDigest(dockerRef(registry, 'mirror/by-writer', 'v1'), registry)).toBe(single.manifestDigest);
  });
});

describe('token mode over TLS', () => {
  it('serves HTTPS when asked, and skopeo authenticates through the issuer', async () => {
    const registry = await startRegistry({ mode: 'token', tls: true });
    try {
      expect(registry.url.startsWith('https://')).toBe(true);
      expect(registry.caFile).toBeDefined();
      await seedFixture(registry, single);
      expect(await skopeoInspectRawDigest(dockerRef(registry, single.repository, 'v1'), registry)).toBe(single.manifestDigest);
      expect(registry.tokenIssuer?.requests.some((r) => r.user === 'ferry' && r.status === 200)).toBe(true);
    } finally {
      await registry.stop();
    }
  });
});

describe('process cleanup', () => {
  it('kills the registry when the process that started it is SIGKILLed', async () => {
    const script = `
      import { startRegistry } from ${JSON.stringify(new URL('../harness/registry.ts', import.meta.url).pathname)};
      const r = await startRegistry({ mode: 'anonymous' });
      console.log(JSON.stringify({ url: r.url, storageDir: r.storageDir }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
      });
      child.once('exit', () => reject(new Error(`child exited early: ${out}`)));
    });
    const { url, storageDir } = JSON.parse(line) as { url: string; storageDir: string };
    expect((await fetch(`${url}/v2/`)).status).toBe(200);
    child.kill('SIGKILL');
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = await fetch(`${url}/v2/`).then(
        () => true,
        () => false,
      );
    }
    expect(alive).toBe(false);
    // A SIGKILLed process runs no exit handler, so its temp folder is ours to remove.
    rmSync(dirname(storageDir), { recursive: true, force: true });
  });
});
