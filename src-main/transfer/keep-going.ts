/**
 * `--keep-going` for export and copy: which failures leave one reference out
 * instead of stopping the job, and what is left once the references that
 * failed are dropped. A job that keeps going still never claims what it does
 * not carry: a dropped image takes its referrers with it, and the plan is
 * rebuilt from what remains (transfer/export.ts).
 */
import type { ErrorCode } from '../../src-shared/errors.ts';
import { toErrorEnvelope } from '../../src-shared/errors.ts';
import type { BundleSkipped } from '../../src-shared/model/bundle.ts';
import type { ImageGraph } from '../oci/image-graph.ts';
import { formatReference } from '../oci/reference.ts';
import type { ResolveProblem } from './plan.ts';
import type { DiscoveredReferrer } from './referrers.ts';

/**
 * The failures that belong to one image's content rather than to the job:
 * what a registry refused or answered wrongly, a connection that failed after
 * its retries, bytes that did not match their digest. A full disk, a
 * cancelled job or a bug stops the whole job, keep-going or not.
 */
const IMAGE_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UNAUTHORIZED',
  'DENIED',
  'NOT_FOUND',
  'REGISTRY_ERROR',
  'NETWORK_ERROR',
  'TLS_ERROR',
  'INSECURE_REDIRECT',
  'DIGEST_MISMATCH',
  'SIZE_MISMATCH',
  'INVALID_MANIFEST',
  'UNSUPPORTED_MEDIA_TYPE',
  'MANIFEST_TOO_LARGE',
]);

/** True when `error` is a fault of one image's content, which `--keep-going` skips past. */
export function isImageFault(error: unknown): boolean {
  return IMAGE_FAULTS.has(toErrorEnvelope(error).code);
}

/** The plan-stage failures as skipped references (one line each: a reason is read in a list). */
export function skippedAtPlan(problems: readonly ResolveProblem[]): BundleSkipped[] {
  return problems.map((p) => ({ reference: p.reference, reason: oneLine(p.error.message), stage: 'plan' }));
}

/** A reason on one line: a multi-line message keeps its first line. */
export function oneLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

/** The images and referrers an export carries, as the plan is rebuilt from them. */
export interface CarriedGraphs {
  subjects: ImageGraph[];
  referrers: DiscoveredReferrer[];
}

/**
 * Drops every image whose content includes a blob that failed, and every
 * referrer that failed or whose subject was dropped; answers what remains and
 * the references skipped at the copy stage, each with the failure that stopped it.
 */
export function dropFailed(carried: CarriedGraphs, failures: ReadonlyMap<string, unknown>): CarriedGraphs & { skipped: BundleSkipped[] } {
  const failureOf = (graph: ImageGraph): unknown => {
    for (const blob of graph.blobs) if (failures.has(blob.digest)) return failures.get(blob.digest);
    return undefined;
  };
  const skipped: BundleSkipped[] = [];
  const seen = new Set<string>();
  const subjects = carried.subjects.filter((graph) => {
    const failure = failureOf(graph);
    if (failure === undefined) return true;
    const reference = formatReference(graph.reference);
    if (!seen.has(reference)) skipped.push({ reference, reason: oneLine(toErrorEnvelope(failure).message), stage: 'copy' });
    seen.add(reference);
    return false;
  });
  const kept = new Set(subjects.map((graph) => graph.root.digest));
  const referrers = carried.referrers.filter((referrer) => {
    if (!kept.has(referrer.subject)) return false;
    const failure = failureOf(referrer.graph);
    if (failure === undefined) return true;
    skipped.push({ reference: formatReference(referrer.graph.reference), reason: `${referrer.kind} of ${referrer.subject}: ${oneLine(toErrorEnvelope(failure).message)}`, stage: 'copy' });
    return false;
  });
  return { subjects, referrers, skipped };
}
