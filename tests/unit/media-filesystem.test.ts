import { describe, expect, it } from 'vitest';
import { chooseBundleForm, checkFreeSpace, DEFAULT_PART_SIZE, FAT32_MAX_FILE_SIZE, maxFileSizeFor } from '../../src-main/media/filesystem.ts';
import type { BundleFormRequest, TargetInfo } from '../../src-main/media/filesystem.ts';
import { FerryError } from '../../src-shared/errors.ts';

const GiB = 1024 ** 3;

const FAT32: TargetInfo = {
  path: '/media/usb/bundle',
  mountPoint: '/media/usb',
  fsType: 'fat32',
  rawType: 'vfat',
  freeBytes: 30 * GiB,
  writable: true,
  maxFileSize: FAT32_MAX_FILE_SIZE,
};
const EXT4: TargetInfo = { ...FAT32, fsType: 'ext4', rawType: 'ext4', maxFileSize: undefined };
const UNKNOWN: TargetInfo = { ...FAT32, fsType: 'other', rawType: 'unknown', maxFileSize: maxFileSizeFor('other', 'unknown') };

function thrown(fn: () => unknown): FerryError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    return error as FerryError;
  }
  throw new Error('expected a FerryError');
}

describe('maxFileSizeFor', () => {
  it('limits FAT32 to 4 GiB − 1 and nothing else', () => {
    expect(FAT32_MAX_FILE_SIZE).toBe(4_294_967_295);
    expect(maxFileSizeFor('fat32', 'vfat')).toBe(4_294_967_295);
    for (const kind of ['exfat', 'ntfs', 'ext4', 'tmpfs', 'network', 'other'] as const) expect(maxFileSizeFor(kind, kind)).toBeUndefined();
  });

  it('assumes FAT32 limits when the OS would not name the file system', () => {
    expect(maxFileSizeFor('other', 'unknown')).toBe(4_294_967_295);
  });
});

describe('chooseBundleForm: decisions', () => {
  const cases: Array<[string, TargetInfo, BundleFormRequest, boolean, number | undefined, RegExp]> = [
    ['fat32, nothing asked', FAT32, {}, true, FAT32_MAX_FILE_SIZE, /fat32 files are limited to 4 GiB − 1 \(4294967295 bytes\)/],
    ['fat32, --archive', FAT32, { archive: true }, true, FAT32_MAX_FILE_SIZE, /archive form/],
    ['fat32, smaller parts', FAT32, { partSize: 700_000_000 }, true, 700_000_000, /667\.6 MiB \(700000000 bytes\)/],
    ['fat32, parts exactly at the limit', FAT32, { partSize: FAT32_MAX_FILE_SIZE }, true, FAT32_MAX_FILE_SIZE, /archive/],
    ['ext4, nothing asked', EXT4, {}, false, undefined, /directory form .*\/media\/usb \(ext4\) has no file size limit/],
    ['ext4, directory asked', EXT4, { archive: false }, false, undefined, /directory form/],
    ['ext4, --archive', EXT4, { archive: true }, true, DEFAULT_PART_SIZE, /fits FAT32/],
    ['ext4, --archive with 8 GiB parts', EXT4, { archive: true, partSize: 8 * GiB }, true, 8 * GiB, /8 GiB/],
    ['ext4, a part size implies archive', EXT4, { partSize: GiB }, true, GiB, /as requested/],
    ['unknown file system', UNKNOWN, {}, true, FAT32_MAX_FILE_SIZE, /could not be determined/],
  ];
  for (const [name, target, requested, archive, partSize, reason] of cases) {
    it(name, () => {
      const form = chooseBundleForm(target, requested);
      expect(form.archive).toBe(archive);
      expect(form.partSize).toBe(partSize);
      expect(form.reason).toMatch(reason);
    });
  }

  it('uses 4 GiB − 1 as the default part size everywhere', () => {
    expect(DEFAULT_PART_SIZE).toBe(4_294_967_295);
  });
});

describe('chooseBundleForm: refusals are INVALID_ARGUMENT', () => {
  it('refuses a part size above the FAT32 limit, naming the limit', () => {
    const error = thrown(() => chooseBundleForm(FAT32, { archive: true, partSize: FAT32_MAX_FILE_SIZE + 1 }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('4294967295 bytes');
    expect(error.message).toContain('/media/usb (fat32)');
    expect(error.details).toMatchObject({ partSize: FAT32_MAX_FILE_SIZE + 1, maxFileSize: FAT32_MAX_FILE_SIZE });
  });

  it('refuses the directory form on FAT32', () => {
    const error = thrown(() => chooseBundleForm(FAT32, { archive: false }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/directory form cannot be written to \/media\/usb \(fat32\)/);
  });

  it('refuses a part size together with the directory form', () => {
    expect(thrown(() => chooseBundleForm(EXT4, { archive: false, partSize: GiB })).code).toBe('INVALID_ARGUMENT');
  });

  for (const partSize of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
    it(`refuses part size ${partSize}`, () => {
      expect(thrown(() => chooseBundleForm(EXT4, { archive: true, partSize })).code).toBe('INVALID_ARGUMENT');
    });
  }
});

describe('checkFreeSpace', () => {
  it('passes when the bundle fits, including exactly', () => {
    expect(() => checkFreeSpace(EXT4, 0)).not.toThrow();
    expect(() => checkFreeSpace(EXT4, 30 * GiB)).not.toThrow();
  });

  it('refuses with IO_ERROR naming the drive and both sizes', () => {
    const target: TargetInfo = { ...EXT4, freeBytes: Math.round(1.3 * GiB) };
    const error = thrown(() => checkFreeSpace(target, Math.round(2.1 * GiB)));
    expect(error.code).toBe('IO_ERROR');
    expect(error.message).toBe('not enough space on /media/usb (ext4): the bundle needs 2.1 GiB, 1.3 GiB is free');
    expect(error.details).toMatchObject({ mountPoint: '/media/usb', neededBytes: Math.round(2.1 * GiB), freeBytes: Math.round(1.3 * GiB) });
  });

  it('names the raw type when the kind is other', () => {
    const target: TargetInfo = { ...EXT4, fsType: 'other', rawType: 'fuseblk', freeBytes: 10 };
    expect(thrown(() => checkFreeSpace(target, 11)).message).toMatch(/on \/media\/usb \(fuseblk\): the bundle needs 11 B, 10 B is free/);
  });

  it('passes when free space is unknown, however large the bundle', () => {
    expect(() => checkFreeSpace({ ...FAT32, freeBytes: undefined }, Number.MAX_SAFE_INTEGER)).not.toThrow();
  });

  it('refuses a nonsense size as INVALID_ARGUMENT', () => {
    expect(thrown(() => checkFreeSpace(EXT4, -1)).code).toBe('INVALID_ARGUMENT');
  });
});
