/**
 * The kernel-copy way of the store import (serve/store-staging.ts) against a
 * real folder: a copy is made where no other user can open it while it still
 * has the bundle file's mode, and a bundle file that grew after it was opened
 * is not copied at all (the streamed way then refuses it).
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBundleFile } from '../../src-main/base/safe-file.ts';
import { BlobStaging } from '../../src-main/serve/store-staging.ts';
import { ensureFolder, isUploadId, StoreLayout } from '../../src-main/serve/store-layout.ts';

let work: string;
let layout: StoreLayout;
let staging: BlobStaging;
/** A blob larger than one read, so staging copies it by the kernel. */
const content = randomBytes(3 * 1024 * 1024);
const blob = { digest: `sha256:${createHash('sha256').update(content).digest('hex')}`, size: content.length };

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-staging-'));
  layout = new StoreLayout(join(work, 'store'));
  for (const folder of [layout.blobsRoot, layout.uploadsRoot, layout.repositoriesRoot]) await ensureFolder(folder);
  staging = new BlobStaging({ layout, known: new Set(), toSync: () => new Set(), committed: new Map() });
  await writeFile(join(work, 'blob'), content);
  // A bundle file anyone may write: what a copy starts with before it becomes the store's 0640.
  await chmod(join(work, 'blob'), 0o666);
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.skipIf(process.platform !== 'linux')('store staging: the kernel copy', () => {
  it('makes the copy in a folder only Ferry can enter, keeps it as 0640 and removes the folder after the commit', async () => {
    const file = await openBundleFile(work, 'blob');
    const copy = await staging.stage(blob).copyFrom?.(file);
    await file.handle.close();
    expect(copy).toBeDefined();
    const [folder, ...others] = await readdir(layout.uploadsRoot);
    expect(others).toEqual([]);
    expect(folder).toMatch(/^import-copy-[0-9a-f]{16}$/);
    // No client of ferry serve can name it as an upload of its own.
    expect(isUploadId(folder ?? '')).toBe(false);
    expect((await stat(join(layout.uploadsRoot, folder ?? ''))).mode & 0o777).toBe(0o700);
    const hash = createHash('sha256');
    for await (const chunk of copy?.bytes() ?? []) hash.update(chunk);
    expect(`sha256:${hash.digest('hex')}`).toBe(blob.digest);
    await copy?.settle(true);
    const { stored } = await staging.commit(new Set([blob.digest]));
    expect([...stored]).toEqual([blob.digest]);
    expect((await stat(layout.blobFile(blob.digest))).mode & 0o777).toBe(0o640);
    expect(await readdir(layout.uploadsRoot)).toEqual([]);
  });

  it('does not copy a bundle file that grew after it was opened, and leaves nothing behind', async () => {
    const file = await openBundleFile(work, 'blob');
    await appendFile(join(work, 'blob'), 'one byte too many');
    const copy = await staging.stage(blob).copyFrom?.(file);
    await file.handle.close();
    expect(copy).toBeUndefined();
    await staging.discard();
    expect(await readdir(layout.uploadsRoot)).toEqual([]);
    await expect(stat(layout.blobFile(blob.digest))).rejects.toThrow(/ENOENT/);
  });
});
