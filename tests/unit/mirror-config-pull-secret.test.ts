import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeDockerConfigJson, mergePullSecretFile } from '../../src-main/mirror-config/pull-secret.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { failure } from '../harness/test-helpers.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const SECRET = 's3cr3t-T0KEN-do-not-leak';
const credentials = { username: 'ferry', password: 'p@ss:word "quoted"' };

/** A secret shaped like the cluster's global pull secret, with a top-level field after auths. */
const existing = JSON.stringify({
  auths: {
    'cloud.openshift.com': { auth: b64(`u:${SECRET}`), email: 'user@example.com' },
    'quay.io': { auth: b64('q:quay'), email: 'user@example.com' },
    'my-registry:5000/my-namespace/': { auth: b64('n:ns') },
  },
  credHelpers: { 'ecr.example': 'ecr-login' },
});

function thrown(run: () => unknown): FerryError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    return error as FerryError;
  }
  throw new Error('expected a FerryError');
}

/** Everything a logger or the IPC layer could print about an error. */
function everythingVisible(error: FerryError): string {
  return [error.message, error.stack ?? '', JSON.stringify(error.toEnvelope()), inspect(error, { depth: 10 }), String(error.cause)].join('\n');
}

describe('mergeDockerConfigJson', () => {
  it('adds the mirror and keeps every other entry and field in order', () => {
    const merged = JSON.parse(mergeDockerConfigJson(existing, 'mirror.local:5000', { ...credentials, email: 'ops@site.example' })) as {
      auths: Record<string, unknown>;
    };
    const before = JSON.parse(existing) as { auths: Record<string, unknown>; credHelpers: unknown };
    expect(Object.keys(merged)).toEqual(['auths', 'credHelpers']);
    expect(Object.keys(merged.auths)).toEqual(['cloud.openshift.com', 'quay.io', 'my-registry:5000/my-namespace/', 'mirror.local:5000']);
    expect(merged).toEqual({
      ...before,
      auths: { ...before.auths, 'mirror.local:5000': { auth: b64('ferry:p@ss:word "quoted"'), email: 'ops@site.example' } },
    });
  });

  it('replaces an existing entry in place, dropping its stale fields', () => {
    const withToken = JSON.stringify({ auths: { 'a.example': { auth: b64('a:a') }, 'mirror.local:5000': { auth: b64('old:old'), identitytoken: 'stale' }, 'z.example': { auth: b64('z:z') } } });
    const merged = JSON.parse(mergeDockerConfigJson(withToken, 'mirror.local:5000', credentials)) as { auths: Record<string, unknown> };
    expect(Object.keys(merged.auths)).toEqual(['a.example', 'mirror.local:5000', 'z.example']);
    expect(merged.auths['mirror.local:5000']).toEqual({ auth: b64(`${credentials.username}:${credentials.password}`) });
  });

  it('starts a new secret when there is none, and adds auths when missing', () => {
    expect(JSON.parse(mergeDockerConfigJson(undefined, 'mirror.local', credentials))).toEqual({ auths: { 'mirror.local': { auth: b64('ferry:p@ss:word "quoted"') } } });
    expect(JSON.parse(mergeDockerConfigJson('{"other":1}', 'mirror.local', credentials))).toEqual({ other: 1, auths: { 'mirror.local': { auth: b64('ferry:p@ss:word "quoted"') } } });
  });

  it('treats "__proto__" as an ordinary key', () => {
    const merged = JSON.parse(mergeDockerConfigJson('{"auths":{}}', '__proto__', credentials)) as { auths: Record<string, unknown> };
    expect(Object.getOwnPropertyNames(merged.auths)).toEqual(['__proto__']);
  });

  it.each([
    ['invalid JSON', `{"auths":{"x":{"auth":"${SECRET}"}`, 'not valid JSON'],
    ['a JSON array', `["${SECRET}"]`, 'not a JSON object'],
    ['auths that is not an object', `{"auths":"${SECRET}"}`, '"auths"'],
  ])('rejects %s without echoing the secret', (_why, text, message) => {
    const error = thrown(() => mergeDockerConfigJson(text, 'mirror.local', credentials));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(message);
    expect(everythingVisible(error)).not.toContain(SECRET);
  });

  it('rejects a user name with ":" or an empty registry, without echoing the password', () => {
    for (const [registry, username] of [
      ['mirror.local', 'a:b'],
      ['', 'ferry'],
      ['has space', 'ferry'],
    ] as const) {
      const error = thrown(() => mergeDockerConfigJson(undefined, registry, { username, password: SECRET }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(everythingVisible(error)).not.toContain(SECRET);
    }
  });
});

describe('mergePullSecretFile', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ferry-pull-secret-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('rewrites the file atomically with mode 0600 and leaves no temp file', async () => {
    const dir = join(root, 'ok');
    const path = join(dir, '.dockerconfigjson');
    await mkdir(dir);
    await writeFile(path, existing, { mode: 0o644 });
    await mergePullSecretFile(path, 'mirror.local:5000', credentials);
    const merged = JSON.parse(await readFile(path, 'utf8')) as { auths: Record<string, unknown> };
    expect(Object.keys(merged.auths)).toContain('mirror.local:5000');
    expect(Object.keys(merged.auths)).toContain('cloud.openshift.com');
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['.dockerconfigjson']);
  });

  it('reports a missing file as IO_ERROR instead of creating a secret without the cluster entries', async () => {
    const error = await failure(mergePullSecretFile(join(root, 'missing.json'), 'mirror.local', credentials));
    expect(error.code).toBe('IO_ERROR');
  });

  it('names the file but never its content when it is not JSON', async () => {
    const path = join(root, 'broken.json');
    await writeFile(path, `{"auths": ${SECRET}`);
    const error = await failure(mergePullSecretFile(path, 'mirror.local', credentials));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(path);
    expect(everythingVisible(error)).not.toContain(SECRET);
    expect(await readFile(path, 'utf8')).toBe(`{"auths": ${SECRET}`);
  });
});
