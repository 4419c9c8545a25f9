/**
 * Opening the files of a bundle (or any folder Ferry did not write) safely.
 * A drive anyone could have touched may put a symlink, FIFO, device or socket
 * where a file belongs, or make `blobs` a symlink to a host folder. So every
 * path is resolved under the bundle root from a relative name (no `..`, no
 * absolute path, no NUL), every directory component below the root is checked
 * to be a real directory (lstat, never followed), the last component is
 * lstat-ed and refused unless it is a regular file — without opening it — and
 * only then opened with O_NOFOLLOW | O_NONBLOCK (so a swapped-in FIFO never
 * blocks the open and a swapped-in symlink fails), fstat-ed again and checked
 * to be the same file at the same real path. The readers over an opened file
 * (capped whole-file reads, streams) are in safe-read.ts.
 * Refusals name the relative path and what it is, never a byte of its content.
 */
import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, posix, win32 } from 'node:path';
import { FerryError, type ErrorCode } from '../../src-shared/errors.ts';
import { errnoCode } from './fs-errors.ts';

/** What a directory entry or path is, in the words refusals use. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'character-device' | 'block-device' | 'unknown';

/** How messages call each kind: "blobs/sha256 is a symbolic link". */
export const KIND_WORDS: Readonly<Record<EntryKind, string>> = {
  file: 'a regular file',
  directory: 'a directory',
  symlink: 'a symbolic link',
  fifo: 'a FIFO (named pipe)',
  socket: 'a socket',
  'character-device': 'a character device',
  'block-device': 'a block device',
  unknown: 'not a regular file',
};

/** Why a safe open refused, in `details.reason`, so a caller can tell a missing file from a hostile one. */
export type SafeFileProblem = 'missing' | 'bad-name' | 'symlink' | 'not-a-file' | 'not-a-directory' | 'too-large' | 'changed' | 'io' | 'cancelled';

/** Options every safe reader takes. */
export interface SafeFileOptions {
  /** Cancels between reads (a read already handed to the OS finishes first); the reader then throws CANCELLED. */
  signal?: AbortSignal;
  /** The code of a refusal that is the bundle's fault (a symlink, a FIFO, too large); BUNDLE_INVALID when not given. I/O failures are IO_ERROR. */
  code?: ErrorCode;
}

/** One entry of a safe directory listing: its name and kind, read from the directory without opening the entry. */
export interface SafeDirEntry {
  name: string;
  kind: EntryKind;
}

/** An opened regular file: its handle (the caller closes it), size at open, and the names errors use. */
export interface SafeFile {
  handle: FileHandle;
  /** Absolute path (under the real path of the root). */
  path: string;
  /** The relative name messages use, e.g. `blobs/sha256/ab…`. */
  relative: string;
  size: number;
}

/** Open flags: read only, never follow a final symlink (ELOOP), never block on a FIFO or device. Windows has neither flag: lstat checks stand alone there. */
const OPEN_FLAGS = constants.O_RDONLY | flagIfDefined('O_NOFOLLOW') | flagIfDefined('O_NONBLOCK');

/** A POSIX open flag, or 0 where the platform has none (Node leaves it out of fs.constants on Windows). */
function flagIfDefined(name: 'O_NOFOLLOW' | 'O_NONBLOCK'): number {
  return name in constants ? constants[name] : 0;
}

/** The kind of a Stats or Dirent, without following a symlink (pass lstat's Stats). */
export function kindOf(entry: Stats | Dirent): EntryKind {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice()) return 'character-device';
  if (entry.isBlockDevice()) return 'block-device';
  return 'unknown';
}

/** The problem a safe reader's error stands for, or undefined when it is no such error. */
export function safeFileProblem(error: unknown): SafeFileProblem | undefined {
  if (!(error instanceof FerryError)) return undefined;
  const reason = error.details?.safeFile;
  return typeof reason === 'string' ? (reason as SafeFileProblem) : undefined;
}

/** Shows a relative name safely: control characters escaped and cut short, so a hostile name cannot drive a terminal. */
export function shown(relative: string): string {
  const cut = relative.length > 160 ? `${relative.slice(0, 160)}…` : relative;
  return JSON.stringify(cut).slice(1, -1);
}

/** The FerryError of a refused path: names the file and relative path, and says why in `details.safeFile`. */
export function refusal(problem: SafeFileProblem, code: ErrorCode, root: string, relative: string, message: string, extra: Record<string, unknown> = {}, cause?: unknown): FerryError {
  const details = { file: join(root, relative), relative, safeFile: problem, ...extra };
  return new FerryError(code, message, details, cause === undefined ? undefined : { cause });
}

/** Throws CANCELLED (naming the file) once the signal has fired; readers call it between reads. */
export function throwIfAborted(signal: AbortSignal | undefined, root: string, relative: string): void {
  if (signal?.aborted) throw refusal('cancelled', 'CANCELLED', root, relative, `reading ${shown(relative)} in ${root} was cancelled`);
}

/**
 * The components of a bundle-relative name (`blobs/sha256/<hex>`), or a
 * refusal: empty, absolute, `.`/`..`, a backslash or NUL anywhere. Names come
 * from ferry.json or a listing on the media, so none may reach outside the root.
 */
export function bundleNameParts(relative: string, code: ErrorCode = 'BUNDLE_INVALID'): string[] {
  const bad = (why: string): never => {
    throw new FerryError(code, `the bundle names a file that is not allowed: "${shown(relative)}" (${why})`, { relative, safeFile: 'bad-name' });
  };
  if (relative === '') bad('an empty name');
  if (relative.includes('\0')) bad('a NUL character');
  if (relative.includes('\\')) bad('a backslash');
  if (isAbsolute(relative) || posix.isAbsolute(relative) || win32.isAbsolute(relative) || /^[A-Za-z]:/.test(relative)) bad('an absolute path');
  const parts = relative.split('/');
  for (const part of parts) {
    if (part === '') bad('an empty path component');
    if (part === '.' || part === '..') bad(`a "${part}" path component`);
  }
  return parts;
}

/**
 * How long a root's real path, and a folder found to be a real directory, are
 * taken as checked: a verification opens thousands of files under one folder
 * within this, and re-checking each folder for each file was most of its cost.
 * A root or folder swapped meanwhile is still caught where it matters: after
 * an open (openedAt: the opened file's real path must be the expected one) and
 * after a listing (the folder's own real path); an entryKind through it could
 * see a host file's kind and size, never its content.
 */
const CHECKED_FOR_MS = 2_000;
const checkedPaths = new Map<string, { value: string; at: number }>();

/** The value remembered under `key` if it was checked less than CHECKED_FOR_MS ago. */
function recentlyChecked(key: string): string | undefined {
  const kept = checkedPaths.get(key);
  return kept !== undefined && Date.now() - kept.at < CHECKED_FOR_MS ? kept.value : undefined;
}

/** Remembers a check's answer for CHECKED_FOR_MS (the map is bounded: it starts over past a few thousand keys). */
function rememberChecked(key: string, value: string): void {
  if (checkedPaths.size > 4096) checkedPaths.clear();
  checkedPaths.set(key, { value, at: Date.now() });
}

/**
 * The root's real path: the user chose the folder (it may sit under a
 * symlinked mount point); below it nothing is followed. Undefined when it
 * does not exist, so everything under it is simply missing.
 */
async function realRoot(root: string): Promise<string | undefined> {
  const kept = recentlyChecked(`root:${root}`);
  if (kept !== undefined) return kept;
  try {
    const real = await realpath(root);
    rememberChecked(`root:${root}`, real);
    return real;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw refusal('io', 'IO_ERROR', root, '.', `cannot read ${root}: ${errnoCode(error) ?? String(error)}`, { errno: errnoCode(error) }, error);
  }
}

/** lstat that reports a failure as a refusal naming the relative path; undefined when the path does not exist. */
async function lstatUnder(root: string, relative: string, code: ErrorCode): Promise<Stats | undefined> {
  try {
    return await lstat(join(root, ...relative.split('/')));
  } catch (error) {
    const errno = errnoCode(error);
    if (errno === 'ENOENT') return undefined;
    if (errno === 'ENOTDIR') throw refusal('not-a-directory', code, root, relative, `${shown(relative)} in ${root} cannot exist: a folder on its path is not a folder`, { errno }, error);
    throw refusal('io', 'IO_ERROR', root, relative, `cannot read ${shown(relative)} in ${root}: ${errno ?? String(error)}`, { errno }, error);
  }
}

/**
 * Checks the folders `folders[0]`, `folders[0]/folders[1]`, … below the
 * (real) root: each must exist and be a directory, never a symlink. Returns
 * the relative name of the first missing one, or undefined when all are there.
 * With `file`, that path is lstat-ed in the same round and its Stats returned
 * (undefined when missing). The lstats run at once — one round of the thread
 * pool instead of one per level, which is most of the cost of a small blob —
 * and are judged in path order, so the message names the first bad level.
 */
async function checkFolders(
  root: string,
  folders: string[],
  code: ErrorCode,
  signal: AbortSignal | undefined,
  relative: string,
  file?: string,
): Promise<{ missing: string } | { stats: Stats | undefined }> {
  throwIfAborted(signal, root, relative);
  const paths = folders.map((_, index) => folders.slice(0, index + 1).join('/'));
  const known = paths.map((path) => recentlyChecked(`dir:${join(root, path)}`) !== undefined);
  const found = await Promise.allSettled([...paths, ...(file === undefined ? [] : [file])].map((path, index) => (known[index] === true ? Promise.resolve(undefined) : lstatUnder(root, path, code))));
  for (const [index, folder] of paths.entries()) {
    const result = found[index];
    if (result === undefined) break;
    if (result.status === 'rejected') throw result.reason;
    if (known[index] === true) continue;
    const info = result.value;
    if (info === undefined) return { missing: folder };
    const kind = kindOf(info);
    if (kind === 'directory') rememberChecked(`dir:${join(root, folder)}`, '');
    else {
      throw refusal(
        kind === 'symlink' ? 'symlink' : 'not-a-directory',
        code,
        root,
        relative,
        `${shown(folder)} in ${root} is ${KIND_WORDS[kind]}, not a folder: ${shown(relative)} is not read through it`,
        { kind, folder },
      );
    }
  }
  const last = file === undefined ? undefined : found[paths.length];
  if (last?.status === 'rejected') throw last.reason;
  return { stats: last?.value };
}

/** What a bundle path is, found with lstat only (nothing is opened or followed); undefined when it (or a folder on its way) does not exist. */
export async function entryKind(root: string, relative: string, options: SafeFileOptions = {}): Promise<{ kind: EntryKind; size: number } | undefined> {
  const code = options.code ?? 'BUNDLE_INVALID';
  const parts = bundleNameParts(relative, code);
  const base = await realRoot(root);
  if (base === undefined) return undefined;
  const checked = await checkFolders(base, parts.slice(0, -1), code, options.signal, relative, relative);
  const info = 'stats' in checked ? checked.stats : undefined;
  return info === undefined ? undefined : { kind: kindOf(info), size: info.size };
}

/** Two real paths name the same place: exactly on Linux; ignoring case on macOS and Windows, whose usual file systems fold it (a folder renamed `Blobs` is still the folder). */
function samePath(real: string | undefined, expected: string): boolean {
  if (real === undefined) return false;
  return process.platform === 'linux' ? real === expected : real.toLowerCase() === expected.toLowerCase();
}

/**
 * True when the opened handle is the file at `path`: on Linux the kernel's own
 * name for the descriptor; elsewhere the real path of its folder (a folder
 * swapped for a symlink after the checks shows up in either).
 */
async function openedAt(handle: FileHandle, path: string, folder: string): Promise<boolean> {
  if (process.platform === 'linux') {
    const named = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
    if (named !== undefined) return named === path;
  }
  return samePath(await realpath(folder).catch(() => undefined), folder);
}

/**
 * Opens a regular file of a bundle for reading. Refuses (never opening it) a
 * name that is not allowed, a symlink at any level below the root, and
 * anything but a regular file; a missing file is a refusal with reason
 * `missing` (see openBundleFileIfPresent). The caller closes the handle.
 */
export async function openBundleFile(root: string, relative: string, options: SafeFileOptions = {}): Promise<SafeFile> {
  const code = options.code ?? 'BUNDLE_INVALID';
  const opened = await openBundleFileIfPresent(root, relative, options);
  if (opened === undefined) throw refusal('missing', code, root, relative, `${shown(relative)} is missing from ${root}`);
  return opened;
}

/** openBundleFile, but undefined when the file (or a folder on its way) does not exist. */
export async function openBundleFileIfPresent(root: string, relative: string, options: SafeFileOptions = {}): Promise<SafeFile | undefined> {
  const code = options.code ?? 'BUNDLE_INVALID';
  const { signal } = options;
  const parts = bundleNameParts(relative, code);
  const base = await realRoot(root);
  if (base === undefined) return undefined;
  const checked = await checkFolders(base, parts.slice(0, -1), code, signal, relative, relative);
  const before = 'stats' in checked ? checked.stats : undefined;
  if (before === undefined) return undefined;
  const kind = kindOf(before);
  if (kind !== 'file')
    throw refusal(kind === 'symlink' ? 'symlink' : 'not-a-file', code, base, relative, `${shown(relative)} in ${root} is ${KIND_WORDS[kind]}, not a regular file: it is not read`, { kind });
  throwIfAborted(signal, base, relative);
  const path = join(base, ...parts);
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    const errno = errnoCode(error);
    if (errno === 'ENOENT') return undefined;
    // ELOOP: the file became a symlink after the lstat above.
    if (errno === 'ELOOP') throw refusal('symlink', code, base, relative, `${shown(relative)} in ${root} is a symbolic link, not a regular file: it is not read`, { kind: 'symlink' }, error);
    throw refusal('io', 'IO_ERROR', base, relative, `cannot open ${shown(relative)} in ${root}: ${errno ?? String(error)}`, { errno }, error);
  }
  try {
    const folder = parts.length > 1 ? join(base, ...parts.slice(0, -1)) : base;
    const [info, sameFile] = await Promise.all([handle.stat(), openedAt(handle, path, folder)]);
    const now = kindOf(info);
    if (now !== 'file') throw refusal('not-a-file', code, base, relative, `${shown(relative)} in ${root} is ${KIND_WORDS[now]}, not a regular file: it is not read`, { kind: now });
    if (info.ino !== before.ino || info.dev !== before.dev || !sameFile) {
      // Checked afresh, a folder swapped for a symlink is named as such; otherwise the file itself changed.
      for (let depth = 1; depth < parts.length; depth += 1) checkedPaths.delete(`dir:${join(base, ...parts.slice(0, depth))}`);
      await checkFolders(base, parts.slice(0, -1), code, signal, relative);
      throw refusal('changed', code, base, relative, `${shown(relative)} in ${root} changed while it was being opened (a folder or the file was replaced): it is not read`);
    }
    return { handle, path, relative, size: info.size };
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof FerryError) throw error;
    throw refusal('io', 'IO_ERROR', base, relative, `cannot read ${shown(relative)} in ${root}: ${errnoCode(error) ?? String(error)}`, { errno: errnoCode(error) }, error);
  }
}

/**
 * The entries of a bundle folder (`''` for the root itself) with their kinds,
 * read from the directory alone: no entry is opened, stat-ed through a
 * symlink or followed. The folder and every folder above it (below the root)
 * must be real directories; undefined when it does not exist.
 */
export async function listBundleFolder(root: string, relative: string, options: SafeFileOptions = {}): Promise<SafeDirEntry[] | undefined> {
  const code = options.code ?? 'BUNDLE_INVALID';
  const base = await realRoot(root);
  if (base === undefined) return undefined;
  let path = base;
  if (relative !== '') {
    const parts = bundleNameParts(relative, code);
    if ('missing' in (await checkFolders(base, parts, code, options.signal, relative))) return undefined;
    path = join(base, ...parts);
  }
  throwIfAborted(options.signal, base, relative || '.');
  let entries: Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    const errno = errnoCode(error);
    if (errno === 'ENOENT') return undefined;
    if (errno === 'ENOTDIR') throw refusal('not-a-directory', code, base, relative || '.', `${shown(relative || root)} is not a folder`, { errno }, error);
    throw refusal('io', 'IO_ERROR', base, relative || '.', `cannot list ${shown(relative || root)}${relative ? ` in ${root}` : ''}: ${errno ?? String(error)}`, { errno }, error);
  }
  // The folder's own real path must still be where it was checked: a folder swapped for a symlink meanwhile would list another folder.
  if (relative !== '' && !samePath(await realpath(path).catch(() => undefined), path)) {
    throw refusal('changed', code, base, relative, `${shown(relative)} in ${root} changed while it was being listed (it was replaced): it is not read`);
  }
  return entries.map((entry) => ({ name: entry.name, kind: kindOf(entry) }));
}
