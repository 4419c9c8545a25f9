/**
 * The export job: image set → bundle on removable media. Plans first (every
 * reference resolved, every failure listed, nothing written), checks the
 * target (writable, file system, free space), writes the content in the
 * directory or archive form, resumes whatever an earlier run left, and writes
 * ferry.json last, so a folder without it is never a bundle.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, BUNDLE_FORMAT_VERSION, type BundleImage, type BundleImageSet, type BundleManifest } from '../../src-shared/model/bundle.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import type { TransferEvent } from '../../src-shared/model/progress.ts';
import { parseBundleManifest } from '../../src-shared/bundle-schema.ts';
import type { ImageGraph } from '../oci/image-graph.ts';
import type { BlobOpener } from '../bundle/blob-directory.ts';
import { formatPlatform, type PlatformSelection } from '../oci/platform.ts';
import { formatReference } from '../oci/reference.ts';
import { readBlob } from '../oci/registry/blobs.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { clearExportState, readExportState, saveExportState, sameJob, type ExportState } from '../bundle/export-state.ts';
import { writeFileDurable } from '../bundle/fs-durable.ts';
import { indexJson, type IndexEntry } from '../bundle/layout.ts';
import { tarLayout, type PartInfo } from '../bundle/parts.ts';
import { removePartsFrom, writeArchiveForm } from '../bundle/write-archive.ts';
import { writeDirectoryForm, type FormWriterContext } from '../bundle/write-directory.ts';
import { checkFreeSpace, chooseBundleForm, inspectTarget, type BundleForm } from '../media/filesystem.ts';
import { ferryVersion } from '../version.ts';
import { resolveAll, planContent, type ExportPlan, type PlannedContent } from './plan.ts';

/** Eight blobs in flight: keeps a USB 3 drive and a registry busy without thrashing a spinning disk. */
export const DEFAULT_EXPORT_CONCURRENCY = 8;

/** What to export and where. */
export interface ExportRequest {
  references: Reference[];
  imageSet: BundleImageSet;
  target: string;
  platforms: PlatformSelection;
  archive?: boolean;
  partSize?: number;
  dryRun?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: TransferEvent) => void;
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
  parts: PartInfo[];
  dryRun: boolean;
  /** The folder already held this very bundle; nothing was written. */
  alreadyComplete: boolean;
  seconds: number;
}

/** Folder entries an export may find and reuse; anything else means the folder is not ours to write into. */
const OWN_ENTRY = /^(oci-layout|index\.json|ferry\.json|blobs|\.ferry-export\.json|part-\d{6}\.tar(\.partial)?|.+\.tmp-[0-9a-f]+)$/;

/** The images as ferry.json and index.json describe them. */
function describeImages(graphs: ImageGraph[]): Array<BundleImage & { manifestSize: number }> {
  const seen = new Set<string>();
  return graphs.flatMap((graph) => {
    const name = formatReference(graph.reference);
    if (seen.has(name)) return [];
    seen.add(name);
    const image: BundleImage & { manifestSize: number } = {
      name, source: name, digest: graph.root.digest, mediaType: graph.root.mediaType,
      platforms: graph.platforms.map(formatPlatform), size: graph.totalSize, manifestSize: graph.root.bytes.length,
    };
    if (graph.reference.tag !== undefined) image.tag = graph.reference.tag;
    return [image];
  });
}

/** Refuses a folder holding someone else's files or a different finished bundle; says whether this bundle is already there. */
async function checkFolder(dir: string, plan: ExportPlan, images: BundleImage[]): Promise<{ complete: BundleManifest | undefined }> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const foreign = names.filter((name) => !OWN_ENTRY.test(name));
  if (foreign.length > 0) {
    throw new FerryError('INVALID_ARGUMENT', `${dir} is not empty and is not a Ferry bundle (found ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); choose an empty folder`, { path: dir });
  }
  if (!names.includes(BUNDLE_FILES.manifest)) return { complete: undefined };
  const existing = parseBundleManifest(await readFile(join(dir, BUNDLE_FILES.manifest), 'utf8'), join(dir, BUNDLE_FILES.manifest));
  const same = existing.blobs.length === plan.content.length
    && existing.images.map((i) => `${i.name}@${i.digest}`).sort().join() === images.map((i) => `${i.name}@${i.digest}`).sort().join();
  if (!same) {
    throw new FerryError('INVALID_ARGUMENT', `${dir} already holds bundle ${existing.bundleId} (created ${existing.created}) with other images; export into an empty folder`, { path: dir, bundleId: existing.bundleId });
  }
  return { complete: existing };
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

/** Bytes still to write: the plan minus what a resumed run already has. */
function bytesNeeded(plan: ExportPlan, form: BundleForm, state: ExportState | undefined, entries: Array<{ name: string; size: number }>): number {
  if (!form.archive) return plan.uniqueBytes;
  const done = (state?.parts ?? []).reduce((sum, part) => sum + part.size, 0);
  return Math.max(0, tarLayout(entries).totalSize - done);
}

/** Runs an export; see the module comment for the order of things. */
export async function exportBundle(request: ExportRequest, registries: Registries): Promise<ExportSummary> {
  const started = Date.now();
  const dir = resolve(request.target);
  const graphs = await resolveAll(request.references, registries, request.platforms, request.signal);
  const plan = planContent(graphs);
  const images = describeImages(graphs);
  request.onEvent?.({ type: 'planned', images: images.length, blobs: plan.content.length, bytes: plan.uniqueBytes, savedByDedup: plan.savedByDedup });
  const summary: ExportSummary = {
    bundle: dir, bundleId: undefined, form: undefined, formReason: undefined, images: images.map(({ manifestSize: _size, ...image }) => image),
    blobs: plan.content.length, bytes: plan.uniqueBytes, savedByDedup: plan.savedByDedup, parts: [], dryRun: request.dryRun === true, alreadyComplete: false, seconds: 0,
  };
  if (request.dryRun) return { ...summary, seconds: (Date.now() - started) / 1000 };

  const target = await inspectTarget(dir);
  if (!target.writable) throw new FerryError('IO_ERROR', `${dir} is not writable (${target.mountPoint}, ${target.fsType})`, { path: dir });
  const form = chooseBundleForm(target, { ...(request.archive !== undefined ? { archive: request.archive } : {}), ...(request.partSize !== undefined ? { partSize: request.partSize } : {}) });
  summary.form = form.archive ? 'archive' : 'directory';
  summary.formReason = form.reason;
  const { complete } = await checkFolder(dir, plan, summary.images);
  if (complete) return { ...summary, bundleId: complete.bundleId, parts: complete.parts, alreadyComplete: true, seconds: (Date.now() - started) / 1000 };

  const content = plan.content.map((item) => item.digest);
  const partSize = form.archive ? (form.partSize ?? null) : null;
  const previous = await readExportState(dir);
  const reusable = previous !== undefined && sameJob(previous, summary.form, partSize, content);
  const state: ExportState = reusable && previous
    ? previous
    : { version: 1, bundleId: randomUUID(), created: new Date().toISOString(), form: summary.form, partSize, content, parts: [] };
  if (previous && !reusable) await removePartsFrom(dir, 0, previous.parts.length + 1);
  const index = indexJson(images.map((image): IndexEntry => ({ name: image.name, source: image.source, digest: image.digest, mediaType: image.mediaType, manifestSize: image.manifestSize })));
  const entries = [{ name: BUNDLE_FILES.ociLayout, size: 0 }, ...plan.content.map((c) => ({ name: `blobs/sha256/${c.digest.slice(7)}`, size: c.size })), { name: BUNDLE_FILES.index, size: Buffer.byteLength(index) }];
  checkFreeSpace(target, bytesNeeded(plan, form, state, entries));
  await mkdir(dir, { recursive: true });
  await saveExportState(dir, state);
  summary.bundleId = state.bundleId;

  const context: FormWriterContext = {
    dir, content: plan.content, indexJson: index, concurrency: request.concurrency ?? DEFAULT_EXPORT_CONCURRENCY,
    open: (item) => opener(item, registries, request.signal),
    report: (progress) => request.onEvent?.({ type: 'blob', progress }),
    ...(request.signal ? { signal: request.signal } : {}),
  };
  if (form.archive && form.partSize !== undefined) {
    const archive = { ...context, partSize: form.partSize, mtime: new Date(state.created), completedParts: state.parts };
    const onPartComplete = async (parts: PartInfo[]): Promise<void> => saveExportState(dir, { ...state, parts });
    try {
      summary.parts = await writeArchiveForm({ ...archive, onPartComplete });
    } catch (error) {
      // Bytes a killed run left in completed parts failed their blob's digest: start the archive over, once.
      const badResume = state.parts.length > 0 && error instanceof FerryError && (error.code === 'DIGEST_MISMATCH' || error.code === 'SIZE_MISMATCH');
      if (!badResume) throw error;
      await removePartsFrom(dir, 0, state.parts.length + 1);
      await saveExportState(dir, { ...state, parts: [] });
      summary.parts = await writeArchiveForm({ ...archive, completedParts: [], onPartComplete });
    }
  } else {
    await writeDirectoryForm(context);
  }
  const manifest: BundleManifest = {
    formatVersion: BUNDLE_FORMAT_VERSION, bundleId: state.bundleId, sequence: 1, created: state.created, exporter: exporter(), form: summary.form,
    imageSet: request.imageSet, images: summary.images, blobs: plan.content.map(({ digest, size }) => ({ digest, size })), parts: summary.parts, parent: null,
  };
  await writeFileDurable(join(dir, BUNDLE_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  await clearExportState(dir);
  return { ...summary, seconds: (Date.now() - started) / 1000 };
}

/** Opens a planned blob from its source registry from `start`, verified as it streams. */
function opener(item: PlannedContent, registries: Registries, signal: AbortSignal | undefined): BlobOpener {
  const reference = item.source?.reference;
  return (start, verifier) => (async function* () {
    if (!reference) throw new FerryError('INTERNAL', `no source for ${item.digest}`);
    const client = await registries.client(reference.registry);
    yield* readBlob(client, reference.repository, item, { start, verifier, ...(signal ? { signal } : {}) });
  })();
}
