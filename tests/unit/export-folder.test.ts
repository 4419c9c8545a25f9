/**
 * A kill can leave Ferry's own short-lived files in an export folder (a
 * durable write's temp file, the media write probe): the rerun must still
 * take the folder as its own, and the sweep before sealing removes them.
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectFolder, sweepTempFiles } from '../../src-main/bundle/export-folder.ts';

const dirs: string[] = [];
async function folderWith(names: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-export-folder-'));
  dirs.push(dir);
  for (const name of names) await writeFile(join(dir, name), '');
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('an export folder after a kill', () => {
  const leftovers = ['.ferry-write-probe-25964-1652d8d46e43', 'index.json.tmp-0123456789ab'];

  it('counts as empty when it holds only Ferry leftovers (a kill during the write probe, before the first write)', async () => {
    const dir = await folderWith(leftovers);
    await expect(inspectFolder(dir)).resolves.toEqual({ finished: undefined, journal: undefined });
  });

  it('is refused when it holds a file Ferry did not write, even one that looks like a probe', async () => {
    const dir = await folderWith(['.ferry-write-probe-notes.txt']);
    await expect(inspectFolder(dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('loses the leftovers in the sweep before sealing, and nothing else', async () => {
    const dir = await folderWith(['oci-layout', ...leftovers]);
    await sweepTempFiles(dir);
    expect(await readdir(dir)).toEqual(['oci-layout']);
  });
});

describe('an export folder on media someone else prepared', () => {
  it('is refused when an export name is a symlink or not the kind an export writes, naming it', async () => {
    const host = await folderWith([]);
    const cases: Array<[string, (dir: string) => Promise<void>, RegExp]> = [
      ['blobs -> host folder', (dir) => symlink(host, join(dir, 'blobs')), /blobs as a symbolic link where an export writes a directory/],
      ['blobs/sha256 -> host folder', async (dir) => mkdir(join(dir, 'blobs')).then(() => symlink(host, join(dir, 'blobs', 'sha256'))), /blobs\/sha256 as a symbolic link/],
      ['index.json a folder', (dir) => mkdir(join(dir, 'index.json')), /index\.json as a directory where an export writes a regular file/],
      ['journal -> host file', (dir) => symlink(join(host, 'x'), join(dir, '.ferry-export.json')), /\.ferry-export\.json as a symbolic link/],
    ];
    for (const [name, prepare, message] of cases) {
      const dir = await folderWith([]);
      await prepare(dir);
      await expect(inspectFolder(dir), name).rejects.toThrow(message);
    }
  });
});
