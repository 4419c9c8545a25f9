import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { entryProblem, MAX_ENTRY_NAME_BYTES, TarEntryGuard, type TarEntryHeader } from '../../src-main/bundle/tar-safety.ts';

const HEX = 'a'.repeat(64);

describe('entryProblem: names and types', () => {
  const allowed = ['oci-layout', 'index.json', `blobs/sha256/${HEX}`, `blobs/sha256/${'0123456789abcdef'.repeat(4)}`];
  it.each(allowed)('allows the plain file %s', (name) => {
    expect(entryProblem({ name, type: 'file' })).toBeUndefined();
  });

  const refused: Array<[string, TarEntryHeader, RegExp]> = [
    ['a ../ path', { name: '../escape', type: 'file' }, /"\.\." path component/],
    ['a .. component deep inside', { name: `blobs/../../${HEX}`, type: 'file' }, /"\.\." path component/],
    ['a backslash .. component', { name: '..\\windows', type: 'file' }, /"\.\." path component/],
    ['an absolute path', { name: '/etc/passwd', type: 'file' }, /absolute path/],
    ['a Windows drive path', { name: 'C:/Windows/evil', type: 'file' }, /absolute path/],
    ['a symlink', { name: `blobs/sha256/${HEX}`, type: 'symlink', linkname: '/etc/shadow' }, /symbolic link to "\/etc\/shadow"/],
    ['a hard link', { name: `blobs/sha256/${HEX}`, type: 'link', linkname: 'index.json' }, /hard link/],
    ['a character device', { name: 'oci-layout', type: 'character-device' }, /character device/],
    ['a block device', { name: 'oci-layout', type: 'block-device' }, /block device/],
    ['a fifo', { name: 'index.json', type: 'fifo' }, /fifo/],
    ['a directory', { name: 'blobs/', type: 'directory' }, /directory/],
    ['an unknown type', { name: 'oci-layout', type: null }, /unknown type/],
    ['a pax header', { name: 'index.json', type: 'file', pax: { path: 'index.json' } }, /pax extended header/],
    ['a name over 100 bytes', { name: `blobs/sha256/${HEX}${'b'.repeat(40)}`, type: 'file' }, new RegExp(`longer than ${MAX_ENTRY_NAME_BYTES} bytes`)],
    ['ferry.json inside the tar', { name: 'ferry.json', type: 'file' }, /only oci-layout, index.json and blobs/],
    ['a short digest', { name: 'blobs/sha256/abc', type: 'file' }, /only oci-layout/],
    ['an upper-case digest', { name: `blobs/sha256/${'A'.repeat(64)}`, type: 'file' }, /only oci-layout/],
    ['another algorithm', { name: `blobs/sha512/${HEX}`, type: 'file' }, /only oci-layout/],
    ['a leading ./', { name: './index.json', type: 'file' }, /only oci-layout/],
    ['a trailing slash', { name: 'index.json/', type: 'file' }, /only oci-layout/],
  ];
  it.each(refused)('refuses %s', (_what, header, reason) => {
    const problem = entryProblem(header);
    expect(problem).toMatch(/^the archive holds an entry that is not allowed: /);
    expect(problem).toMatch(reason);
  });

  it('quotes and cuts an untrusted name so it cannot garble a terminal', () => {
    const problem = entryProblem({ name: `\u001b[2J${'x'.repeat(500)}`, type: 'file' }) ?? '';
    expect(problem).not.toContain('\u001b');
    expect(problem.length).toBeLessThan(300);
  });
});

/** Runs tar bytes through tar-stream and the guard, the way verify does. */
async function guardProblems(tar: Buffer): Promise<string[]> {
  const guard = new TarEntryGuard();
  const problems: string[] = [];
  const extract = tarStream.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      problems.push(...guard.check(entry.header as unknown as TarEntryHeader));
      for await (const _ of entry) {
        /* drain */
      }
    }
  })();
  await pipeline(Readable.from([tar]), extract);
  await reading;
  return problems;
}

async function packed(build: (pack: tarStream.Pack) => void): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collecting = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  build(pack);
  pack.finalize();
  await collecting;
  return Buffer.concat(chunks);
}

/** Rewrites a header block's typeflag and fixes its checksum (ustar: octal sum of the block with the checksum field as spaces). */
function retype(tar: Buffer, headerAt: number, typeflag: string): void {
  tar.write(typeflag, headerAt + 156, 'latin1');
  tar.fill(' ', headerAt + 148, headerAt + 156);
  let sum = 0;
  for (let i = headerAt; i < headerAt + 512; i += 1) sum += tar[i] ?? 0;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, headerAt + 148, 'latin1');
}

describe('TarEntryGuard over real tar streams', () => {
  it('passes a bundle-shaped stream', async () => {
    const tar = await packed((pack) => {
      pack.entry({ name: 'oci-layout', size: 2 }, '{}');
      pack.entry({ name: `blobs/sha256/${HEX}`, size: 1000 }, Buffer.alloc(1000, 7));
      pack.entry({ name: 'index.json', size: 2 }, '{}');
    });
    expect(await guardProblems(tar)).toEqual([]);
  });

  it('refuses duplicate names', async () => {
    const tar = await packed((pack) => {
      pack.entry({ name: 'index.json', size: 2 }, '{}');
      pack.entry({ name: 'index.json', size: 2 }, '{}');
    });
    expect(await guardProblems(tar)).toEqual(['the archive holds "index.json" twice']);
  });

  it('refuses a pax header, even one that renames an entry to an allowed name', async () => {
    const tar = await packed((pack) => {
      pack.entry({ name: 'innocent', size: 2, pax: { path: 'index.json' } }, '{}');
    });
    const problems = await guardProblems(tar);
    expect(problems.join('\n')).toMatch(/"index.json" \(a pax extended header/);
  });

  it('refuses a GNU long-name header, even when the name it gives is allowed', async () => {
    const longName = Buffer.from('index.json\0');
    const tar = await packed((pack) => {
      pack.entry({ name: '././@LongLink', size: longName.length }, longName);
      pack.entry({ name: 'decoy', size: 2 }, '{}');
    });
    retype(tar, 0, 'L');
    const problems = await guardProblems(tar);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/"index.json" comes after 1024 bytes of extension headers/);
  });

  it('refuses a symlink and a hard link entry', async () => {
    const tar = await packed((pack) => {
      pack.entry({ name: `blobs/sha256/${HEX}`, type: 'symlink', linkname: '../../etc/passwd' });
      pack.entry({ name: 'index.json', type: 'link', linkname: `blobs/sha256/${HEX}` });
    });
    const problems = await guardProblems(tar);
    expect(problems[0]).toMatch(/symbolic link to "\.\.\/\.\.\/etc\/passwd"/);
    expect(problems[1]).toMatch(/hard link/);
  });
});
