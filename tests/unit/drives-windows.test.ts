/**
 * Windows drive listing: `Get-Volume | Select-Object DriveLetter,
 * FileSystemLabel,FileSystem,FileSystemType,DriveType,Size,SizeRemaining |
 * ConvertTo-Json` as Windows PowerShell 5.1 prints it (padded, enums as
 * numbers, NUL for "no letter") and as PowerShell 7 prints one volume.
 */
import { describe, expect, it } from 'vitest';
import { LIST_VOLUMES_ARGS, parseVolumesJson } from '../../src-main/media/drives-windows.ts';

// A laptop: system disk, recovery partition (no letter), a FAT32 stick, an exFAT card, a DVD drive, a card reader without a card.
const PS51_ARRAY = `[
    {
        "DriveLetter":  "C",
        "FileSystemLabel":  "Windows",
        "FileSystem":  "NTFS",
        "FileSystemType":  14,
        "DriveType":  3,
        "Size":  510923624448,
        "SizeRemaining":  187162333184
    },
    {
        "DriveLetter":  "\\u0000",
        "FileSystemLabel":  "Windows RE tools",
        "FileSystem":  "NTFS",
        "FileSystemType":  14,
        "DriveType":  3,
        "Size":  1020264448,
        "SizeRemaining":  443686912
    },
    {
        "DriveLetter":  "E",
        "FileSystemLabel":  "FERRY",
        "FileSystem":  "FAT32",
        "FileSystemType":  6,
        "DriveType":  2,
        "Size":  31000166400,
        "SizeRemaining":  30993612800
    },
    {
        "DriveLetter":  "F",
        "FileSystemLabel":  "",
        "FileSystem":  "exFAT",
        "FileSystemType":  0,
        "DriveType":  2,
        "Size":  127999672320,
        "SizeRemaining":  127993118720
    },
    {
        "DriveLetter":  "D",
        "FileSystemLabel":  "",
        "FileSystem":  "",
        "FileSystemType":  0,
        "DriveType":  5,
        "Size":  0,
        "SizeRemaining":  0
    },
    {
        "DriveLetter":  "G",
        "FileSystemLabel":  "",
        "FileSystem":  "",
        "FileSystemType":  0,
        "DriveType":  2,
        "Size":  0,
        "SizeRemaining":  0
    }
]`;

// PowerShell 7 with one volume: a bare object, not an array; enums by name when the type data says so.
const PS7_SINGLE = '{"DriveLetter":"h","FileSystemLabel":"Transfer","FileSystem":"NTFS","FileSystemType":"NTFS","DriveType":"Fixed","Size":2000381014016,"SizeRemaining":1500000000000}';

describe('parseVolumesJson', () => {
  it('lists lettered volumes, removable first, leaving out the recovery partition, the DVD drive and the empty card reader', () => {
    expect(parseVolumesJson(PS51_ARRAY)).toEqual([
      { path: 'E:\\', label: 'FERRY', fsType: 'fat32', freeBytes: 30993612800, sizeBytes: 31000166400, removable: true, advice: expect.stringMatching(/4 GiB/) },
      { path: 'F:\\', label: 'F:', fsType: 'exfat', freeBytes: 127993118720, sizeBytes: 127999672320, removable: true, advice: null },
      { path: 'C:\\', label: 'Windows', fsType: 'ntfs', freeBytes: 187162333184, sizeBytes: 510923624448, removable: false, advice: null },
    ]);
  });

  it('reads a single object, enum names and a lower-case letter', () => {
    expect(parseVolumesJson(PS7_SINGLE)).toEqual([{ path: 'H:\\', label: 'Transfer', fsType: 'ntfs', freeBytes: 1500000000000, sizeBytes: 2000381014016, removable: false, advice: null }]);
  });

  it('takes the file system from numeric FileSystemType when FileSystem is empty, and keeps names Ferry has no kind for', () => {
    const json = JSON.stringify([
      { DriveLetter: 'K', FileSystemLabel: 'old', FileSystem: '', FileSystemType: 6, DriveType: 2, Size: 4000000000, SizeRemaining: 1000 },
      { DriveLetter: 'R', FileSystemLabel: 'pool', FileSystem: 'ReFS', FileSystemType: 15, DriveType: 3, Size: 1e12, SizeRemaining: null },
    ]);
    expect(parseVolumesJson(json).map((d) => [d.path, d.fsType, d.freeBytes])).toEqual([
      ['K:\\', 'fat32', 1000],
      ['R:\\', 'ReFS', null],
    ]);
  });

  it('answers [] for no volumes, a BOM-only answer or non-JSON', () => {
    expect(parseVolumesJson('')).toEqual([]);
    expect(parseVolumesJson('\uFEFF\r\n')).toEqual([]);
    expect(parseVolumesJson('Get-Volume : Access denied')).toEqual([]);
    expect(parseVolumesJson('null')).toEqual([]);
  });

  it('runs a fixed script with no input spliced into it', () => {
    expect(LIST_VOLUMES_ARGS.slice(0, 3)).toEqual(['-NoProfile', '-NonInteractive', '-Command']);
    expect(LIST_VOLUMES_ARGS[3]).toMatch(/^Get-Volume \| Select-Object DriveLetter,FileSystemLabel,FileSystem,FileSystemType,DriveType,Size,SizeRemaining \| ConvertTo-Json/);
  });
});
