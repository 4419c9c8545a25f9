/**
 * "Safely remove drive": unmount and power off (Linux, udisks2's
 * `udisksctl`), `diskutil eject` (macOS), the Explorer "Eject" verb
 * (Windows, through PowerShell and the Shell.Application COM object).
 *
 * What to run is decided by pure functions returning argv lists, tested on
 * any OS; `ejectDrive` runs them with execFile, never through a shell.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { FerryError } from '../../src-shared/errors.ts';
import { runLsblk } from './drives.ts';
import { parseMountInfo, type MountEntry } from './linux.ts';

/** One program and its arguments, run without a shell. */
export interface EjectCommand {
  file: string;
  args: string[];
}

/** udisks waits for buffers to flush before it unmounts: a slow stick can take a while, never minutes. */
const EJECT_TIMEOUT_MS = 120_000;
const WHAT_TO_DO = 'close any files, terminals or windows using the drive, wait for copies to it to finish, then try again';

interface LsblkNode {
  path?: unknown;
  name?: unknown;
  mountpoint?: unknown;
  children?: unknown;
}

function nodePath(node: LsblkNode): string | undefined {
  if (typeof node.path === 'string' && node.path !== '') return node.path;
  return typeof node.name === 'string' && node.name !== '' ? `/dev/${node.name}` : undefined;
}

function childrenOf(node: LsblkNode): LsblkNode[] {
  return Array.isArray(node.children) ? (node.children as LsblkNode[]) : [];
}

function descendants(node: LsblkNode): LsblkNode[] {
  return [node, ...childrenOf(node).flatMap(descendants)];
}

function refuse(path: string, why: string, details: Record<string, unknown> = {}): never {
  throw new FerryError('IO_ERROR', `cannot safely remove ${path}: ${why}`, { path, ...details });
}

/**
 * Linux: unmount every mounted file system of the disk holding `mountPoint`
 * (a stick may have several partitions mounted; power-off refuses while any
 * is), deepest first, then power the disk off. The device comes from
 * mountinfo, its disk from lsblk's tree (`LSBLK_ARGS` output); without lsblk
 * the device alone is unmounted and powered off (udisks finds its drive).
 */
export function linuxEjectCommands(mountPoint: string, lsblkJson: string | undefined, mounts: readonly MountEntry[]): EjectCommand[] {
  const mount = mounts.filter((m) => m.mountPoint === mountPoint).pop();
  if (mount === undefined) refuse(mountPoint, 'nothing is mounted there; it may already have been removed');
  if (!mount.source.startsWith('/dev/')) refuse(mountPoint, `it is not a local drive (${mount.fsType} from ${mount.source})`);
  let top: LsblkNode[] = [];
  try {
    const parsed = lsblkJson === undefined ? undefined : (JSON.parse(lsblkJson) as { blockdevices?: unknown });
    if (Array.isArray(parsed?.blockdevices)) top = parsed.blockdevices as LsblkNode[];
  } catch {
    top = [];
  }
  const disk = top.find((d) => descendants(d).some((n) => nodePath(n) === mount.source || n.mountpoint === mountPoint));
  const diskPath = disk === undefined ? undefined : nodePath(disk);
  if (disk === undefined || diskPath === undefined) {
    return [
      { file: 'udisksctl', args: ['unmount', '-b', mount.source] },
      { file: 'udisksctl', args: ['power-off', '-b', mount.source] },
    ];
  }
  const devices = descendants(disk).flatMap((node) => nodePath(node) ?? []);
  const mounted = mounts.filter((m) => devices.includes(m.source));
  if (mounted.some((m) => m.mountPoint === '/' || m.mountPoint === '/boot' || m.mountPoint === '/usr')) {
    refuse(mountPoint, `it is on ${diskPath}, the disk this system runs from`, { device: diskPath });
  }
  // Deepest device first (a LUKS mapping before its partition), each mounted device once.
  const order = [...new Set(mounted.map((m) => m.source))].sort((a, b) => devices.indexOf(b) - devices.indexOf(a));
  return [...order.map((device) => ({ file: 'udisksctl', args: ['unmount', '-b', device] })), { file: 'udisksctl', args: ['power-off', '-b', diskPath] }];
}

/** macOS: `diskutil eject` takes the mount point and ejects the whole disk it is on. */
export function macEjectCommands(mountPoint: string): EjectCommand[] {
  if (!mountPoint.startsWith('/Volumes/')) refuse(mountPoint, 'only drives mounted under /Volumes can be ejected');
  return [{ file: 'diskutil', args: ['eject', mountPoint] }];
}

/**
 * Windows: the Explorer "Eject" verb on the drive in "This PC" (shell
 * namespace 17, ssfDRIVES). The verb returns at once and reports nothing, so
 * the script waits up to 10 s for the drive to go and fails if it stays
 * (Windows then also shows "Problem Ejecting USB Mass Storage Device").
 * The letter is checked to be one A–Z letter before it is put in the script.
 */
export function windowsEjectCommands(drivePath: string): EjectCommand[] {
  const letter = /^([A-Za-z]):\\?$/.exec(drivePath)?.[1];
  if (letter === undefined) refuse(drivePath, 'expected a drive such as E:\\');
  const drive = `${letter.toUpperCase()}:`;
  const script = [
    `$item = (New-Object -comObject Shell.Application).Namespace(17).ParseName('${drive}')`,
    `if ($null -eq $item) { [Console]::Error.WriteLine('${drive} is not a drive of this PC'); exit 2 }`,
    `$item.InvokeVerb('Eject')`,
    `for ($i = 0; $i -lt 40 -and (Test-Path '${drive}\\'); $i++) { Start-Sleep -Milliseconds 250 }`,
    `if (Test-Path '${drive}\\') { [Console]::Error.WriteLine('${drive} is still in use'); exit 1 }`,
  ].join('; ');
  return [{ file: 'powershell.exe', args: ['-NoProfile', '-NonInteractive', '-Command', script] }];
}

/** The commands that remove `path` on `platform`; Linux needs lsblk's JSON and mountinfo. */
export function ejectCommands(platform: NodeJS.Platform, path: string, linux?: { lsblkJson: string | undefined; mounts: readonly MountEntry[] }): EjectCommand[] {
  switch (platform) {
    case 'linux':
      return linuxEjectCommands(path, linux?.lsblkJson, linux?.mounts ?? []);
    case 'darwin':
      return macEjectCommands(path);
    case 'win32':
      return windowsEjectCommands(path);
    default:
      return refuse(path, `ejecting drives is not supported on ${platform}; use the system's own "eject"`);
  }
}

/**
 * Safely removes the drive mounted at `path` (a DriveInfo path): flushes,
 * unmounts and powers it off. Fails with IO_ERROR naming the drive and what
 * to do (usually: close what is using it).
 */
export async function ejectDrive(path: string): Promise<void> {
  const linux = process.platform === 'linux' ? { lsblkJson: await runLsblk(), mounts: parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')) } : undefined;
  for (const command of ejectCommands(process.platform, path, linux)) {
    try {
      await promisify(execFile)(command.file, command.args, { timeout: EJECT_TIMEOUT_MS, windowsHide: true });
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string };
      const argv = [command.file, ...command.args];
      if (failure.code === 'ENOENT') {
        refuse(path, `${command.file} is not installed${command.file === 'udisksctl' ? ' (package udisks2)' : ''}; remove the drive with the file manager's eject button instead`, { command: argv });
      }
      const said = (failure.stderr ?? '').trim().split('\n').slice(-2).join(' ').slice(0, 300) || failure.message;
      throw new FerryError('IO_ERROR', `cannot safely remove ${path}: ${said}; ${WHAT_TO_DO}`, { path, command: argv }, { cause: error });
    }
  }
}
