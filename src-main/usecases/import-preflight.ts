/**
 * The import's preflight: before the first write, check the target registry
 * (registry-check.ts, the same check as `ferry registry check` and the app's
 * "Check registry") and compare it with the plan (transfer/import-preflight.ts).
 * A bundle the registry cannot take is refused with one error naming every
 * affected image and its reason (path too deep, media type refused,
 * repository missing) instead of failing halfway through the push. Missing
 * repositories are created first only when the user asked for it and the
 * registry offers a way. `ferry import --skip-registry-check` (and no check at
 * all for a `ferry serve` store folder) leaves it out.
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { RegistryCheckReport } from '../../src-shared/model/registry-check.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { pathDepth } from '../oci/reference.ts';
import { Registries } from '../oci/registry/registries.ts';
import { planImport, type ImportPlan } from '../transfer/import-plan.ts';
import { compareWithReport, everyImagePresent, missingRepositories, missingRepositoryProblems, preflightRefusal, type PreflightProblem } from '../transfer/import-preflight.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import { importTarget } from './import.ts';
import { checkRegistry, createRepositories } from './registry-check.ts';

/** What the preflight is asked to do besides checking. */
export interface ImportPreflightOptions {
  /** Create the repositories the plan needs and the registry lacks, where it offers a way (`--create-repositories`). */
  createRepositories?: boolean;
  signal?: AbortSignal;
  /** Told each step of the check, for progress. */
  onStep?: (label: string) => void;
}

/** What the preflight found and did, for the job's result. */
export interface ImportPreflightResult {
  /** The check's report; absent when every image was in the registry already and no check ran. */
  report?: RegistryCheckReport;
  /** Repositories created before the push (with `createRepositories`). */
  created: string[];
}

/** What a plan comes to on a checked registry: the images it cannot take, and the repositories missing where pushes create none. */
async function assess(
  plan: ImportPlan,
  report: RegistryCheckReport,
  client: RegistryClient,
  signal: AbortSignal | undefined,
  onStep?: (label: string) => void,
): Promise<{ problems: PreflightProblem[]; missing: string[] }> {
  const problems = compareWithReport(plan, report);
  let missing: string[] = [];
  if (report.createsRepositoriesOnPush === false) {
    onStep?.('Looking for the repositories the bundle needs');
    missing = await missingRepositories(client, [...new Set(plan.images.map((image) => image.destination.repository))], signal);
  }
  return { problems, missing };
}

/**
 * The check, its probes run in a repository the import pushes to that exists already (registry-check.ts,
 * candidates), shallowest first so a registry that limits depth still takes them; none is created by the
 * check, so a refused import has written nothing at all.
 */
function checkFor(target: string, plan: ImportPlan | undefined, settings: RegistrySettings, signal: AbortSignal | undefined, onStep?: (label: string) => void): Promise<RegistryCheckReport> {
  const candidates = [...new Set((plan?.images ?? []).map((image) => image.destination.repository))].sort((a, b) => pathDepth(a) - pathDepth(b));
  return checkRegistry(target, settings, { ...(signal ? { signal } : {}), ...(onStep ? { onStep } : {}), candidates });
}

/** The refusal of an import into a prefix the registry takes no write under, in the check's own words. */
function writeRefusal(target: string, report: RegistryCheckReport): FerryError {
  const said = (id: string): string | undefined => report.rows.find((row) => row.id === id)?.detail;
  const lines = [`write access under the prefix: ${said('write') ?? 'refused'}`];
  if (report.maxDepth !== null) lines.push(`deep repository paths: ${said('max-depth') ?? `at most ${report.maxDepth} levels`}`);
  return new FerryError('REGISTRY_ERROR', `${target} takes no write under its prefix; nothing was written:\n  ${lines.join('\n  ')}`, { registry: report.registry, prefix: report.prefix });
}

/**
 * Checks the registry `target` (`REGISTRY[/PREFIX]`) can take `plan`; throws
 * one REGISTRY_ERROR naming every problem when it cannot, having written
 * nothing of the bundle. An unreachable registry is not judged here: the
 * push then fails with its own error (credentials, TLS), which says more.
 */
export async function runImportPreflight(target: string, plan: ImportPlan, settings: RegistrySettings, client: RegistryClient, options: ImportPreflightOptions = {}): Promise<ImportPreflightResult> {
  const { signal } = options;
  // A rerun of a finished import writes no content: no probe writes either.
  if (await everyImagePresent(plan, client, signal)) return { created: [] };
  const report = await checkFor(target, plan, settings, signal, options.onStep);
  if (!report.reachable) return { report, created: [] };
  // Nothing can be written under the prefix at all (a depth limit at the prefix itself, a login that may not
  // push): no per-image problem says more. Where pushes create no repository, the missing ones say it instead.
  if (!report.write && report.createsRepositoriesOnPush !== false) throw writeRefusal(target, report);
  const { problems, missing } = await assess(plan, report, client, signal, options.onStep);
  const creatable = missing.length > 0 && options.createRepositories === true && report.canCreateRepositories;
  if (problems.length === 0 && creatable) {
    options.onStep?.(`Creating ${missing.length} repositories`);
    const created = await createRepositories(report.registry, missing, settings, signal ? { signal } : {});
    return { report, created: created.filter((c) => c.outcome === 'created').map((c) => c.repository) };
  }
  if (missing.length > 0) problems.push(...missingRepositoryProblems(plan, missing, report));
  if (problems.length === 0) return { report, created: [] };
  const refusal = preflightRefusal(target, { problems, missingRepositories: missing }, report);
  if (missing.length > 0 && options.createRepositories === true && !creatable) {
    throw new FerryError('REGISTRY_ERROR', `${refusal.message}\n(the registry offers no way Ferry knows to create repositories: create them there first)`, refusal.details);
  }
  throw refusal;
}

/** What the app's "Check registry" answers: the report, the bundle's problems on it, the fixes that would help and what they would leave. */
export interface BundleRegistryCheck {
  report: RegistryCheckReport;
  problems: PreflightProblem[];
  missingRepositories: string[];
  fixes: { maxNestedPaths?: number; createRepositories?: boolean };
  remaining: PreflightProblem[];
}

/**
 * The import wizard's "Check registry": the registry check, and with a
 * verified bundle the same assessment the import's preflight makes, plus the
 * fixes that would help (a depth the registry takes, repository creation where
 * it offers it) and what would still be wrong with them applied.
 */
export async function checkRegistryForBundle(
  target: string,
  view: VerifiedBundle | undefined,
  placement: { keepRegistryHost?: boolean },
  settings: RegistrySettings,
  signal?: AbortSignal,
): Promise<BundleRegistryCheck> {
  const plain = importTarget(target, placement.keepRegistryHost);
  const plan = view ? planImport(view, plain) : undefined;
  const report = await checkFor(target, plan, settings, signal);
  const none: BundleRegistryCheck = { report, problems: [], missingRepositories: [], fixes: {}, remaining: [] };
  if (plan === undefined || view === undefined || !report.reachable) return none;
  const registries = new Registries(registryAccessFor(settings, [plain.registry], 'destination'));
  try {
    const client = await registries.client(plain.registry);
    const { problems, missing } = await assess(plan, report, client, signal);
    problems.push(...missingRepositoryProblems(plan, missing, report));
    if (problems.length === 0) return none;
    const fixes: BundleRegistryCheck['fixes'] = {};
    const prefixDepth = pathDepth(plain.prefix);
    if (report.maxDepth !== null && problems.some((p) => p.reason === 'path-too-deep') && prefixDepth < report.maxDepth) fixes.maxNestedPaths = report.maxDepth;
    if (report.createsRepositoriesOnPush === false && report.canCreateRepositories) fixes.createRepositories = true;
    let remaining = problems;
    if (fixes.maxNestedPaths !== undefined || fixes.createRepositories === true) {
      const fixedPlan = fixes.maxNestedPaths !== undefined ? planImport(view, importTarget(target, placement.keepRegistryHost, fixes.maxNestedPaths)) : plan;
      const after = await assess(fixedPlan, report, client, signal);
      remaining = [...after.problems, ...(fixes.createRepositories === true ? [] : missingRepositoryProblems(fixedPlan, after.missing, report))];
    }
    return { report, problems, missingRepositories: missing, fixes, remaining };
  } finally {
    await registries.close();
  }
}
