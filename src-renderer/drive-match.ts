/** Which listed drive a bundle lies on, for the export wizard's "safely remove drive". */
import type { DriveInfo } from '../src-shared/api/contract.ts';

/** True when `path` is `mount` or lies under it, with either separator (E:\bundle lies on E:\). */
function liesOn(path: string, mount: string): boolean {
  if (mount === '') return false;
  if (path === mount) return true;
  if (mount.endsWith('/') || mount.endsWith('\\')) return path.startsWith(mount);
  return path.startsWith(`${mount}/`) || path.startsWith(`${mount}\\`);
}

/** The drive whose mount point holds `path` (the deepest when mounts nest), or undefined. */
export function driveHolding(path: string, drives: readonly DriveInfo[]): DriveInfo | undefined {
  const target = path.trim();
  if (target === '') return undefined;
  return drives.filter((d) => liesOn(target, d.path)).sort((a, b) => b.path.length - a.path.length)[0];
}
