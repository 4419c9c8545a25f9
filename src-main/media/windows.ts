/**
 * Windows: which file system holds a path, from PowerShell's `Get-Volume`
 * (Storage module, MSFT_Volume). Only the parsing lives here, so it is tested
 * on Linux with real captured output.
 */
import type { FileSystemKind } from './filesystem.ts';

/**
 * The script run with `powershell.exe -NoProfile -NonInteractive -Command`.
 * The path arrives in an environment variable, never spliced into the script,
 * so quotes or `$` in a folder name cannot change the command.
 *
 * `FileSystem` (a string: "NTFS", "exFAT", "FAT32") is selected alongside
 * `FileSystemType` because Windows PowerShell 5.1's ConvertTo-Json writes the
 * `FileSystemType` enum as a number, and that enum has no exFAT member.
 */
export const GET_VOLUME_SCRIPT = 'Get-Volume -FilePath $env:FERRY_TARGET_PATH | Select-Object -Property DriveLetter,FileSystem,FileSystemType,SizeRemaining | ConvertTo-Json -Compress';

/** The environment variable that carries the path into GET_VOLUME_SCRIPT. */
export const GET_VOLUME_PATH_VARIABLE = 'FERRY_TARGET_PATH';

/** What Ferry takes from one `Get-Volume` answer. */
export interface WindowsVolume {
  /** The file system's name as Windows prints it (`FAT32`, `exFAT`, `NTFS`, `ReFS`), or `unknown`. */
  rawType: string;
  /** `E:\` when the volume has a drive letter. */
  root: string | undefined;
  sizeRemaining: number | undefined;
}

/** MSFT_Volume.FileSystemType values (Windows Storage Management API), for PowerShell 5.1's numbers; exFAT has none and reports 0. */
export const FILE_SYSTEM_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [4, 'FAT'],
  [5, 'FAT16'],
  [6, 'FAT32'],
  [7, 'NTFS'],
  [8, 'NTFS'],
  [14, 'NTFS'],
  [15, 'ReFS'],
  [0x8000, 'CSVFS'],
  [0x8001, 'CSVFS'],
]);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function typeName(volume: Record<string, unknown>): string {
  const name = volume.FileSystem;
  if (typeof name === 'string' && name.trim() !== '') return name.trim();
  const type = volume.FileSystemType;
  if (typeof type === 'string' && type.trim() !== '' && type !== 'Unknown') return type.trim();
  if (typeof type === 'number') return FILE_SYSTEM_TYPE_NAMES.get(type) ?? 'unknown';
  return 'unknown';
}

/**
 * Parses the JSON `Get-Volume … | ConvertTo-Json` prints: one object, or an
 * array when several volumes match (the first is the one holding the path).
 * Returns undefined when the output is not a volume, so the caller can fall
 * back to "unknown" instead of guessing.
 */
export function parseGetVolumeJson(text: string): WindowsVolume | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
  const volume = record(Array.isArray(parsed) ? parsed[0] : parsed);
  if (volume === undefined) return undefined;
  // DriveLetter is a Char16: a one-letter string, a char code from some serialisers, or null/NUL without a letter.
  const letter = typeof volume.DriveLetter === 'number' ? String.fromCharCode(volume.DriveLetter) : volume.DriveLetter;
  const remaining = volume.SizeRemaining;
  return {
    rawType: typeName(volume),
    root: typeof letter === 'string' && /^[A-Za-z]$/.test(letter) ? `${letter.toUpperCase()}:\\` : undefined,
    sizeRemaining: typeof remaining === 'number' && Number.isSafeInteger(remaining) && remaining >= 0 ? remaining : undefined,
  };
}

/** Maps a Windows file system name to Ferry's kinds; plain `FAT` (FAT12/16) shares FAT32's file size limit. */
export function windowsFileSystemKind(rawType: string): FileSystemKind {
  switch (rawType.toLowerCase()) {
    case 'fat':
    case 'fat16':
    case 'fat32':
      return 'fat32';
    case 'exfat':
      return 'exfat';
    case 'ntfs':
      return 'ntfs';
    default:
      return 'other';
  }
}
