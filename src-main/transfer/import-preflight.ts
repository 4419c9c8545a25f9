/**
 * The import's preflight, the part that needs only the plan and the registry
 * check's report: which images the registry cannot take, and why, before the
 * first write. A registry that refuses deep paths (Quay, GitLab), OCI indexes
 * (some Harbor versions), Docker manifest lists (Nexus) or pushes to
 * repositories that do not exist yet (ECR) would otherwise fail halfway
 * through a push with a cryptic answer. The registry check itself is
 * usecases/registry-check.ts; usecases/import-preflight.ts joins the two.
 */
import { FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import type { RegistryCheckReport } from '../../src-shared/model/registry-check.ts';
import { Limiter } from '../base/limiter.ts';
import { DOCKER_MANIFEST_LIST, OCI_INDEX } from '../oci/media-types.ts';
import { pathDepth } from '../oci/reference.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { headManifest } from '../oci/registry/manifests.ts';
import { repositoryExists } from '../oci/registry/tags.ts';
import type { ImportImage, ImportPlan } from './import-plan.ts';

/** Why an image cannot go to this registry as planned. */
export type PreflightReason = 'path-too-deep' | 'media-type-refused' | 'repository-missing';

/** One image the registry cannot take, with the reason in words. */
export interface PreflightProblem {
  /** The image as the bundle names it (its source reference). */
  image: string;
  /** Where it would land, `registry/repository`. */
  destination: string;
  reason: PreflightReason;
  /** The reason in plain words ("path too deep: 4 levels, the registry takes 2"). */
  detail: string;
}

/** What the preflight found: the problems, per image, and the repositories that would have to be created first. */
export interface PreflightFindings {
  problems: PreflightProblem[];
  /** Repositories the plan pushes to that do not exist, on a registry that does not create them on push. */
  missingRepositories: string[];
}

/** The manifest kinds of an image's graph that a registry may refuse, each with the report's answer for it. */
function refusedKinds(image: ImportImage, accepts: RegistryCheckReport['accepts']): string[] {
  const refused = new Set<string>();
  for (const manifest of image.manifests) {
    if (manifest.mediaType === OCI_INDEX && accepts.ociIndex === false) refused.add('an OCI image index');
    if (manifest.mediaType === DOCKER_MANIFEST_LIST && accepts.dockerManifestList === false) refused.add('a Docker manifest list');
    if (accepts.artifactType !== false && accepts.subject !== false) continue;
    // Verified bytes, parsed only for the two top-level fields the registry may refuse.
    const fields = manifestFields(manifest.bytes);
    if (fields.artifactType && accepts.artifactType === false) refused.add('a manifest with an artifact type');
    if (fields.subject && accepts.subject === false) refused.add('a manifest with a subject (a referrer)');
  }
  return [...refused];
}

/** Whether a manifest's JSON carries `artifactType` and `subject`; bytes that are not an object carry neither. */
function manifestFields(bytes: Buffer): { artifactType: boolean; subject: boolean } {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return { artifactType: false, subject: false };
    return { artifactType: typeof (parsed as Record<string, unknown>).artifactType === 'string', subject: 'subject' in parsed };
  } catch {
    return { artifactType: false, subject: false };
  }
}

/**
 * The images of the plan the report says the registry cannot take: a path
 * deeper than `maxDepth`, a manifest kind it refused. Pure: the repository
 * existence check (needs the registry) is {@link missingRepositories}.
 */
export function compareWithReport(plan: ImportPlan, report: RegistryCheckReport): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  for (const image of plan.images) {
    const destination = `${image.destination.registry}/${image.destination.repository}`;
    const depth = pathDepth(image.destination.repository);
    if (report.maxDepth !== null && depth > report.maxDepth) {
      problems.push({ image: image.source, destination, reason: 'path-too-deep', detail: `path too deep: ${depth} levels, the registry takes at most ${report.maxDepth}` });
    }
    const refused = refusedKinds(image, report.accepts);
    if (refused.length > 0) problems.push({ image: image.source, destination, reason: 'media-type-refused', detail: `media type refused: the registry does not store ${refused.join(' or ')}` });
  }
  return problems;
}

/** Repository existence checks in flight at once: cheap GETs, but a bundle can name thousands of repositories. */
const EXISTENCE_CHECKS_IN_FLIGHT = 8;

/**
 * The repositories among `repositories` that do not exist yet: one
 * `GET tags/list?n=1` each, 404 meaning missing (NAME_UNKNOWN). Any other
 * failure is thrown, since the preflight cannot then say what is there.
 */
export async function missingRepositories(client: RegistryClient, repositories: readonly string[], signal?: AbortSignal): Promise<string[]> {
  const limiter = new Limiter(EXISTENCE_CHECKS_IN_FLIGHT);
  const missing: string[] = [];
  await Promise.all(
    repositories.map((repository) =>
      limiter.run(async () => {
        if (!(await repositoryExists(client, repository, signal))) missing.push(repository);
      }),
    ),
  );
  return missing.sort();
}

/**
 * Whether every image of the plan is in the registry already, by its root
 * manifest's digest where it lands: then the push writes no content (at most
 * tags), nothing it needs can be refused, and the check (which writes probes)
 * is not worth running; a rerun of a finished import stays write-free. Asked
 * in batches, stopping at the first batch with an image missing, so a fresh
 * import spends a handful of HEADs on it.
 */
export async function everyImagePresent(plan: ImportPlan, client: RegistryClient, signal?: AbortSignal): Promise<boolean> {
  const places = [...new Map(plan.images.map((image) => [`${image.destination.repository}@${image.digest}`, image])).values()];
  for (let start = 0; start < places.length; start += EXISTENCE_CHECKS_IN_FLIGHT) {
    const batch = places.slice(start, start + EXISTENCE_CHECKS_IN_FLIGHT);
    const found = await Promise.all(batch.map((image) => headManifest(client, image.destination.repository, image.digest, signal).catch(() => undefined)));
    if (found.some((answer) => answer === undefined)) return false;
  }
  return places.length > 0;
}

/** The problems a missing repository causes: every image that lands in one. */
export function missingRepositoryProblems(plan: ImportPlan, missing: readonly string[], report: Pick<RegistryCheckReport, 'canCreateRepositories'>): PreflightProblem[] {
  const lacking = new Set(missing);
  const how = report.canCreateRepositories ? 'Ferry can create it when asked' : 'create it in the registry first';
  return plan.images
    .filter((image) => lacking.has(image.destination.repository))
    .map((image) => ({
      image: image.source,
      destination: `${image.destination.registry}/${image.destination.repository}`,
      reason: 'repository-missing' as const,
      detail: `repository missing: the registry does not create repositories on push (${how})`,
    }));
}

/** Problems listed one by one up to this many; past it, one line counts the rest (a 20,000-image bundle's message stays readable). */
const PROBLEMS_LISTED = 50;

/**
 * The one refusal of an import the registry cannot take: every affected image
 * with its reason, the missing repositories, and a hint the front ends word
 * as a flag (CLI) or an option of the target step (the app). Nothing was written.
 */
export function preflightRefusal(target: string, findings: PreflightFindings, report: Pick<RegistryCheckReport, 'maxDepth' | 'canCreateRepositories'>): FerryError {
  const { problems, missingRepositories: missing } = findings;
  const images = new Set(problems.map((p) => p.image)).size;
  const lines = problems.slice(0, PROBLEMS_LISTED).map((p) => `${p.image} -> ${p.destination}: ${p.detail}`);
  if (problems.length > PROBLEMS_LISTED) lines.push(`… and ${problems.length - PROBLEMS_LISTED} more`);
  if (missing.length > 0) {
    lines.push(`repositories to create first (${missing.length}): ${missing.slice(0, PROBLEMS_LISTED).join(', ')}${missing.length > PROBLEMS_LISTED ? ', …' : ''}`);
  }
  const tooDeep = problems.some((p) => p.reason === 'path-too-deep') && report.maxDepth !== null;
  const hint: ErrorHint = {
    kind: 'registry-limits',
    ...(tooDeep && report.maxDepth !== null ? { maxNestedPaths: report.maxDepth } : {}),
    ...(missing.length > 0 && report.canCreateRepositories ? { createRepositories: true } : {}),
  };
  return new FerryError('REGISTRY_ERROR', `${target} cannot take ${images} image(s) of this bundle; nothing was written:\n  ${lines.join('\n  ')}`, {
    problems: problems.slice(0, 1000),
    missingRepositories: missing.slice(0, 1000),
    hint,
  });
}
