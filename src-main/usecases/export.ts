/**
 * The export use case, whole: the image references (typed, listed in files,
 * pasted, or resolved from an image set with its Deckhouse license), the
 * incremental base of a site or receipt, the plan, the engine's export, the
 * catalog job and record, and the read-back. `ferry export` and the app's
 * export wizard both enter here, so they cannot drift apart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { ExportPlanResult, PlannedImage } from '../../src-shared/api/contract.ts';
import { errorHint, FerryError } from '../../src-shared/errors.ts';
import type { BundleImage, BundleImageSet } from '../../src-shared/model/bundle.ts';
import { CHANNEL_PATTERN } from '../../src-shared/schemas/bundle-manifest.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import { readBack } from '../bundle/read-back.ts';
import type { Catalog } from '../catalog/index.ts';
import { ALL_PLATFORMS, parsePlatform, type PlatformSelection } from '../oci/platform.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { Registries } from '../oci/registry/registries.ts';
import { exportBundle, type ExportRequest, type ExportSummary, type ImageBlobShare } from '../transfer/export.ts';
import { parseImageList, readImageList } from '../sources/image-list.ts';
import type { LocalArtifact } from '../sources/types.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import { withCatalogJob } from './catalog-job.ts';
import { deckhouseLicense } from './deckhouse-license.ts';
import { incrementalBase } from './incremental.ts';
import { openExportSigner, signExportedBundle, type ExportSignature, type ExportSigning } from './export-signing.ts';
import { recordExport, type IdentifiedBundle } from './job-records.ts';
import type { JobContext } from './job-context.ts';
import { checkedEndpoints, type OpenShiftEndpoints } from './openshift-endpoints.ts';

/** The name a pasted image list gets in ferry.json and messages. */
const PASTED_LIST = 'pasted image list';

/** What to export, as every front end asks for it; `updateService` and `signatureStore` serve a set's OpenShift release channels. */
export interface ExportJobInput extends OpenShiftEndpoints {
  /** The bundle folder; may be empty for a plan. */
  target: string;
  /** Image references typed by the user. */
  references: string[];
  /** Image list files (one reference per line, # comments). */
  imageListFiles?: string[];
  /** A pasted image list. */
  imageListText?: string;
  /** An image set file (YAML or JSON). */
  setFile?: string;
  /** A Deckhouse license key typed in the app: the password of the set's Deckhouse source, in place of the set's `license:`. */
  deckhouseLicense?: string;
  /** `os/arch[/variant]` to keep; empty or absent means every platform (or the set's own `platforms:`). */
  platforms?: string[];
  /** Write ordered tar parts instead of a folder of blobs. */
  archive?: boolean;
  /** The largest tar part in bytes. */
  partSize?: number;
  /** Blobs in flight at once. */
  concurrency?: number;
  /** Incremental: leave out what this site's receipts in the catalog say it holds. */
  site?: string;
  /** Incremental: leave out what this receipt file says the site holds (wins over `site`). */
  sinceReceipt?: string;
  /** False leaves out the images' signatures, attestations and SBOMs; by default they travel with their images. */
  referrers?: boolean;
  /** Plan only: resolve everything, write nothing. */
  dryRun?: boolean;
  /** Read the whole bundle back from the media after writing and check every byte. */
  verify?: boolean;
  /** The export channel the bundle's sequence counts on; `<this host>/<set file name or "images">` when not given. */
  channel?: string;
  /**
   * Keep going: references that cannot be resolved, or whose content fails to download after the retries, are
   * skipped and listed in ferry.json with their reasons; the rest is carried. Without it the first failure fails the job.
   */
  keepGoing?: boolean;
  /** Sign the bundle once it is sealed: the key (name or `.key` path) and its passphrase, opened before the export starts. */
  sign?: ExportSigning;
  registry: RegistrySettings;
}

/** What an export answers: the engine's summary, the notes of the resolvers and the read-back, if asked for. */
export interface ExportOutcome {
  summary: ExportSummary;
  notes: string[];
  verified?: { blobs: number; bytes: number };
  /** The signature written beside ferry.json, when the export was asked to sign. */
  signature?: ExportSignature;
}

/** An input resolved into the engine's request, with the registry clients it will use. */
interface PreparedExport {
  request: ExportRequest;
  registries: Registries;
  /** Closes the registry clients and removes what resolvers downloaded or packed. */
  close: () => Promise<void>;
}

/** The references of the input and where each came from, for ferry.json's image set. */
async function referencesOf(input: ExportJobInput): Promise<{ references: Reference[]; imageSet: BundleImageSet }> {
  const references = input.references
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .map(parseReference);
  const imageSet: BundleImageSet = { references: references.map(formatReference), lists: [], platforms: [] };
  const lists: Array<[string, Reference[]]> = [];
  for (const file of input.imageListFiles ?? []) lists.push([basename(file), (await readImageList(file)).map((l) => l.reference)]);
  if (input.imageListText !== undefined && input.imageListText.trim() !== '') lists.push([PASTED_LIST, parseImageList(input.imageListText, PASTED_LIST).map((l) => l.reference)]);
  for (const [file, listed] of lists) {
    references.push(...listed);
    imageSet.lists.push({ file, references: listed.map(formatReference) });
  }
  if (references.length === 0 && input.setFile === undefined) {
    throw new FerryError('INVALID_ARGUMENT', 'name at least one image: a reference, an image list or an image set file', { argument: 'references' });
  }
  return { references, imageSet };
}

/** Resolves the input into the engine's request: references, incremental base, platforms, set placements and registry access. */
async function prepare(input: ExportJobInput, catalog: () => Catalog, signal: AbortSignal | undefined): Promise<PreparedExport> {
  const endpoints = checkedEndpoints(input);
  const { references, imageSet } = await referencesOf(input);
  // Before any registry is asked: an unknown site or a bad receipt fails at once. The catalog is opened only for them.
  const incremental = input.site !== undefined || input.sinceReceipt !== undefined ? await incrementalBase(catalog(), input.site, input.sinceReceipt) : undefined;
  let platforms: PlatformSelection = ALL_PLATFORMS;
  if (input.platforms !== undefined && input.platforms.length > 0) {
    platforms = { kind: 'some', platforms: input.platforms.map(parsePlatform) };
    imageSet.platforms = [...input.platforms];
  }
  // Image sets bring the YAML reader and the platform resolvers: loaded only for an export that names a set.
  const imageSets = input.setFile !== undefined ? await import('../sources/image-set.ts') : undefined;
  const set = imageSets && input.setFile !== undefined ? await imageSets.readImageSet(input.setFile) : undefined;
  // A set's own `platforms:` applies unless the user chose platforms.
  if (set && platforms.kind === 'all' && set.platforms.length > 0) platforms = { kind: 'some', platforms: set.platforms.map(parsePlatform) };
  const access = registryAccessFor(
    input.registry,
    references.map((r) => r.registry),
  );
  const license = set ? await deckhouseLicense(set, input.deckhouseLicense) : undefined;
  if (license && !access.creds) access.creds = license;
  const registries = new Registries(access);
  const request: ExportRequest = { references, imageSet, target: input.target, platforms };
  if (incremental) request.incremental = incremental;
  if (input.archive === true) request.archive = true;
  // `--no-referrers` or the set's `referrers: false` leave them out.
  if (input.referrers === false || set?.sections.referrers === false) request.referrers = false;
  if (input.partSize !== undefined) request.partSize = input.partSize;
  if (input.concurrency !== undefined) request.concurrency = input.concurrency;
  if (input.keepGoing === true) request.keepGoing = true;
  // Downloads and packed package repositories live in a private folder until the export ends.
  let staging: string | undefined;
  const close = async (): Promise<void> => {
    await registries.close();
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  };
  if (set && imageSets) {
    try {
      const httpCharts = set.sections.charts?.filter((chart) => chart.repository.kind === 'http').length ?? 0;
      // OpenShift releases bring their signature files, `platform.graph` its graph data.
      const openshift = set.sections.openshift ? set.sections.openshift.releases.length + (set.sections.openshift.platform ? 1 : 0) : 0;
      const needsStaging = (set.sections.files?.length ?? 0) + (set.sections.packageRepositories?.length ?? 0) + httpCharts + openshift > 0;
      if (needsStaging) staging = await mkdtemp(join(tmpdir(), 'ferry-stage-'));
      const artifacts: LocalArtifact[] = [];
      request.placements = await imageSets.placeImageSet(set, { registries, platforms, ...endpoints, ...(signal ? { signal } : {}), ...(staging ? { staging } : {}) }, imageSet, references, artifacts);
      if (artifacts.length > 0) request.artifacts = artifacts;
    } catch (error) {
      await close();
      throw error;
    }
  }
  return { request, registries, close };
}

/**
 * The channel an export's sequence counts on: the one asked for (refused by
 * name unless it is a channel name), else `<this host>/<set file base name
 * without extension, or "images">`, with any other character made a `-`.
 */
export function exportChannel(input: Pick<ExportJobInput, 'channel' | 'setFile'>, host: string = hostname()): string {
  if (input.channel !== undefined) {
    if (!CHANNEL_PATTERN.test(input.channel)) {
      throw new FerryError(
        'INVALID_ARGUMENT',
        `channel ${JSON.stringify(input.channel)} is not allowed: use letters, digits, '.', '_', ':', '/', '@' and '-' (starting with a letter or digit, at most 200)`,
        {
          argument: 'channel',
        },
      );
    }
    return input.channel;
  }
  const set = input.setFile === undefined ? 'images' : basename(input.setFile).replace(/\.(ya?ml|json)$/i, '');
  const raw = `${host || 'localhost'}/${set || 'images'}`.replace(/[^A-Za-z0-9._:/@-]/g, '-');
  const channel = (/^[A-Za-z0-9]/.test(raw) ? raw : `x${raw}`).slice(0, 200);
  return channel;
}

/** The sequence of a new bundle on `channel`: one above the highest this catalog recorded there and the incremental parent's. */
function nextSequence(catalog: Catalog, channel: string, request: ExportRequest): number {
  return Math.max(catalog.highestSequence(channel) ?? 0, request.incremental?.parent.sequence ?? 0) + 1;
}

/** Runs the export (or its dry run), recorded in the catalog, and reads the bundle back when asked. */
export async function runExport(input: ExportJobInput, catalog: Catalog, context: JobContext = {}): Promise<ExportOutcome> {
  const { signal, tracker } = context;
  if (input.dryRun !== true && input.target.trim() === '') throw new FerryError('INVALID_ARGUMENT', 'choose where to write the bundle (a drive or a folder)', { argument: 'target' });
  const channel = exportChannel(input);
  if (input.sign !== undefined && input.dryRun === true)
    throw new FerryError('INVALID_ARGUMENT', 'a dry run writes no bundle, so there is nothing to sign: leave out the dry run or the key', { argument: 'sign' });
  // Opened first: a wrong passphrase or a missing key is told before anything is resolved or copied.
  const signer = input.sign !== undefined ? await openExportSigner(input.sign) : undefined;
  const { request, registries, close } = await prepare(input, () => catalog, signal);
  try {
    const notes = request.imageSet.notes ?? [];
    if (input.dryRun === true) {
      const summary = await exportBundle({ ...request, target: request.target || '.', dryRun: true, ...(signal ? { signal } : {}) }, registries);
      return { summary, notes: [...notes, ...(summary.referrerNotes ?? [])] };
    }
    const target = resolve(request.target);
    // The bundle folder keeps the byte-level resume state; the catalog job records which blobs are written, for the record and the UI.
    let written: IdentifiedBundle | undefined;
    const summary = await withCatalogJob(catalog, 'export', target, { target, images: request.references.length, site: input.site ?? null }, (journal) =>
      exportBundle(
        {
          ...request,
          target,
          channel,
          sequence: nextSequence(catalog, channel, request),
          ...(signal ? { signal } : {}),
          onEvent: (event) => {
            if (event.type === 'blob' && (event.progress.state === 'finished' || event.progress.state === 'skipped')) journal.markDone(event.progress.digest, event.progress.total);
            tracker?.onEvent(event);
          },
          onWritten: ({ manifest, ferryJsonDigest }) => {
            written = { manifest, manifestDigest: ferryJsonDigest };
          },
        },
        registries,
      ),
    );
    // The ferry.json this export wrote, as it wrote it: never read back from the media for the record.
    if (!summary.alreadyComplete && written) recordExport(catalog, summary.bundle, written, input.site);
    const outcome: ExportOutcome = { summary, notes: [...notes, ...(summary.referrerNotes ?? [])] };
    if (signer !== undefined) {
      const expected = summary.alreadyComplete || !written ? { images: summary.images } : { written: written.manifestDigest, images: summary.images };
      outcome.signature = await signExportedBundle(summary.bundle, signer, expected, catalog, signal);
    }
    if (input.verify === true) {
      tracker?.setPhase('verifying');
      const result = await readBack(summary.bundle, undefined, signal);
      if (written && result.view.ferryJsonDigest !== written.manifestDigest) {
        throw new FerryError('BUNDLE_INVALID', `${summary.bundle}: the ferry.json on the media (${String(result.view.ferryJsonDigest)}) is not the one this export wrote (${written.manifestDigest})`, {
          path: summary.bundle,
        });
      }
      outcome.verified = { blobs: result.blobs, bytes: result.bytes };
    }
    return outcome;
  } finally {
    await close();
  }
}

/** One image of a plan, with the blobs this bundle carries for it. */
function planned(image: BundleImage, blobs: ReadonlyMap<string, ImageBlobShare>): PlannedImage {
  const own = blobs.get(image.name);
  const out: PlannedImage = { reference: image.name, digest: image.digest, mediaType: image.mediaType, platforms: image.platforms, size: image.size, blobs: own?.carried ?? [] };
  if (own && own.omittedBytes > 0) out.omittedBytes = own.omittedBytes;
  if (image.section !== undefined) out.section = image.section;
  if (image.targets?.length) out.targets = image.targets;
  if (image.artifactType !== undefined) out.artifactType = image.artifactType;
  return out;
}

/**
 * The per-reference failures `resolveAll` lists in its error's details, or
 * undefined when the error is of another kind. Failures that carry the same
 * hint (a registry without TLS, an untrusted CA, missing credentials) are one
 * problem of that registry, listing every reference it stopped, not one per reference.
 */
function resolveProblems(error: unknown): ExportPlanResult['problems'] | undefined {
  if (!(error instanceof FerryError) || !Array.isArray(error.details?.problems)) return undefined;
  const found = error.details.problems as Array<{ reference?: unknown; error?: { message?: unknown; details?: Record<string, unknown> } }>;
  if (!found.every((p) => typeof p.reference === 'string')) return undefined;
  const problems: ExportPlanResult['problems'] = [];
  const byHint = new Map<string, ExportPlanResult['problems'][number]>();
  for (const p of found) {
    const reference = String(p.reference);
    const message = typeof p.error?.message === 'string' ? p.error.message : error.message;
    const hint = errorHint(p.error?.details);
    const key = hint === undefined ? undefined : JSON.stringify(hint);
    const same = key === undefined ? undefined : byHint.get(key);
    if (same) {
      same.references = [...(same.references ?? [same.reference]), reference];
      continue;
    }
    const problem: ExportPlanResult['problems'][number] = hint === undefined ? { reference, message } : { reference, message, hint, references: [reference] };
    if (key !== undefined) byHint.set(key, problem);
    problems.push(problem);
  }
  return problems;
}

/**
 * The app's plan: a dry run in which references that cannot be resolved
 * become `problems` beside the planned rest, so the wizard can show both.
 */
export async function planExport(input: ExportJobInput, catalog: () => Catalog): Promise<ExportPlanResult> {
  const { request, registries, close } = await prepare(input, catalog, undefined);
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
      const failed = new Set(found.flatMap((p) => p.references ?? [p.reference]));
      const rest = request.references.filter((r) => !failed.has(formatReference(r)));
      if (rest.length > 0) summary = await dryRun(rest);
    }
    const result: ExportPlanResult = {
      images: summary?.images.map((image) => planned(image, imageBlobs)) ?? [],
      blobs: summary?.blobs ?? 0,
      bytes: summary?.bytes ?? 0,
      savedByDedup: summary?.savedByDedup ?? 0,
      notes: [...(request.imageSet.notes ?? []), ...(summary?.referrerNotes ?? [])],
      problems,
    };
    if (summary?.parent) {
      result.parent = summary.parent;
      result.savedByIncremental = summary.savedByIncremental;
    }
    return result;
  } finally {
    await close();
  }
}

// The default front ends show in their help, without reaching below the use-case layer.
export { DEFAULT_EXPORT_CONCURRENCY } from '../transfer/export.ts';
