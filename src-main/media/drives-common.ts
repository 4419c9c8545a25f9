/**
 * What every platform's drive listing shares: the advice a file system implies
 * and the name it is shown by, so Linux, macOS and Windows answer alike.
 */
import type { FileSystemKind } from './filesystem.ts';

/** The plain-language consequence of a file system, or null when there is none worth saying. */
export function driveAdvice(kind: FileSystemKind): string | null {
  switch (kind) {
    case 'fat32':
      return 'FAT32 cannot hold files over 4 GiB, so the archive form with 4 GiB parts is used.';
    case 'network':
      return 'A network file system: slower and less reliable than a local drive; prefer a USB drive.';
    case 'tmpfs':
      return 'Held in memory: the bundle is lost at reboot.';
    default:
      return null;
  }
}

/** The name a file system is shown by: Ferry's kind, or the OS's own name when Ferry has no kind for it. */
export function shownType(kind: FileSystemKind, raw: string): string {
  return kind === 'other' ? raw : kind;
}

/** A non-negative whole number of bytes, or null. */
export function byteCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** Removable drives first, then by path. */
export function byRemovableThenPath(a: { removable: boolean; path: string }, b: { removable: boolean; path: string }): number {
  return Number(b.removable) - Number(a.removable) || a.path.localeCompare(b.path);
}
