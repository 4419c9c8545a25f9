/**
 * The app's own file picker and bundle finder. Browser mode has no native
 * open dialog that can hand the engine a path (a browser only gives the page
 * a file's bytes, never where it is), so the wizards browse folders through
 * the engine: `files:list` lists one folder, `files:mkdir` makes one (the
 * picker's "New folder"), `bundles:find` looks on drives
 * for bundles and OCI layouts so the import wizard can offer them. Listing
 * and finding only read names and ferry.json; nothing is trusted before the verify step.
 */
import type { Dirent } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { FolderListing, FoundBundle } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { readBundleManifestIfPresent } from '../bundle/bundle-manifest.ts';
import { entryKind } from '../base/safe-file.ts';

/** A folder with more entries than this is cut, with `truncated` set, so one call stays small. */
const MAX_ENTRIES = 2_000;
/** How deep below a drive's root bundles are looked for: the root, its folders, and theirs. */
const FIND_DEPTH = 2;
/** Folders looked into per drive, so a drive with a huge tree cannot stall the wizard. */
const FIND_FOLDER_BUDGET = 500;

function errnoMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)';
  if (code === 'ENOTDIR') return 'is not a folder';
  return (error as Error).message;
}

/** Longest folder name most file systems take (ext4, NTFS, FAT32 long names: 255). */
const MAX_NAME = 255;

function folderNameProblem(name: string): string | undefined {
  if (name === '') return 'type a name for the new folder';
  if (name === '.' || name === '..') return `"${name}" is not a folder name`;
  if (/[/\\]/.test(name)) return 'a folder name cannot hold / or \\; make one folder at a time';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a folder name cannot hold control characters';
  if (name.length > MAX_NAME) return `a folder name is at most ${MAX_NAME} characters`;
  return undefined;
}

/**
 * files:mkdir — makes one new folder `name` inside the existing folder
 * `parent`, as a system dialog's "New folder" does. `name` is one plain name:
 * no separator, not `.` or `..`, no control characters, so the call can never
 * reach outside `parent` or make more than one folder. An existing name is
 * refused, naming it, rather than silently reused.
 */
export async function makeFolder(parent: string, name: string): Promise<{ path: string }> {
  const trimmed = name.trim();
  const problem = folderNameProblem(trimmed);
  if (problem !== undefined) throw new FerryError('INVALID_ARGUMENT', `Name of the new folder: ${problem}`, { field: 'name' });
  const expanded = parent.trim().replace(/^~(?=$|\/)/, homedir());
  // A relative folder would be resolved against the process's working folder (/ in the desktop app): refuse it.
  if (!isAbsolute(expanded)) throw new FerryError('INVALID_ARGUMENT', `give the folder to make the new folder in as a full path, not ${parent}`, { field: 'parent' });
  const folder = resolve(expanded);
  const path = join(folder, trimmed);
  try {
    await mkdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new FerryError('INVALID_ARGUMENT', `Name of the new folder: ${path} already exists; choose another name`, { field: 'name', path });
    throw new FerryError('IO_ERROR', `the folder ${path} could not be made: the folder ${folder} ${errnoMessage(error)}`, { path });
  }
  return { path };
}

/**
 * files:list — the folders and files of `path` (default: the home folder),
 * folders first, hidden names left out. Sizes come from one stat per file.
 */
export async function listFolder(path: string | undefined): Promise<FolderListing> {
  const folder = resolve(path === undefined || path.trim() === '' ? homedir() : path.trim().replace(/^~(?=$|\/)/, homedir()));
  let names: Dirent[];
  try {
    names = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new FerryError('NOT_FOUND', `the folder ${folder} ${errnoMessage(error)}`, { path: folder });
  }
  const visible = names.filter((entry) => !entry.name.startsWith('.')).sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || a.name.localeCompare(b.name));
  const shown = visible.slice(0, MAX_ENTRIES);
  const entries = await Promise.all(
    shown.map(async (entry) => {
      const full = join(folder, entry.name);
      // Symbolic links are followed for their kind, as a file dialog does; a dangling one is shown as a file that cannot be opened.
      const info = entry.isSymbolicLink() ? await stat(full).catch(() => undefined) : undefined;
      const isFolder = entry.isDirectory() || info?.isDirectory() === true;
      const size = isFolder ? null : ((info ?? (await stat(full).catch(() => undefined)))?.size ?? null);
      return { name: entry.name, path: full, kind: isFolder ? ('folder' as const) : ('file' as const), size };
    }),
  );
  const parent = dirname(folder);
  return { path: folder, parent: parent === folder ? null : parent, entries, truncated: visible.length > shown.length };
}

/** The kind of `name` in `folder` from lstat alone (nothing is opened or followed), or undefined when it is missing or cannot be looked at. */
async function kindIn(folder: string, name: string): Promise<string | undefined> {
  return (await entryKind(folder, name).catch(() => undefined))?.kind;
}

/**
 * What `folder` holds: a Ferry bundle (with its summary), a plain OCI layout,
 * or neither. A ferry.json or oci-layout that is not a regular file (a FIFO,
 * device, socket or symlink) is skipped without being opened, so the finder,
 * which runs by itself when the import wizard opens, can never block on one.
 */
async function bundleAt(folder: string, drive: string | null): Promise<FoundBundle | undefined> {
  const [ferryJson, ociLayout] = await Promise.all([kindIn(folder, BUNDLE_FILES.manifest), kindIn(folder, BUNDLE_FILES.ociLayout)]);
  if (ferryJson !== undefined && ferryJson !== 'file') return undefined;
  let manifest: BundleManifest | undefined;
  try {
    manifest = ferryJson === 'file' ? await readBundleManifestIfPresent(folder) : undefined;
  } catch (error) {
    return { path: folder, drive, kind: 'ferry', problem: `ferry.json cannot be read: ${(error as Error).message}` };
  }
  if (manifest !== undefined) {
    return {
      path: folder,
      drive,
      kind: 'ferry',
      bundleId: manifest.bundleId,
      created: manifest.created,
      sequence: manifest.sequence,
      form: manifest.form,
      images: manifest.images.length,
      bytes: manifest.blobs.reduce((sum, blob) => sum + blob.size, 0),
      problem: null,
    };
  }
  return ociLayout === 'file' ? { path: folder, drive, kind: 'oci-layout', problem: null } : undefined;
}

/**
 * bundles:find — bundles and OCI layouts at most FIND_DEPTH folders below
 * each root (a drive's mount point, or a folder the user names), found by
 * their ferry.json or oci-layout file. A bundle's own folders are not
 * searched further, and hidden folders are skipped.
 */
export async function findBundles(roots: Array<{ path: string; drive: string | null }>): Promise<FoundBundle[]> {
  const found: FoundBundle[] = [];
  for (const root of roots) {
    let budget = FIND_FOLDER_BUDGET;
    const queue: Array<{ folder: string; depth: number }> = [{ folder: resolve(root.path), depth: 0 }];
    while (queue.length > 0 && budget > 0) {
      const next = queue.shift();
      if (next === undefined) break;
      budget--;
      const bundle = await bundleAt(next.folder, root.drive);
      if (bundle) {
        found.push(bundle);
        continue;
      }
      if (next.depth >= FIND_DEPTH) continue;
      const children = await readdir(next.folder, { withFileTypes: true }).catch(() => []);
      for (const child of children) {
        if (child.isDirectory() && !child.name.startsWith('.')) queue.push({ folder: join(next.folder, child.name), depth: next.depth + 1 });
      }
    }
  }
  // Newest first, bundles without a date (layouts, unreadable ones) last.
  return found.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.path.localeCompare(b.path));
}
