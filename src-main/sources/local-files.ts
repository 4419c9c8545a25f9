/**
 * The image-set sections that carry non-image content as OCI artifacts:
 * `files:` (a local file, a folder, or a URL downloaded on the connected side)
 * and `packageRepositories:` (a folder holding a Debian or RPM repository,
 * packed into one deterministic tar). Each entry becomes one LocalArtifact;
 * the export engine hashes the files and builds the manifests. Folders are
 * walked without following a symlink out of them.
 */
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, sep } from 'node:path';
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { FILES_ARTIFACT_TYPE, PACKAGE_REPOSITORY_ARTIFACT_TYPE } from '../../src-shared/model/content-kind.ts';
import { EMPTY_CONFIG, type LocalArtifact } from '../oci/local-artifact.ts';
import { redactUrl } from '../oci/registry/errors.ts';
import { closeHttpConnections, downloadToFile } from './http-download.ts';
import type { FileEntry, PackageRepositoryEntry } from './image-set-schema.ts';
import type { ResolveContext, ResolvedSection } from './types.ts';

/** What a `files:` layer is typed when the entry names no mediaType: bytes as they are. */
export const FILE_LAYER_TYPE = 'application/octet-stream';
/** The layer media type of a package repository: an uncompressed tar (packages are compressed already). */
export const TAR_LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar';
/** Largest `files:` download (a DVD image fits); anything bigger is refused mid-stream rather than filling the staging disk. Fetch it yourself and give `path:`. */
export const FILE_DOWNLOAD_LIMIT = 8 * 1024 ** 3;
/** The manifest annotation naming a package repository's kind (`apt` or `rpm`). */
export const PACKAGE_KIND_ANNOTATION = 'io.ferry.package-repository.kind';

/** One regular file of a walked folder: where its bytes are, and its path inside the folder (`/`-separated). */
interface FolderFile {
  file: string;
  relative: string;
}

/** An entry's path, relative to the set file's folder unless absolute. */
function located(path: string, context: ResolveContext): string {
  return isAbsolute(path) ? path : join(context.baseDir, path);
}

/** The folder resolvers write downloads and packed repositories into; the export use case makes it and removes it. */
function staging(context: ResolveContext): string {
  if (context.staging === undefined) throw new FerryError('INTERNAL', 'no staging folder was given to the image set resolvers');
  return context.staging;
}

/**
 * Every regular file under `root`, sorted by path (code-point order, so the
 * same folder always gives the same artifact). A symlink is followed only when
 * it stays inside the folder and points at a regular file; anything else
 * that is not a file or folder is refused by name.
 */
export async function walkFolder(root: string, what: string): Promise<FolderFile[]> {
  const top = await realpath(root);
  const inside = (path: string): boolean => path === top || path.startsWith(`${top}${sep}`);
  const out: FolderFile[] = [];
  const pending = [''];
  for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) {
    const entries = await readdir(join(top, folder), { withFileTypes: true });
    for (const entry of entries) {
      const rel = folder === '' ? entry.name : `${folder}/${entry.name}`;
      const path = join(top, rel);
      if (entry.isDirectory()) {
        pending.push(rel);
      } else if (entry.isFile()) {
        out.push({ file: path, relative: rel });
      } else if (entry.isSymbolicLink()) {
        const target = await realpath(path).catch(() => undefined);
        if (target === undefined || !inside(target)) throw new FerryError('INVALID_CONTENT', `${what}: ${rel} is a symlink leading out of ${root}; copy the file in instead`, { path });
        if (!(await stat(target)).isFile()) throw new FerryError('INVALID_CONTENT', `${what}: ${rel} is a symlink to a folder, which is not followed`, { path });
        out.push({ file: target, relative: rel });
      } else {
        throw new FerryError('INVALID_CONTENT', `${what}: ${rel} is neither a file nor a folder`, { path });
      }
    }
  }
  return out.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

/** The file name a URL's download gets: its last path segment, which must be a plain name. */
function downloadName(url: URL, given: string | undefined): string {
  const name = given ?? decodeURIComponent(url.pathname.split('/').at(-1) ?? '');
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\')) {
    throw new FerryError('INVALID_ARGUMENT', `${redactUrl(url.href)}: cannot take a file name from the URL; give the entry a name:`, { url: redactUrl(url.href) });
  }
  return name;
}

/**
 * Downloads a URL into the staging folder through the one HTTP download of the
 * connected side (the job's TLS trust, redirects by hand and never https →
 * http, a byte cap), then refuses a sha256 that does not match.
 */
async function download(entry: FileEntry & { url: string }, context: ResolveContext, index: number): Promise<{ file: string; title: string }> {
  const url = new URL(entry.url);
  const title = downloadName(url, entry.name);
  const file = join(staging(context), `download-${index}`);
  const shown = redactUrl(url.href);
  const { digest } = await downloadToFile(context.registries, url, file, { subject: `files: ${shown}`, limit: FILE_DOWNLOAD_LIMIT, signal: context.signal });
  const actual = digest.slice('sha256:'.length);
  if (entry.sha256 !== undefined && actual !== entry.sha256) {
    await rm(file, { force: true });
    throw new FerryError('DIGEST_MISMATCH', `${shown}: downloaded content has sha256 ${actual}, the image set expects ${entry.sha256}`, { url: shown, expected: entry.sha256, actual });
  }
  return { file, title };
}

/** Resolves `files:` into one artifact per entry: a file is one layer, a folder one layer per file (titled by its path inside the folder). */
export async function resolveFiles(entries: readonly FileEntry[], context: ResolveContext): Promise<ResolvedSection> {
  try {
    return await resolveFileEntries(entries, context);
  } finally {
    await closeHttpConnections(context.registries);
  }
}

async function resolveFileEntries(entries: readonly FileEntry[], context: ResolveContext): Promise<ResolvedSection> {
  const artifacts: LocalArtifact[] = [];
  for (const [index, entry] of entries.entries()) {
    let layers: Array<{ file: string; title: string }>;
    let source: string;
    if (entry.url !== undefined) {
      layers = [await download({ ...entry, url: entry.url }, context, index)];
      // Recorded in ferry.json and shown in the plan: no query (signed URLs carry their secret there), no login.
      source = redactUrl(entry.url);
    } else {
      const path = located(entry.path ?? '', context);
      source = `file:${entry.path ?? ''}`;
      const facts = await stat(path).catch(() => undefined);
      if (!facts) throw new FerryError('INVALID_ARGUMENT', `files: ${path} does not exist`, { path });
      if (facts.isDirectory()) layers = (await walkFolder(path, `files: ${path}`)).map((f) => ({ file: f.file, title: f.relative }));
      else if (facts.isFile()) layers = [{ file: path, title: basename(path) }];
      else throw new FerryError('INVALID_ARGUMENT', `files: ${path} is neither a file nor a folder`, { path });
      if (layers.length === 0) throw new FerryError('INVALID_ARGUMENT', `files: ${path} holds no file`, { path });
    }
    const mediaType = entry.mediaType ?? FILE_LAYER_TYPE;
    artifacts.push({
      source,
      target: entry.target,
      section: 'files',
      artifactType: entry.artifactType ?? FILES_ARTIFACT_TYPE,
      config: EMPTY_CONFIG,
      layers: layers.map((layer) => ({ mediaType, file: layer.file, title: layer.title })),
    });
  }
  return { images: [], notes: [], artifacts };
}

/** Which kind of repository a folder holds, from the files apt and dnf read first; undefined when neither is there. */
function repositoryKind(files: readonly FolderFile[]): 'apt' | 'rpm' | undefined {
  const names = files.map((f) => f.relative);
  if (names.some((n) => n === 'repodata/repomd.xml' || n.endsWith('/repodata/repomd.xml'))) return 'rpm';
  if (names.some((n) => /(^|\/)(Packages(\.gz|\.xz)?|Release|InRelease)$/.test(n))) return 'apt';
  return undefined;
}

/**
 * Packs a folder into a deterministic tar in the staging folder: entries under
 * `<folder name>/`, sorted, regular files and folders only, mode 0644/0755,
 * owner 0, time 0, so the same folder always gives the same digest.
 */
async function packFolder(root: string, name: string, files: readonly FolderFile[], into: string): Promise<void> {
  const pack = tarStream.pack();
  const handle = await open(into, 'wx');
  const written = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) await handle.write(chunk);
  })();
  try {
    const folders = new Set<string>();
    const header = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' };
    const addFolder = (path: string): void => {
      if (folders.has(path)) return;
      const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : undefined;
      if (parent !== undefined) addFolder(parent);
      folders.add(path);
      pack.entry({ ...header, name: `${path}/`, type: 'directory', mode: 0o755 });
    };
    addFolder(name);
    for (const file of files) {
      const path = `${name}/${file.relative}`;
      addFolder(path.slice(0, path.lastIndexOf('/')));
      const size = (await lstat(file.file)).size;
      const entry = pack.entry({ ...header, name: path, type: 'file', mode: 0o644, size });
      for await (const chunk of createReadStream(file.file) as AsyncIterable<Buffer>) {
        if (!entry.write(chunk)) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
      }
      await new Promise<void>((resolve, reject) => {
        entry.once('error', reject);
        entry.end(() => resolve());
      });
    }
    pack.finalize();
    await written;
    await handle.sync();
  } catch (error) {
    pack.destroy();
    await written.catch(() => undefined);
    throw new FerryError('IO_ERROR', `packageRepositories: cannot pack ${root}: ${error instanceof Error ? error.message : String(error)}`, { path: root });
  } finally {
    await handle.close();
  }
}

/** Resolves `packageRepositories:` into one artifact per folder: one tar layer titled with the folder's name. */
export async function resolvePackageRepositories(entries: readonly PackageRepositoryEntry[], context: ResolveContext): Promise<ResolvedSection> {
  const artifacts: LocalArtifact[] = [];
  for (const [index, entry] of entries.entries()) {
    const root = located(entry.path, context);
    const facts = await stat(root).catch(() => undefined);
    if (!facts?.isDirectory()) throw new FerryError('INVALID_ARGUMENT', `packageRepositories: ${root} is not a folder`, { path: root });
    const what = `packageRepositories: ${root}`;
    const files = await walkFolder(root, what);
    const kind = entry.kind ?? repositoryKind(files);
    if (kind === undefined) {
      throw new FerryError('INVALID_CONTENT', `${what} holds no Debian repository (Packages, Release) nor RPM repository (repodata/repomd.xml); name its kind: apt or rpm to carry it anyway`, {
        path: root,
      });
    }
    const name = basename(await realpath(root));
    const tar = join(staging(context), `package-repository-${index}.tar`);
    await packFolder(root, name, files, tar);
    artifacts.push({
      source: `file:${entry.path}`,
      target: entry.target,
      section: 'packageRepositories',
      artifactType: PACKAGE_REPOSITORY_ARTIFACT_TYPE,
      config: EMPTY_CONFIG,
      layers: [{ mediaType: TAR_LAYER_TYPE, file: tar, title: name }],
      annotations: { [PACKAGE_KIND_ANNOTATION]: kind },
    });
  }
  const notes = artifacts.map((a) => `packageRepositories: ${a.source.slice('file:'.length)} (${a.annotations?.[PACKAGE_KIND_ANNOTATION] ?? ''}) → ${a.target.path}:${a.target.tag}`);
  return { images: [], notes, artifacts };
}
