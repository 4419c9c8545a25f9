/**
 * The export job: image set → bundle on removable media. Plans first (every
 * reference resolved, every failure listed, nothing written), checks the
 * target (writable, file system, free space), writes the content in the
 * directory or archive form, resumes whatever an earlier run left, and writes
 * ferry.json last, so a folder without it is never a bundle.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, BUNDLE_FORMAT_ARTIFACTS, BUNDLE_FORMAT_PLAIN, type BundleImage, type BundleImageSet, type BundleManifest, type BundleSkipped } from '../../src-shared/model/bundle.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import type { TransferEvent } from '../../src-shared/model/progress.ts';
import type { ImageGraph } from '../oci/image-graph.ts';
import { sha256Digest } from '../oci/digest.ts';
import { MemoryBlobSource, type BlobRef, type BlobSource } from '../oci/blob-io.ts';
import { LocalFileBlobSource, type LocalArtifact, type LocalArtifactGraph, type PlannedFile } from '../oci/local-artifact.ts';
import type { PlatformSelection } from '../oci/platform.ts';
import { formatReference } from '../oci/reference.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { RepositoryBlobs } from '../oci/registry/repository-blobs.ts';
import { FolderManifests } from '../bundle/folder-manifests.ts';
import { clearExportState, saveExportState, sameJob, type ExportState } from '../bundle/export-state.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { indexJson, OCI_LAYOUT_CONTENT, type LayoutImage } from '../bundle/layout.ts';
import { BlobDirectory } from '../bundle/blob-directory.ts';
import { inspectFolder, partsStillThere, removeStale, retirePartial, sweepTempFiles, writeArchive } from '../bundle/export-folder.ts';
import { tarLayout, type PartInfo } from '../bundle/parts.ts';
import { writeDirectoryForm, type FormWriterContext } from '../bundle/write-directory.ts';
import { checkFreeSpace, chooseBundleForm, inspectTarget } from '../media/filesystem.ts';
import { ferryVersion } from '../version.ts';
import { buildAllArtifacts, resolveAll, resolveEach, planContent, unresolvedError, type ExportPlan, type PlannedContent } from './plan.ts';
import { discoverReferrers } from './referrers.ts';
import { describeArtifacts, describeImages, describeReferrers, leaveOut, sameBundle, type DescribedImage, type Placements } from './export-entries.ts';
import { dropFailed, isImageFault, skippedAtPlan, type CarriedGraphs } from './keep-going.ts';

/** Eight blobs in flight: keeps a USB 3 drive and a registry busy without thrashing a spinning disk. */
export const DEFAULT_EXPORT_CONCURRENCY = 8;

/** One image's part of a bundle: the config and layer digests it carries, and the bytes an incremental bundle leaves out. */
export interface ImageBlobShare {
  carried: string[];
  omittedBytes: number;
}

/** What to export and where. */
export interface ExportRequest {
  references: Reference[];
  /** Non-image content to build into OCI artifacts (image sets' `files:`, package repositories, charts from HTTP repositories). */
  artifacts?: LocalArtifact[];
  imageSet: BundleImageSet;
  target: string;
  platforms: PlatformSelection;
  archive?: boolean;
  partSize?: number;
  dryRun?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: TransferEvent) => void;
  /** Told the ferry.json just written and the digest of its exact bytes, so the catalog records what was written without reading it back. */
  onWritten?: (written: { manifest: BundleManifest; ferryJsonDigest: string }) => void;
  /**
   * Told once, after resolving: by image name, the config and layer digests this bundle carries
   * and the bytes an incremental bundle leaves out (the app maps blob progress to images).
   */
  onImageBlobs?: (blobs: ReadonlyMap<string, ImageBlobShare>) => void;
  /** Where image-set resolvers want images to land, by formatted source reference (recorded in ferry.json, honoured by import). */
  placements?: Placements;
  /** False leaves out the images' signatures, attestations and SBOMs (`--no-referrers`); by default they travel with their images. */
  referrers?: boolean;
  /** An incremental bundle: leave out the configs and layers the site already holds, and record the parent. */
  incremental?: { parent: { bundleId: string; sequence: number }; siteHas: ReadonlySet<string> };
  /** The export channel ferry.json names (connected site + image set): what `sequence` counts on. */
  channel?: string;
  /** The bundle's sequence on its channel; the incremental parent's + 1 (or 1) when not given. */
  sequence?: number;
  /**
   * `--keep-going`: a reference that cannot be resolved, or whose content fails to download after the retries, is
   * skipped (listed in ferry.json's `skipped` with its reason) and the rest is carried; without it the first fails the job.
   */
  keepGoing?: boolean;
}

/** The result of an export (or of its dry run). */
export interface ExportSummary {
  bundle: string;
  bundleId: string | undefined;
  form: 'directory' | 'archive' | undefined;
  formReason: string | undefined;
  images: BundleImage[];
  blobs: number;
  bytes: number;
  savedByDedup: number;
  /** Incremental bundles: the parent and the bytes left out because the site already has them. */
  parent: string | null;
  savedByIncremental: number;
  parts: PartInfo[];
  dryRun: boolean;
  /** The folder already held this very bundle; nothing was written. */
  alreadyComplete: boolean;
  seconds: number;
  /** Referrer lookups a registry failed (other than "none here"): the images travel without those referrers. */
  referrerNotes?: string[];
  /** References left out by a keep-going export (empty otherwise), as ferry.json records them. */
  skipped: BundleSkipped[];
}

function exporter(): BundleManifest['exporter'] {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the bundle still records the host.
  }
  return { host: hostname(), user, ferryVersion: ferryVersion() };
}

/** What the bundle will hold: the plan of its content (minus what the site has) and its ferry.json / index.json entries. */
interface BundleLayout {
  plan: ExportPlan;
  omitted: Array<{ digest: string; size: number }>;
  images: DescribedImage[];
  /** The pulled images and referrers, in plan order. */
  graphs: ImageGraph[];
  /** How many of `images` are pulled (the rest are local artifacts). */
  pulled: number;
}

/** Lays out the bundle for the images and referrers carried and the local artifacts. */
function layoutOf(carried: CarriedGraphs, artifacts: LocalArtifactGraph[], request: ExportRequest): BundleLayout {
  // Referrers are graphs like any image's: planned, deduplicated and verified the same way.
  const graphs = [...carried.subjects, ...carried.referrers.map((referrer) => referrer.graph)];
  const { plan, omitted } = leaveOut(planContent(graphs, artifacts), request.incremental?.siteHas);
  const described = describeImages(carried.subjects, request.placements);
  const pulled = [...described, ...describeReferrers(carried.referrers, described)];
  return { plan, omitted, images: [...pulled, ...describeArtifacts(artifacts, pulled)], graphs, pulled: pulled.length };
}

/** By image name, the config and layer digests the bundle carries and the bytes it leaves out (ExportRequest.onImageBlobs). */
function imageBlobShares(layout: BundleLayout, artifacts: LocalArtifactGraph[]): Map<string, ImageBlobShare> {
  const left = new Set(layout.omitted.map((blob) => blob.digest));
  const share = (blobs: ImageGraph['blobs']): ImageBlobShare => ({
    carried: blobs.filter((blob) => !left.has(blob.digest)).map((blob) => blob.digest),
    omittedBytes: blobs.filter((blob) => left.has(blob.digest)).reduce((sum, blob) => sum + blob.size, 0),
  });
  const byImage = new Map<string, ImageBlobShare>();
  for (const graph of layout.graphs) {
    const name = formatReference(graph.reference);
    if (!byImage.has(name)) byImage.set(name, share(graph.blobs));
  }
  for (const [i, graph] of artifacts.entries()) byImage.set(layout.images[layout.pulled + i]?.name ?? graph.artifact.source, share(graph.blobs));
  return byImage;
}

/** Resolves the references: with keep-going, the ones that fail are skipped (all of them failing still fails the job). */
async function resolveSubjects(request: ExportRequest, registries: Registries, dir: string): Promise<{ subjects: ImageGraph[]; skipped: BundleSkipped[] }> {
  const folder = await FolderManifests.open(dir); // a rerun takes the manifests it wrote from its folder, not the source's pull quota
  const held = folder ? () => folder : undefined;
  if (request.keepGoing !== true) return { subjects: await resolveAll(request.references, registries, request.platforms, request.signal, held), skipped: [] };
  const { graphs, problems } = await resolveEach(request.references, registries, request.platforms, request.signal, held);
  const subjects = graphs.filter((graph): graph is ImageGraph => graph !== undefined);
  if (problems.length > 0 && subjects.length === 0 && (request.artifacts ?? []).length === 0) throw unresolvedError(problems);
  return { subjects, skipped: skippedAtPlan(problems) };
}

/** Runs an export; see the module comment for the order of things. */
export async function exportBundle(request: ExportRequest, registries: Registries): Promise<ExportSummary> {
  const started = Date.now();
  const dir = resolve(request.target);
  const resolved = await resolveSubjects(request, registries, dir);
  const discovery = request.referrers === false ? { referrers: [], notes: [] } : await discoverReferrers(resolved.subjects, registries, request.signal);
  const artifacts = await buildAllArtifacts(request.artifacts ?? [], request.signal);
  let carried: CarriedGraphs = { subjects: resolved.subjects, referrers: discovery.referrers };
  let layout = layoutOf(carried, artifacts, request);
  request.onImageBlobs?.(imageBlobShares(layout, artifacts));
  const planned = (): void =>
    request.onEvent?.({ type: 'planned', images: layout.images.length, blobs: layout.plan.content.length, bytes: layout.plan.uniqueBytes, savedByDedup: layout.plan.savedByDedup });
  planned();
  const summarise = (): Pick<ExportSummary, 'images' | 'blobs' | 'bytes' | 'savedByDedup' | 'savedByIncremental'> => ({
    images: layout.images.map(({ manifestSize: _size, ...image }) => image),
    blobs: layout.plan.content.length,
    bytes: layout.plan.uniqueBytes,
    savedByDedup: layout.plan.savedByDedup,
    savedByIncremental: layout.omitted.reduce((sum, blob) => sum + blob.size, 0),
  });
  const summary: ExportSummary = {
    bundle: dir,
    bundleId: undefined,
    form: undefined,
    formReason: undefined,
    ...summarise(),
    parent: request.incremental?.parent.bundleId ?? null,
    parts: [],
    dryRun: request.dryRun === true,
    alreadyComplete: false,
    seconds: 0,
    skipped: resolved.skipped,
    ...(discovery.notes.length > 0 ? { referrerNotes: discovery.notes } : {}),
  };
  if (request.dryRun) return { ...summary, seconds: (Date.now() - started) / 1000 };

  const target = await inspectTarget(dir);
  if (!target.writable) throw new FerryError('IO_ERROR', `${dir} is not writable (${target.mountPoint}, ${target.fsType})`, { path: dir });
  const form = chooseBundleForm(target, { ...(request.archive !== undefined ? { archive: request.archive } : {}), ...(request.partSize !== undefined ? { partSize: request.partSize } : {}) });
  summary.form = form.archive ? 'archive' : 'directory';
  summary.formReason = form.reason;
  const folder = await inspectFolder(dir);
  let partial: BundleManifest | undefined;
  if (folder.finished) {
    if (sameBundle(folder.finished, layout.plan, summary.images)) {
      await sweepTempFiles(dir);
      await clearExportState(dir);
      const done = folder.finished;
      return { ...summary, bundleId: done.bundleId, form: done.form, parts: done.parts, alreadyComplete: true, seconds: (Date.now() - started) / 1000 };
    }
    if (!folder.finished.skipped?.length) {
      throw new FerryError('INVALID_ARGUMENT', `${dir} already holds bundle ${folder.finished.bundleId} (created ${folder.finished.created}) with other images; export into an empty folder`, {
        path: dir,
        bundleId: folder.finished.bundleId,
      });
    }
    partial = folder.finished;
  }

  let previous = folder.journal;
  let state: ExportState;
  let index: string;
  // Once per layout: a keep-going export whose blobs failed lays the bundle out again without the images they belonged to.
  for (;;) {
    const { plan } = layout;
    index = indexJson(layout.images.map((image): LayoutImage => ({ name: image.name, source: image.source, digest: image.digest, mediaType: image.mediaType, manifestSize: image.manifestSize })));
    const job = {
      form: summary.form,
      partSize: form.archive ? (form.partSize ?? null) : null,
      content: plan.content.map((item) => item.digest),
      index: createHash('sha256').update(index).digest('hex'),
    };
    state =
      previous && sameJob(previous, job)
        ? { ...previous, parts: await partsStillThere(dir, previous.parts) }
        : { version: 1, bundleId: randomUUID(), created: new Date().toISOString(), ...job, parts: [] };
    const store = new BlobDirectory(dir);
    const entries = [
      { name: BUNDLE_FILES.ociLayout, size: OCI_LAYOUT_CONTENT.length },
      { name: BUNDLE_FILES.index, size: Buffer.byteLength(index) },
      ...plan.content.map((c) => ({ name: `blobs/sha256/${c.digest.slice(7)}`, size: c.size })),
    ];
    const written = form.archive ? state.parts.reduce((sum, part) => sum + part.size, 0) : await store.storedBytes(plan.content);
    checkFreeSpace(target, Math.max(0, (form.archive ? tarLayout(entries).totalSize : plan.uniqueBytes) - written));
    await mkdir(dir, { recursive: true });
    // The new journal is durable before anything of the old job is removed: a kill in between leaves a journal that matches the disk.
    await saveExportState(dir, state);
    if (previous && previous.bundleId !== state.bundleId) await removeStale(dir, previous, state.form);
    if (partial) await retirePartial(dir, partial);
    partial = undefined;
    summary.bundleId = state.bundleId;

    const failures = new Map<string, unknown>();
    const context: FormWriterContext = {
      dir,
      content: plan.content,
      indexJson: index,
      concurrency: request.concurrency ?? DEFAULT_EXPORT_CONCURRENCY,
      source: await PlannedSource.open(plan.content, registries),
      report: (progress) => request.onEvent?.({ type: 'blob', progress }),
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.keepGoing === true
        ? {
            onBlobFailed: (digest: string, error: unknown) => {
              if (!isImageFault(error)) return false;
              failures.set(digest, error);
              return true;
            },
          }
        : {}),
    };
    try {
      if (form.archive && form.partSize !== undefined) summary.parts = await writeArchive(context, form.partSize, state, dir);
      else await writeDirectoryForm(context);
    } catch (error) {
      if (failures.size === 0 || !isImageFault(error)) throw error;
    }
    if (failures.size === 0) break;
    const dropped = dropFailed(carried, failures);
    carried = dropped;
    layout = layoutOf(carried, artifacts, request);
    // A failed blob that a local artifact needs (its file changed, a built image's base layer) is no reference to skip.
    const stillNeeded = layout.plan.content.find((item) => failures.has(item.digest));
    if (stillNeeded) throw failures.get(stillNeeded.digest);
    if (layout.images.length === 0) throw failures.values().next().value;
    summary.skipped = [...summary.skipped, ...dropped.skipped];
    Object.assign(summary, summarise());
    planned();
    previous = state;
  }
  const { plan, omitted } = layout;
  const manifest: BundleManifest = {
    // A bundle without local artifacts stays at the plain version, which every earlier Ferry reads.
    formatVersion: artifacts.length > 0 ? BUNDLE_FORMAT_ARTIFACTS : BUNDLE_FORMAT_PLAIN,
    bundleId: state.bundleId,
    sequence: request.sequence ?? (request.incremental?.parent.sequence ?? 0) + 1,
    created: state.created,
    exporter: exporter(),
    form: summary.form,
    // Failed referrer lookups join the plan's notes, so the importing side's officer reads them too.
    imageSet: discovery.notes.length > 0 ? { ...request.imageSet, notes: [...(request.imageSet.notes ?? []), ...discovery.notes] } : request.imageSet,
    images: summary.images,
    blobs: plan.content.map(({ digest, size }) => ({ digest, size })),
    parts: summary.parts,
    parent: summary.parent,
    ...(omitted.length > 0 ? { omitted } : {}),
    ...(request.channel !== undefined ? { channel: request.channel } : {}),
    // The pin of index.json's exact bytes: with it, ferry.json covers every byte of the bundle, and one signature over it does too.
    index: { digest: sha256Digest(index), size: Buffer.byteLength(index) },
    ...(summary.skipped.length > 0 ? { skipped: summary.skipped } : {}),
  };
  await sweepTempFiles(dir);
  const ferryJson = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeFileDurable(join(dir, BUNDLE_FILES.manifest), ferryJson);
  await clearExportState(dir);
  request.onWritten?.({ manifest, ferryJsonDigest: `sha256:${createHash('sha256').update(ferryJson).digest('hex')}` });
  return { ...summary, seconds: (Date.now() - started) / 1000 };
}

/**
 * Where an export reads its content: manifests from memory (fetched and verified, or built, while planning),
 * blobs from the repository each was planned from, local artifacts' files from disk (hashed again as they copy).
 */
class PlannedSource implements BlobSource {
  private readonly manifests: MemoryBlobSource;
  private readonly origins = new Map<string, Reference>();
  private readonly files: LocalFileBlobSource;
  /** The registries' clients, fetched once up front, so a blob's bytes reach the writer without a wrapping stream per blob. */
  private readonly clients = new Map<string, RegistryClient>();

  /** The source with a client for every registry the plan reads from (planning made them already, so this only looks them up). */
  static async open(content: PlannedContent[], registries: Registries): Promise<PlannedSource> {
    const source = new PlannedSource(content, registries);
    for (const registry of new Set([...source.origins.values()].map((reference) => reference.registry))) {
      source.clients.set(registry, await registries.client(registry));
    }
    return source;
  }

  private constructor(
    content: PlannedContent[],
    private readonly registries: Registries,
  ) {
    const bytes = new Map<string, Uint8Array>();
    const files = new Map<string, PlannedFile>();
    for (const item of content) {
      if (item.bytes) bytes.set(item.digest, item.bytes);
      else if (item.source && 'file' in item.source) files.set(item.digest, item.source.file);
      else if (item.source) this.origins.set(item.digest, item.source.reference);
    }
    this.manifests = new MemoryBlobSource(bytes, 'fetched while planning');
    this.files = new LocalFileBlobSource(files);
  }

  /** Names the blob by the repository or file it is read from. */
  describe(blob: BlobRef): string {
    const reference = this.origins.get(blob.digest);
    if (this.files.has(blob.digest)) return this.files.describe(blob);
    return reference ? `blob ${blob.digest} in ${reference.registry}/${reference.repository}` : this.manifests.describe(blob);
  }

  /** The blob's raw bytes from `start`, from memory, its local file or its repository. */
  open(blob: BlobRef, start: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    if (this.files.has(blob.digest)) return this.files.open(blob, start, signal);
    const reference = this.origins.get(blob.digest);
    if (!reference) return this.manifests.open(blob, start);
    const client = this.clients.get(reference.registry);
    if (client) return new RepositoryBlobs(client, reference.repository).open(blob, start, signal);
    const registries = this.registries;
    return (async function* () {
      yield* new RepositoryBlobs(await registries.client(reference.registry), reference.repository).open(blob, start, signal);
    })();
  }
}
