/**
 * The verify use case: the full verifier over a bundle, its bytes read fed
 * to the job's progress. `ferry verify`, the app's verify job and the import
 * (before its first write) all run this one check. A bundle that passes comes
 * with its verified view, the only thing the inspector, the mirror
 * configuration and the import use afterwards; the app keeps the last few
 * views (VerifiedBundles) so its wizard does not read a big bundle again.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { BUNDLE_FILES } from '../../src-shared/model/bundle.ts';
import { FERRY_JSON_LIMIT } from '../../src-shared/schemas/bundle-manifest.ts';
import { LAYOUT_INDEX_LIMIT } from '../../src-shared/schemas/oci.ts';
import { readBundleFile } from '../base/safe-read.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { verificationFailed, verifyBundleDetailed, type VerifyReport } from '../bundle/verify.ts';
import { trustOfBundle } from './bundle-trust.ts';
import { verifyProgress } from './import.ts';
import type { JobContext } from './job-context.ts';

/**
 * Verifies every byte of a bundle and answers with the plain-language report a
 * security officer reads, with its trust section when it passed: who signed,
 * approved or rejected it, checked with the local keys folder's keys.
 */
export async function runVerify(bundle: string, context: JobContext = {}): Promise<VerifyReport> {
  return (await verifyWithTrust(bundle, context)).report;
}

/** verifyWithView, and for a bundle that passed its trust report without a policy (usecases/bundle-trust.ts): what `ferry verify` and the app's verify job show. */
export async function verifyWithTrust(bundle: string, context: JobContext = {}): Promise<{ report: VerifyReport; view?: VerifiedBundle }> {
  const verified = await verifyWithView(bundle, context);
  if (verified.view) verified.report.trust = await trustOfBundle(verified.view, undefined, context.signal);
  return verified;
}

/** Verifies a bundle: the report, and the verified view when (and only when) every check passed. */
export async function verifyWithView(bundle: string, context: JobContext = {}): Promise<{ report: VerifyReport; view?: VerifiedBundle }> {
  const { report, view } = await verifyBundleDetailed(resolve(bundle), { ...(context.signal ? { signal: context.signal } : {}), ...verifyProgress(context.tracker) });
  return view ? { report, view } : { report };
}

/** Views kept by the app: a wizard looks at one bundle at a time, two cover going back to the previous one. */
const KEPT_VIEWS = 2;

/**
 * The verified views of the bundles the app verified last, by folder, each
 * bound to the digest of its ferry.json (index.json for a plain layout): the
 * import wizard's inspector and mirror configuration use the view of the
 * verify job it just ran instead of reading the bundle again, and verify
 * first when there is none or the folder now holds another bundle. The
 * import job itself always verifies before it writes.
 */
export class VerifiedBundles {
  private readonly views = new Map<string, VerifiedBundle>();

  /** Keeps the view of a bundle that just passed verification (the newest replaces the oldest). */
  remember(view: VerifiedBundle): void {
    this.views.delete(view.dir);
    this.views.set(view.dir, view);
    for (const dir of this.views.keys()) if (this.views.size > KEPT_VIEWS) this.views.delete(dir);
  }

  /** The verified view of a bundle: the kept one while the folder still holds that bundle, else verified now (BUNDLE_INVALID naming the failed checks). */
  async view(bundle: string, consequence: string, context: JobContext = {}): Promise<VerifiedBundle> {
    const dir = resolve(bundle);
    const kept = this.views.get(dir);
    if (kept && (await identityDigest(kept)) === (kept.ferryJsonDigest ?? kept.indexDigest)) return kept;
    this.views.delete(dir);
    const { report, view } = await verifyWithView(dir, context);
    if (!view) throw verificationFailed(report, consequence);
    this.remember(view);
    return view;
  }
}

/**
 * The digest of the file that identifies the bundle now in a view's folder
 * (ferry.json, or index.json for a plain layout); undefined when it cannot be
 * read as a regular file within its cap. It is hashed, never parsed.
 */
async function identityDigest(view: VerifiedBundle): Promise<string | undefined> {
  const [name, limit] = view.ferryJsonDigest !== undefined ? [BUNDLE_FILES.manifest, FERRY_JSON_LIMIT] : [BUNDLE_FILES.index, LAYOUT_INDEX_LIMIT];
  // Opened safely (no symlink, FIFO or device; capped): whatever is refused here is verified, and reported, again.
  const bytes = await readBundleFile(view.dir, name, { limit }).catch(() => undefined);
  return bytes === undefined ? undefined : `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

// Front ends type the report and the view without reaching below the use-case layer.
export type { VerifyReport, VerifiedBundle };
// The error a front end throws for a bundle that failed, worded like the import's.
export { verificationFailed };
