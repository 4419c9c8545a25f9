/**
 * A kill can leave Ferry's own short-lived files in an export folder (a
 * durable write's temp file, the media write probe): the rerun must still
 * take the folder as its own, and the sweep before sealing removes them.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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
