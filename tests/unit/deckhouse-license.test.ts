/**
 * The Deckhouse `license:` reads the same key whichever front end exports the
 * set: `env:NAME` or a bare NAME from the environment, `file:PATH` from a file
 * relative to the image set (the working folder of a shell and of the desktop
 * app differ, the set's folder does not).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageSet } from '../../src-main/sources/image-set.ts';
import { deckhouseLicense } from '../../src-main/usecases/deckhouse-license.ts';
import { failure } from '../harness/test-helpers.ts';

let dir: string;
const VARIABLE = 'FERRY_UNIT_DECKHOUSE_LICENSE';
const unset = (): void => {
  Reflect.deleteProperty(process.env, VARIABLE);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-license-'));
  await writeFile(join(dir, 'license.key'), 'KEY-FROM-FILE\n');
});

afterAll(async () => {
  unset();
  await rm(dir, { recursive: true, force: true });
});

async function setWith(license: string): Promise<Awaited<ReturnType<typeof readImageSet>>> {
  const path = join(dir, `set-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(path, ['deckhouse:', '  source: registry.example.com:5000/deckhouse/ee', `  license: "${license}"`, ''].join('\n'));
  return readImageSet(path);
}

describe('deckhouse.license', () => {
  it('file:PATH is relative to the image set, not to the working folder', async () => {
    expect(process.cwd()).not.toBe(dir);
    expect(await deckhouseLicense(await setWith('file:license.key'))).toEqual({ username: 'license-token', password: 'KEY-FROM-FILE', host: 'registry.example.com:5000' });
    expect((await deckhouseLicense(await setWith(`file:${join(dir, 'license.key')}`)))?.password).toBe('KEY-FROM-FILE');
  });

  it('env:NAME and a bare NAME read the environment', async () => {
    process.env[VARIABLE] = 'KEY-FROM-ENV';
    expect((await deckhouseLicense(await setWith(`env:${VARIABLE}`)))?.password).toBe('KEY-FROM-ENV');
    expect((await deckhouseLicense(await setWith(VARIABLE)))?.password).toBe('KEY-FROM-ENV');
    unset();
  });

  it('a missing key is CREDENTIALS_ERROR naming where it was looked for, never a value', async () => {
    const fromEnv = await failure(setWith(`env:${VARIABLE}`).then(deckhouseLicense));
    expect(fromEnv.code).toBe('CREDENTIALS_ERROR');
    expect(fromEnv.message).toContain(`the environment variable ${VARIABLE}`);
    const fromFile = await failure(setWith('file:absent.key').then(deckhouseLicense));
    expect(fromFile.code).toBe('CREDENTIALS_ERROR');
    expect(fromFile.message).toContain(join(dir, 'absent.key'));
  });

  it('any other form is refused by the image set schema, naming the key', async () => {
    const error = await failure(setWith('my license key'));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain('deckhouse.license must say where the license key is read from');
  });
  it("a key typed in the app wins over the set's license line and is only the registry password (an empty one is not a key)", async () => {
    unset();
    const set = await setWith('env:' + VARIABLE);
    expect(await deckhouseLicense(set, '  TYPED-KEY  ')).toEqual({ username: 'license-token', password: 'TYPED-KEY', host: 'registry.example.com:5000' });
    await expect(deckhouseLicense(set, '   ')).rejects.toMatchObject({ code: 'CREDENTIALS_ERROR' });
  });
});
