import { describe, expect, it } from 'vitest';
import type { FileSystemKind } from '../../src-main/media/filesystem.ts';
import { GET_VOLUME_SCRIPT, parseGetVolumeJson, windowsFileSystemKind } from '../../src-main/media/windows.ts';

// Windows PowerShell 5.1 pads after the colon and writes enums as numbers.
const PS51_FAT32 = `{
    "DriveLetter":  "E",
    "FileSystem":  "FAT32",
    "FileSystemType":  6,
    "SizeRemaining":  15987638272
}`;

// MSFT_Volume.FileSystemType has no exFAT member: 0 (Unknown), while FileSystem names it.
const PS51_EXFAT = `{
    "DriveLetter":  "F",
    "FileSystem":  "exFAT",
    "FileSystemType":  0,
    "SizeRemaining":  61530439680
}`;

// PowerShell 7 with -Compress; the brief's command selects only two properties.
const PS7_NTFS_STRINGS = '{"FileSystemType":"NTFS","SizeRemaining":402653184000}';
const PS7_REFS = '{"DriveLetter":"D","FileSystem":"ReFS","FileSystemType":15,"SizeRemaining":1099511627776}';

// A volume mounted in a folder has no drive letter.
const NO_LETTER = '{"DriveLetter":null,"FileSystem":"NTFS","FileSystemType":14,"SizeRemaining":1024}';

describe('parseGetVolumeJson', () => {
  it('reads Windows PowerShell 5.1 output with the numeric enum', () => {
    expect(parseGetVolumeJson(PS51_FAT32)).toEqual({ rawType: 'FAT32', root: 'E:\\', sizeRemaining: 15_987_638_272 });
  });

  it('takes exFAT from FileSystem, since FileSystemType says Unknown', () => {
    expect(parseGetVolumeJson(PS51_EXFAT)).toEqual({ rawType: 'exFAT', root: 'F:\\', sizeRemaining: 61_530_439_680 });
  });

  it('reads FileSystemType as a string when that is all there is', () => {
    expect(parseGetVolumeJson(PS7_NTFS_STRINGS)).toEqual({ rawType: 'NTFS', root: undefined, sizeRemaining: 402_653_184_000 });
  });

  it('reads FileSystemType as a number when FileSystem is missing', () => {
    expect(parseGetVolumeJson('{"FileSystemType":6,"SizeRemaining":5}')?.rawType).toBe('FAT32');
    expect(parseGetVolumeJson('{"FileSystemType":14}')?.rawType).toBe('NTFS');
    expect(parseGetVolumeJson('{"FileSystemType":0}')?.rawType).toBe('unknown');
    expect(parseGetVolumeJson('{"FileSystemType":"Unknown"}')?.rawType).toBe('unknown');
  });

  it('reads ReFS and a volume without a drive letter', () => {
    expect(parseGetVolumeJson(PS7_REFS)?.rawType).toBe('ReFS');
    expect(parseGetVolumeJson(NO_LETTER)).toEqual({ rawType: 'NTFS', root: undefined, sizeRemaining: 1024 });
  });

  it('accepts a char code for DriveLetter, a BOM and an array answer', () => {
    expect(parseGetVolumeJson('{"DriveLetter":69,"FileSystem":"NTFS"}')?.root).toBe('E:\\');
    expect(parseGetVolumeJson(`\uFEFF${PS51_FAT32}`)?.rawType).toBe('FAT32');
    expect(parseGetVolumeJson(`[${PS51_EXFAT},${PS51_FAT32}]`)?.rawType).toBe('exFAT');
  });

  it('returns undefined for output that is not a volume', () => {
    for (const text of ['', 'Get-Volume : No MSFT_Volume objects found', 'null', '[]', '42']) {
      expect(parseGetVolumeJson(text)).toBeUndefined();
    }
  });

  it('drops a SizeRemaining that is not a byte count', () => {
    expect(parseGetVolumeJson('{"FileSystem":"NTFS","SizeRemaining":-1}')?.sizeRemaining).toBeUndefined();
    expect(parseGetVolumeJson('{"FileSystem":"NTFS","SizeRemaining":"12"}')?.sizeRemaining).toBeUndefined();
  });
});

describe('windowsFileSystemKind', () => {
  const cases: Array<[string, FileSystemKind]> = [
    ['FAT32', 'fat32'],
    ['FAT', 'fat32'],
    ['FAT16', 'fat32'],
    ['exFAT', 'exfat'],
    ['NTFS', 'ntfs'],
    ['ReFS', 'other'],
    ['CSVFS', 'other'],
    ['unknown', 'other'],
  ];
  for (const [raw, kind] of cases) {
    it(`${raw} → ${kind}`, () => {
      expect(windowsFileSystemKind(raw)).toBe(kind);
    });
  }
});

describe('GET_VOLUME_SCRIPT', () => {
  it('takes the path from the environment, never from the script text', () => {
    expect(GET_VOLUME_SCRIPT).toContain('-FilePath $env:FERRY_TARGET_PATH');
    expect(GET_VOLUME_SCRIPT).toMatch(/FileSystem,FileSystemType,SizeRemaining/);
  });
});
