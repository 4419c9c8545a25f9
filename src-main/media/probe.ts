/**
 * The questions `inspectTarget` (filesystem.ts) puts to the OS: which file
 * system holds a folder, how much is free, and whether a file can be created.
 * One implementation per platform behind one function (DESIGN.md decision
 * 10); the platform modules parse, this module asks.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readFile, rm, stat, statfs } from 'node:fs/promises';
import { dirname, resolve, win32 } from 'node:path';
import { promisify } from 'node:util';
import { FerryError } from '../../src-shared/errors.ts';
import { WRITE_PROBE_PREFIX } from '../base/leftovers.ts';
import type { FileSystemKind } from './filesystem.ts';
import { findMount, linuxFileSystemKind, parseMountInfo } from './linux.ts';
import { macFileSystemKind, parseMacMount } from './macos.ts';
import { GET_VOLUME_PATH_VARIABLE, GET_VOLUME_SCRIPT, parseGetVolumeJson, windowsFileSystemKind } from './windows.ts';

const run = promisify(execFile);

/** `mount` and `Get-Volume` answer in well under a second; PowerShell's first start on a slow laptop can take several. */
const COMMAND_TIMEOUT_MS = 20_000;

/** Errors that mean "you may not write here", as opposed to a broken drive. */
const NOT_WRITABLE = new Set(['EACCES', 'EROFS', 'EPERM']);

/** The raw type recorded when the OS could not be asked, so callers can tell "unknown" from a real `other`. */
export const UNKNOWN_RAW_TYPE = 'unknown';

/** Where a folder's file system is mounted and what the OS calls it. */
export interface Located {
  mountPoint: string;
  rawType: string;
  fsType: FileSystemKind;
  /** Free space from the platform query, used only when statfs cannot tell. */
  freeHint?: number | undefined;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function unknownAt(mountPoint: string): Located {
  return { mountPoint, rawType: UNKNOWN_RAW_TYPE, fsType: 'other' };
}

/** The folder the export will create its bundle folder in: `path` itself, or its nearest existing ancestor. */
export async function nearestExistingDirectory(path: string): Promise<string> {
  let current = path;
  for (;;) {
    try {
      const info = await stat(current);
      if (info.isDirectory()) return current;
      throw new FerryError('INVALID_ARGUMENT', `cannot write a bundle to ${path}: ${current} is a file, not a folder`, { path, file: current });
    } catch (error) {
      if (error instanceof FerryError) throw error;
      const code = errorCode(error);
      const parent = dirname(current);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) {
        throw new FerryError('IO_ERROR', `cannot inspect ${path}: ${current}: ${error instanceof Error ? error.message : String(error)}`, { path }, { cause: error });
      }
      current = parent;
    }
  }
}

async function locateLinux(realPath: string): Promise<Located> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => undefined);
  const mount = text === undefined ? undefined : findMount(parseMountInfo(text), realPath);
  if (mount === undefined) return unknownAt('/');
  return { mountPoint: mount.mountPoint, rawType: mount.fsType, fsType: linuxFileSystemKind(mount.fsType, mount.source) };
}

async function locateMac(realPath: string): Promise<Located> {
  const output = await run('/sbin/mount', [], { timeout: COMMAND_TIMEOUT_MS }).catch(() => undefined);
  const mount = output === undefined ? undefined : findMount(parseMacMount(output.stdout), realPath);
  if (mount === undefined) return unknownAt('/');
  return { mountPoint: mount.mountPoint, rawType: mount.fsType, fsType: macFileSystemKind(mount.fsType) };
}

async function locateWindows(realPath: string): Promise<Located> {
  const root = win32.parse(realPath).root;
  // A UNC share (\\server\share) has no volume for Get-Volume to find.
  if (/^\\\\(?![?.]\\)/.test(realPath)) return { mountPoint: root, rawType: 'smb', fsType: 'network' };
  const output = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', GET_VOLUME_SCRIPT], {
    timeout: COMMAND_TIMEOUT_MS,
    windowsHide: true,
    env: { ...process.env, [GET_VOLUME_PATH_VARIABLE]: realPath },
  }).catch(() => undefined);
  const volume = output === undefined ? undefined : parseGetVolumeJson(output.stdout);
  if (volume === undefined) return unknownAt(root);
  return { mountPoint: volume.root ?? root, rawType: volume.rawType, fsType: windowsFileSystemKind(volume.rawType), freeHint: volume.sizeRemaining };
}

/** Asks the OS which file system holds `realPath`; an OS that will not say yields "unknown", never an invented type. */
export function locate(realPath: string): Promise<Located> {
  switch (process.platform) {
    case 'linux':
      return locateLinux(realPath);
    case 'darwin':
      return locateMac(realPath);
    case 'win32':
      return locateWindows(realPath);
    default:
      return Promise.resolve(unknownAt(dirname(realPath)));
  }
}

/** Free bytes for this user, or undefined when the file system reports no blocks at all (fusefat does). */
export async function freeSpace(dir: string): Promise<number | undefined> {
  try {
    const info = await statfs(dir);
    if (info.blocks === 0) return undefined;
    return Math.min(info.bavail * info.bsize, Number.MAX_SAFE_INTEGER);
  } catch {
    return undefined;
  }
}

/**
 * Creates and removes an empty, uniquely named file: the only test of
 * writability that sees read-only mounts, ACLs and write-protect switches
 * alike. The name has no `:` so it is legal on FAT and NTFS.
 */
export async function probeWritable(dir: string): Promise<boolean> {
  const probe = resolve(dir, `${WRITE_PROBE_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx');
    await handle.close();
  } catch (error) {
    const code = errorCode(error);
    if (code !== undefined && NOT_WRITABLE.has(code)) return false;
    throw new FerryError('IO_ERROR', `cannot test whether ${dir} is writable: ${error instanceof Error ? error.message : String(error)}`, { path: dir }, { cause: error });
  }
  await rm(probe, { force: true });
  return true;
}
