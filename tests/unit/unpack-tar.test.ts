import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { safeRelativePath, unpackTar } from '../../src-main/transfer/unpack-tar.ts';
import { failure } from '../harness/test-helpers.ts';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; body?: string; linkname?: string };

/** A tar in memory, entries as given (tar-stream writes whatever name it is told). */
async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const header = { name: entry.name, type, ...(entry.linkname ? { linkname: entry.linkname } : {}) };
    if (type === 'file') pack.entry(header, entry.body ?? '');
    else pack.entry(header, '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

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
      { name: 'debs/Packages', body: 'Package: x\n' },
      { name: './debs/pool/x.deb', body: 'deb' },
    ]);
    const written = await unpackTar(once(tar), dir, 'layer', tar.length);
    expect(written).toEqual([
      { path: 'debs/Packages', size: 11 },
      { path: 'debs/pool/x.deb', size: 3 },
    ]);
    expect(await readFile(join(dir, 'debs', 'pool', 'x.deb'), 'utf8')).toBe('deb');
  });

  for (const [what, entries, message] of [
    ['an absolute path', [{ name: '/etc/evil', body: 'x' }], 'is an absolute path'],
    ['a path climbing out', [{ name: 'debs/../../evil', body: 'x' }], 'climbs out of its folder'],
    ['a symlink', [{ name: 'debs/link', type: 'symlink', linkname: '/etc/passwd' }], 'is a symlink'],
    [
      'a hard link',
      [
        { name: 'a', body: 'x' },
        { name: 'b', type: 'link', linkname: 'a' },
      ],
      'is a link',
    ],
    [
      'a name twice',
      [
        { name: 'a', body: 'x' },
        { name: './a', body: 'y' },
      ],
      'appears twice',
    ],
    ['a backslash', [{ name: '..\\evil', body: 'x' }], 'holds a backslash'],
  ] as Array<[string, Entry[], string]>) {
    it(`refuses ${what}, naming the entry`, async () => {
      const tar = await tarOf(entries);
      const error = await failure(unpackTar(once(tar), dir, 'ket/packages: layer debs', tar.length));
      expect(error.code).toBe('INVALID_CONTENT');
      expect(error.message).toContain('ket/packages: layer debs');
      expect(error.message).toContain(message);
    });
  }

  it('refuses files adding up to more than the layer size', async () => {
    const tar = await tarOf([{ name: 'a', body: 'x'.repeat(100) }]);
    expect((await failure(unpackTar(once(tar), dir, 'layer', 50))).message).toContain("more than the layer's 50 bytes");
    expect(await readdir(dir)).toEqual([]);
  });

  it('normalises harmless names and refuses empty ones', () => {
    expect(safeRelativePath('./a//b/', 's')).toBe('a/b');
    expect(() => safeRelativePath('./', 's')).toThrow(/names no file/);
    expect(() => safeRelativePath('C:evil', 's')).toThrow(/drive letter/);
  });
});
