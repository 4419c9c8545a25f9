/**
 * Writes the directory form: a plain OCI image layout that skopeo, oras and
 * crane read, with blobs moving concurrently across all images. ferry.json is
 * not written here: the exporter writes it last, after everything else is durable.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobProgress } from '../../src-shared/model/oci.ts';
import { Limiter } from '../base/limiter.ts';
import { copyBlob, type BlobRef, type BlobSource } from '../oci/blob-io.ts';
import { BlobDirectory, PARTIAL_SUFFIX } from './blob-directory.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { BUNDLE_FILES } from '../../src-shared/model/bundle.ts';
import { OCI_LAYOUT_CONTENT } from './layout.ts';

/** A blob's `active` progress is reported when it has moved at least this far (and at its end). */
export const PROGRESS_STEP_BYTES = 1024 * 1024;

/** What a form writer needs from the exporter: the content, where to read it, and where to report. */
export interface FormWriterContext {
  dir: string;
  /** Every blob and manifest the bundle stores, in the order they are written. */
  content: BlobRef[];
  indexJson: string;
  /** Where the content is read (the source registries, manifests from memory); every byte is verified on the way. */
  source: BlobSource;
  concurrency: number;
  report: (progress: BlobProgress) => void;
  signal?: AbortSignal;
  /**
   * Keep-going exports: told each blob whose copy failed; answering true means the exporter will leave out the
   * images that need it, so the directory writer copies the other blobs and returns without writing index.json
   * (the exporter plans again without them). The archive writer tells it too, then stops: its stream cannot skip an entry.
   */
  onBlobFailed?: (digest: string, error: unknown) => boolean;
}

/**
 * Writes every blob (skipping ones already complete), then `oci-layout` and `index.json`; answers false,
 * without writing index.json, when blobs failed that onBlobFailed took on.
 */
export async function writeDirectoryForm(context: FormWriterContext): Promise<boolean> {
  const store = new BlobDirectory(context.dir);
  await store.prepare();
  await writeFileDurable(join(context.dir, BUNDLE_FILES.ociLayout), OCI_LAYOUT_CONTENT);
  const limiter = new Limiter(context.concurrency);
  let leftOut = 0;
  const results = await Promise.allSettled(
    context.content.map((item) =>
      limiter.run(async () => {
        context.signal?.throwIfAborted();
        const total = item.size;
        let complete = 0;
        let reported = 0;
        const onPosition = (position: number): void => {
          complete = position;
          // Coalesced: an event per network chunk would cost more than the bytes it reports.
          if (position - reported < PROGRESS_STEP_BYTES && position !== total) return;
          reported = position;
          context.report({ digest: item.digest, state: 'active', complete, total });
        };
        if (await store.has(item)) {
          context.report({ digest: item.digest, state: 'skipped', complete: total, total });
          return;
        }
        context.report({ digest: item.digest, state: 'started', complete: 0, total });
        try {
          await copyBlob(item, context.source, store, { onPosition, ...(context.signal ? { signal: context.signal } : {}) });
        } catch (error) {
          context.report({ digest: item.digest, state: 'failed', complete, total });
          if (!context.signal?.aborted && context.onBlobFailed?.(item.digest, error) === true) {
            leftOut += 1;
            return;
          }
          throw error;
        }
        context.report({ digest: item.digest, state: 'finished', complete: total, total });
      }),
    ),
  );
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  if (leftOut > 0) return false;
  await removeUnlisted(store, new Set(context.content.map((item) => store.path(item.digest))));
  await store.syncFolder();
  await writeFileDurable(join(context.dir, BUNDLE_FILES.index), context.indexJson);
  return true;
}

/** Removes blob files an earlier, different export left behind, so the layout holds exactly what ferry.json lists. */
async function removeUnlisted(store: BlobDirectory, wanted: Set<string>): Promise<void> {
  for (const name of await readdir(store.dir)) {
    const path = join(store.dir, name);
    if (!wanted.has(path) && (/^[a-f0-9]{64}$/.test(name) || name.endsWith(PARTIAL_SUFFIX))) await rm(path, { force: true });
  }
}
