/**
 * `ferry import BUNDLE --to-store DIR`: an import straight into a `ferry
 * serve` store folder on a local disk, at disk speed — no HTTP, no upload
 * sessions, each blob read once from the bundle and written once into the
 * store (serve/store.ts putBlob: hashed as it is written, committed durably).
 *
 * It is the same job as an import into a registry (transfer/import.ts), in
 * the same order: the whole bundle is verified first and everything after
 * uses the verified view; the plan (transfer/import-plan.ts) decides where
 * each image lands, with `--to REGISTRY[/PREFIX]` giving the address clients
 * will use (its prefix places the images, as for any import); then blobs,
 * then child manifests, then indexes, each by digest, and tags last. A rerun
 * after a crash only links what the store already holds. The use case
 * around it (usecases/import.ts runImport) applies the site policy, writes
 * the receipt and the mirror configuration and records the catalog exactly
 * as for an import into a registry.
 *
 * The store serves the referrers API, so no `sha256-<hex>` fallback tag is
 * written. The store is opened read-write, which takes its `serve.lock`: a
 * `ferry serve` running on the same folder makes this refuse (import over
 * HTTP into the running server instead).
 */
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { FerryError } from '../../src-shared/errors.ts';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { ArchiveBlobs } from '../bundle/archive-blobs.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { copyBlob, isContentMismatch } from '../oci/blob-io.ts';
import { formatReference } from '../oci/reference.ts';
import type { RegistryStorage } from '../serve/storage.ts';
import type { StoreFolder } from '../serve/store.ts';
import type { BulkManifest, BulkTag, StoreBulkWriter } from '../serve/store-bulk.ts';
import { startImport, type ImportRequest, type ImportSummary } from '../transfer/import-start.ts';
import type { ImportImage, ImportPlan } from '../transfer/import-plan.ts';

/** A stream that fails when read: the content of a blob that must already be in the store (putBlob links it without reading). */
function mustBePresent(message: string, details: Record<string, unknown>): () => Readable {
  return () =>
    new Readable({
      read() {
        this.destroy(new FerryError('BUNDLE_INVALID', message, details));
      },
    });
}

/** Every blob of the plan with its descriptor and the repositories needing it. */
function blobsOf(plan: ImportPlan): Map<string, { blob: Descriptor; repositories: string[] }> {
  const blobs = new Map<string, { blob: Descriptor; repositories: string[] }>();
  for (const image of plan.images) {
    for (const blob of image.blobs) {
      const repositories = plan.blobRepositories.get(blob.digest);
      if (repositories) blobs.set(blob.digest, { blob, repositories });
    }
  }
  return blobs;
}

/**
 * Archive form: its parts are not blob files, so verification read them
 * without staging; one more pass streams each wanted blob from its tar
 * entry into the store's staging, checked against its digest again (the
 * media may have changed since), nothing extracted elsewhere.
 */
async function stageFromArchive(view: VerifiedBundle, plan: ImportPlan, bulk: StoreBulkWriter, signal: AbortSignal | undefined): Promise<void> {
  const wanted = blobsOf(plan);
  const archive = new ArchiveBlobs(view.dir, view.manifest?.parts ?? []);
  await archive.forEach(async ({ digest }, entry) => {
    const found = wanted.get(digest);
    if (!found) return;
    wanted.delete(digest);
    const where = archive.describe(found.blob);
    try {
      await copyBlob(found.blob, { stream: entry.stream }, bulk.stage(found.blob), { subject: where, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (!isContentMismatch(error) || !(error instanceof FerryError)) throw error;
      throw new FerryError(error.code, `${where} changed after verification: ${error.message}`, { path: where });
    }
  }, signal);
  const missing = [...wanted.keys()];
  if (missing.length > 0) throw new FerryError('BUNDLE_INVALID', `${view.dir}: ${missing.length} blob(s) were not found in the archive's parts (e.g. ${missing[0]})`, { path: view.dir });
}

/**
 * An incremental bundle leaves out blobs its parent carried: the store must
 * hold each of them already (they are linked where needed, nothing read).
 * Checked before any bundle byte is committed; names the parent when one is missing.
 */
async function linkOmitted(view: VerifiedBundle, plan: ImportPlan, storage: RegistryStorage): Promise<void> {
  const omitted = view.manifest?.omitted ?? [];
  if (omitted.length === 0) return;
  const parent = view.manifest?.parent ?? 'its parent bundle';
  for (const blob of omitted) {
    for (const repository of plan.blobRepositories.get(blob.digest) ?? []) {
      const message = `${view.dir} is an incremental bundle that leaves out blob ${blob.digest}, which the store does not hold: import bundle ${parent} into it first`;
      await storage.putBlob(repository, { mediaType: 'application/octet-stream', digest: blob.digest, size: blob.size }, mustBePresent(message, { parent, digest: blob.digest }));
    }
    plan.blobRepositories.delete(blob.digest);
  }
  const left = new Set(omitted.map((blob) => blob.digest));
  for (const image of plan.images) image.blobs = image.blobs.filter((blob) => !left.has(blob.digest));
}

/** Every manifest of the plan once per repository, children before the indexes naming them (each image lists its own so). */
function manifestsOf(plan: ImportPlan): BulkManifest[] {
  const manifests = new Map<string, BulkManifest>();
  for (const image of plan.images) {
    const repository = image.destination.repository;
    for (const { digest, bytes, mediaType } of image.manifests) manifests.set(`${repository}@${digest}`, { repository, digest, bytes, mediaType });
  }
  return [...manifests.values()];
}

/** Every image's tag at its root manifest. */
function tagsOf(plan: ImportPlan): BulkTag[] {
  return plan.images.flatMap((image: ImportImage) => {
    const { repository, tag } = image.destination;
    return tag === undefined || image.manifests.length === 0 ? [] : [{ repository, tag, digest: image.digest }];
  });
}

/**
 * Writes what verification staged (and an archive's blobs) into the store,
 * in batches with one durability barrier each (serve/store-bulk.ts): blobs
 * committed, then linked into every repository needing them, then manifests
 * by digest (children first), then tags last.
 */
async function writeIntoStore(view: VerifiedBundle, plan: ImportPlan, store: StoreFolder, bulk: StoreBulkWriter, request: ImportRequest, summary: ImportSummary): Promise<void> {
  await linkOmitted(view, plan, store);
  if (view.form === 'archive') await stageFromArchive(view, plan, bulk, request.signal);
  if (bulk.failure !== undefined) throw bulk.failure;
  if (request.signal?.aborted) throw new FerryError('CANCELLED', 'the import was cancelled');
  const blobs = blobsOf(plan);
  const stored = await bulk.commit(new Set([...blobs.keys(), ...plan.images.flatMap((image) => image.manifests.map((m) => m.digest))]));
  for (const { blob, repositories } of blobs.values()) {
    const copied = stored.has(blob.digest);
    summary.blobs[copied ? 'copied' : 'skipped'] += 1;
    summary.blobs.mounted += repositories.length - 1;
    if (copied) summary.bytesPushed += blob.size;
    request.onEvent?.({ type: 'blob', progress: { digest: blob.digest, state: copied ? 'finished' : 'skipped', complete: blob.size, total: blob.size } });
  }
  await bulk.link([...blobs.values()].flatMap(({ blob, repositories }) => repositories.map((repository) => ({ repository, digest: blob.digest }))));
  summary.manifestsPushed = await bulk.putManifests(manifestsOf(plan));
  summary.manifestsPushed += await bulk.putTags(tagsOf(plan));
}

/**
 * Runs an import into an opened store; the caller opens and closes it (the
 * use case, so the store's lock is held for exactly the job). Same request
 * and summary as importBundle, so the use case around both is one.
 * Verification reads every blob file once and stages its bytes in the store
 * as it checks them (unlinked temp files); they are committed only after the
 * whole bundle passed, and removed when it did not.
 */
export async function importIntoStore(request: ImportRequest, store: StoreFolder | undefined, storeDir: string): Promise<ImportSummary> {
  const started = Date.now();
  if (!request.dryRun && store === undefined) throw new FerryError('INTERNAL', `an import into ${storeDir} ran without its store open`);
  const bulk = request.dryRun ? undefined : store?.bulk();
  try {
    const { view, plan, summary } = await startImport(request, `the store ${storeDir}`, undefined, bulk && ((blob) => bulk.stage(blob)));
    if (bulk === undefined || store === undefined) return { ...summary, seconds: (Date.now() - started) / 1000 };
    await writeIntoStore(view, plan, store, bulk, request, summary);
    for (const image of plan.images) request.onEvent?.({ type: 'image', source: image.source, destination: formatReference(image.destination), digest: image.digest });
    const omitted = (view.manifest?.omitted ?? []).map((blob) => blob.digest);
    summary.present = [...new Set([...plan.images.flatMap((image) => image.manifests.map((m) => m.digest)), ...plan.blobRepositories.keys(), ...omitted])].sort();
    summary.seconds = (Date.now() - started) / 1000;
    return summary;
  } finally {
    // Whatever was staged and not committed (a bad bundle, a cancel, a failure) leaves nothing behind.
    await bulk?.discard();
  }
}

/**
 * Opens the store folder read-write for one import (creating it on first
 * use; before verification, so a store another process holds is refused at
 * once) and runs it; the store's lock is released however it ends. A dry run
 * never opens (or creates) the store.
 */
export async function importToStore(request: ImportRequest, storeDir: string): Promise<ImportSummary> {
  const dir = resolve(storeDir);
  if (request.dryRun) return importIntoStore(request, undefined, dir);
  // The store's modules load only for an import that writes into one.
  const { openStore } = await import('../serve/store.ts');
  const store = await openStore(dir);
  try {
    return await importIntoStore(request, store, dir);
  } finally {
    await store.close();
  }
}
