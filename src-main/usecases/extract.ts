/**
 * The extract use case (`ferry extract BUNDLE NAME --to DIR`): verify the
 * whole bundle first, then write one artifact's files out of its verified
 * view — the disconnected side's way to get a package repository, a chart or
 * plain files back as files. Nothing is written unless verification passed.
 */
import { resolve } from 'node:path';
import { verificationFailed } from '../bundle/verify.ts';
import { extractArtifact, type ExtractSummary } from '../transfer/extract.ts';
import type { JobContext } from './job-context.ts';
import { verifyWithView } from './verify.ts';

/** What to extract, and where. */
export interface ExtractJobInput {
  bundle: string;
  /** The entry's name in the bundle, its target (`path:tag`, or `path` alone when unique) or its source. */
  name: string;
  to: string;
}

/** Verifies the bundle, then extracts the artifact; throws BUNDLE_INVALID (with the report's problems) when the bundle fails. */
export async function runExtract(input: ExtractJobInput, context: JobContext = {}): Promise<ExtractSummary> {
  const { report, view } = await verifyWithView(input.bundle, context);
  if (!report.ok || !view) throw verificationFailed(report, `nothing was written to ${resolve(input.to)}`);
  context.tracker?.setPhase('transferring');
  return extractArtifact(view, input.name, input.to, context.signal);
}

export type { ExtractSummary } from '../transfer/extract.ts';
