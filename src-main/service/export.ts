/**
 * Export for the app: the same steps as `ferry export` (references, pasted
 * list, set file, platforms, a dry-run plan, then the run recorded in the
 * catalog), with unresolvable references answered as plan problems.
 */
import { basename, resolve } from 'node:path';
import type { ExportInput, ExportPlanResult, PlannedImage, RegistryAccessInput } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseSize } from '../../src-shared/units.ts';
import type { BundleImage, BundleImageSet } from '../../src-shared/model/bundle.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import type { Catalog } from '../catalog/index.ts';
import { withCatalogJob } from '../catalog/catalog-job.ts';
import { ALL_PLATFORMS, parsePlatform, type PlatformSelection } from '../oci/platform.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { Registries } from '../oci/registry/registries.ts';
import { readImageSet, placeImageSet } from '../sources/image-set.ts';
import { exportBundle, type ExportRequest, type ExportSummary, type ImageBlobShare } from '../transfer/export.ts';
import { parseImageList, readImageList } from '../sources/image-list.ts';
import { incrementalBase } from '../catalog/incremental.ts';
import { accessFrom, argsObject, optionalString, stringList, type SavedLogin } from './access.ts';
import type { JobContext } from './jobs.ts';
import { recordExport } from '../catalog/job-records.ts';

/** The name a pasted image list gets in ferry.json and messages. */
const PASTED_LIST = 'pasted image list';

/** An export request built from the UI's input, minus the per-run parts. */
interface PreparedExport {
  request: Omit<ExportRequest, 'target'> & { target: string };
  registries: Registries;
}

/** Checks the input of export:plan and export:run. */
export function exportInput(raw: unknown): ExportInput {
  const args = argsObject(raw);
  const input: ExportInput = { references: stringList(args, 'references').map((r) => r.trim()).filter((r) => r !== ''), target: optionalString(args, 'target') ?? '' };
  const text = optionalString(args, 'imageListText');
  if (text !== undefined && text.trim() !== '') input.imageListText = text;
  const listFile = optionalString(args, 'imageListFile');
  if (listFile !== undefined && listFile.trim() !== '') input.imageListFile = listFile.trim();
  const setFile = optionalString(args, 'setFile');
  if (setFile !== undefined && setFile.trim() !== '') input.setFile = setFile.trim();
  const site = optionalString(args, 'site');
  if (site !== undefined && site.trim() !== '') input.site = site.trim();
  if (args.archive === true) input.archive = true;
  const partSize = optionalString(args, 'partSize');
  if (partSize !== undefined) input.partSize = partSize;
  const platforms = stringList(args, 'platforms');
  if (platforms.length > 0) input.platforms = platforms;
  if (typeof args.registry === 'object' && args.registry !== null) input.registry = args.registry as RegistryAccessInput;
  return input;
}

/**
 * Resolves the input into an export request: the CLI's `referencesFrom`,
 * `incrementalBase` and `resolveSet`, for UI inputs. The catalog is opened
 * only when a site is named.
 */
async function prepare(input: ExportInput, catalog: () => Catalog, signal?: AbortSignal, savedLogin?: SavedLogin): Promise<PreparedExport> {
  const references: Reference[] = input.references.map(parseReference);
  const imageSet: BundleImageSet = { references: references.map(formatReference), lists: [], platforms: [] };
  if (input.imageListFile !== undefined) {
    const listed = (await readImageList(input.imageListFile)).map((l) => l.reference);
    references.push(...listed);
    imageSet.lists.push({ file: basename(input.imageListFile), references: listed.map(formatReference) });
  }
  if (input.imageListText !== undefined) {
    const listed = parseImageList(input.imageListText, PASTED_LIST).map((l) => l.reference);
    references.push(...listed);
    imageSet.lists.push({ file: PASTED_LIST, references: listed.map(formatReference) });
  }
  if (references.length === 0 && input.setFile === undefined) throw new FerryError('INVALID_ARGUMENT', 'name at least one image: paste references, or open an image list or an image set file');
  // Before any registry is asked: an unknown site fails at once, naming what to do.
  const incremental = input.site !== undefined ? await incrementalBase(catalog(), input.site, undefined) : undefined;
  let platforms: PlatformSelection = ALL_PLATFORMS;
  if (input.platforms?.length) {
    platforms = { kind: 'some', platforms: input.platforms.map(parsePlatform) };
    imageSet.platforms = [...input.platforms];
  }
  const set = input.setFile !== undefined ? await readImageSet(input.setFile) : undefined;
  if (set && platforms.kind === 'all' && set.platforms.length > 0) platforms = { kind: 'some', platforms: set.platforms.map(parsePlatform) };
  const registries = new Registries(accessFrom(input.registry, references.map((r) => r.registry), savedLogin));
  const request: PreparedExport['request'] = { references, imageSet, target: input.target, platforms };
  if (incremental) request.incremental = incremental;
  if (input.archive === true) request.archive = true;
  if (input.partSize !== undefined) request.partSize = parseSize(input.partSize);
  if (set) {
    try {
      request.placements = await placeImageSet(set, { registries, platforms, ...(signal ? { signal } : {}) }, imageSet, references);
    } catch (error) {
      await registries.close();
      throw error;
    }
  }
  return { request, registries };
}

function planned(image: BundleImage, blobs: ReadonlyMap<string, ImageBlobShare>): PlannedImage {
  const own = blobs.get(image.name);
  const out: PlannedImage = { reference: image.name, digest: image.digest, mediaType: image.mediaType, platforms: image.platforms, size: image.size, blobs: own?.carried ?? [] };
  if (own && own.omittedBytes > 0) out.omittedBytes = own.omittedBytes;
  if (image.section !== undefined) out.section = image.section;
  if (image.targets?.length) out.targets = image.targets;
  return out;
}

/** The per-reference failures `resolveAll` lists in its error's details, or undefined when the error is of another kind. */
function resolveProblems(error: unknown): Array<{ reference: string; message: string }> | undefined {
  if (!(error instanceof FerryError) || !Array.isArray(error.details?.problems)) return undefined;
  const problems = error.details.problems as Array<{ reference?: unknown; error?: { message?: unknown } }>;
  if (!problems.every((p) => typeof p.reference === 'string')) return undefined;
  return problems.map((p) => ({ reference: String(p.reference), message: String(p.error?.message ?? error.message) }));
}

/** export:plan — a dry run; references that cannot be resolved become `problems`, the rest are planned. */
export async function planExport(input: ExportInput, catalog: () => Catalog, savedLogin?: SavedLogin): Promise<ExportPlanResult> {
  const { request, registries } = await prepare(input, catalog, undefined, savedLogin);
  try {
    const imageBlobs = new Map<string, ImageBlobShare>();
    const onImageBlobs = (found: ReadonlyMap<string, ImageBlobShare>): void => found.forEach((blobs, name) => imageBlobs.set(name, blobs));
    const dryRun = async (references: Reference[]): Promise<ExportSummary> => exportBundle({ ...request, references, target: request.target || '.', dryRun: true, onImageBlobs }, registries);
    let problems: ExportPlanResult['problems'] = [];
    let summary: ExportSummary | undefined;
    try {
      summary = await dryRun(request.references);
    } catch (error) {
      const found = resolveProblems(error);
      if (!found) throw error;
      problems = found;
      const failed = new Set(found.map((p) => p.reference));
      const rest = request.references.filter((r) => !failed.has(formatReference(r)));
      if (rest.length > 0) summary = await dryRun(rest);
    }
    const result: ExportPlanResult = {
      images: summary?.images.map((image) => planned(image, imageBlobs)) ?? [], blobs: summary?.blobs ?? 0, bytes: summary?.bytes ?? 0,
      savedByDedup: summary?.savedByDedup ?? 0, notes: request.imageSet.notes ?? [], problems,
    };
    if (summary?.parent) {
      result.parent = summary.parent;
      result.savedByIncremental = summary.savedByIncremental;
    }
    return result;
  } finally {
    await registries.close();
  }
}

/** What an export job answers when it ends. */
export interface ExportJobResult {
  bundleId: string | undefined;
  bundle: string;
  form: ExportSummary['form'];
  formReason: string | undefined;
  images: number;
  blobs: number;
  bytes: number;
  parts: number;
  alreadyComplete: boolean;
  seconds: number;
}

/** export:run's body: the CLI's export steps, recorded in the catalog, as a job. */
export async function runExportJob(input: ExportInput, catalog: Catalog, { signal, tracker }: JobContext, savedLogin?: SavedLogin): Promise<ExportJobResult> {
  if (input.target.trim() === '') throw new FerryError('INVALID_ARGUMENT', 'choose where to write the bundle (a drive or a folder)');
  const { request, registries } = await prepare(input, () => catalog, signal, savedLogin);
  try {
    const target = resolve(request.target);
    const summary = await withCatalogJob(catalog, 'export', target, { target, images: request.references.length, site: input.site ?? null }, (journal) => exportBundle({
      ...request, target, signal,
      onEvent: (event) => {
        if (event.type === 'blob' && (event.progress.state === 'finished' || event.progress.state === 'skipped')) journal.markDone(event.progress.digest, event.progress.total);
        tracker.onEvent(event);
      },
    }, registries));
    if (!summary.alreadyComplete && summary.bundleId) recordExport(catalog, summary.bundle, input.site);
    return {
      bundleId: summary.bundleId, bundle: summary.bundle, form: summary.form, formReason: summary.formReason, images: summary.images.length,
      blobs: summary.blobs, bytes: summary.bytes, parts: summary.parts.length, alreadyComplete: summary.alreadyComplete, seconds: summary.seconds,
    };
  } finally {
    await registries.close();
  }
}
