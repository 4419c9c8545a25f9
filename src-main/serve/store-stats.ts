/**
 * The numbers the app's start screen shows for its registry (`serve:status`):
 * how many repositories and images (tags) the store holds, and how many bytes
 * of content. Read without the lock, so it works while `ferry serve` runs.
 */
import { readFile } from 'node:fs/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';
import { listFolder, StoreLayout } from './store-layout.ts';
import { blobFileEntries, listRepositories, listTags } from './store-read.ts';

/** A store folder's size in the app's words. */
export interface StoreStats {
  /** Repositories holding at least one manifest. */
  repositories: number;
  /** Tags across all repositories (what a person calls images). */
  images: number;
  /** Bytes of committed blobs and manifests (shared content counted once). */
  bytes: number;
}

/** The stats of the store at `dir`: zeros when the folder does not exist yet, INVALID_ARGUMENT when it is something else. */
export async function storeStats(dir: string): Promise<StoreStats> {
  const layout = new StoreLayout(dir);
  const isStore = await readFile(layout.markerFile).then(
    () => true,
    (error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') throw ioError('read', layout.markerFile, error);
      return false;
    },
  );
  if (!isStore) {
    if ((await listFolder(dir)).length === 0) return { repositories: 0, images: 0, bytes: 0 };
    throw new FerryError('INVALID_ARGUMENT', `${dir} is not a Ferry registry store (no ferry-store.json)`, { path: dir });
  }
  const repositories = await listRepositories(layout);
  let images = 0;
  for (const repository of repositories) images += (await listTags(layout, repository))?.length ?? 0;
  let bytes = 0;
  for await (const entry of blobFileEntries(layout)) if (entry.digest !== undefined) bytes += entry.size;
  return { repositories: repositories.length, images, bytes };
}
