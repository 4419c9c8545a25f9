import { describe, expect, it } from 'vitest';
import type { FileSystemKind } from '../../src-main/media/filesystem.ts';
import { findMount } from '../../src-main/media/linux.ts';
import { macFileSystemKind, parseMacMount } from '../../src-main/media/macos.ts';

// `mount` on macOS 14 with an internal APFS disk and several drives attached.
const MOUNT_OUTPUT = `/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
devfs on /dev (devfs, local, nobrowse)
/dev/disk3s6 on /System/Volumes/VM (apfs, local, noexec, journaled, noatime, nobrowse)
/dev/disk3s2 on /System/Volumes/Preboot (apfs, local, journaled, nobrowse)
/dev/disk3s4 on /System/Volumes/Update (apfs, local, journaled, nobrowse)
/dev/disk1s2 on /System/Volumes/xarts (apfs, local, noexec, journaled, noatime, nobrowse)
/dev/disk3s5 on /System/Volumes/Data (apfs, local, journaled, nobrowse, protect, root data)
map auto_home on /System/Volumes/Data/home (autofs, automounted, nobrowse)
/dev/disk4s1 on /Volumes/USB (msdos, local, nodev, nosuid, noowners)
/dev/disk5s1 on /Volumes/My Passport (exfat, local, nodev, nosuid, noowners)
/dev/disk6s2 on /Volumes/Time Machine (hfs, local, nodev, nosuid, journaled, noowners)
/dev/disk7s1 on /Volumes/WINDOWS (ntfs, local, read-only, noowners)
//alice@nas._smb._tcp.local/share on /Volumes/share (smbfs, nodev, nosuid, mounted by alice)
/dev/disk8s1 on /Volumes/Odd (1) (msdos, local, nodev, nosuid, noowners)
`;

describe('parseMacMount', () => {
  const entries = parseMacMount(MOUNT_OUTPUT);

  it('reads every line', () => {
    expect(entries).toHaveLength(14);
  });

  it('splits source, mount point, type and options', () => {
    expect(entries.find((e) => e.mountPoint === '/Volumes/USB')).toEqual({
      mountPoint: '/Volumes/USB',
      fsType: 'msdos',
      source: '/dev/disk4s1',
      options: 'local,nodev,nosuid,noowners',
    });
    expect(entries.find((e) => e.mountPoint === '/Volumes/WINDOWS')?.options).toContain('read-only');
  });

  it('keeps spaces and parentheses in mount points, and a source with spaces', () => {
    const points = entries.map((e) => e.mountPoint);
    expect(points).toContain('/Volumes/My Passport');
    expect(points).toContain('/Volumes/Odd (1)');
    expect(entries.find((e) => e.fsType === 'autofs')).toMatchObject({ source: 'map auto_home', mountPoint: '/System/Volumes/Data/home' });
  });

  it('ignores lines that are not mount entries', () => {
    expect(parseMacMount('\nnot a mount line\n')).toEqual([]);
  });
});

describe('macOS lookup and kinds', () => {
  const entries = parseMacMount(MOUNT_OUTPUT);
  const cases: Array<[string, string, FileSystemKind]> = [
    ['/Volumes/USB/bundles/new', '/Volumes/USB', 'fat32'],
    ['/Volumes/My Passport/ferry', '/Volumes/My Passport', 'exfat'],
    ['/Volumes/Time Machine', '/Volumes/Time Machine', 'hfs+'],
    ['/Volumes/WINDOWS/x', '/Volumes/WINDOWS', 'ntfs'],
    ['/Volumes/share/drop', '/Volumes/share', 'network'],
    ['/Volumes/Odd (1)/b', '/Volumes/Odd (1)', 'fat32'],
    ['/System/Volumes/Data/Users/alice', '/System/Volumes/Data', 'apfs'],
    ['/Users/alice', '/', 'apfs'],
  ];
  for (const [path, mountPoint, kind] of cases) {
    it(`${path} → ${mountPoint} (${kind})`, () => {
      const mount = findMount(entries, path);
      expect(mount?.mountPoint).toBe(mountPoint);
      expect(macFileSystemKind(mount?.fsType ?? '')).toBe(kind);
    });
  }

  it('maps devfs and autofs to other', () => {
    expect(macFileSystemKind('devfs')).toBe('other');
    expect(macFileSystemKind('autofs')).toBe('other');
  });
});
