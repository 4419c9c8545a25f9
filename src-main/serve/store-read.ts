/**
 * The read side of a store folder's repositories (layout in store.ts):
 * listing repositories, tags and referrers, and reading a manifest with the
 * media type it was pushed with. Names on disk that are not ones the store
 * writes (temp files a kill left, stray files) are skipped, never served.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { DescriptorSchema } from '../../src-shared/schemas/oci.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';
import { digestOfLinkName, isTagName, listFolder, type StoreLayout } from './store-layout.ts';
import type { StoredManifest } from './storage.ts';

/** A file's text, or undefined when it does not exist. */
async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw ioError('read', path, error);
  }
}

/** True when a path is a regular file (a link, a tag, a revision): the one existence check of the store's files. */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
    throw ioError('read', path, error);
  }
}

/** True when the repository has this manifest (its revision link exists). */
export function revisionExists(layout: StoreLayout, repository: string, digest: string): Promise<boolean> {
  return isFile(layout.revisionLink(repository, digest));
}

/** A manifest of a repository by digest: its exact bytes and the media type it was pushed with; undefined when the repository lacks it. */
export async function readRevision(layout: StoreLayout, repository: string, digest: string): Promise<StoredManifest | undefined> {
  const link = await readIfPresent(layout.revisionLink(repository, digest));
  if (link === undefined) return undefined;
  const { mediaType } = JSON.parse(link) as { mediaType: string };
  const file = layout.blobFile(digest);
  const bytes = await readFile(file).catch((error: unknown) => {
    // A link without its content can only come from someone editing the folder by hand.
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('read', file, error);
  });
  return bytes === undefined ? undefined : { digest, mediaType, bytes };
}

/** The tags of a repository sorted by code point, or undefined when it was never tagged (Distribution's NAME_UNKNOWN). */
export async function listTags(layout: StoreLayout, repository: string): Promise<string[] | undefined> {
  const folder = layout.tagsFolder(repository);
  if (
    !(await stat(folder).then(
      (info) => info.isDirectory(),
      () => false,
    ))
  )
    return undefined;
  const names = (await listFolder(folder)).filter(isTagName);
  const present = await Promise.all(names.map((tag) => isFile(layout.tagLink(repository, tag))));
  return names.filter((_, index) => present[index] === true).sort(byCodePoint);
}

/** The tags of a repository that point at a digest (deleted with it). */
export async function tagsPointingAt(layout: StoreLayout, repository: string, digest: string): Promise<string[]> {
  const tags = (await listTags(layout, repository)) ?? [];
  const targets = await Promise.all(tags.map(async (tag) => (await readIfPresent(layout.tagLink(repository, tag)))?.trim()));
  return tags.filter((_, index) => targets[index] === digest);
}

/** Every repository holding at least one manifest, sorted by code point. */
export function listRepositories(layout: StoreLayout): Promise<string[]> {
  return walkRepositories(layout, async (folder, names) => names.includes('_manifests') && (await hasRevision(join(folder, '_manifests', 'revisions'))));
}

/**
 * The repositories whose folder `accept` takes, sorted by code point: a
 * depth-first walk over the name components, where `_x` folders belong to the
 * repository above them. Bounded by the folder tree.
 */
async function walkRepositories(layout: StoreLayout, accept: (folder: string, names: string[]) => Promise<boolean>): Promise<string[]> {
  const found: string[] = [];
  const pending = [layout.repositoriesRoot];
  while (pending.length > 0) {
    const folder = pending.pop() as string;
    const names = await listFolder(folder);
    for (const name of names) if (!name.startsWith('_') && !name.startsWith('.')) pending.push(join(folder, name));
    if (await accept(folder, names)) found.push(layout.repositoryOf(folder));
  }
  return found.sort(byCodePoint);
}

/** True when a revisions folder holds at least one manifest link. */
async function hasRevision(folder: string): Promise<boolean> {
  for (const algorithm of await listFolder(folder)) {
    if ((await listFolder(join(folder, algorithm))).some((name) => /^[a-f0-9]{64,128}$/.test(name))) return true;
  }
  return false;
}

/** The referrers of a subject in a repository, as the referrers API lists them (by referrer digest). */
export async function listReferrers(layout: StoreLayout, repository: string, subject: string): Promise<Descriptor[]> {
  const folder = layout.referrersFolder(repository, subject);
  const names = (await listFolder(folder)).filter((name) => /^sha(256|512)-[a-f0-9]+$/.test(name)).sort(byCodePoint);
  const found: Descriptor[] = [];
  for (const name of names) {
    const text = await readIfPresent(join(folder, name));
    if (text === undefined) continue;
    const parsed = DescriptorSchema.safeParse(JSON.parse(text));
    // Still a manifest of the repository (a delete removes the entry first; this covers a kill in between).
    if (parsed.success && (await revisionExists(layout, repository, parsed.data.digest))) found.push(JSON.parse(text) as Descriptor);
  }
  return found;
}

/** Sorts strings by code point (the order `_catalog` and tag lists use), not by locale. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One file under `blobs/`: a committed blob (with its digest) or a leftover (a temp file a kill left, or a stray file). */
export interface BlobFileEntry {
  path: string;
  size: number;
  /** The digest the file's name spells; undefined for anything that is not a committed blob. */
  digest?: string;
}

/** Every file under `blobs/<alg>/<2 hex>/`, for gc and the store's size. */
export async function* blobFileEntries(layout: StoreLayout): AsyncGenerator<BlobFileEntry> {
  for (const algorithm of await listFolder(layout.blobsRoot)) {
    for (const prefix of await listFolder(join(layout.blobsRoot, algorithm))) {
      const folder = join(layout.blobsRoot, algorithm, prefix);
      for (const name of await listFolder(folder)) {
        const path = join(folder, name);
        const info = await stat(path).catch(() => undefined);
        if (info === undefined || !info.isFile()) continue;
        const digest = digestOfLinkName(algorithm, name);
        yield digest !== undefined && name.startsWith(prefix) ? { path, size: info.size, digest } : { path, size: info.size };
      }
    }
  }
}

/** Every repository folder that has anything (`_layers` or `_manifests`), manifests or not, for gc's mark phase. */
export function repositoryFolders(layout: StoreLayout): Promise<string[]> {
  return walkRepositories(layout, (_folder, names) => Promise.resolve(names.includes('_layers') || names.includes('_manifests')));
}
