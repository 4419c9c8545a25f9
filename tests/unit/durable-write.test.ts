/**
 * The durable-write helper on the real filesystem: a write either replaces the
 * file whole or leaves the old one exactly as it was, with no temp file
 * behind, and the mode asked for is the mode the file gets.
 */
import { chmod, link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsyncDir, openDurableWriter, writeFileDurable } from '../../src-main/base/durable-write.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { failure } from '../harness/test-helpers.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-durable-'));
});
afterEach(async () => {
  await chmod(root, 0o700).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

const posixOnly = process.platform === 'win32';
/** root ignores folder permissions, so a read-only folder refuses nobody there. */
const asRoot = process.getuid?.() === 0;

/** A file with old content, plus a hard link to it: if anything truncated the file in place, the link would show it. */
async function oldFile(name: string): Promise<{ path: string; witness: string }> {
  const path = join(root, name);
  const witness = `${root}-witness-${name}`;
  await writeFile(path, 'old content\n', { mode: 0o644 });
  await link(path, witness);
  return { path, witness };
}

async function* chunks(...parts: Array<string | Error>): AsyncGenerator<string> {
  for (const part of parts) {
    if (part instanceof Error) throw part;
    yield part;
  }
}

describe('writeFileDurable', () => {
  it('replaces a file whole (a new file, not the old one rewritten) and leaves no temp file', async () => {
    const { path, witness } = await oldFile('ferry.json');
    try {
      const before = await stat(path);
      await writeFileDurable(path, '{"a":1}');
      await writeFileDurable(path, Buffer.from('{"a":2}'));
      expect(await readFile(path, 'utf8')).toBe('{"a":2}');
      expect((await stat(path)).ino).not.toBe(before.ino);
      expect(await readFile(witness, 'utf8')).toBe('old content\n');
      expect(await readdir(root)).toEqual(['ferry.json']);
    } finally {
      await rm(witness, { force: true });
    }
  });

  it('writes a stream of chunks', async () => {
    const path = join(root, 'journal.json');
    await writeFileDurable(path, chunks('{"parts":', '[1,2', ',3]}'));
    expect(await readFile(path, 'utf8')).toBe('{"parts":[1,2,3]}');
  });

  it('keeps the old file and removes the temp when the content source throws midway', async () => {
    const { path, witness } = await oldFile('settings.json');
    try {
      const error = await failure(writeFileDurable(path, chunks('{"half":', new Error('source broke'), 'never'), { mode: 0o600 }));
      expect(error.code).toBe('IO_ERROR');
      expect(error.message).toContain(path);
      expect(error.message).toContain('source broke');
      expect(await readFile(path, 'utf8')).toBe('old content\n');
      expect(await readdir(root)).toEqual(['settings.json']);
    } finally {
      await rm(witness, { force: true });
    }
  });

  it('passes a FerryError from the source through unchanged (a cancel stays a cancel)', async () => {
    const path = join(root, 'x.json');
    const cancelled = new FerryError('CANCELLED', 'cancelled');
    expect(await failure(writeFileDurable(path, chunks('a', cancelled)))).toBe(cancelled);
    expect(await readdir(root)).toEqual([]);
  });

  it('removes the written temp when the rename fails, and leaves the target as it was', async () => {
    // A non-empty folder under the target name: the temp is complete, only the rename can fail.
    const path = join(root, 'index.json');
    await mkdir(path);
    await writeFile(join(path, 'keep'), 'kept');
    const error = await failure(writeFileDurable(path, 'x'));
    expect(error.code).toBe('IO_ERROR');
    expect(error.message).toContain(path);
    expect(await readdir(root)).toEqual(['index.json']);
    expect(await readFile(join(path, 'keep'), 'utf8')).toBe('kept');
  });

  it.skipIf(posixOnly || asRoot)('fails in a read-only folder with IO_ERROR, the old file intact and no temp', async () => {
    const { path, witness } = await oldFile('receipt.json');
    try {
      await chmod(root, 0o500);
      const error = await failure(writeFileDurable(path, 'new'));
      expect(error.code).toBe('IO_ERROR');
      expect(error.details?.errno).toBe('EACCES');
      await chmod(root, 0o700);
      expect(await readFile(path, 'utf8')).toBe('old content\n');
      expect(await readdir(root)).toEqual(['receipt.json']);
    } finally {
      await rm(witness, { force: true });
    }
  });

  it('fails with IO_ERROR naming the file when its folder is missing, creating nothing', async () => {
    const path = join(root, 'missing-folder', 'ferry.json');
    const error = await failure(writeFileDurable(path, 'x'));
    expect(error.code).toBe('IO_ERROR');
    expect(error.details?.errno).toBe('ENOENT');
    expect(error.message).toContain(path);
    expect(await readdir(root)).toEqual([]);
  });

  it.skipIf(posixOnly)('applies mode 0600, also when it replaces a 0644 file', async () => {
    const { path, witness } = await oldFile('vault.json');
    try {
      await writeFileDurable(path, 'secret', { mode: 0o600 });
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(witness)).mode & 0o777).toBe(0o644);
      const fresh = join(root, 'pull-secret.json');
      await writeFileDurable(fresh, 'secret', { mode: 0o600 });
      expect((await stat(fresh)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(witness, { force: true });
    }
  });

  it.skipIf(posixOnly)('without a mode, gives the OS default (0666 less the umask)', async () => {
    const path = join(root, 'set.yaml');
    await writeFileDurable(path, 'images: []\n');
    // A plain writeFile creates with 0666 less the umask; reading the umask itself (process.umask()) briefly changes it.
    const plain = join(root, 'plain.yaml');
    await writeFile(plain, 'images: []\n');
    expect((await stat(path)).mode & 0o777).toBe((await stat(plain)).mode & 0o777);
  });
});

describe('openDurableWriter (the streaming form, for resumable writers)', () => {
  it('keeps a named temp file on close, appends to it on reopen, and makes it the file on commit', async () => {
    const path = join(root, 'blob');
    const tempPath = `${path}.partial`;
    const first = await openDurableWriter(path, { tempPath });
    await first.write('hello ');
    await first.close();
    expect(await readdir(root)).toEqual(['blob.partial']);

    const second = await openDurableWriter(path, { tempPath, append: true });
    await second.write(Buffer.from('world'));
    await second.commit();
    expect(await readFile(path, 'utf8')).toBe('hello world');
    expect(await readdir(root)).toEqual(['blob']);
    await expect(second.write('more')).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('abort removes the temp file and leaves the old file', async () => {
    const path = join(root, 'part-000000.tar');
    await writeFile(path, 'old');
    const writer = await openDurableWriter(path);
    await writer.write('new bytes');
    await writer.abort();
    await writer.abort();
    expect(await readdir(root)).toEqual(['part-000000.tar']);
    expect(await readFile(path, 'utf8')).toBe('old');
  });

  it('refuses a temp file in another folder (the rename must stay on one filesystem)', async () => {
    const error = await failure(openDurableWriter(join(root, 'a'), { tempPath: join(tmpdir(), 'a.partial') }));
    expect(error.code).toBe('IO_ERROR');
    expect(error.message).toMatch(/must be in the same folder/);
  });
});

describe('fsyncDir', () => {
  it('syncs a folder, and names a missing one', async () => {
    await fsyncDir(root);
    const error = await failure(fsyncDir(join(root, 'gone')));
    expect(error.code).toBe('IO_ERROR');
    expect(error.message).toContain(join(root, 'gone'));
  });
});
