/**
 * The import wizard's calls as the contract's adapter over the use cases:
 * inspect a bundle, verify it as a job, import it as a job (verify, push,
 * receipt, catalog record with the site — exactly as `ferry import`), and
 * render the mirror configuration for a mapping. Untrusted arguments are
 * checked into typed inputs here; nothing else happens here.
 */
import type { BundleInspection, ImportInput, ImportJobResult, VerifyJobResult } from '../../src-shared/api/contract.ts';
import type { Catalog } from '../usecases/catalog.ts';
import { inspectBundle as inspect, renderMirrorConfig } from '../usecases/inspect-bundle.ts';
import { runImport } from '../usecases/import.ts';
import type { JobContext } from '../usecases/job-context.ts';
import { runVerify } from '../usecases/verify.ts';
import { argsObject, optionalString, requireString, settingsFrom, type SavedLogin } from './access.ts';

/** Checks the input of import:run. */
export function importInput(raw: unknown): ImportInput {
  const args = argsObject(raw);
  const input: ImportInput = { bundle: requireString(args, 'bundle'), target: requireString(args, 'target') };
  if (args.keepRegistryHost === true) input.keepRegistryHost = true;
  const site = optionalString(args, 'site')?.trim();
  if (site !== undefined && site !== '') input.site = site;
  if (args.registry !== undefined) input.registry = args.registry as ImportInput['registry'];
  return input;
}

/** import:inspect — what the bundle holds and, given a target, where each image would land and what is new here. */
export async function inspectBundle(raw: unknown, catalog?: () => Catalog): Promise<BundleInspection> {
  const args = argsObject(raw);
  const target = optionalString(args, 'target');
  return inspect(requireString(args, 'bundle'), target === undefined ? undefined : { target, keepRegistryHost: args.keepRegistryHost === true }, catalog?.());
}

/** bundle:verify's body: the verify use case, with its bytes read fed to the job's progress. */
export async function runVerifyJob(bundle: string, context: JobContext): Promise<VerifyJobResult> {
  return runVerify(bundle, context);
}

/** import:run's body: the import use case as a job (its mirror configuration is rendered by `mirror:config`). */
export async function runImportJob(input: ImportInput, catalog: Catalog, context: JobContext, savedLogin?: SavedLogin): Promise<ImportJobResult> {
  const job = { bundle: input.bundle, target: input.target, keepRegistryHost: input.keepRegistryHost === true, registry: settingsFrom(input.registry, savedLogin) };
  const { summary, receipt } = await runImport(input.site !== undefined ? { ...job, site: input.site } : job, catalog, context);
  return {
    bundleId: summary.bundleId,
    target: summary.target,
    images: summary.images,
    blobs: summary.blobs,
    bytesPushed: summary.bytesPushed,
    manifestsPushed: summary.manifestsPushed,
    receipt: receipt ?? '',
    seconds: summary.seconds,
  };
}

/** mirror:config — every format `ferry import --mirror-config` writes, as text. */
export async function mirrorConfig(raw: unknown): Promise<{ files: Array<{ path: string; text: string }> }> {
  const args = argsObject(raw);
  return { files: await renderMirrorConfig(requireString(args, 'bundle'), { target: requireString(args, 'target'), keepRegistryHost: args.keepRegistryHost === true }) };
}
