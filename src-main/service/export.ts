/**
 * The export wizard's calls as the contract's adapter over the export use
 * case: untrusted arguments checked into a typed input, nothing else. The
 * plan, the license of a set, the incremental base, the catalog record and
 * the read-back are the use case's, exactly as for `ferry export`.
 */
import type { ExportInput, ExportJobResult, ExportPlanResult, ExportRunOptions } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseSize } from '../../src-shared/units.ts';
import type { Catalog } from '../usecases/catalog.ts';
import { planExport as planImages, runExport, type ExportJobInput } from '../usecases/export.ts';
import type { JobContext } from '../usecases/job-context.ts';
import { argsObject, optionalString, settingsFrom, stringList, type SavedLogin } from './access.ts';

/** Checks the input of export:plan and export:run. */
export function exportInput(raw: unknown): ExportInput & ExportRunOptions {
  const args = argsObject(raw);
  const input: ExportInput & ExportRunOptions = {
    references: stringList(args, 'references')
      .map((r) => r.trim())
      .filter((r) => r !== ''),
    target: optionalString(args, 'target') ?? '',
  };
  const text = optionalString(args, 'imageListText');
  if (text !== undefined && text.trim() !== '') input.imageListText = text;
  const trimmed = (name: string): string | undefined => {
    const value = optionalString(args, name)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const listFile = trimmed('imageListFile');
  if (listFile !== undefined) input.imageListFile = listFile;
  const setFile = trimmed('setFile');
  if (setFile !== undefined) input.setFile = setFile;
  const license = trimmed('deckhouseLicense');
  if (license !== undefined) input.deckhouseLicense = license;
  const site = trimmed('site');
  if (site !== undefined) input.site = site;
  const sinceReceipt = trimmed('sinceReceipt');
  if (sinceReceipt !== undefined) input.sinceReceipt = sinceReceipt;
  // Checked as http(s) URLs by the use case, which names the field.
  const updateService = trimmed('updateService');
  if (updateService !== undefined) input.updateService = updateService;
  const signatureStore = trimmed('signatureStore');
  if (signatureStore !== undefined) input.signatureStore = signatureStore;
  if (args.archive === true) input.archive = true;
  if (args.referrers === false) input.referrers = false;
  // "Continue without these": the references the plan could not resolve are skipped, not fatal.
  if (args.keepGoing === true) input.keepGoing = true;
  const partSize = optionalString(args, 'partSize');
  if (partSize !== undefined) input.partSize = partSize;
  const platforms = stringList(args, 'platforms');
  if (platforms.length > 0) input.platforms = platforms;
  if (args.registry !== undefined) input.registry = args.registry as ExportInput['registry'];
  return input;
}

/** The use case's input for a checked contract input. */
function jobInput(input: ExportInput & ExportRunOptions, savedLogin: SavedLogin | undefined): ExportJobInput {
  const job: ExportJobInput = {
    target: input.target,
    references: input.references,
    imageListFiles: input.imageListFile !== undefined ? [input.imageListFile] : [],
    platforms: input.platforms ?? [],
    registry: settingsFrom(input.registry, savedLogin),
  };
  if (input.imageListText !== undefined) job.imageListText = input.imageListText;
  if (input.setFile !== undefined) job.setFile = input.setFile;
  if (input.site !== undefined) job.site = input.site;
  if (input.deckhouseLicense !== undefined) job.deckhouseLicense = input.deckhouseLicense;
  if (input.sinceReceipt !== undefined) job.sinceReceipt = input.sinceReceipt;
  if (input.updateService !== undefined) job.updateService = input.updateService;
  if (input.signatureStore !== undefined) job.signatureStore = input.signatureStore;
  if (input.archive === true) job.archive = true;
  if (input.referrers === false) job.referrers = false;
  if (input.keepGoing === true) job.keepGoing = true;
  if (input.partSize !== undefined) job.partSize = parseSize(input.partSize);
  return job;
}

/** export:plan — a dry run; references that cannot be resolved become `problems`, the rest are planned. */
export async function planExport(input: ExportInput, catalog: () => Catalog, savedLogin?: SavedLogin): Promise<ExportPlanResult> {
  return planImages(jobInput(input, savedLogin), catalog);
}

/** export:run's body: the export use case as a job. */
export async function runExportJob(input: ExportInput & ExportRunOptions, catalog: Catalog, context: JobContext, savedLogin?: SavedLogin): Promise<ExportJobResult> {
  if (input.target.trim() === '') throw new FerryError('INVALID_ARGUMENT', 'choose where to write the bundle (a drive or a folder)', { argument: 'target' });
  const { summary } = await runExport(jobInput(input, savedLogin), catalog, context);
  return {
    bundleId: summary.bundleId,
    bundle: summary.bundle,
    form: summary.form,
    formReason: summary.formReason,
    images: summary.images.length,
    blobs: summary.blobs,
    bytes: summary.bytes,
    parts: summary.parts.length,
    alreadyComplete: summary.alreadyComplete,
    seconds: summary.seconds,
    // Signatures and SBOMs travel with their images: "carried" counts what was asked for.
    ...(summary.skipped.length > 0 ? { skipped: summary.skipped, carried: summary.images.filter((image) => image.referrer === undefined).length } : {}),
  };
}
