/**
 * macOS: which file system holds a path, from the output of `mount` (no
 * arguments), which every Mac has and which needs no privileges. Only the
 * parsing lives here, so it is tested on Linux with real captured output.
 */
import type { FileSystemKind } from './filesystem.ts';
import type { MountEntry } from './linux.ts';

// `<source> on <mount point> (<type>, <option>, …)`. The source never contains
// " on " in practice (`map auto_home` does not), while mount points may hold
// spaces and parentheses, so the type list is taken from the last " (".
const MOUNT_LINE = /^(.+?) on (.+) \(([^()]*)\)$/;

/** Parses `mount` output into entries (same shape as Linux's), so one longest-prefix lookup serves both. */
export function parseMacMount(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const match = MOUNT_LINE.exec(line.trimEnd());
    if (match === null) continue;
    const [, source = '', mountPoint = '', list = ''] = match;
    const [fsType = '', ...options] = list.split(',').map((part) => part.trim());
    if (fsType === '') continue;
    entries.push({ mountPoint, fsType, source, options: options.join(',') });
  }
  return entries;
}

/** Maps a macOS type name to Ferry's kinds; `msdos` is how macOS names every FAT variant. */
export function macFileSystemKind(fsType: string): FileSystemKind {
  switch (fsType.toLowerCase()) {
    case 'msdos':
      return 'fat32';
    case 'exfat':
      return 'exfat';
    case 'ntfs':
    case 'ufsd_ntfs':
    case 'tuxera_ntfs':
      return 'ntfs';
    case 'apfs':
      return 'apfs';
    case 'hfs':
      return 'hfs+';
    case 'smbfs':
    case 'nfs':
    case 'afpfs':
    case 'webdav':
      return 'network';
    default:
      return 'other';
  }
}
