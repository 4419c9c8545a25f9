/**
 * The verify use case: the full verifier over a bundle, its bytes read fed
 * to the job's progress. `ferry verify`, the app's verify job and the import
 * (before its first write) all run this one check.
 */
import { resolve } from 'node:path';
import { verifyBundle, type VerifyReport } from '../bundle/verify.ts';
import { verifyProgress } from './import.ts';
import type { JobContext } from './job-context.ts';

/** Verifies every byte of a bundle and answers with the plain-language report a security officer reads. */
export async function runVerify(bundle: string, context: JobContext = {}): Promise<VerifyReport> {
  return verifyBundle(resolve(bundle), { ...(context.signal ? { signal: context.signal } : {}), ...verifyProgress(context.tracker) });
}

// Front ends type the report without reaching below the use-case layer.
export type { VerifyReport };
