/**
 * Drive listing: the lsblk parser against a captured `lsblk --json -b -o
 * NAME,PATH,SIZE,RM,MOUNTPOINT,FSTYPE,LABEL` (util-linux 2.38, a laptop with
 * a FAT32 and an exFAT stick), and the live call on this machine.
 */
import { describe, expect, it } from 'vitest';
import { driveAdvice, listDrives, parseLsblk } from '../../src-main/media/drives.ts';
import { parseMountInfo } from '../../src-main/media/linux.ts';

const LSBLK = `{
   "blockdevices": [
      {"name":"loop0", "path":"/dev/loop0", "size":58363904, "rm":false, "mountpoint":"/snap/core18/2812", "fstype":"squashfs", "label":null},
      {"name":"sda", "path":"/dev/sda", "size":31004295168, "rm":true, "mountpoint":null, "fstype":null, "label":null,
         "children": [
            {"name":"sda1", "path":"/dev/sda1", "size":31003246592, "rm":true, "mountpoint":"/media/field/FERRY USB", "fstype":"vfat", "label":"FERRY USB"}
         ]
      },
      {"name":"sdb", "path":"/dev/sdb", "size":128043712512, "rm":"1", "mountpoint":null, "fstype":null, "label":null,
         "children": [
            {"name":"sdb1", "path":"/dev/sdb1", "size":"128042663936", "rm":"0", "mountpoint":null, "fstype":"exfat", "label":"BIG"}
         ]
      },
      {"name":"nvme0n1", "path":"/dev/nvme0n1", "size":512110190592, "rm":false, "mountpoint":null, "fstype":null, "label":null,
         "children": [
            {"name":"nvme0n1p1", "path":"/dev/nvme0n1p1", "size":536870912, "rm":false, "mountpoint":"/boot/efi", "fstype":"vfat", "label":null},
            {"name":"nvme0n1p2", "path":"/dev/nvme0n1p2", "size":511571509248, "rm":false, "mountpoint":"/", "fstype":"ext4", "label":null},
            {"name":"nvme0n1p3", "path":"/dev/nvme0n1p3", "size":2147483648, "rm":false, "mountpoint":"[SWAP]", "fstype":"swap", "label":null}
         ]
      },
      {"name":"sr0", "path":"/dev/sr0", "size":1073741312, "rm":true, "mountpoint":null, "fstype":null, "label":null}
   ]
}`;

// sdb1 is mounted in another way lsblk did not see (a FUSE exFAT driver); mountinfo knows it.
const MOUNTINFO = [
  '29 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
  '812 29 8:17 / /media/field/BIG rw,nosuid,nodev,relatime shared:410 - fuseblk /dev/sdb1 rw,user_id=0,group_id=0,allow_other',
].join('\n');

describe('parseLsblk', () => {
  const drives = parseLsblk(LSBLK, parseMountInfo(MOUNTINFO));

  it('lists mounted, writable volumes, removable first, and skips snaps, swap and unmounted devices', () => {
    expect(drives.map((d) => [d.path, d.removable])).toEqual([
      ['/media/field/BIG', true],
      ['/media/field/FERRY USB', true],
      ['/', false],
      ['/boot/efi', false],
    ]);
  });

  it('reports file system, label, size and FAT32 advice', () => {
    const fat = drives.find((d) => d.path === '/media/field/FERRY USB');
    expect(fat).toMatchObject({ label: 'FERRY USB', fsType: 'fat32', sizeBytes: 31003246592, freeBytes: null });
    expect(fat?.advice).toMatch(/archive form with 4 GiB parts is used/);
    const big = drives.find((d) => d.path === '/media/field/BIG');
    expect(big).toMatchObject({ label: 'BIG', fsType: 'exfat', sizeBytes: 128042663936, advice: null });
    expect(drives.find((d) => d.path === '/')).toMatchObject({ fsType: 'ext4', advice: null });
  });

  it('answers [] for output it cannot read', () => {
    expect(parseLsblk('')).toEqual([]);
    expect(parseLsblk('{"blockdevices": null}')).toEqual([]);
    expect(parseLsblk('not json')).toEqual([]);
  });

  it('advises on the file systems that change what the export does', () => {
    expect(driveAdvice('fat32')).toMatch(/4 GiB/);
    expect(driveAdvice('ext4')).toBeNull();
  });
});

describe('listDrives (live)', () => {
  it('answers a list without failing, even with no removable drive', async () => {
    const drives = await listDrives();
    expect(Array.isArray(drives)).toBe(true);
    for (const drive of drives) {
      expect(drive.path.startsWith('/')).toBe(true);
      expect(drive.freeBytes === null || drive.freeBytes >= 0).toBe(true);
    }
  });
});
