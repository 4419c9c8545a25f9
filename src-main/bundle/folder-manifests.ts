/**
 * The manifests an export folder already holds, for a rerun: an export
 * resumed in its folder, or run again into a folder holding its finished
 * bundle, takes the manifests it wrote before from `blobs/sha256/` instead of
 * fetching them from the source again (each a manifest GET that Docker Hub
 * counts against its pull limit). Only a folder with Ferry's export journal
 * or ferry.json is read; the bytes are checked against their digests by
 * heldManifest (oci/held-manifests.ts) before anything trusts them.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FILES } from '../../src-shared/model/bundle.ts';
import { readBundleFileIfPresent } from '../base/safe-read.ts';
import { isDigest } from '../oci/digest.ts';
import type { HeldManifests } from '../oci/held-manifests.ts';
import { MANIFEST_SIZE_LIMIT } from '../oci/registry/manifests.ts';
import { EXPORT_STATE_FILE } from './export-state.ts';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A directory-form export folder's manifests as held manifests. */
export class FolderManifests implements HeldManifests {
  private constructor(private readonly dir: string) {}

  /** The folder's manifests, or undefined when it holds no Ferry export in directory form (nothing to take, and no HEADs worth sending). */
  static async open(dir: string): Promise<FolderManifests | undefined> {
    const ours = (await exists(join(dir, EXPORT_STATE_FILE))) || (await exists(join(dir, BUNDLE_FILES.manifest)));
    return ours && (await exists(join(dir, 'blobs', 'sha256'))) ? new FolderManifests(dir) : undefined;
  }

  /** The stored blob `digest` (a manifest is a blob in the layout), or undefined when absent, too large or unreadable. */
  async read(digest: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    if (!isDigest(digest) || !digest.startsWith('sha256:')) return undefined;
    try {
      return await readBundleFileIfPresent(this.dir, `blobs/sha256/${digest.slice('sha256:'.length)}`, { limit: MANIFEST_SIZE_LIMIT, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) throw error;
      // Anything odd about the file (a symlink, too large, unreadable) only means it is fetched from the source again.
      return undefined;
    }
  }
}
