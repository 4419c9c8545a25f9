import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCredentialStore } from '../../src-main/oci/registry/credentials.ts';
import type { Credential } from '../../src-main/oci/registry/credentials.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { failure } from '../harness/test-helpers.ts';

let root: string;
let binDir: string;
let counter = 0;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** A fresh folder per test, so files from one case never leak into another. */
async function freshDir(): Promise<string> {
  counter += 1;
  const dir = join(root, `case-${counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function writeJson(path: string, value: unknown): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, JSON.stringify(value));
  return path;
}

/** An environment that sees only our helpers and none of the machine's auth files. */
function isolatedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`, ...extra };
}

/** Everything a logger or the IPC layer could print about an error. */
function everythingVisible(error: FerryError): string {
  return [error.message, error.stack ?? '', JSON.stringify(error.toEnvelope()), inspect(error, { depth: 10 }), String(error.cause)].join('\n');
}

const HELPER = `#!/bin/sh
[ "$1" = get ] || exit 3
read -r url
[ -n "$HELPER_LOG" ] && printf '%s\\n' "$url" >> "$HELPER_LOG"
case "$url" in
  helper.example) printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret-helper"}' "$url" ;;
  token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-tok"}' "$url" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hub-user","Secret":"hub-pass"}' "$url" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

const BROKEN_HELPER = `#!/bin/sh
read -r url
echo '{"Username":"bob","Secret":"LEAKED-STDOUT-SECRET"'
echo "fatal: could not unlock LEAKED-STDERR-SECRET" >&2
exit 2
`;

const GARBAGE_HELPER = `#!/bin/sh
read -r url
echo 'Username=bob Secret=GARBAGE-SECRET'
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-credentials-'));
  binDir = join(root, 'bin');
  await mkdir(binDir);
  for (const [name, body] of [
    ['test', HELPER],
    ['broken', BROKEN_HELPER],
    ['garbage', GARBAGE_HELPER],
  ] as const) {
    const path = join(binDir, `docker-credential-${name}`);
    await writeFile(path, body);
    await chmod(path, 0o755);
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('auth file entries', () => {
  it('decodes auth, username/password and identitytoken entries', async () => {
    const dir = await freshDir();
    const authFile = await writeJson(join(dir, 'auth.json'), {
      auths: {
        'a.example': { auth: b64('user:pa:ss') },
        'b.example': { username: 'u2', password: 'p2' },
        'c.example': { auth: b64('ignored:x'), identitytoken: 'idtok' },
      },
    });
    const store = await loadCredentialStore({ authFile, env: isolatedEnv(), homeDir: dir });
    expect(await store.get('a.example')).toEqual({ kind: 'basic', username: 'user', password: 'pa:ss' });
    expect(await store.get('b.example')).toEqual({ kind: 'basic', username: 'u2', password: 'p2' });
    expect(await store.get('c.example')).toEqual({ kind: 'identity-token', token: 'idtok' });
    expect(await store.get('d.example')).toBeUndefined();
    expect(store.describeSource('a.example')).toBe(`auth file ${authFile}`);
  });

  const keyCases: Array<[string, string, boolean]> = [
    ['https://index.docker.io/v1/', 'docker.io', true],
    ['https://index.docker.io/v1/', 'registry-1.docker.io', true],
    ['https://index.docker.io/v1/', 'index.docker.io', true],
    ['docker.io', 'registry-1.docker.io', true],
    ['registry-1.docker.io', 'docker.io', true],
    ['http://reg.example:5000', 'reg.example:5000', true],
    ['https://reg.example/v1/', 'reg.example', true],
    ['REG.example', 'reg.EXAMPLE', true],
    ['reg.example:5000', 'reg.example', false],
    ['reg.example', 'reg.example:5000', false],
    ['other.example', 'reg.example', false],
  ];
  for (const [key, host, matches] of keyCases) {
    it(`key ${key} ${matches ? 'matches' : 'does not match'} host ${host}`, async () => {
      const dir = await freshDir();
      const authFile = await writeJson(join(dir, 'auth.json'), { auths: { [key]: { auth: b64('u:p') } } });
      const store = await loadCredentialStore({ authFile, env: isolatedEnv(), homeDir: dir });
      expect(await store.get(host)).toEqual(matches ? { kind: 'basic', username: 'u', password: 'p' } : undefined);
    });
  }

  it('prefers an exact key over the URL form of the same host', async () => {
    const dir = await freshDir();
    const authFile = await writeJson(join(dir, 'auth.json'), {
      auths: { 'https://reg.example/v1/': { auth: b64('url:form') }, 'reg.example': { auth: b64('exact:key') } },
    });
    const store = await loadCredentialStore({ authFile, env: isolatedEnv(), homeDir: dir });
    expect(await store.get('reg.example')).toEqual({ kind: 'basic', username: 'exact', password: 'key' });
  });

  it('picks the most specific repository-scoped key', async () => {
    const dir = await freshDir();
    const authFile = await writeJson(join(dir, 'auth.json'), {
      auths: {
        'quay.io': { auth: b64('host:1') },
        'quay.io/team': { auth: b64('team:2') },
        'quay.io/team/app': { auth: b64('app:3') },
        'docker.io/library/nginx': { auth: b64('nginx:4') },
      },
    });
    const store = await loadCredentialStore({ authFile, env: isolatedEnv(), homeDir: dir });
    const user = async (host: string, repo?: string): Promise<string | undefined> => {
      const credential: Credential | undefined = await store.get(host, repo);
      return credential?.kind === 'basic' ? credential.username : undefined;
    };
    expect(await user('quay.io', 'team/app/sub')).toBe('app');
    expect(await user('quay.io', 'team/app')).toBe('app');
    expect(await user('quay.io', 'team/application')).toBe('team');
    expect(await user('quay.io', 'other/app')).toBe('host');
    expect(await user('quay.io')).toBe('host');
    expect(await user('registry-1.docker.io', 'library/nginx')).toBe('nginx');
    expect(await user('docker.io', 'library/redis')).toBeUndefined();
  });

  it('treats an empty entry as a placeholder and keeps looking', async () => {
    const dir = await freshDir();
    const env = isolatedEnv({ XDG_RUNTIME_DIR: join(dir, 'run') });
    await writeJson(join(dir, 'run', 'containers', 'auth.json'), { auths: { 'reg.example': {} } });
    await writeJson(join(dir, '.docker', 'config.json'), { auths: { 'reg.example': { auth: b64('later:file') } } });
    const store = await loadCredentialStore({ env, homeDir: dir });
    expect(await store.get('reg.example')).toEqual({ kind: 'basic', username: 'later', password: 'file' });
  });
});

describe('auth file resolution order', () => {
  it('reads XDG_RUNTIME_DIR, then ~/.config/containers, then ~/.docker; first with the host wins', async () => {
    const dir = await freshDir();
    const runtime = await writeJson(join(dir, 'run', 'containers', 'auth.json'), { auths: { 'a.example': { auth: b64('runtime:1') } } });
    const config = await writeJson(join(dir, '.config', 'containers', 'auth.json'), {
      auths: { 'a.example': { auth: b64('config:2') }, 'b.example': { auth: b64('config:2') } },
    });
    const docker = await writeJson(join(dir, '.docker', 'config.json'), {
      auths: { 'b.example': { auth: b64('docker:3') }, 'c.example': { auth: b64('docker:3') } },
    });
    const store = await loadCredentialStore({ env: isolatedEnv({ XDG_RUNTIME_DIR: join(dir, 'run') }), homeDir: dir });
    expect(await store.get('a.example')).toMatchObject({ username: 'runtime' });
    expect(await store.get('b.example')).toMatchObject({ username: 'config' });
    expect(await store.get('c.example')).toMatchObject({ username: 'docker' });
    expect(store.describeSource('a.example')).toBe(`auth file ${runtime}`);
    expect(store.describeSource('b.example')).toBe(`auth file ${config}`);
    expect(store.describeSource('c.example')).toBe(`auth file ${docker}`);
  });

  it('honours DOCKER_CONFIG and skips files that do not exist', async () => {
    const dir = await freshDir();
    await writeJson(join(dir, '.docker', 'config.json'), { auths: { 'a.example': { auth: b64('home:x') } } });
    await writeJson(join(dir, 'dockercfg', 'config.json'), { auths: { 'a.example': { auth: b64('override:y') } } });
    const store = await loadCredentialStore({ env: isolatedEnv({ DOCKER_CONFIG: join(dir, 'dockercfg') }), homeDir: dir });
    expect(await store.get('a.example')).toMatchObject({ username: 'override' });
  });

  it('uses REGISTRY_AUTH_FILE alone, and --authfile over REGISTRY_AUTH_FILE', async () => {
    const dir = await freshDir();
    const envFile = await writeJson(join(dir, 'env.json'), { auths: { 'a.example': { auth: b64('env:1') } } });
    const flagFile = await writeJson(join(dir, 'flag.json'), { auths: { 'a.example': { auth: b64('flag:2') } } });
    await writeJson(join(dir, '.docker', 'config.json'), { auths: { 'b.example': { auth: b64('docker:3') } } });
    const env = isolatedEnv({ REGISTRY_AUTH_FILE: envFile });
    const fromEnv = await loadCredentialStore({ env, homeDir: dir });
    expect(await fromEnv.get('a.example')).toMatchObject({ username: 'env' });
    expect(await fromEnv.get('b.example')).toBeUndefined();
    const fromFlag = await loadCredentialStore({ authFile: flagFile, env, homeDir: dir });
    expect(await fromFlag.get('a.example')).toMatchObject({ username: 'flag' });
  });

  it('rejects a missing --authfile, naming it', async () => {
    const dir = await freshDir();
    const missing = join(dir, 'nope.json');
    const error = await failure(loadCredentialStore({ authFile: missing, env: isolatedEnv(), homeDir: dir }));
    expect(error.code).toBe('CREDENTIALS_ERROR');
    expect(error.message).toContain(missing);
  });

  it('finds nothing, without error, when no auth file exists', async () => {
    const dir = await freshDir();
    const store = await loadCredentialStore({ env: isolatedEnv(), homeDir: dir });
    expect(await store.get('reg.example')).toBeUndefined();
    expect(store.describeSource('reg.example')).toBe('no auth file found');
  });
});

describe('secrets never reach errors', () => {
  const SECRET = 'hunter2-TOP-SECRET';
  const malformed: Array<[string, string]> = [
    ['truncated JSON', `{"auths":{"a.example":{"auth":"${b64(`u:${SECRET}`)}"`],
    ['JSON with the secret near the syntax error', `{"auths":{"a.example":{"password":"${SECRET}" "username":"u"}}}`],
    ['auth that is not base64', JSON.stringify({ auths: { 'a.example': { auth: `u:${SECRET}` } } })],
    ['auth without a colon', JSON.stringify({ auths: { 'a.example': { auth: b64(SECRET) } } })],
    ['entry that is not an object', JSON.stringify({ auths: { 'a.example': SECRET } })],
  ];
  for (const [name, content] of malformed) {
    it(`malformed auth file (${name}) names the file but not the secret`, async () => {
      const dir = await freshDir();
      const authFile = join(dir, 'auth.json');
      await writeFile(authFile, content);
      const error = await failure(loadCredentialStore({ authFile, env: isolatedEnv(), homeDir: dir }).then((store) => store.get('a.example')));
      expect(error.code).toBe('CREDENTIALS_ERROR');
      expect(error.message).toContain(authFile);
      expect(everythingVisible(error)).not.toContain(SECRET);
      expect(everythingVisible(error)).not.toContain(b64(`u:${SECRET}`));
    });
  }

  it('a failing helper is reported by name without its output', async () => {
    const dir = await freshDir();
    const authFile = await writeJson(join(dir, 'auth.json'), { credHelpers: { 'a.example': 'broken' } });
    const store = await loadCredentialStore({ authFile, env: isolatedEnv(), homeDir: dir });
    const error = await failure(store.get('a.example'));
    expect(error.code).toBe('CREDENTIALS_ERROR');
    expect(error.message).toContain('docker-credential-broken');
    expect(error.message).toContain('exit code 2');
    expect(everythingVisible(error)).not.toMatch(/LEAKED/);
  });

  it('a helper printing non-JSON is reported without its output', async () => {
    const dir = await freshDir();
    const authFile = await writeJson(join(dir, 'auth.json'), { credsStore: 'garbage' });
    const store = await loadCredentialStore({ authFile, env: isolatedEnv(), homeDir: dir });
    const error = await failure(store.get('a.example'));
    expect(error.message).toMatch(/docker-credential-garbage .*not JSON/);
    expect(everythingVisible(error)).not.toContain('GARBAGE-SECRET');
  });
});

describe('credential helpers', () => {
  it('runs credHelpers for the host and maps <token> to an identity token', async () => {
    const dir = await freshDir();
    const log = join(dir, 'helper.log');
    const authFile = await writeJson(join(dir, 'auth.json'), {
      auths: { 'helper.example': { auth: b64('inline:loses') } },
      credHelpers: { 'helper.example': 'test', 'https://token.example/v1/': 'test', 'missing.example': 'test' },
    });
    const store = await loadCredentialStore({ authFile, env: isolatedEnv({ HELPER_LOG: log }), homeDir: dir });
    expect(await store.get('helper.example')).toEqual({ kind: 'basic', username: 'alice', password: 's3cret-helper' });
    expect(await store.get('token.example')).toEqual({ kind: 'identity-token', token: 'refresh-tok' });
    expect(await store.get('missing.example')).toBeUndefined();
    expect(store.describeSource('helper.example')).toBe(`credential helper docker-credential-test (credHelpers in ${authFile})`);
    // Cached: a second lookup does not run the helper again.
    await store.get('helper.example');
    expect((await readFile(log, 'utf8')).split('\n').filter((line) => line === 'helper.example')).toHaveLength(1);
  });

  it('falls back to credsStore when no inline entry exists, asking Docker Hub by its legacy URL', async () => {
    const dir = await freshDir();
    const log = join(dir, 'helper.log');
    const authFile = await writeJson(join(dir, 'config.json'), {
      auths: { 'https://index.docker.io/v1/': {}, 'inline.example': { auth: b64('inline:ok') } },
      credsStore: 'test',
    });
    const store = await loadCredentialStore({ authFile, env: isolatedEnv({ HELPER_LOG: log }), homeDir: dir });
    expect(await store.get('registry-1.docker.io')).toEqual({ kind: 'basic', username: 'hub-user', password: 'hub-pass' });
    expect(await store.get('inline.example')).toMatchObject({ username: 'inline' });
    expect(await store.get('nobody.example')).toBeUndefined();
    expect(store.describeSource('docker.io')).toBe(`credential helper docker-credential-test (credsStore in ${authFile})`);
    expect((await readFile(log, 'utf8')).split('\n')).toEqual(['https://index.docker.io/v1/', 'nobody.example', '']);
  });

  it('reports a helper missing from PATH by name', async () => {
    const dir = await freshDir();
    const authFile = await writeJson(join(dir, 'auth.json'), { credHelpers: { 'a.example': 'not-installed' } });
    const store = await loadCredentialStore({ authFile, env: isolatedEnv(), homeDir: dir });
    const error = await failure(store.get('a.example'));
    expect(error.code).toBe('CREDENTIALS_ERROR');
    expect(error.message).toContain('docker-credential-not-installed');
    expect(error.message).toContain('not found');
  });

  it('refuses helper names that could escape to another path', async () => {
    const dir = await freshDir();
    const authFile = await writeJson(join(dir, 'auth.json'), { credsStore: '../../tmp/evil' });
    const error = await failure(loadCredentialStore({ authFile, env: isolatedEnv(), homeDir: dir }));
    expect(error.code).toBe('CREDENTIALS_ERROR');
    expect(error.message).toContain('credsStore');
  });
});
