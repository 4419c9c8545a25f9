import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { safeRelativePath, unpackTar } from '../../src-main/transfer/unpack-tar.ts';
import { tarOf, type TarEntry } from '../harness/fixture-content.ts';
import { failure } from '../harness/test-helpers.ts';

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-unpack-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('unpackTar', () => {
  it('writes files and folders under the folder it is given', async () => {
    const tar = await tarOf([
      { name: 'debs/', type: 'directory' },
      { name: 'debs/Packages', data: Buffer.from('Package: x\n') },
      { name: './debs/pool/x.deb', data: Buffer.from('deb') },
    ]);
    const written = await unpackTar(once(tar), dir, 'layer', tar.length);
    expect(written).toEqual([
      { path: 'debs/Packages', size: 11 },
      { path: 'debs/pool/x.deb', size: 3 },
    ]);
    expect(await readFile(join(dir, 'debs', 'pool', 'x.deb'), 'utf8')).toBe('deb');
  });

  for (const [what, entries, message] of [
    ['an absolute path', [{ name: '/etc/evil', data: Buffer.from('x') }], 'is an absolute path'],
    ['a path climbing out', [{ name: 'debs/../../evil', data: Buffer.from('x') }], 'climbs out of its folder'],
    ['a symlink', [{ name: 'debs/link', type: 'symlink', linkname: '/etc/passwd' }], 'is a symlink'],
    [
      'a hard link',
      [
        { name: 'a', data: Buffer.from('x') },
        { name: 'b', type: 'link', linkname: 'a' },
      ],
      'is a link',
    ],
    [
      'a name twice',
      [
        { name: 'a', data: Buffer.from('x') },
        { name: './a', data: Buffer.from('y') },
      ],
      'appears twice',
    ],
    ['a backslash', [{ name: '..\\evil', data: Buffer.from('x') }], 'holds a backslash'],
  ] as Array<[string, TarEntry[], string]>) {
    it(`refuses ${what}, naming the entry`, async () => {
      const tar = await tarOf(entries);
      const error = await failure(unpackTar(once(tar), dir, 'ket/packages: layer debs', tar.length));
      expect(error.code).toBe('INVALID_CONTENT');
      expect(error.message).toContain('ket/packages: layer debs');
      expect(error.message).toContain(message);
    });
  }

  it('refuses files adding up to more than the layer size', async () => {
    const tar = await tarOf([{ name: 'a', data: Buffer.from('x'.repeat(100)) }]);
    expect((await failure(unpackTar(once(tar), dir, 'layer', 50))).message).toContain("more than the layer's 50 bytes");
    expect(await readdir(dir)).toEqual([]);
  });

  it('normalises harmless names and refuses empty ones', () => {
    expect(safeRelativePath('./a//b/', 's')).toBe('a/b');
    expect(() => safeRelativePath('./', 's')).toThrow(/names no file/);
    expect(() => safeRelativePath('C:evil', 's')).toThrow(/drive letter/);
  });
});
