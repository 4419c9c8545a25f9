/**
 * Drives for the export wizard's "where" step: removable drives and mounted
 * volumes with file system, size, free space and what the file system implies.
 *
 * Linux asks `lsblk --json` (util-linux) and joins it with
 * `/proc/self/mountinfo` (proc(5)) and statfs; the parser is pure and tested
 * with a captured sample. macOS (`diskutil`, drives-macos.ts) and Windows
 * (PowerShell `Get-Volume`, drives-windows.ts) have their own pure parsers;
 * the OS is asked only on its own platform. The user can always pick any
 * folder instead.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type { DriveInfo } from '../../src-shared/api/contract.ts';
import { linuxFileSystemKind, parseMountInfo, type MountEntry } from './linux.ts';
import { byRemovableThenPath, driveAdvice, shownType } from './drives-common.ts';
import { listMacDrives } from './drives-macos.ts';
import { listWindowsDrives } from './drives-windows.ts';
import { freeSpace } from './probe.ts';

export { driveAdvice } from './drives-common.ts';

/** The columns asked of lsblk; `-b` gives sizes in bytes. */
export const LSBLK_ARGS = ['--json', '-b', '-o', 'NAME,PATH,SIZE,RM,MOUNTPOINT,FSTYPE,LABEL'];
/** lsblk answers in milliseconds; a hung udev must not hang the wizard. */
const LSBLK_TIMEOUT_MS = 5_000;

/** File systems that are never a place to write a bundle: read-only images, swap, compressed RAM. */
const NOT_A_TARGET = new Set(['squashfs', 'iso9660', 'udf', 'swap', 'erofs', 'crypto_LUKS', 'LVM2_member']);

interface LsblkDevice {
  name?: unknown;
  path?: unknown;
  size?: unknown;
  rm?: unknown;
  mountpoint?: unknown;
  fstype?: unknown;
  label?: unknown;
  children?: unknown;
}

/** lsblk ≥ 2.33 prints booleans and numbers; older versions print "0"/"1" and strings. */
function flag(value: unknown): boolean {
  return value === true || value === 1 || value === '1';
}

function count(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Parses `lsblk --json -b -o NAME,PATH,SIZE,RM,MOUNTPOINT,FSTYPE,LABEL` into
 * the mounted volumes a bundle could be written to, joined with mountinfo for
 * mount points lsblk misses and the exact (FUSE) type. Free space is left null
 * here; `listDrives` fills it. Removable drives first, then by path.
 */
export function parseLsblk(json: string, mounts: readonly MountEntry[] = []): DriveInfo[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  const top = (parsed as { blockdevices?: unknown }).blockdevices;
  const drives: DriveInfo[] = [];
  const visit = (device: LsblkDevice, parentRemovable: boolean): void => {
    const name = text(device.name) ?? '';
    const path = text(device.path) ?? (name ? `/dev/${name}` : '');
    // A partition is as removable as the disk it is on (lsblk marks partitions of a USB stick RM=1, but not every version does).
    const removable = parentRemovable || flag(device.rm);
    const mount = mounts.find((m) => m.source === path);
    const mountPoint = text(device.mountpoint) ?? mount?.mountPoint;
    const rawType = (mount && mount.mountPoint === mountPoint ? mount.fsType : undefined) ?? text(device.fstype) ?? 'unknown';
    const usable = mountPoint !== undefined && mountPoint.startsWith('/') && !name.startsWith('loop') && !name.startsWith('zram') && !NOT_A_TARGET.has(rawType);
    if (usable) {
      // A FUSE mount (`fuseblk` on /dev/sdb1) often hides its type; lsblk's probe of the device then knows it.
      const mountKind = linuxFileSystemKind(rawType, mount?.source ?? path);
      const probed = text(device.fstype);
      const kind = mountKind === 'other' && probed !== undefined ? linuxFileSystemKind(probed, path) : mountKind;
      drives.push({
        path: mountPoint,
        label: text(device.label) ?? (mountPoint === '/' ? name : basename(mountPoint)),
        fsType: shownType(kind, rawType),
        freeBytes: null,
        sizeBytes: count(device.size),
        removable,
        advice: driveAdvice(kind),
      });
    }
    if (Array.isArray(device.children)) for (const child of device.children as LsblkDevice[]) visit(child, removable);
  };
  if (Array.isArray(top)) for (const device of top as LsblkDevice[]) visit(device, false);
  const seen = new Set<string>();
  return drives.filter((d) => !seen.has(d.path) && seen.add(d.path)).sort(byRemovableThenPath);
}

/** Runs lsblk; undefined when it is missing or fails (containers, minimal systems). */
export async function runLsblk(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('lsblk', LSBLK_ARGS, { timeout: LSBLK_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 });
    return stdout;
  } catch {
    return undefined;
  }
}

/** The drives of this machine, removable first; never throws: no drives (or no lsblk/diskutil/PowerShell) is an empty list. */
export async function listDrives(): Promise<DriveInfo[]> {
  if (process.platform === 'darwin') return listMacDrives();
  if (process.platform === 'win32') return listWindowsDrives();
  if (process.platform !== 'linux') return [];
  const [json, mountInfo] = await Promise.all([runLsblk(), readFile('/proc/self/mountinfo', 'utf8').catch(() => '')]);
  if (json === undefined) return [];
  const drives = parseLsblk(json, parseMountInfo(mountInfo));
  return Promise.all(drives.map(async (drive) => ({ ...drive, freeBytes: (await freeSpace(drive.path)) ?? null })));
}
