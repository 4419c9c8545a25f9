/**
 * Windows drive listing from PowerShell's `Get-Volume` (Storage module,
 * MSFT_Volume): every volume with a drive letter, its label, file system,
 * size and free space. The parser is pure and tested with captured output of
 * Windows PowerShell 5.1 (enums as numbers) and PowerShell 7 (enums as names).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DriveInfo } from '../../src-shared/api/contract.ts';
import { byRemovableThenPath, byteCount, driveAdvice, shownType } from './drives-common.ts';
import { FILE_SYSTEM_TYPE_NAMES, windowsFileSystemKind } from './windows.ts';

/** The script run with `powershell.exe -NoProfile -NonInteractive -Command`; it takes no input. */
export const LIST_VOLUMES_SCRIPT = 'Get-Volume | Select-Object DriveLetter,FileSystemLabel,FileSystem,FileSystemType,DriveType,Size,SizeRemaining | ConvertTo-Json -Compress';
export const LIST_VOLUMES_ARGS = ['-NoProfile', '-NonInteractive', '-Command', LIST_VOLUMES_SCRIPT];
/** Get-Volume starts the Storage module's CIM session: slow the first time, never minutes. */
const POWERSHELL_TIMEOUT_MS = 20_000;

/** MSFT_Volume.DriveType values: 2 Removable, 3 Fixed, 4 Remote, 5 CD-ROM, 6 RAM disk. */
const DRIVE_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'Unknown'],
  [1, 'Invalid Root Path'],
  [2, 'Removable'],
  [3, 'Fixed'],
  [4, 'Remote'],
  [5, 'CD-ROM'],
  [6, 'RAM Disk'],
]);

/** Drive types that are never a place for a bundle. */
const NOT_A_TARGET = new Set(['cd-rom', 'invalid root path']);

function enumName(value: unknown, names: ReadonlyMap<number, string>): string | undefined {
  if (typeof value === 'number') return names.get(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function letterOf(value: unknown): string | undefined {
  // A Char16: "E" from ConvertTo-Json, a char code from some serialisers, NUL or null without a letter.
  const letter = typeof value === 'number' ? String.fromCharCode(value) : value;
  return typeof letter === 'string' && /^[A-Za-z]$/.test(letter) ? letter.toUpperCase() : undefined;
}

function rawTypeOf(volume: Record<string, unknown>): string {
  const name = volume.FileSystem;
  if (typeof name === 'string' && name.trim() !== '') return name.trim();
  const type = enumName(volume.FileSystemType, FILE_SYSTEM_TYPE_NAMES);
  return type === undefined || type === 'Unknown' ? 'unknown' : type;
}

/**
 * Parses `Get-Volume | Select-Object … | ConvertTo-Json`: an array, or one
 * object when there is a single volume, or nothing at all. Volumes without a
 * drive letter (recovery, EFI) and optical drives are left out.
 */
export function parseVolumesJson(text: string): DriveInfo[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return [];
  }
  const volumes = (Array.isArray(parsed) ? parsed : [parsed]).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
  const drives: DriveInfo[] = [];
  for (const volume of volumes) {
    const letter = letterOf(volume.DriveLetter);
    const driveType = enumName(volume.DriveType, DRIVE_TYPES) ?? 'Unknown';
    if (letter === undefined || NOT_A_TARGET.has(driveType.toLowerCase())) continue;
    const rawType = rawTypeOf(volume);
    // A card reader with no card, or a volume Windows cannot read, has no file system: nothing to write to.
    if (rawType === 'unknown' && byteCount(volume.Size) === 0) continue;
    const kind = driveType === 'Remote' ? 'network' : windowsFileSystemKind(rawType);
    const label = typeof volume.FileSystemLabel === 'string' ? volume.FileSystemLabel.trim() : '';
    drives.push({
      path: `${letter}:\\`,
      label: label === '' ? `${letter}:` : label,
      fsType: shownType(kind, rawType),
      freeBytes: byteCount(volume.SizeRemaining),
      sizeBytes: byteCount(volume.Size),
      removable: driveType === 'Removable',
      advice: driveAdvice(kind),
    });
  }
  const seen = new Set<string>();
  return drives.filter((d) => !seen.has(d.path) && Boolean(seen.add(d.path))).sort(byRemovableThenPath);
}

/** The lettered volumes of this PC, removable first; never throws. */
export async function listWindowsDrives(): Promise<DriveInfo[]> {
  try {
    const { stdout } = await promisify(execFile)('powershell.exe', LIST_VOLUMES_ARGS, { timeout: POWERSHELL_TIMEOUT_MS, windowsHide: true, maxBuffer: 4 * 1024 * 1024 });
    return parseVolumesJson(stdout);
  } catch {
    return [];
  }
}
