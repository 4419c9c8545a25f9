/**
 * Real mounts for media integration tests, as root on Debian: a tmpfs of a
 * given size and a FAT32 image mounted through FUSE (`fusefat`), because the
 * test kernel has no vfat module. Every failure throws with the reason, so a
 * test can never pass without the mount it asked for.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hasCommand } from './system-deps.ts';

const run = promisify(execFile);

/** Mounting and unmounting are quick; this only stops a hung FUSE daemon from hanging the suite. */
const COMMAND_TIMEOUT_MS = 30_000;

/** A mounted test file system; unmount() is idempotent and also runs when the worker exits. */
export interface TestMount {
  dir: string;
  unmount(): Promise<void>;
}

/** A tmpfs that can also be flipped to read-only, for the "not writable" case. */
export interface TmpfsMount extends TestMount {
  remountReadOnly(): Promise<void>;
}

/** Mounts still in place: the unmount command and the temp folder to remove, so a crashed test leaves nothing behind. */
const live = new Map<string, { command: string[]; folder: string }>();
let exitHookInstalled = false;

function unmountAllSync(): void {
  for (const [dir, { command, folder }] of live) {
    const [file, ...args] = command;
    try {
      if (file !== undefined) execFileSync(file, args, { stdio: 'ignore' });
    } catch {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      } catch {
        // Still mounted: leave the folder alone rather than delete through the mount.
        continue;
      }
    }
    rmSync(folder, { recursive: true, force: true });
  }
  live.clear();
}

function trackMount(dir: string, command: string[], folder: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', unmountAllSync);
  }
  live.set(dir, { command, folder });
}

function requireRoot(what: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(`${what} needs root (real mounts); run the media integration tests as root`);
  }
}

function requireCommand(command: string, debianPackage: string): void {
  if (!hasCommand(command)) throw new Error(`${command} is not installed: apt-get install ${debianPackage}`);
}

async function exec(what: string, file: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(file, args, { timeout: COMMAND_TIMEOUT_MS });
    return stdout;
  } catch (error) {
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr).trim() : '';
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${what}: \`${file} ${args.join(' ')}\` failed: ${stderr === '' ? message : stderr}`, { cause: error });
  }
}

/** The fstype mountinfo lists for `dir`, so a helper can prove the mount it made is really there. */
async function mountedType(dir: string): Promise<string | undefined> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  let found: string | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator > 0 && fields[4] === dir) found = fields[separator + 1];
  }
  return found;
}

async function expectMounted(what: string, dir: string, fsType: string): Promise<void> {
  const type = await mountedType(dir);
  if (type !== fsType) throw new Error(`${what}: expected a ${fsType} mount at ${dir}, found ${type ?? 'nothing'}`);
}

/**
 * Runs fusefat with its output in a log file: the daemon it leaves behind
 * keeps writing debug lines to the stdio it inherited, so a pipe (execFile)
 * would never close and the call would hang.
 */
async function startFusefat(image: string, dir: string, logFile: string): Promise<void> {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn('fusefat', ['-o', 'rw+', image, dir], { stdio: ['ignore', log, log] });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`mountFat32: fusefat did not return within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`mountFat32: cannot run fusefat: ${error.message}`, { cause: error }));
      });
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    if (code !== 0) {
      const output = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`mountFat32: \`fusefat -o rw+ ${image} ${dir}\` exited with ${String(code)}: ${output.trim()}`);
    }
  } finally {
    closeSync(log);
  }
}

/** Mounts a real tmpfs of `sizeBytes` on a fresh temp folder: a file system with exact, known free space. */
export async function mountTmpfs(sizeBytes: number): Promise<TmpfsMount> {
  requireRoot('mountTmpfs');
  requireCommand('mount', 'mount');
  const dir = await mkdtemp(join(tmpdir(), 'ferry-tmpfs-'));
  try {
    await exec('mountTmpfs', 'mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir]);
    await expectMounted('mountTmpfs', dir, 'tmpfs');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  trackMount(dir, ['umount', dir], dir);
  let mounted = true;
  return {
    dir,
    async remountReadOnly() {
      await exec('remountReadOnly', 'mount', ['-o', 'remount,ro', dir]);
    },
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await exec('unmount tmpfs', 'umount', [dir]);
      live.delete(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Formats a FAT32 image of `sizeBytes` and mounts it read-write with
 * fusefat, the way a USB stick looks to Ferry on a machine without the vfat
 * kernel module.
 */
export async function mountFat32(sizeBytes: number): Promise<TestMount> {
  requireRoot('mountFat32');
  requireCommand('truncate', 'coreutils');
  requireCommand('mkfs.vfat', 'dosfstools');
  requireCommand('fusefat', 'fusefat');
  requireCommand('fusermount', 'fuse');
  const base = await mkdtemp(join(tmpdir(), 'ferry-fat32-'));
  const image = join(base, 'fat32.img');
  const dir = join(base, 'mnt');
  try {
    await mkdir(dir);
    await exec('mountFat32', 'truncate', ['-s', String(sizeBytes), image]);
    // No volume label (-n): fusefat lists the label's directory entry as a file.
    await exec('mountFat32', 'mkfs.vfat', ['-F', '32', image]);
    await startFusefat(image, dir, join(base, 'fusefat.log'));
    await expectMounted('mountFat32', dir, 'fuse.fusefat');
  } catch (error) {
    if ((await mountedType(dir)) !== undefined) await run('fusermount', ['-u', dir]).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
    throw error;
  }
  trackMount(dir, ['fusermount', '-u', dir], base);
  let mounted = true;
  return {
    dir,
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await exec('unmount fat32', 'fusermount', ['-u', dir]);
      live.delete(dir);
      await rm(base, { recursive: true, force: true });
    },
  };
}
