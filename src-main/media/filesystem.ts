/**
 * The removable-media API the export uses: what Ferry needs to know about a
 * target folder (`inspectTarget`), and the two decisions made from it before
 * the first byte is written: which bundle form to use and whether the bundle
 * fits.
 *
 * `probe.ts` asks the OS and the platform modules (`linux.ts`, `macos.ts`,
 * `windows.ts`) parse its answers; everything here is the same on every OS
 * (DESIGN.md decision 10).
 */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { formatBytes } from '../../src-shared/units.ts';
import { freeSpace, locate, nearestExistingDirectory, probeWritable, UNKNOWN_RAW_TYPE } from './probe.ts';

/** The file systems Ferry tells apart; a closed union so the UI can name them and pick icons. */
export type FileSystemKind = 'fat32' | 'exfat' | 'ntfs' | 'ext4' | 'ext2/3' | 'xfs' | 'btrfs' | 'apfs' | 'hfs+' | 'tmpfs' | 'network' | 'other';

/** Everything the export needs to know about where it writes, gathered once before it starts. */
export interface TargetInfo {
  /** The requested bundle folder, absolute; it may not exist yet. */
  path: string;
  /** Where the file system holding `path` (or its nearest existing ancestor) is mounted. */
  mountPoint: string;
  fsType: FileSystemKind;
  /** The OS's own name for the file system (`vfat`, `fuse.fusefat`, `msdos`, `FAT32`), for messages and bug reports. */
  rawType: string;
  /** Bytes available to this user, or undefined when the OS cannot tell (some FUSE drivers report 0 blocks). */
  freeBytes: number | undefined;
  writable: boolean;
  /** The largest file the file system can hold, when it has a limit smaller than any bundle could need. */
  maxFileSize: number | undefined;
}

/**
 * FAT32 stores a file's size in 32 bits, so 4 GiB − 1 byte is its largest file
 * (Microsoft FAT specification, section 6, DIR_FileSize).
 */
export const FAT32_MAX_FILE_SIZE = 4_294_967_295;

/**
 * The part size for the archive form when the user names none. It is the FAT32
 * limit on every file system, so a bundle written to NTFS or ext4 can later be
 * copied to a FAT32 stick unchanged (DESIGN.md decision 3).
 */
export const DEFAULT_PART_SIZE = FAT32_MAX_FILE_SIZE;

/**
 * The file size limit for a kind. An unknown file system (the OS refused to
 * say) is treated as FAT32: the archive form with FAT32-sized parts works
 * everywhere, while guessing "no limit" fails 4 GiB into an export.
 */
export function maxFileSizeFor(kind: FileSystemKind, rawType: string): number | undefined {
  if (kind === 'fat32' || rawType === UNKNOWN_RAW_TYPE) return FAT32_MAX_FILE_SIZE;
  return undefined;
}

/**
 * Inspects the folder a bundle will be written to: its file system, free
 * space, writability and file size limit. The folder may not exist yet; its
 * nearest existing ancestor is inspected, since the export creates it there.
 */
export async function inspectTarget(dir: string): Promise<TargetInfo> {
  const path = resolve(dir);
  const existing = await nearestExistingDirectory(path);
  const located = await locate(await realpath(existing));
  const freeBytes = (await freeSpace(existing)) ?? located.freeHint;
  const writable = await probeWritable(existing);
  return {
    path,
    mountPoint: located.mountPoint,
    fsType: located.fsType,
    rawType: located.rawType,
    freeBytes,
    writable,
    maxFileSize: maxFileSizeFor(located.fsType, located.rawType),
  };
}

/** What the user asked for on the command line or in the wizard; anything left out is decided from the target. */
export interface BundleFormRequest {
  /** true for `--archive`; false only when the user explicitly asked for the directory form. */
  archive?: boolean;
  /** `--part-size` in bytes (already parsed with `parseSize`). */
  partSize?: number;
}

/** The decided form, with a sentence the UI and `--verbose` show so the choice is never a surprise. */
export interface BundleForm {
  archive: boolean;
  partSize: number | undefined;
  reason: string;
}

function targetLabel(target: TargetInfo): string {
  return `${target.mountPoint} (${target.fsType === 'other' ? target.rawType : target.fsType})`;
}

/** "2 GiB (2147483648 bytes)"; the FAT32 limit is spelt out, since formatBytes alone would round it up to a misleading "4 GiB". */
function sizeWithBytes(bytes: number): string {
  return `${bytes === FAT32_MAX_FILE_SIZE ? '4 GiB − 1' : formatBytes(bytes)} (${bytes} bytes)`;
}

/**
 * Decides directory or archive form and the part size, so the CLI, the wizard
 * and the service apply one rule:
 *
 * 1. A target with a file size limit (FAT32, or a file system the OS would not
 *    name) always gets the archive form: blobs over 4 GiB and FAT32's 10,922
 *    long names per folder make the directory form unsafe there. Asking for
 *    the directory form on it is refused.
 * 2. Elsewhere the directory form is used unless `archive` is requested or a
 *    part size is given (a part size only has a meaning for archives).
 * 3. The part size defaults to 4 GiB − 1 on every file system; a requested
 *    part size above the target's limit is refused, naming the limit.
 */
export function chooseBundleForm(target: TargetInfo, requested: BundleFormRequest): BundleForm {
  const limit = target.maxFileSize;
  const { partSize } = requested;
  if (partSize !== undefined && (!Number.isSafeInteger(partSize) || partSize <= 0)) {
    throw new FerryError('INVALID_ARGUMENT', `invalid part size ${String(partSize)}: expected a positive whole number of bytes`, { partSize });
  }
  if (partSize !== undefined && limit !== undefined && partSize > limit) {
    throw new FerryError(
      'INVALID_ARGUMENT',
      `part size ${sizeWithBytes(partSize)} is larger than the largest file ${targetLabel(target)} can hold: ${sizeWithBytes(limit)}; choose a part size of at most ${limit}`,
      { partSize, maxFileSize: limit, mountPoint: target.mountPoint, fsType: target.fsType },
    );
  }
  if (requested.archive === false && partSize !== undefined) {
    throw new FerryError('INVALID_ARGUMENT', 'a part size was given, but the directory form has no parts; drop the part size or choose the archive form', { partSize });
  }

  if (limit !== undefined) {
    if (requested.archive === false) {
      throw new FerryError('INVALID_ARGUMENT', `the directory form cannot be written to ${targetLabel(target)}: files there are limited to ${sizeWithBytes(limit)}, so use the archive form`, {
        maxFileSize: limit,
        mountPoint: target.mountPoint,
        fsType: target.fsType,
      });
    }
    const size = partSize ?? limit;
    const why = target.rawType === UNKNOWN_RAW_TYPE ? 'its file system could not be determined, so Ferry assumes FAT32 limits' : `${target.fsType} files are limited to ${sizeWithBytes(limit)}`;
    return { archive: true, partSize: size, reason: `archive form with parts of ${sizeWithBytes(size)}: ${why}` };
  }

  if (requested.archive === true || partSize !== undefined) {
    const size = partSize ?? DEFAULT_PART_SIZE;
    const why = partSize === undefined ? 'as requested; the default part size fits FAT32, so the bundle can be copied to any drive later' : 'as requested';
    return { archive: true, partSize: size, reason: `archive form with parts of ${sizeWithBytes(size)}, ${why}` };
  }
  return { archive: false, partSize: undefined, reason: `directory form (a plain OCI image layout): ${targetLabel(target)} has no file size limit` };
}

/**
 * Refuses an export that cannot fit before it starts, naming the drive and
 * both sizes. Unknown free space passes: the caller warns instead, because
 * some FUSE drivers never report it and the export must still be possible.
 */
export function checkFreeSpace(target: TargetInfo, neededBytes: number): void {
  if (!Number.isSafeInteger(neededBytes) || neededBytes < 0) {
    throw new FerryError('INVALID_ARGUMENT', `invalid bundle size ${String(neededBytes)}: expected a non-negative whole number of bytes`, { neededBytes });
  }
  if (target.freeBytes === undefined || neededBytes <= target.freeBytes) return;
  throw new FerryError('IO_ERROR', `not enough space on ${targetLabel(target)}: the bundle needs ${formatBytes(neededBytes)}, ${formatBytes(target.freeBytes)} is free`, {
    path: target.path,
    mountPoint: target.mountPoint,
    fsType: target.fsType,
    neededBytes,
    freeBytes: target.freeBytes,
  });
}
