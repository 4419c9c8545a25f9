/**
 * writeMirrorConfig replaces the files of an earlier run durably: each file is
 * a new file renamed into place, never the old one truncated and rewritten,
 * so a crash midway leaves every file either old or new and complete.
 */
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MirrorConfigOptions, RepositoryMapping } from '../../src-main/mirror-config/mapping.ts';
import { registriesConf } from '../../src-main/mirror-config/registries-conf.ts';
import { writeMirrorConfig } from '../../src-main/mirror-config/write.ts';

const options: MirrorConfigOptions = { mirrorRegistry: 'mirror.local:5000/ocp' };
const mappings: RepositoryMapping[] = [{ source: 'docker.io/library/nginx', mirror: 'mirror.local:5000/ocp/library/nginx' }];

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-mirror-write-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir`, relative, with "/" separators. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) =>
      join(entry.parentPath, entry.name)
        .slice(dir.length + 1)
        .split('\\')
        .join('/'),
    )
    .sort();
}

describe('writeMirrorConfig writes atomically', () => {
  it('replaces an existing file with a new one instead of truncating it in place, and leaves no temp file', async () => {
    const dir = join(root, 'config');
    const target = join(dir, 'registries.conf.d', '99-ferry-mirror.conf');
    await mkdir(join(dir, 'registries.conf.d'), { recursive: true });
    await writeFile(target, 'old mirror configuration\n');
    // A hard link sees any in-place write to the old file; a rename leaves it alone.
    const witness = join(root, 'witness.conf');
    await link(target, witness);
    const before = await stat(target);

    const written = await writeMirrorConfig(dir, mappings, options);

    expect(await readFile(target, 'utf8')).toBe(registriesConf(mappings, options));
    expect((await stat(target)).ino).not.toBe(before.ino);
    expect(await readFile(witness, 'utf8')).toBe('old mirror configuration\n');
    expect(await tree(dir)).toEqual([...written].sort());
  });
});
