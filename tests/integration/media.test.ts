import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseBundleForm, checkFreeSpace, FAT32_MAX_FILE_SIZE, inspectTarget } from '../../src-main/media/filesystem.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { mountFat32, mountTmpfs } from '../harness/mounts.ts';
import type { TestMount, TmpfsMount } from '../harness/mounts.ts';
import { Teardown } from '../harness/teardown.ts';

const MiB = 1024 ** 2;

describe('inspectTarget on a 5 MiB tmpfs', () => {
  let mount: TmpfsMount;
  const teardown = new Teardown();
  beforeAll(async () => {
    mount = teardown.add(await mountTmpfs(5 * MiB), (mounted) => mounted.unmount());
  });
  afterAll(() => teardown.run());

  it('reports tmpfs, about 5 MiB free, writable and no file size limit', async () => {
    const target = await inspectTarget(mount.dir);
    expect(target).toMatchObject({ path: mount.dir, mountPoint: mount.dir, fsType: 'tmpfs', rawType: 'tmpfs', writable: true, maxFileSize: undefined });
    expect(target.freeBytes).toBeGreaterThan(4.5 * MiB);
    expect(target.freeBytes).toBeLessThanOrEqual(5 * MiB);
  });

  it('leaves no probe file behind', async () => {
    await inspectTarget(mount.dir);
    expect(await readdir(mount.dir)).toEqual([]);
  });

  it('refuses a 10 MiB bundle, naming the mount and both sizes', async () => {
    const target = await inspectTarget(mount.dir);
    let caught: unknown;
    try {
      checkFreeSpace(target, 10 * MiB);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FerryError);
    const error = caught as FerryError;
    expect(error.code).toBe('IO_ERROR');
    expect(error.message).toBe(`not enough space on ${mount.dir} (tmpfs): the bundle needs 10 MiB, 5 MiB is free`);
    expect(() => checkFreeSpace(target, 4 * MiB)).not.toThrow();
  });

  it('sees space that files already use', async () => {
    await writeFile(join(mount.dir, 'filler'), Buffer.alloc(2 * MiB, 1));
    try {
      const target = await inspectTarget(mount.dir);
      expect(target.freeBytes).toBeLessThanOrEqual(3 * MiB);
    } finally {
      await rm(join(mount.dir, 'filler'));
    }
  });

  it('inspects the nearest existing ancestor of a folder that does not exist yet', async () => {
    const wanted = join(mount.dir, 'not', 'yet', 'bundle');
    const target = await inspectTarget(wanted);
    expect(target).toMatchObject({ path: wanted, mountPoint: mount.dir, fsType: 'tmpfs', writable: true });
    expect(await readdir(mount.dir)).toEqual([]);
  });
});

describe('inspectTarget on a FAT32 image mounted with fusefat', () => {
  let mount: TestMount;
  const teardown = new Teardown();
  beforeAll(async () => {
    mount = teardown.add(await mountFat32(64 * MiB), (mounted) => mounted.unmount());
  });
  afterAll(() => teardown.run());

  it('reports fat32 with the 4 GiB − 1 limit, unknown free space, and writable', async () => {
    const before = await readdir(mount.dir);
    const target = await inspectTarget(join(mount.dir, 'bundle'));
    expect(target).toEqual({
      path: join(mount.dir, 'bundle'),
      mountPoint: mount.dir,
      fsType: 'fat32',
      rawType: 'fuse.fusefat',
      freeBytes: undefined,
      writable: true,
      maxFileSize: FAT32_MAX_FILE_SIZE,
    });
    expect(await readdir(mount.dir)).toEqual(before);
  });

  it('lets unknown free space pass checkFreeSpace', async () => {
    const target = await inspectTarget(mount.dir);
    expect(() => checkFreeSpace(target, 1024 * MiB)).not.toThrow();
  });

  it('picks the archive form with 4 GiB − 1 parts', async () => {
    const form = chooseBundleForm(await inspectTarget(mount.dir), {});
    expect(form).toMatchObject({ archive: true, partSize: 4_294_967_295 });
    expect(form.reason).toMatch(/fat32/);
  });
});

describe('inspectTarget on a read-only mount', () => {
  let mount: TmpfsMount;
  const teardown = new Teardown();
  beforeAll(async () => {
    mount = teardown.add(await mountTmpfs(MiB), (mounted) => mounted.unmount());
    await mount.remountReadOnly();
  });
  afterAll(() => teardown.run());

  it('reports writable false, even for root', async () => {
    const target = await inspectTarget(join(mount.dir, 'bundle'));
    expect(target).toMatchObject({ fsType: 'tmpfs', mountPoint: mount.dir, writable: false });
  });
});

describe('inspectTarget on ordinary folders', () => {
  it('inspects the nearest existing ancestor of a missing folder under the temp dir', async () => {
    const base = await mkdtemp(join(tmpdir(), 'ferry-media-'));
    try {
      const wanted = join(base, 'missing', 'sub');
      const [target, ancestor] = await Promise.all([inspectTarget(wanted), inspectTarget(base)]);
      expect(target.path).toBe(wanted);
      expect(target).toMatchObject({ mountPoint: ancestor.mountPoint, fsType: ancestor.fsType, rawType: ancestor.rawType, writable: true });
      expect(target.freeBytes).toBeGreaterThan(0);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('refuses a path below a file with INVALID_ARGUMENT', async () => {
    const base = await mkdtemp(join(tmpdir(), 'ferry-media-'));
    try {
      await writeFile(join(base, 'file'), 'x');
      const error = await inspectTarget(join(base, 'file', 'bundle')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FerryError);
      expect((error as FerryError).code).toBe('INVALID_ARGUMENT');
      expect((error as FerryError).message).toContain(`${join(base, 'file')} is a file`);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('resolves a relative path', async () => {
    const target = await inspectTarget('.');
    expect(target.path).toBe(process.cwd());
  });
});
