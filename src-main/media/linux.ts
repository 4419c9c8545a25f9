/**
 * Linux: which file system holds a path, from `/proc/self/mountinfo`
 * (proc(5), "/proc/pid/mountinfo"). Reading a file needs no tool and no root,
 * and mountinfo, unlike /proc/mounts, is per mount namespace and exact.
 */
import type { FileSystemKind } from './filesystem.ts';

/** One mounted file system, as the kernel lists it. */
export interface MountEntry {
  mountPoint: string;
  /** The kernel's type, including a FUSE subtype: `vfat`, `fuse.fusefat`, `fuseblk`. */
  fsType: string;
  /** The mount source: a device (`/dev/sdb1`), a FUSE fsname, or a server share. */
  source: string;
  /** Per-mount options (`rw,nosuid,…`), the ones `mount -o remount,ro` changes. */
  options: string;
}

/** mountinfo escapes space, tab, newline and backslash as `\ooo` octal (the kernel's mangle()). */
function decodeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Parses mountinfo text into entries, in file order; kept pure so it is tested
 * with captured samples. Lines that do not have the documented shape are
 * skipped rather than failing the whole export.
 */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    // id parent major:minor root mount-point options [optional…] - type source super-options
    const separator = fields.indexOf('-', 6);
    const mountPoint = fields[4];
    const options = fields[5];
    const fsType = fields[separator + 1];
    const source = fields[separator + 2];
    if (separator < 0 || mountPoint === undefined || options === undefined || fsType === undefined || source === undefined) continue;
    entries.push({ mountPoint: decodeOctal(mountPoint), fsType: decodeOctal(fsType), source: decodeOctal(source), options });
  }
  return entries;
}

function contains(mountPoint: string, path: string): boolean {
  if (mountPoint === '/') return path.startsWith('/');
  return path === mountPoint || path.startsWith(`${mountPoint}/`);
}

/**
 * The mount holding `realPath` (already resolved with realpath): the longest
 * mount point that is a prefix of it. On a tie the later line wins, because a
 * mount stacked on the same folder hides the earlier one.
 */
export function findMount(entries: readonly MountEntry[], realPath: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const entry of entries) {
    if (!contains(entry.mountPoint, realPath)) continue;
    if (best === undefined || entry.mountPoint.length >= best.mountPoint.length) best = entry;
  }
  return best;
}

const NETWORK_TYPES = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', '9p', 'ceph', 'glusterfs', 'fuse.sshfs', 'fuse.glusterfs', 'fuse.rclone', 'davfs', 'fuse.davfs2']);

/**
 * FUSE drivers name themselves in the type's subtype (`fuse.ntfs-3g`) or only
 * in the source (`fuseblk` with fsname `ntfs-3g`); ntfs-3g and exfat-fuse often
 * leave just the device (`/dev/sdb1`), which tells nothing and stays `other`.
 */
function fuseKind(fsType: string, source: string): FileSystemKind {
  const hint = `${fsType.replace(/^fuse(blk)?\.?/, '')} ${source}`.toLowerCase();
  if (/ntfs/.test(hint)) return 'ntfs';
  if (/exfat/.test(hint)) return 'exfat';
  if (/(^|[^a-z])(fusefat|vfat|msdos|fat32)/.test(hint)) return 'fat32';
  if (/apfs/.test(hint)) return 'apfs';
  if (/hfs/.test(hint)) return 'hfs+';
  if (/sshfs|rclone|davfs|gluster|s3fs|gcsfuse|smb|nfs/.test(hint)) return 'network';
  return 'other';
}

/** Maps a Linux mount type to Ferry's kinds; exported for table tests of every name the kernel and FUSE drivers use. */
export function linuxFileSystemKind(fsType: string, source: string): FileSystemKind {
  const type = fsType.toLowerCase();
  switch (type) {
    case 'vfat':
    case 'msdos':
    case 'fat':
      // vfat also mounts FAT12/16; they share FAT32's 4 GiB − 1 file limit.
      return 'fat32';
    case 'exfat':
      return 'exfat';
    case 'ntfs':
    case 'ntfs3':
      return 'ntfs';
    case 'ext4':
      return 'ext4';
    case 'ext2':
    case 'ext3':
      return 'ext2/3';
    case 'xfs':
      return 'xfs';
    case 'btrfs':
      return 'btrfs';
    case 'tmpfs':
      return 'tmpfs';
    case 'apfs':
      return 'apfs';
    case 'hfsplus':
      return 'hfs+';
    default:
      if (NETWORK_TYPES.has(type)) return 'network';
      if (type === 'fuse' || type === 'fuseblk' || type.startsWith('fuse.') || type.startsWith('fuseblk.')) return fuseKind(type, source);
      return 'other';
  }
}
