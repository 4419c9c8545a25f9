/**
 * "Safely remove drive": which commands are run on each platform, decided by
 * pure functions (nothing is executed here).
 */
import { describe, expect, it } from 'vitest';
import { ejectCommands, linuxEjectCommands, macEjectCommands, windowsEjectCommands } from '../../src-main/media/eject.ts';
import { parseMountInfo } from '../../src-main/media/linux.ts';
import { FerryError } from '../../src-shared/errors.ts';

// A stick with two mounted partitions, an encrypted stick, and the system disk.
const LSBLK = JSON.stringify({
  blockdevices: [
    {
      name: 'sda',
      path: '/dev/sda',
      rm: true,
      mountpoint: null,
      children: [
        { name: 'sda1', path: '/dev/sda1', rm: true, mountpoint: '/media/field/FERRY USB', fstype: 'vfat' },
        { name: 'sda2', path: '/dev/sda2', rm: true, mountpoint: '/media/field/DATA', fstype: 'ext4' },
      ],
    },
    {
      name: 'sdb',
      path: '/dev/sdb',
      rm: true,
      mountpoint: null,
      children: [
        {
          name: 'sdb1',
          path: '/dev/sdb1',
          rm: true,
          mountpoint: null,
          fstype: 'crypto_LUKS',
          children: [{ name: 'luks-9f1c', path: '/dev/mapper/luks-9f1c', rm: false, mountpoint: '/media/field/SECRET', fstype: 'ext4' }],
        },
      ],
    },
    {
      name: 'nvme0n1',
      path: '/dev/nvme0n1',
      rm: false,
      mountpoint: null,
      children: [
        { name: 'nvme0n1p1', path: '/dev/nvme0n1p1', mountpoint: '/boot/efi', fstype: 'vfat' },
        { name: 'nvme0n1p2', path: '/dev/nvme0n1p2', mountpoint: '/', fstype: 'ext4' },
      ],
    },
  ],
});

const MOUNTS = parseMountInfo(
  [
    '29 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
    '30 29 259:1 / /boot/efi rw,relatime shared:2 - vfat /dev/nvme0n1p1 rw',
    '801 29 8:1 / /media/field/FERRY\\040USB rw,nosuid,nodev,relatime shared:400 - vfat /dev/sda1 rw,uid=1000',
    '802 29 8:2 / /media/field/DATA rw,nosuid,nodev,relatime shared:401 - ext4 /dev/sda2 rw',
    '803 29 253:0 / /media/field/SECRET rw,nosuid,nodev,relatime shared:402 - ext4 /dev/mapper/luks-9f1c rw',
    '804 29 0:50 / /mnt/share rw,relatime shared:403 - nfs4 nas:/export rw',
  ].join('\n'),
);

const udisks = (...args: string[]) => ({ file: 'udisksctl', args });

describe('linuxEjectCommands', () => {
  it('unmounts every mounted partition of the disk, then powers the disk off', () => {
    expect(linuxEjectCommands('/media/field/FERRY USB', LSBLK, MOUNTS)).toEqual([udisks('unmount', '-b', '/dev/sda2'), udisks('unmount', '-b', '/dev/sda1'), udisks('power-off', '-b', '/dev/sda')]);
  });

  it('finds the disk under an encrypted mapping', () => {
    expect(linuxEjectCommands('/media/field/SECRET', LSBLK, MOUNTS)).toEqual([udisks('unmount', '-b', '/dev/mapper/luks-9f1c'), udisks('power-off', '-b', '/dev/sdb')]);
  });

  it('without lsblk, unmounts and powers off the mounted device itself', () => {
    expect(linuxEjectCommands('/media/field/DATA', undefined, MOUNTS)).toEqual([udisks('unmount', '-b', '/dev/sda2'), udisks('power-off', '-b', '/dev/sda2')]);
  });

  it('refuses the system disk, network shares and paths where nothing is mounted, naming the drive', () => {
    const attempt = (path: string) => () => linuxEjectCommands(path, LSBLK, MOUNTS);
    expect(attempt('/boot/efi')).toThrow(/cannot safely remove \/boot\/efi: it is on \/dev\/nvme0n1, the disk this system runs from/);
    expect(attempt('/mnt/share')).toThrow(/not a local drive/);
    expect(attempt('/media/field/GONE')).toThrow(/nothing is mounted there/);
    try {
      attempt('/media/field/GONE')();
    } catch (error) {
      expect(error).toBeInstanceOf(FerryError);
      expect((error as FerryError).code).toBe('IO_ERROR');
    }
  });
});

describe('macEjectCommands', () => {
  it('ejects by mount point, as one argument however it is spelt', () => {
    expect(macEjectCommands('/Volumes/FERRY & CO; rm -rf ~')).toEqual([{ file: 'diskutil', args: ['eject', '/Volumes/FERRY & CO; rm -rf ~'] }]);
    expect(() => macEjectCommands('/')).toThrow(FerryError);
  });
});

describe('windowsEjectCommands', () => {
  it('invokes the Eject verb on the drive in This PC and waits for it to go', () => {
    const [command] = windowsEjectCommands('e:\\');
    expect(command?.file).toBe('powershell.exe');
    expect(command?.args.slice(0, 3)).toEqual(['-NoProfile', '-NonInteractive', '-Command']);
    expect(command?.args[3]).toContain("(New-Object -comObject Shell.Application).Namespace(17).ParseName('E:')");
    expect(command?.args[3]).toContain("InvokeVerb('Eject')");
    expect(command?.args[3]).toContain("Test-Path 'E:\\'");
  });

  it('refuses anything but a drive letter, so nothing else reaches the script', () => {
    expect(() => windowsEjectCommands("E:\\'); Remove-Item C:\\ #")).toThrow(/expected a drive such as E:/);
    expect(() => windowsEjectCommands('\\\\server\\share')).toThrow(FerryError);
    expect(windowsEjectCommands('F:')[0]?.args[3]).toContain("ParseName('F:')");
  });
});

describe('ejectCommands', () => {
  it('dispatches on the platform', () => {
    expect(ejectCommands('darwin', '/Volumes/T7')[0]?.file).toBe('diskutil');
    expect(ejectCommands('win32', 'E:\\')[0]?.file).toBe('powershell.exe');
    expect(ejectCommands('linux', '/media/field/DATA', { lsblkJson: LSBLK, mounts: MOUNTS }).at(-1)).toEqual(udisks('power-off', '-b', '/dev/sda'));
    expect(() => ejectCommands('freebsd', '/media/x')).toThrow(/not supported on freebsd/);
  });
});
