/**
 * The import wizard's calls as the contract's adapter over the use cases:
 * inspect a bundle, verify it as a job, import it as a job (verify, push,
 * receipt, catalog record with the site — exactly as `ferry import`); the
 * mirror configuration is service/mirror.ts. Untrusted arguments are checked
 * into typed inputs here. The inspector uses only a verified view: the one
 * the wizard's last verify (or import) job left in `verified`, while the folder still holds that bundle, else one
 * verified now; a bundle that fails is refused, naming the failed checks.
 */
import type { BundleInspection, ImportedSite, ImportInput, ImportJobResult, VerifyJobResult } from '../../src-shared/api/contract.ts';
import type { Catalog } from '../usecases/catalog.ts';
import { inspectBundle as inspect } from '../usecases/inspect-bundle.ts';
import { runImport } from '../usecases/import.ts';
import type { JobContext } from '../usecases/job-context.ts';
import { verifyWithTrust, type VerifiedBundles } from '../usecases/verify.ts';
import { argsObject, optionalString, requireString, settingsFrom, type SavedLogin } from './access.ts';
import { maxNestedPathsArg } from './registries.ts';

/** Checks the input of import:run. */
export function importInput(raw: unknown): ImportInput {
  const args = argsObject(raw);
  const input: ImportInput = { bundle: requireString(args, 'bundle'), target: requireString(args, 'target') };
  if (args.keepRegistryHost === true) input.keepRegistryHost = true;
  const maxNestedPaths = maxNestedPathsArg(args);
  if (maxNestedPaths !== undefined) input.maxNestedPaths = maxNestedPaths;
  if (args.createRepositories === true) input.createRepositories = true;
  const site = optionalString(args, 'site')?.trim();
  if (site !== undefined && site !== '') input.site = site;
  if (args.registry !== undefined) input.registry = args.registry as ImportInput['registry'];
  return input;
}

/** import:inspect — what the bundle holds and, given a target, where each image would land and what is new here. */
export async function inspectBundle(raw: unknown, verified: VerifiedBundles, catalog?: () => Catalog): Promise<BundleInspection> {
  const args = argsObject(raw);
  const target = optionalString(args, 'target');
  const view = await verified.view(requireString(args, 'bundle'), 'it cannot be inspected');
  const maxNestedPaths = maxNestedPathsArg(args);
  const placement = { keepRegistryHost: args.keepRegistryHost === true, ...(maxNestedPaths !== undefined ? { maxNestedPaths } : {}) };
  return inspect(view, target === undefined ? undefined : { target, ...placement }, catalog?.());
}

/** bundle:verify's body: the verify use case, with its bytes read fed to the job's progress; a bundle that passes is kept for the wizard. */
export async function runVerifyJob(bundle: string, context: JobContext, verified: VerifiedBundles): Promise<VerifyJobResult> {
  const { report, view } = await verifyWithTrust(bundle, context);
  if (view) verified.remember(view);
  return report;
}

/** import:run's body: the import use case as a job (its mirror configuration is rendered by `mirror:config`). */
export async function runImportJob(input: ImportInput, catalog: Catalog, context: JobContext, verified: VerifiedBundles, savedLogin?: SavedLogin): Promise<ImportJobResult> {
  const job = {
    bundle: input.bundle,
    target: input.target,
    keepRegistryHost: input.keepRegistryHost === true,
    ...(input.maxNestedPaths !== undefined ? { maxNestedPaths: input.maxNestedPaths } : {}),
    ...(input.createRepositories === true ? { createRepositories: true } : {}),
    registry: settingsFrom(input.registry, savedLogin),
  };
  const { summary, receipt, view } = await runImport(input.site !== undefined ? { ...job, site: input.site } : job, catalog, context);
  verified.remember(view);
  return {
    bundleId: summary.bundleId,
    target: summary.target,
    images: summary.images,
    blobs: summary.blobs,
    bytesPushed: summary.bytesPushed,
    manifestsPushed: summary.manifestsPushed,
    receipt: receipt ?? '',
    seconds: summary.seconds,
    ...(input.site !== undefined ? { site: siteTotals(catalog, input.site) } : {}),
    ...(view.manifest?.skipped?.length ? { skippedAtExport: view.manifest.skipped } : {}),
  };
}

/** What the catalog's receipts say a site holds now, for the wizard's "which site has what" after an import. */
function siteTotals(catalog: Catalog, name: string): ImportedSite {
  const contents = catalog.siteContents(name);
  const images = new Set(contents.images.map((image) => `${image.reference}@${image.digest}`)).size;
  const imports = catalog.sites().find((site) => site.name === name)?.receipts ?? 0;
  return { name, images, blobs: contents.blobs, bytes: contents.bytes, imports };
}
