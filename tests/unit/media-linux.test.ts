import { describe, expect, it } from 'vitest';
import type { FileSystemKind } from '../../src-main/media/filesystem.ts';
import { findMount, linuxFileSystemKind, parseMountInfo } from '../../src-main/media/linux.ts';

// A laptop with sticks plugged in, in /proc/self/mountinfo's format (proc(5)).
// The fuse.fusefat line is verbatim from this machine's test mounts.
const MOUNTINFO = [
  '22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw,errors=remount-ro',
  '30 22 0:26 / /media rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=1620524k,mode=755',
  '95 30 8:17 / /media/alice/USB\\040STICK rw,nosuid,nodev,relatime shared:52 - vfat /dev/sdb1 rw,fmask=0022,dmask=0022,codepage=437,iocharset=utf8,shortname=mixed,showexec,utf8,flush,errors=remount-ro',
  '96 30 8:33 / /media/alice/USB rw,nosuid,nodev,relatime shared:53 - exfat /dev/sdc1 rw,fmask=0022,dmask=0022,iocharset=utf8,errors=remount-ro',
  '97 30 8:49 / /media/alice/Win rw,nosuid,nodev,relatime shared:54 - fuseblk /dev/sdd1 rw,user_id=0,group_id=0,default_permissions,allow_other,blksize=4096',
  '98 30 8:65 / /media/alice/NTFS3 rw,nosuid,nodev,relatime shared:55 - ntfs3 /dev/sde1 rw,uid=1000,gid=1000,iocharset=utf8',
  '42 27 0:39 / /tmp/fx/m rw,nosuid,nodev,relatime - fuse.fusefat fusefat rw,user_id=0,group_id=0',
  '100 22 0:50 / /mnt/nas rw,relatime shared:60 - nfs4 nas.example:/export rw,vers=4.2,rsize=1048576,wsize=1048576,hard,proto=tcp,timeo=600',
  '104 22 8:97 /@home /home rw,relatime shared:61 master:3 - btrfs /dev/sdg1 rw,space_cache=v2,subvolid=257,subvol=/@home',
  '110 22 0:70 / /mnt/odd\\011name\\134x rw - tmpfs tmpfs rw',
  '120 22 0:71 / /mnt/stack rw - ext4 /dev/sdj1 rw',
  '121 120 8:1 / /mnt/stack ro - vfat /dev/sdk1 ro',
  'garbage line without a separator',
  '',
].join('\n');

describe('parseMountInfo', () => {
  const entries = parseMountInfo(MOUNTINFO);

  it('reads every well-formed line and skips the rest', () => {
    expect(entries).toHaveLength(12);
  });

  it('takes type and source after the "-" separator, whatever the number of optional fields', () => {
    expect(entries.find((e) => e.mountPoint === '/home')).toEqual({ mountPoint: '/home', fsType: 'btrfs', source: '/dev/sdg1', options: 'rw,relatime' });
    expect(entries.find((e) => e.mountPoint === '/tmp/fx/m')).toMatchObject({ fsType: 'fuse.fusefat', source: 'fusefat' });
  });

  it('decodes octal escapes for space, tab and backslash', () => {
    const points = entries.map((e) => e.mountPoint);
    expect(points).toContain('/media/alice/USB STICK');
    expect(points).toContain('/mnt/odd\tname\\x');
  });
});

describe('findMount: longest mount-point prefix wins', () => {
  const entries = parseMountInfo(MOUNTINFO);
  const cases: Array<[string, string]> = [
    ['/', '/'],
    ['/etc/hosts', '/'],
    ['/media', '/media'],
    ['/media/alice', '/media'],
    ['/media/alice/USB STICK/bundles/2024', '/media/alice/USB STICK'],
    ['/media/alice/USB', '/media/alice/USB'],
    ['/media/alice/USB/x', '/media/alice/USB'],
    ['/media/alice/USB2/x', '/media'],
    ['/media/alice/USBX', '/media'],
    ['/home/alice', '/home'],
    ['/homework', '/'],
    ['/tmp/fx/m/bundle', '/tmp/fx/m'],
  ];
  for (const [path, mountPoint] of cases) {
    it(`${path} → ${mountPoint}`, () => {
      expect(findMount(entries, path)?.mountPoint).toBe(mountPoint);
    });
  }

  it('picks the later of two mounts stacked on one folder, the one that is visible', () => {
    expect(findMount(entries, '/mnt/stack/a')).toMatchObject({ fsType: 'vfat', source: '/dev/sdk1' });
  });

  it('finds nothing in an empty table', () => {
    expect(findMount([], '/x')).toBeUndefined();
  });
});

describe('linuxFileSystemKind', () => {
  const cases: Array<[string, string, FileSystemKind]> = [
    ['vfat', '/dev/sdb1', 'fat32'],
    ['msdos', '/dev/sdb1', 'fat32'],
    ['fuse.fusefat', 'fusefat', 'fat32'],
    ['exfat', '/dev/sdc1', 'exfat'],
    ['fuse.exfat', '/dev/sdc1', 'exfat'],
    ['fuseblk', 'exfat', 'exfat'],
    ['fuseblk.exfat', '/dev/sdc1', 'exfat'],
    ['ntfs', '/dev/sdd1', 'ntfs'],
    ['ntfs3', '/dev/sdd1', 'ntfs'],
    ['fuse.ntfs-3g', '/dev/sdd1', 'ntfs'],
    ['fuseblk', 'ntfs-3g', 'ntfs'],
    ['fuseblk.ntfs-3g', '/dev/sdd1', 'ntfs'],
    ['fuse.lowntfs-3g', '/dev/sdd1', 'ntfs'],
    ['fuseblk', '/dev/sdd1', 'other'],
    ['ext4', '/dev/sda2', 'ext4'],
    ['ext3', '/dev/loop0', 'ext2/3'],
    ['ext2', '/dev/loop0', 'ext2/3'],
    ['xfs', '/dev/sdf1', 'xfs'],
    ['btrfs', '/dev/sdg1', 'btrfs'],
    ['tmpfs', 'tmpfs', 'tmpfs'],
    ['nfs', 'nas:/export', 'network'],
    ['nfs4', 'nas:/export', 'network'],
    ['cifs', '//server/share', 'network'],
    ['smb3', '//server/share', 'network'],
    ['9p', 'hostshare', 'network'],
    ['fuse.sshfs', 'alice@host:/srv', 'network'],
    ['apfs', '/dev/sdh2', 'apfs'],
    ['fuse.apfs-fuse', '/dev/sdh2', 'apfs'],
    ['hfsplus', '/dev/sdh2', 'hfs+'],
    ['overlay', 'overlay', 'other'],
    ['squashfs', '/dev/loop3', 'other'],
    ['fuse.gvfsd-fuse', 'gvfsd-fuse', 'other'],
    ['VFAT', '/dev/sdb1', 'fat32'],
  ];
  for (const [type, source, kind] of cases) {
    it(`${type} (${source}) → ${kind}`, () => {
      expect(linuxFileSystemKind(type, source)).toBe(kind);
    });
  }
});
