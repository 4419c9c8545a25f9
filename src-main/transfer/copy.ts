/**
 * The copy job: registry to registry, many images in one process, with
 * blob-level concurrency across all of them. Plans first (resolving every
 * image, reporting every failure together), then moves blobs (skip what
 * exists, mount what the target registry already holds, stream the rest),
 * then pushes manifests children-first and tags last. Local artifacts (an
 * image set's charts from HTTP repositories, files, release signatures) are
 * built from their files as export builds them and pushed the same way.
 */
import type { BundleSkipped } from '../../src-shared/model/bundle.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import type { TransferEvent } from '../../src-shared/model/progress.ts';
import { FerryError, toErrorEnvelope, type ErrorEnvelope } from '../../src-shared/errors.ts';
import { MemoryBlobSource, type BlobRef, type BlobSource } from '../oci/blob-io.ts';
import { manifestsInPushOrder, type ImageGraph } from '../oci/image-graph.ts';
import { LocalFileBlobSource, type LocalArtifact, type LocalArtifactGraph } from '../oci/local-artifact.ts';
import { formatPlatform, type PlatformSelection } from '../oci/platform.ts';
import { formatReference } from '../oci/reference.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { BlobMover, type BlobOrigin } from './blob-mover.ts';
import { headManifest, putManifest } from '../oci/registry/manifests.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { RegistryManifests } from '../oci/registry/registry-manifests.ts';
import { RepositoryBlobs } from '../oci/registry/repository-blobs.ts';
import { Limiter } from '../base/limiter.ts';
import { buildAllArtifacts, resolveAll, resolveEach, unresolvedError } from './plan.ts';
import { isImageFault, oneLine, skippedAtPlan } from './keep-going.ts';

/** Eight blobs in flight: saturates a loopback or LAN registry on two cores without starving manifest requests. */
export const DEFAULT_BLOB_CONCURRENCY = 8;

/**
 * Blobs up to this size go up without a HEAD first (BlobOrigin.uploadWithoutHeadUpTo):
 * a copy only moves blobs when the image's manifest is missing at the destination,
 * so most are missing too, and for configs and small layers the POST + PUT cost
 * about what the HEAD does. Bigger blobs are still asked about, so a re-run never
 * sends a large layer twice.
 */
export const UPLOAD_WITHOUT_HEAD_BYTES = 64 * 1024;

/** One image to copy. */
export interface CopyRequest {
  source: Reference;
  destination: Reference;
}

/** One local artifact to build from its files and push. */
export interface ArtifactCopyRequest {
  artifact: LocalArtifact;
  /** Where it lands; the tag is where the manifest is pushed. */
  destination: Reference;
}

/** What a copy reports while it runs: the shared transfer events. */
export type CopyEvent = TransferEvent;

/** Options of a copy job. */
export interface CopyOptions {
  platforms: PlatformSelection;
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: CopyEvent) => void;
  /** Local artifacts to push beside the images (built and hashed before anything is written). */
  artifacts?: ArtifactCopyRequest[];
  /**
   * `--keep-going`: sources that cannot be resolved are skipped (listed in the summary's `skipped`) and the rest is
   * copied; without it one unresolvable source stops the job before anything is written.
   */
  keepGoing?: boolean;
  /** Told the artifacts' graphs once they are planned (in `artifacts` order): the digests their pushes are checked against, for a caller that reads the same files again (the signature ConfigMaps of `ferry copy --set`). */
  onArtifactsPlanned?: (graphs: readonly LocalArtifactGraph[]) => void;
}

/** One image as it landed. */
export interface CopiedImage {
  source: string;
  destination: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  /** True when platform filtering wrote a new index, so the digest differs from the source's. */
  rootRewritten: boolean;
  blobs: number;
  bytes: number;
}

/** The result of a copy job: what landed, what failed, and how the blobs got there. */
export interface CopySummary {
  images: CopiedImage[];
  /** The images that failed the job: every failure, or with keep-going those that are no one image's fault (a cancel, a full disk, a bug). */
  failed: Array<{ source: string; destination: string; error: ErrorEnvelope }>;
  /** Keep-going only: every source left out, at the plan (unresolvable) or the copy (a registry or its bytes failed it after the retries), with its reason. */
  skipped: BundleSkipped[];
  blobs: { copied: number; skipped: number; mounted: number };
  bytesCopied: number;
  durationMs: number;
}

interface Sides {
  from: RegistryClient;
  to: RegistryClient;
}

/** Copies images between registries; resolves every source first and fails before any write if one cannot be resolved. */
export async function copyImages(requests: CopyRequest[], from: Registries, to: Registries, options: CopyOptions): Promise<CopySummary> {
  const started = Date.now();
  checkDistinctDestinations(requests);
  const { graphs, skipped } = await resolveSources(requests, from, to, options);
  const artifactRequests = options.artifacts ?? [];
  const artifacts = await buildAllArtifacts(
    artifactRequests.map((a) => a.artifact),
    options.signal,
  );
  options.onArtifactsPlanned?.(artifacts);
  // Bytes count each digest once (a shared blob crosses the wire once); blobs count each repository that needs one.
  const uniqueBytes = new Map<string, number>();
  const perRepository = new Set<string>();
  graphs.forEach((graph, i) => {
    const target = requests[i]?.destination;
    for (const blob of graph?.blobs ?? []) {
      uniqueBytes.set(blob.digest, blob.size);
      perRepository.add(`${target?.registry}/${target?.repository}@${blob.digest}`);
    }
  });
  artifacts.forEach((graph, i) => {
    const target = artifactRequests[i]?.destination;
    for (const blob of graph.blobs) {
      uniqueBytes.set(blob.digest, blob.size);
      perRepository.add(`${target?.registry}/${target?.repository}@${blob.digest}`);
    }
  });
  options.onEvent?.({
    type: 'planned',
    images: graphs.filter((graph) => graph !== undefined).length + artifacts.length,
    blobs: perRepository.size,
    bytes: [...uniqueBytes.values()].reduce((a, b) => a + b, 0),
  });

  const mover = new BlobMover(new Limiter(options.concurrency ?? DEFAULT_BLOB_CONCURRENCY), options.onEvent, options.signal);
  const summary: CopySummary = { images: [], failed: [], skipped, blobs: mover.counts, bytesCopied: 0, durationMs: 0 };
  // Keep-going skips what is one image's fault, as export does; a cancel, a full disk, a bug or a failing local artifact (no reference) stays a failure of the job.
  const fail = (source: string, destination: string, error: unknown, skippable = true): void => {
    const envelope = toErrorEnvelope(error);
    if (options.keepGoing === true && skippable && isImageFault(error)) skipped.push({ reference: source, reason: oneLine(envelope.message), stage: 'copy' });
    else summary.failed.push({ source, destination, error: envelope });
  };
  await Promise.all([
    ...requests.map(async (request, i) => {
      const graph = graphs[i];
      if (!graph) return;
      try {
        const sides = { from: await from.client(request.source.registry), to: await to.client(request.destination.registry) };
        summary.images.push(await copyOne(graph, request, sides, mover, options));
      } catch (error) {
        fail(formatReference(request.source), formatReference(request.destination), error);
      }
    }),
    ...artifactRequests.map(async ({ artifact, destination }, i) => {
      const graph = artifacts[i];
      if (!graph) return;
      try {
        // A built image (the update graph image) reads its base layers from the source side.
        const sides = { ...(graph.pulled ? { from: await from.client(graph.pulled.reference.registry) } : {}), to: await to.client(destination.registry) };
        summary.images.push(await pushArtifact(graph, destination, sides, mover, options));
      } catch (error) {
        fail(artifact.source, formatReference(destination), error, false);
      }
    }),
  ]);
  summary.bytesCopied = mover.bytesCopied;
  summary.durationMs = Date.now() - started;
  return summary;
}

/** Resolves every source: with keep-going, the ones that fail are skipped (all of them failing still fails the job). */
async function resolveSources(requests: CopyRequest[], from: Registries, to: Registries, options: CopyOptions): Promise<{ graphs: Array<ImageGraph | undefined>; skipped: BundleSkipped[] }> {
  const sources = requests.map((r) => r.source);
  // What a rerun finds at the destination is read from there, by digest, instead of from the source (its pull quota).
  const destinations = requests.map((request) => new RegistryManifests(to, request.destination));
  const held = (_reference: Reference, index: number): RegistryManifests | undefined => destinations[index];
  if (options.keepGoing !== true) return { graphs: await resolveAll(sources, from, options.platforms, options.signal, held), skipped: [] };
  const { graphs, problems } = await resolveEach(sources, from, options.platforms, options.signal, held);
  if (problems.length > 0 && graphs.every((graph) => graph === undefined) && (options.artifacts ?? []).length === 0) throw unresolvedError(problems);
  // A source copied to several destinations is resolved once per request: listed once.
  const seen = new Set<string>();
  return { graphs, skipped: skippedAtPlan(problems.filter((p) => !seen.has(p.reference) && seen.add(p.reference))) };
}

function checkDistinctDestinations(requests: CopyRequest[]): void {
  const seen = new Map<string, string>();
  for (const request of requests) {
    const target = formatReference(request.destination);
    const source = formatReference(request.source);
    const earlier = seen.get(target);
    if (earlier !== undefined && earlier !== source) {
      throw new FerryError('INVALID_ARGUMENT', `two images would land on ${target}: ${earlier} and ${source}`, { destination: target });
    }
    seen.set(target, source);
  }
}

async function copyOne(graph: ImageGraph, request: CopyRequest, sides: Sides, mover: BlobMover, options: CopyOptions): Promise<CopiedImage> {
  // A filtered index has a new digest: report where the image really landed.
  const dst = request.destination.digest !== undefined ? { ...request.destination, digest: graph.root.digest } : request.destination;
  const present = await headManifest(sides.to, dst.repository, graph.root.digest, options.signal);
  if (present === undefined) {
    // A registry accepts a manifest only once its blobs exist, so a present root means the whole graph is there.
    // allSettled, not all: no transfer of this image may still be running when its failure is reported.
    const origin: BlobOrigin = {
      source: new RepositoryBlobs(sides.from, request.source.repository),
      uploadWithoutHeadUpTo: UPLOAD_WITHOUT_HEAD_BYTES,
      ...(sides.from.registry === sides.to.registry ? { mountFrom: request.source.repository } : {}),
    };
    const moved = await Promise.allSettled(graph.blobs.map((blob) => mover.ensure(sides.to, dst.repository, blob, origin)));
    const failed = moved.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    for (const node of manifestsInPushOrder(graph.root)) {
      if (node !== graph.root) await putManifest(sides.to, dst.repository, node.digest, node.bytes, node.mediaType, options.signal);
    }
  } else {
    for (const blob of graph.blobs) mover.report({ digest: blob.digest, state: 'skipped', complete: blob.size, total: blob.size }, 'skipped');
  }
  const target = dst.tag ?? graph.root.digest;
  await putManifest(sides.to, dst.repository, target, graph.root.bytes, graph.root.mediaType, options.signal);
  options.onEvent?.({ type: 'image', source: formatReference(request.source), destination: formatReference(dst), digest: graph.root.digest });
  return {
    source: formatReference(request.source),
    destination: formatReference(dst),
    digest: graph.root.digest,
    mediaType: graph.root.mediaType,
    platforms: graph.platforms.map(formatPlatform),
    rootRewritten: graph.rootRewritten,
    blobs: graph.blobs.length,
    bytes: graph.totalSize,
  };
}

/** A local artifact's blobs: configs from memory, layer files from disk (re-checked against what was hashed while planning), a built image's base layers from the base's repository. */
class ArtifactBlobs implements BlobSource {
  private readonly configs: MemoryBlobSource;
  private readonly files: LocalFileBlobSource;

  constructor(
    private readonly graph: LocalArtifactGraph,
    private readonly base: RepositoryBlobs | undefined,
  ) {
    this.configs = new MemoryBlobSource(graph.configs, `built for ${graph.artifact.source}`);
    this.files = new LocalFileBlobSource(graph.files);
  }

  /** Where a blob is read from: a layer file, the memory of what was built, or the base image's repository. */
  private storeOf(blob: BlobRef): BlobSource {
    if (this.files.has(blob.digest)) return this.files;
    return this.base && !this.graph.configs.has(blob.digest) ? this.base : this.configs;
  }

  /** Names the blob by its file, its base repository, or as built here. */
  describe(blob: BlobRef): string {
    return this.storeOf(blob).describe(blob);
  }

  /** The blob's bytes from `start`; copyBlob checks them against the digest. */
  open(blob: BlobRef, start: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return this.storeOf(blob).open(blob, start, signal);
  }
}

/** Pushes one local artifact: its blobs, then its manifests children first, the root under the destination's tag (or digest). */
async function pushArtifact(graph: LocalArtifactGraph, destination: Reference, sides: { from?: RegistryClient; to: RegistryClient }, mover: BlobMover, options: CopyOptions): Promise<CopiedImage> {
  const { pulled } = graph;
  const source = new ArtifactBlobs(graph, pulled && sides.from ? new RepositoryBlobs(sides.from, pulled.reference.repository) : undefined);
  const blobs = new Map(graph.blobs.map((blob) => [blob.digest, blob]));
  for (const blob of pulled?.blobs ?? []) if (!blobs.has(blob.digest)) blobs.set(blob.digest, blob);
  const moved = await Promise.allSettled([...blobs.values()].map((blob) => mover.ensure(sides.to, destination.repository, blob, { source })));
  const failed = moved.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  const { root } = graph;
  for (const node of manifestsInPushOrder(root)) {
    if (node !== root) await putManifest(sides.to, destination.repository, node.digest, node.bytes, node.mediaType, options.signal);
  }
  await putManifest(sides.to, destination.repository, destination.tag ?? root.digest, root.bytes, root.mediaType, options.signal);
  const landed = formatReference({ ...destination, digest: root.digest });
  options.onEvent?.({ type: 'image', source: graph.artifact.source, destination: landed, digest: root.digest });
  return {
    source: graph.artifact.source,
    destination: landed,
    digest: root.digest,
    mediaType: root.mediaType,
    platforms: graph.platforms.map(formatPlatform),
    rootRewritten: false,
    blobs: blobs.size,
    bytes: graph.totalSize,
  };
}
