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
import { Limiter } from '../base/limiter.ts';
import { ArchiveBlobs } from '../bundle/archive-blobs.ts';
import { BlobDirectory } from '../bundle/blob-directory.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { formatReference } from '../oci/reference.ts';
import { RegistryProblem } from '../serve/problems.ts';
import type { RegistryStorage } from '../serve/storage.ts';
import { DEFAULT_IMPORT_CONCURRENCY, startImport, type ImportRequest, type ImportSummary } from '../transfer/import.ts';
import type { ImportImage, ImportPlan } from '../transfer/import-plan.ts';

/** Blob outcomes as an import summary counts them. */
type Counts = ImportSummary['blobs'];

/** What the store writes and counts while blobs go in. */
interface StoreWrite {
  storage: RegistryStorage;
  counts: Counts;
  bytes: number;
  request: ImportRequest;
}

/** A stream that fails when read: the content of a blob that must already be in the store (putBlob links it without reading). */
function mustBePresent(message: string, details: Record<string, unknown>): () => Readable {
  return () =>
    new Readable({
      read() {
        this.destroy(new FerryError('BUNDLE_INVALID', message, details));
      },
    });
}

/** A store's refusal of bundle content, named as the bundle file it came from (the media changed after verification). */
function asBundleProblem(error: unknown, where: string): unknown {
  if (error instanceof RegistryProblem && (error.code === 'DIGEST_INVALID' || error.code === 'SIZE_INVALID')) {
    return new FerryError(error.code === 'DIGEST_INVALID' ? 'DIGEST_MISMATCH' : 'SIZE_MISMATCH', `${where} changed after verification: ${error.message}`, { path: where });
  }
  return error;
}

/**
 * Puts one blob into every repository that needs it: the first put writes
 * the bytes (or links a blob the store already holds), the others only link.
 */
async function putEverywhere(write: StoreWrite, blob: Descriptor, repositories: readonly string[], content: () => Readable, where: string): Promise<void> {
  const { storage, counts, request } = write;
  const [first, ...others] = repositories;
  if (first === undefined) return;
  request.onEvent?.({ type: 'blob', progress: { digest: blob.digest, state: 'started', complete: 0, total: blob.size } });
  let outcome: 'stored' | 'linked';
  try {
    outcome = await storage.putBlob(first, blob, content);
  } catch (error) {
    throw asBundleProblem(error, where);
  }
  if (outcome === 'stored') {
    counts.copied += 1;
    write.bytes += blob.size;
  } else {
    counts.skipped += 1;
  }
  request.onEvent?.({ type: 'blob', progress: { digest: blob.digest, state: outcome === 'stored' ? 'finished' : 'skipped', complete: blob.size, total: blob.size } });
  for (const repository of others) {
    await storage.putBlob(repository, blob, mustBePresent(`blob ${blob.digest} vanished from the store while it was linked into ${repository}`, { digest: blob.digest }));
    counts.mounted += 1;
  }
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

/** Directory form and plain layouts: blob files read at random, several at once (the store checks every byte as it writes it). */
async function putFromDirectory(view: VerifiedBundle, plan: ImportPlan, write: StoreWrite, limiter: Limiter): Promise<void> {
  const files = new BlobDirectory(view.dir);
  const work = [...blobsOf(plan).values()].map(({ blob, repositories }) =>
    limiter.run(async () => {
      if (write.request.signal?.aborted) throw new FerryError('CANCELLED', 'the import was cancelled');
      const signal = write.request.signal;
      const content = (): Readable => Readable.from(files.open(blob, 0, signal), { objectMode: false });
      await putEverywhere(write, blob, repositories, content, files.path(blob.digest));
    }),
  );
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Archive form: one pass over the parts, each wanted blob streamed from its tar entry into the store, nothing extracted elsewhere. */
async function putFromArchive(view: VerifiedBundle, plan: ImportPlan, write: StoreWrite): Promise<void> {
  const wanted = blobsOf(plan);
  const archive = new ArchiveBlobs(view.dir, view.manifest?.parts ?? []);
  await archive.forEach(async ({ digest }, entry) => {
    const found = wanted.get(digest);
    if (!found) return;
    wanted.delete(digest);
    await putEverywhere(write, found.blob, found.repositories, () => Readable.from(entry.stream, { objectMode: false }), archive.describe(found.blob));
  }, write.request.signal);
  const missing = [...wanted.keys()];
  if (missing.length > 0) throw new FerryError('BUNDLE_INVALID', `${view.dir}: ${missing.length} blob(s) were not found in the archive's parts (e.g. ${missing[0]})`, { path: view.dir });
}

/**
 * An incremental bundle leaves out blobs its parent carried: the store must
 * hold each of them already (they are linked where needed, nothing read).
 * Checked before any bundle byte is written; names the parent when one is missing.
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

/** Puts one image's manifests by digest, children first, each repository@digest once; returns how many it stored. */
async function putManifests(image: ImportImage, storage: RegistryStorage, shared: Map<string, Promise<boolean>>): Promise<number> {
  let stored = 0;
  const repository = image.destination.repository;
  for (const manifest of image.manifests) {
    const key = `${repository}@${manifest.digest}`;
    let pending = shared.get(key);
    if (!pending) {
      pending = (async () => {
        if (await storage.manifest(repository, manifest.digest)) return false;
        await storage.putManifest(repository, manifest.digest, manifest.bytes, manifest.mediaType);
        return true;
      })();
      shared.set(key, pending);
      if (await pending) stored += 1;
    } else {
      await pending;
    }
  }
  return stored;
}

/** Points the image's tag at its root, unless it already does. */
async function putTag(image: ImportImage, storage: RegistryStorage): Promise<number> {
  const { repository, tag } = image.destination;
  const root = image.manifests.at(-1);
  if (tag === undefined || !root) return 0;
  if ((await storage.manifest(repository, tag))?.digest === image.digest) return 0;
  await storage.putManifest(repository, tag, root.bytes, root.mediaType);
  return 1;
}

/**
 * Runs an import into an opened store; the caller opens and closes it (the
 * use case, so the store's lock is held for exactly the job). Same request
 * and summary as importBundle, so the use case around both is one.
 */
export async function importIntoStore(request: ImportRequest, storage: RegistryStorage | undefined, storeDir: string): Promise<ImportSummary> {
  const started = Date.now();
  const { view, plan, summary } = await startImport(request, `the store ${storeDir}`);
  if (request.dryRun) return { ...summary, seconds: (Date.now() - started) / 1000 };
  if (storage === undefined) throw new FerryError('INTERNAL', `an import into ${storeDir} ran without its store open`);
  const omitted = (view.manifest?.omitted ?? []).map((blob) => blob.digest);
  await linkOmitted(view, plan, storage);
  const write: StoreWrite = { storage, counts: summary.blobs, bytes: 0, request };
  const limiter = new Limiter(request.concurrency ?? DEFAULT_IMPORT_CONCURRENCY);
  if (view.form === 'archive') await putFromArchive(view, plan, write);
  else await putFromDirectory(view, plan, write, limiter);
  // Child manifests and indexes by digest (children first within each image), then every tag last.
  const shared = new Map<string, Promise<boolean>>();
  const stored = await Promise.all(plan.images.map((image) => limiter.run(() => putManifests(image, storage, shared))));
  // Tags only once every manifest is in; among themselves they are independent, so they go in together.
  const tags = (await Promise.all(plan.images.map((image) => limiter.run(() => putTag(image, storage))))).reduce((a, b) => a + b, 0);
  for (const image of plan.images) request.onEvent?.({ type: 'image', source: image.source, destination: formatReference(image.destination), digest: image.digest });
  summary.bytesPushed = write.bytes;
  summary.manifestsPushed = stored.reduce((a, b) => a + b, 0) + tags;
  summary.present = [...new Set([...plan.images.flatMap((image) => image.manifests.map((m) => m.digest)), ...plan.blobRepositories.keys(), ...omitted])].sort();
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
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
