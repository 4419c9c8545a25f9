/**
 * Verifying a blob file through a keeper's copy (VerifyOptions.keepBlob with
 * BlobKeeper.copyFrom): the store import copies a large blob file whole into
 * its store, the kernel moving the bytes without a pass through the process,
 * and this pass then reads the copy (from the page cache) through the same
 * digest and size check as any blob. The bytes checked are the bytes kept,
 * so a bundle file that changes meanwhile cannot slip anything past the
 * check. Only a content mismatch is reported from here; anything else (the
 * file cannot be opened, the keeper does not copy it, the copy cannot be
 * read) hands the blob back to the streamed path, which tells the bundle's
 * faults from the keeper's as it always has.
 */
import type { ErrorCode, FerryError } from '../../src-shared/errors.ts';
import { Limiter } from '../base/limiter.ts';
import { openBundleFile, type SafeFile } from '../base/safe-file.ts';
import { asBuffer, CheckingSink, copyBlob, isContentMismatch, type BlobSource } from '../oci/blob-io.ts';
import { ManifestCollector, type BlobFacts } from './bundle-graph.ts';
import { throwIfCancelled, type BlobKeeper, type KeptCopy, type VerifyOptions } from './verify-report.ts';

/** Copies made and not yet checked, at most: the next file is copied while one is checked, and the copies never run far ahead of the checks (their pages are still cached when read). */
const COPIES_AHEAD = 3;

/** The turns of copied blobs within one verification pass (see COPIES_AHEAD). */
export class CopyChecks extends Limiter {
  constructor() {
    super(COPIES_AHEAD);
  }
}

/** One blob file of the bundle: its digest, its name under the bundle root, and the size ferry.json gives. */
interface BlobFileRef {
  digest: string;
  relative: string;
  size: number;
}

/** What checking the copy gave: the bytes read and, for a copy that did not match, the problem for the blobs check. */
interface CopyOutcome {
  bytes: number;
  failure?: { message: string; code: ErrorCode };
}

/** Opens the bundle file and has the keeper copy it; undefined when either does not happen (the streamed path then reports why, if it is the bundle's fault). */
async function copyOf(dir: string, file: BlobFileRef, keeper: BlobKeeper, facts: BlobFacts, signal: AbortSignal | undefined): Promise<KeptCopy | undefined> {
  let opened: SafeFile;
  try {
    opened = await openBundleFile(dir, file.relative, signal ? { signal } : {});
  } catch {
    throwIfCancelled(signal);
    return undefined;
  }
  try {
    // A file whose size is not the listed one is streamed: the check then stops at the first byte too many.
    if (opened.size !== file.size) return undefined;
    const copy = await keeper.copyFrom?.(opened, signal).catch(() => undefined);
    if (copy !== undefined) facts.present.set(file.digest, opened.size);
    return copy;
  } finally {
    await opened.handle.close().catch(() => undefined);
  }
}

/**
 * Checks one blob file through the keeper's copy of it; undefined when the
 * blob must be streamed instead (see the module comment). A copy that does
 * not match is removed and reported as the bundle's blob being damaged.
 */
export async function verifyThroughCopy(
  dir: string,
  file: BlobFileRef,
  keeper: BlobKeeper,
  facts: BlobFacts,
  options: VerifyOptions,
  turns: { media: Limiter; checks: CopyChecks },
): Promise<CopyOutcome | undefined> {
  if (keeper.copyFrom === undefined) return undefined;
  const { signal } = options;
  return turns.checks.run(async () => {
    const copy = await turns.media.run(async () => {
      throwIfCancelled(signal);
      return copyOf(dir, file, keeper, facts, signal);
    });
    return copy && checkCopy(file, copy, facts, options);
  });
}

/** Reads a copy through the digest and size check (and the manifest collector); see verifyThroughCopy. */
async function checkCopy(file: BlobFileRef, copy: KeptCopy, facts: BlobFacts, options: VerifyOptions): Promise<CopyOutcome | undefined> {
  const { digest, size } = file;
  const { signal } = options;
  const collector = new ManifestCollector(size);
  let read = 0;
  const source: BlobSource = {
    describe: () => `blob ${digest}`,
    open: async function* () {
      for await (const chunk of copy.bytes()) {
        throwIfCancelled(signal);
        read += chunk.byteLength;
        options.onBytes?.(chunk.byteLength);
        yield chunk;
      }
    },
  };
  try {
    await copyBlob({ digest, size }, source, new CheckingSink((chunk) => collector.update(asBuffer(chunk))), signal ? { signal } : {});
  } catch (error) {
    await copy.settle(false);
    throwIfCancelled(signal);
    if (!isContentMismatch(error)) return undefined;
    const { message, code } = error as FerryError;
    facts.damaged.add(digest);
    return { bytes: read, failure: { message, code } };
  }
  await copy.settle(true);
  const manifest = collector.result();
  if (manifest) facts.manifests.set(digest, manifest);
  return { bytes: read };
}
