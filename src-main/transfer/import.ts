/**
 * The import job: bundle → the site's registry. The whole bundle is verified
 * before the first write; then blobs go up (HEAD skips what exists, mounts
 * reuse what this import already pushed, the rest streams from the media),
 * then child manifests, then indexes, each by digest, and tags last. Rerunning
 * it after a crash or an outage pushes only what is still missing.
 */
import { createReadStream } from 'node:fs';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import type { TransferEvent } from '../../src-shared/model/progress.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { DigestVerifier, verifyingStream } from '../oci/digest.ts';
import { formatReference } from '../oci/reference.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { headManifest, putManifest } from '../oci/registry/manifests.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { blobExists, uploadBlob } from '../oci/registry/uploads.ts';
import { forEachArchiveBlob, openBundle, type OpenedBundle } from '../bundle/bundle-reader.ts';
import { verifyBundle } from '../bundle/verify.ts';
import { BlobMover, type MoverCounts } from './blob-mover.ts';
import { planImport, type ImportImage, type ImportPlan, type ImportTarget } from './import-plan.ts';
import { Limiter } from './limiter.ts';
import { join } from 'node:path';

/** Eight blobs in flight from a directory bundle: a USB 3 drive and a LAN registry both stay busy. */
export const DEFAULT_IMPORT_CONCURRENCY = 8;

/** What to import and where. */
export interface ImportRequest {
  bundle: string;
  target: ImportTarget;
  dryRun?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: TransferEvent) => void;
}

/** The result of an import (or of its dry run). */
export interface ImportSummary {
  bundle: string;
  bundleId: string | undefined;
  form: OpenedBundle['form'];
  target: string;
  images: Array<{ name: string; source: string; destination: string; digest: string }>;
  blobs: MoverCounts;
  bytesPushed: number;
  manifestsPushed: number;
  mappings: ImportPlan['mappings'];
  dryRun: boolean;
  seconds: number;
  /** Every digest (blobs and manifests) the target now holds for this bundle: what a receipt records. */
  present: string[];
}

/** A file blob of a directory bundle, verified again as it streams (the media may have changed since verify ran). */
function fileOrigin(dir: string, blob: Descriptor): AsyncIterable<Uint8Array> {
  const path = join(dir, 'blobs', 'sha256', blob.digest.slice('sha256:'.length));
  return verifyingStream(createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>, new DigestVerifier(blob.digest, blob.size, `blob ${blob.digest} (${path})`));
}

/** Pushes the blobs of a directory bundle or layout, concurrently across all images. */
async function pushFromDirectory(opened: OpenedBundle, plan: ImportPlan, client: RegistryClient, mover: BlobMover): Promise<void> {
  const work: Array<Promise<void>> = [];
  for (const image of plan.images) {
    for (const blob of image.blobs) work.push(mover.ensure(client, image.destination.repository, blob, { open: () => fileOrigin(opened.dir, blob) }));
  }
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Pushes the blobs of an archive bundle in one pass over its parts: each blob
 * streams from its tar entry straight into an upload to the first repository
 * lacking it, and is mounted into the others; nothing is extracted to disk.
 */
async function pushFromArchive(opened: OpenedBundle, plan: ImportPlan, client: RegistryClient, mover: BlobMover, limiter: Limiter, signal?: AbortSignal): Promise<void> {
  const sizes = new Map<string, Descriptor>();
  for (const image of plan.images) for (const blob of image.blobs) sizes.set(blob.digest, blob);
  const missing = new Map<string, string[]>();
  await Promise.all([...plan.blobRepositories.entries()].flatMap(([digest, repositories]) => repositories.map((repository) => limiter.run(async () => {
    if (await blobExists(client, repository, digest, signal)) {
      mover.report({ digest, state: 'skipped', complete: sizes.get(digest)?.size ?? 0, total: sizes.get(digest)?.size ?? 0 }, 'skipped');
    } else {
      missing.set(digest, [...(missing.get(digest) ?? []), repository]);
    }
  }))));
  const mounts: Array<Promise<void>> = [];
  await forEachArchiveBlob(opened, async (digest, size, stream) => {
    const repositories = missing.get(digest);
    const blob = sizes.get(digest);
    if (!repositories || !blob || repositories.length === 0) {
      for await (const _chunk of stream) { /* not needed: already present, or a manifest pushed by PUT */ }
      return;
    }
    const [first, ...others] = repositories;
    if (first === undefined) return;
    let used = false;
    await mover.ensure(client, first, blob, {
      open: () => {
        // A tar entry can be read once; a failed upload of it is retried by rerunning the import.
        if (used) throw new FerryError('NETWORK_ERROR', `upload of ${digest} from the archive failed and cannot be replayed in this pass; run the import again to resume`, { digest });
        used = true;
        return verifyingStream(stream, new DigestVerifier(digest, size, `blob ${digest} in ${opened.dir}`));
      },
    });
    for (const repository of others) mounts.push(mover.ensure(client, repository, blob, { open: () => { throw new FerryError('INTERNAL', `${digest} should be mounted from ${first}`); }, mountFrom: first }));
  }, signal);
  const results = await Promise.allSettled(mounts);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Pushes one image's manifests by digest, children first; skips those already there. Returns how many were pushed. */
async function pushManifests(image: ImportImage, client: RegistryClient, signal?: AbortSignal): Promise<number> {
  let pushed = 0;
  for (const manifest of image.manifests) {
    if (await headManifest(client, image.destination.repository, manifest.digest, signal)) continue;
    await putManifest(client, image.destination.repository, manifest.digest, manifest.bytes, manifest.mediaType, signal);
    pushed += 1;
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

/** Runs an import; see the module comment for the order of things. */
export async function importBundle(request: ImportRequest, registries: Registries): Promise<ImportSummary> {
  const started = Date.now();
  const report = await verifyBundle(request.bundle, request.signal ? { signal: request.signal } : {});
  if (!report.ok) {
    const problems = report.checks.flatMap((check) => check.problems.map((problem) => `${check.title}: ${problem}`));
    throw new FerryError('BUNDLE_INVALID', `${request.bundle} failed verification; nothing was written to ${request.target.registry}:\n  ${problems.slice(0, 10).join('\n  ')}${problems.length > 10 ? `\n  … and ${problems.length - 10} more` : ''}`, { problems });
  }
  const opened = await openBundle(request.bundle);
  const plan = planImport(opened, request.target);
  request.onEvent?.({ type: 'planned', images: plan.images.length, blobs: [...plan.blobRepositories.values()].reduce((n, repos) => n + repos.length, 0), bytes: plan.bytes });
  const target = request.target.prefix ? `${request.target.registry}/${request.target.prefix}` : request.target.registry;
  const summary: ImportSummary = {
    bundle: request.bundle, bundleId: opened.manifest?.bundleId, form: opened.form, target,
    images: plan.images.map((image) => ({ name: image.name, source: formatReference(image.source), destination: formatReference(image.destination), digest: image.digest })),
    blobs: { copied: 0, skipped: 0, mounted: 0 }, bytesPushed: 0, manifestsPushed: 0, mappings: plan.mappings, dryRun: request.dryRun === true, seconds: 0, present: [],
  };
  if (request.dryRun) return { ...summary, seconds: (Date.now() - started) / 1000 };

  const client = await registries.client(request.target.registry);
  const limiter = new Limiter(request.concurrency ?? DEFAULT_IMPORT_CONCURRENCY);
  const mover = new BlobMover(limiter, request.onEvent, request.signal);
  if (opened.form === 'archive') await pushFromArchive(opened, plan, client, mover, limiter, request.signal);
  else await pushFromDirectory(opened, plan, client, mover);
  // Child manifests and indexes by digest (children first within each image), then every tag last.
  const pushed = await Promise.all(plan.images.map((image) => limiter.run(() => pushManifests(image, client, request.signal))));
  let tags = 0;
  for (const image of plan.images) tags += await pushTag(image, client, request.signal);
  summary.blobs = mover.counts;
  summary.bytesPushed = mover.bytesCopied;
  summary.manifestsPushed = pushed.reduce((a, b) => a + b, 0) + tags;
  summary.present = [...new Set([...plan.images.flatMap((image) => image.manifests.map((m) => m.digest)), ...plan.blobRepositories.keys()])].sort();
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}
