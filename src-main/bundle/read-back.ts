/**
 * Reads a bundle back from the media and checks every byte against
 * ferry.json: part sizes and sha256s, every blob's size and digest, tar
 * safety, the files in the folder and the graph. `ferry export --verify` runs
 * it right after writing. It is a thin wrapper over verifyBundle (verify.ts),
 * which reports every problem; this throws the first one instead.
 */
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import type { VerifiedBundle } from './bundle-view.ts';
import { verifyBundleDetailed } from './verify.ts';
import type { VerifyCheckId } from './verify-report.ts';

/**
 * Which problem readBack throws when several checks fail: the most basic
 * cause first (a damaged part explains a damaged blob; a refused tar entry
 * explains a missing index.json).
 */
const FIRST_PROBLEM_ORDER: readonly VerifyCheckId[] = ['schema', 'parts', 'tar-safety', 'files', 'blobs', 'graph'];

/** What the read-back covered. */
export interface ReadBackResult {
  manifest: BundleManifest;
  /** What the read-back verified: the ferry.json bytes (and their digest) now on the media. */
  view: VerifiedBundle;
  blobs: number;
  bytes: number;
}

/** Checks every byte of a bundle against its ferry.json; throws naming the first part, blob or file that is wrong. */
export async function readBack(dir: string, onBytes?: (bytes: number) => void, signal?: AbortSignal): Promise<ReadBackResult> {
  const { report, manifest, recorder, view } = await verifyBundleDetailed(dir, { ...(onBytes ? { onBytes } : {}), ...(signal ? { signal } : {}) });
  const failure = recorder.firstError(FIRST_PROBLEM_ORDER);
  if (failure) throw failure;
  if (!manifest || !view) {
    // A plain OCI layout verifies, but it is not a Ferry bundle: without ferry.json nothing vouches for it.
    throw new FerryError('BUNDLE_INVALID', `${dir} has no ${BUNDLE_FILES.manifest}: it is not a finished bundle (an export may have stopped early; run it again to finish)`, {
      path: join(dir, BUNDLE_FILES.manifest),
    });
  }
  return { manifest, view, blobs: manifest.blobs.length, bytes: report.bytes };
}
