/**
 * The import job: bundle → the site's registry. The whole bundle is verified
 * before the first write, and everything after uses only the verified view
 * (bundle-view.ts): images, targets, tags and manifest bytes as verification
 * read them; the media is read again for blob content alone, which is checked
 * against its digest once more as it streams. Then blobs go up (HEAD skips what exists, mounts
 * reuse what this import already pushed, the rest streams from the media),
 * then child manifests, then indexes, each by digest, and tags last. Rerunning
 * it after a crash or an outage pushes only what is still missing.
 */
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { Limiter } from '../base/limiter.ts';
import { ReadBuffers } from '../base/safe-read.ts';
import { copyBlob, type BlobStream } from '../oci/blob-io.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { headManifest, putManifest } from '../oci/registry/manifests.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { RepositoryBlobs } from '../oci/registry/repository-blobs.ts';
import { blobExists, mountBlob } from '../oci/registry/uploads.ts';
import { RegistryError } from '../oci/registry/errors.ts';
import { ArchiveBlobs } from '../bundle/archive-blobs.ts';
import { BlobDirectory } from '../bundle/blob-directory.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { BlobMover } from './blob-mover.ts';
import type { ImportImage, ImportPlan } from './import-plan.ts';
import { checkReferrersFallbackTags, indexReferrersWithoutApi } from './referrers-push.ts';
import { DEFAULT_IMPORT_CONCURRENCY, startImport, type ImportRequest, type ImportSummary } from './import-start.ts';

export { DEFAULT_IMPORT_CONCURRENCY, startImport, type ImportRequest, type ImportSummary, type StartedImport } from './import-start.ts';

/** Pushes the blobs of a directory bundle or layout, concurrently across all images; each is verified again as it streams (the media may have changed since verify ran). */
async function pushFromDirectory(view: VerifiedBundle, plan: ImportPlan, client: RegistryClient, mover: BlobMover): Promise<void> {
  const work: Array<Promise<void>> = [];
  for (const image of plan.images) {
    for (const blob of image.blobs) {
      // Read into lent buffers (safe-read.ts): the upload hashes and sends each chunk before it asks for more, and
      // the buffers go back only once the blob is in place (a failed upload keeps its lease: a chunk may still be held).
      const buffers = new ReadBuffers();
      const origin = { source: new BlobDirectory(view.dir, { buffers }) };
      work.push(mover.ensure(client, image.destination.repository, blob, origin).then(() => buffers.release()));
    }
  }
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Uploads streamed from an archive go in chunks this big; the window keeps two, so a failed chunk is resent from memory. */
const ARCHIVE_UPLOAD_CHUNK = 16 * 1024 * 1024;
/** Passes over an archive at most: the first uploads, later ones serve repositories that refused a mount. */
const MAX_ARCHIVE_PASSES = 4;

/** Asks which repositories lack which blob, so the single pass over the parts knows what to upload. */
async function missingBlobs(plan: ImportPlan, blobs: Map<string, Descriptor>, client: RegistryClient, mover: BlobMover, limiter: Limiter, signal?: AbortSignal): Promise<Map<string, string[]>> {
  const missing = new Map<string, string[]>();
  await Promise.all(
    [...plan.blobRepositories.entries()].flatMap(([digest, repositories]) =>
      repositories.map((repository) =>
        limiter.run(async () => {
          const size = blobs.get(digest)?.size ?? 0;
          if (mover.isDone(client, repository, digest) || (await blobExists(client, repository, digest, signal))) mover.report({ digest, state: 'skipped', complete: size, total: size }, 'skipped');
          else missing.set(digest, [...(missing.get(digest) ?? []), repository]);
        }),
      ),
    ),
  );
  return missing;
}

/** Streams one tar entry into an upload, verified, in chunks that can be resent from a window kept in memory. */
async function uploadFromEntry(client: RegistryClient, repository: string, blob: Descriptor, entry: BlobStream, mover: BlobMover, subject: string, signal?: AbortSignal): Promise<void> {
  mover.report({ digest: blob.digest, state: 'started', complete: 0, total: blob.size });
  // A blob that fits the window goes in one streaming PUT (fewest requests); a bigger one in chunks the window can resend.
  const chunked = blob.size > 2 * ARCHIVE_UPLOAD_CHUNK;
  const sink = new RepositoryBlobs(client, repository, {
    ...(chunked ? { chunkSize: ARCHIVE_UPLOAD_CHUNK } : {}),
    onProgress: (bytes) => mover.report({ digest: blob.digest, state: 'active', complete: bytes, total: blob.size }),
  });
  await copyBlob(blob, { stream: entry.stream, replay: 2 * ARCHIVE_UPLOAD_CHUNK }, sink, { subject, ...(signal ? { signal } : {}) });
  mover.bytesCopied += blob.size;
  mover.markDone(client, repository, blob);
  mover.report({ digest: blob.digest, state: 'finished', complete: blob.size, total: blob.size }, 'copied');
}

/** Mounts a blob just uploaded to `from` into another repository; a refusal is returned so a later pass uploads it. */
async function mountOrDefer(client: RegistryClient, repository: string, blob: Descriptor, from: string, mover: BlobMover, signal?: AbortSignal): Promise<boolean> {
  try {
    if ((await mountBlob(client, repository, blob.digest, from, signal)) === 'mounted') {
      mover.markDone(client, repository, blob);
      mover.report({ digest: blob.digest, state: 'mounted', complete: blob.size, total: blob.size }, 'mounted');
      return true;
    }
    return false;
  } catch (error) {
    if (error instanceof RegistryError && (error.status === 401 || error.status === 403 || error.status === 404)) return false;
    throw error;
  }
}

/**
 * Pushes the blobs of an archive bundle streaming from its parts: each blob
 * goes from its tar entry straight into an upload to the first repository
 * lacking it and is mounted into the others; nothing is extracted to disk.
 * A repository that refuses the mount gets the blob in a further pass.
 */
async function pushFromArchive(view: VerifiedBundle, plan: ImportPlan, client: RegistryClient, mover: BlobMover, limiter: Limiter, signal?: AbortSignal): Promise<void> {
  const blobs = new Map<string, Descriptor>();
  for (const image of plan.images) for (const blob of image.blobs) blobs.set(blob.digest, blob);
  let pending = await missingBlobs(plan, blobs, client, mover, limiter, signal);
  // The parts' own sha256 was checked by the verification before; every blob pushed is checked against its digest as it streams.
  const archive = new ArchiveBlobs(view.dir, view.manifest?.parts ?? [], { checkParts: false });
  for (let pass = 1; pending.size > 0; pass += 1) {
    if (pass > MAX_ARCHIVE_PASSES) throw new FerryError('REGISTRY_ERROR', `${client.registry} refused to take ${pending.size} blob(s) after ${MAX_ARCHIVE_PASSES} passes over the bundle`);
    const deferred = new Map<string, string[]>();
    const mounts: Array<Promise<void>> = [];
    const unseen = new Set(pending.keys());
    await archive.forEach(async ({ digest }, entry) => {
      const blob = blobs.get(digest);
      const [first, ...others] = pending.get(digest) ?? [];
      if (!blob || first === undefined || !unseen.delete(digest)) return;
      await uploadFromEntry(client, first, blob, entry, mover, archive.describe(blob), signal);
      for (const repository of others) {
        const mounting = limiter
          .run(() => mountOrDefer(client, repository, blob, first, mover, signal))
          .then((mounted) => {
            if (!mounted) deferred.set(digest, [...(deferred.get(digest) ?? []), repository]);
          });
        // Handled now, judged after the pass: a failed mount must not become an unhandled rejection mid-walk.
        mounting.catch(() => undefined);
        mounts.push(mounting);
      }
    }, signal);
    const failed = (await Promise.allSettled(mounts)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (unseen.size > 0) {
      const first = [...unseen][0];
      throw new FerryError('BUNDLE_INVALID', `${view.dir} changed since it was verified: ${unseen.size} blob(s) it held are no longer in its parts (e.g. ${first}); nothing of them was pushed`, {
        missing: [...unseen].slice(0, 100),
      });
    }
    pending = deferred;
  }
}

/**
 * Pushes one image's manifests by digest, children first, skipping those
 * already there; `shared` makes two images of one repository push a common
 * manifest once. Returns how many this call pushed.
 */
async function pushManifests(image: ImportImage, client: RegistryClient, shared: Map<string, Promise<boolean>>, signal?: AbortSignal): Promise<number> {
  let pushed = 0;
  for (const manifest of image.manifests) {
    const key = `${image.destination.repository}@${manifest.digest}`;
    let pending = shared.get(key);
    if (!pending) {
      pending = (async () => {
        if (await headManifest(client, image.destination.repository, manifest.digest, signal)) return false;
        await putManifest(client, image.destination.repository, manifest.digest, manifest.bytes, manifest.mediaType, signal);
        return true;
      })();
      shared.set(key, pending);
      if (await pending) pushed += 1;
    } else {
      await pending;
    }
  }
  return pushed;
}

/** Points the image's tag at its root, unless it already does. */
async function pushTag(image: ImportImage, client: RegistryClient, signal?: AbortSignal): Promise<number> {
  const tag = image.destination.tag;
  if (tag === undefined) return 0;
  if ((await headManifest(client, image.destination.repository, tag, signal))?.digest === image.digest) return 0;
  const root = image.manifests.at(-1);
  if (!root) return 0;
  await putManifest(client, image.destination.repository, tag, root.bytes, root.mediaType, signal);
  return 1;
}

/**
 * An incremental bundle leaves out blobs its parent carried: before anything
 * is written, check (HEAD only) that the registry has every one of them where
 * it is needed, and name the parent bundle when it does not. The left-out
 * blobs are then dropped from the push plan.
 */
async function checkOmitted(view: VerifiedBundle, plan: ImportPlan, client: RegistryClient, signal?: AbortSignal): Promise<void> {
  const omitted = new Set((view.manifest?.omitted ?? []).map((blob) => blob.digest));
  if (omitted.size === 0) return;
  const lacking: string[] = [];
  const limiter = new Limiter(DEFAULT_IMPORT_CONCURRENCY);
  await Promise.all(
    [...plan.blobRepositories.entries()]
      .filter(([digest]) => omitted.has(digest))
      .flatMap(([digest, repositories]) =>
        repositories.map((repository) =>
          limiter.run(async () => {
            if (!(await blobExists(client, repository, digest, signal))) lacking.push(`${digest} in ${client.registry}/${repository}`);
          }),
        ),
      ),
  );
  if (lacking.length > 0) {
    const parent = view.manifest?.parent ?? 'its parent bundle';
    throw new FerryError(
      'BUNDLE_INVALID',
      `${view.dir} is an incremental bundle that leaves out ${omitted.size} blob(s) the site should already have, but ${client.registry} lacks ${lacking.length} of them (e.g. ${lacking[0]}): import bundle ${parent} first; nothing was written`,
      { parent, lacking: lacking.slice(0, 100) },
    );
  }
  for (const digest of omitted) plan.blobRepositories.delete(digest);
  for (const image of plan.images) image.blobs = image.blobs.filter((blob) => !omitted.has(blob.digest));
}

/** Runs an import; see the module comment for the order of things. */
export async function importBundle(request: ImportRequest, registries: Registries): Promise<ImportSummary> {
  const started = Date.now();
  let opened: RegistryClient | undefined;
  const { view, plan, summary } = await startImport(request, request.target.registry, async (verified, planned) => {
    opened = await registries.client(request.target.registry);
    await checkOmitted(verified, planned, opened, request.signal);
    if (!request.dryRun) await request.preflight?.(planned, opened);
  });
  const client = opened;
  if (request.dryRun || client === undefined) return { ...summary, seconds: (Date.now() - started) / 1000 };
  await checkReferrersFallbackTags(view, plan.images, client, request.signal);

  const limiter = new Limiter(request.concurrency ?? DEFAULT_IMPORT_CONCURRENCY);
  const mover = new BlobMover(limiter, request.onEvent, request.signal, request.journal);
  if (view.form === 'archive') await pushFromArchive(view, plan, client, mover, limiter, request.signal);
  else await pushFromDirectory(view, plan, client, mover);
  // Child manifests and indexes by digest (children first within each image), then every tag last.
  const shared = new Map<string, Promise<boolean>>();
  const pushed = await Promise.all(plan.images.map((image) => limiter.run(() => pushManifests(image, client, shared, request.signal))));
  let tags = 0;
  for (const image of plan.images) tags += await pushTag(image, client, request.signal);
  // Referrers with a subject are found by digest through the referrers API, or through the fallback tag this writes where there is none.
  tags += await indexReferrersWithoutApi(view, plan.images, client, request.signal);
  summary.blobs = mover.counts;
  summary.bytesPushed = mover.bytesCopied;
  summary.manifestsPushed = pushed.reduce((a, b) => a + b, 0) + tags;
  const omitted = (view.manifest?.omitted ?? []).map((blob) => blob.digest);
  summary.present = [...new Set([...plan.images.flatMap((image) => image.manifests.map((m) => m.digest)), ...plan.blobRepositories.keys(), ...omitted])].sort();
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}
