/**
 * `--keep-going` on the command line, shared by `ferry export` and `ferry
 * copy`: the flag, the exit codes the help lists (3 = partial, a team-wide
 * decision), and the stderr summary that names every skipped reference and
 * its reason, so a script reading only the exit code and a person reading
 * only the terminal both learn the job is partial.
 */
import type { BundleSkipped } from '../../src-shared/model/bundle.ts';
import type { FlagSpec } from './args.ts';
import { terminalSafe } from './terminal-text.ts';

/** The exit code of a job that finished but skipped some references (`--keep-going`). */
export const EXIT_PARTIAL = 3;

/** The `--keep-going` flag of export and copy. */
export const keepGoingFlag: Record<'keep-going', FlagSpec> = {
  'keep-going': {
    type: 'boolean',
    description:
      'skip references that cannot be resolved (unknown tag, missing repository, refused access, platform not present, bad manifest) or whose content fails to download after the retries, carry the rest, and exit 3; each skipped reference is named with its reason',
  },
};

/** The exit codes the help of a keep-going command lists. */
export const KEEP_GOING_EXIT_CODES = [
  '0  done: everything carried',
  '1  failed (without --keep-going, the first reference that fails fails the job; with it, nothing was carried, or a cancel, a full disk or an internal error stopped the job)',
  '2  bad arguments',
  '3  partial, with --keep-going: finished, but some references were skipped (listed on stderr and in --json as "skipped")',
];

/** The exit code of a job: partial when it skipped anything. */
export function exitCodeOf(skipped: readonly BundleSkipped[]): number {
  return skipped.length > 0 ? EXIT_PARTIAL : 0;
}

/** The stderr summary of a partial job: one line per skipped reference with its stage and reason; empty when nothing was skipped. */
export function skippedLines(skipped: readonly BundleSkipped[], carried: number): string {
  if (skipped.length === 0) return '';
  const stage = { plan: 'cannot be resolved', copy: 'failed while copying' } as const;
  const lines = [
    `partial: ${carried} carried, ${skipped.length} reference(s) skipped:`,
    ...skipped.map((s) => `  skipped ${terminalSafe(s.reference)} (${stage[s.stage]}): ${terminalSafe(s.reason)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** A partial bundle's list of what its export skipped: not a failure (the bundle says so honestly), but the officer must see it. */
export function skippedAtExportLines(skipped: readonly BundleSkipped[]): string[] {
  const stage = { plan: 'could not be resolved', copy: 'failed while copying' } as const;
  return [
    `${skipped.length} reference${skipped.length === 1 ? ' was' : 's were'} skipped at export (the bundle does not carry ${skipped.length === 1 ? 'it' : 'them'}):`,
    ...skipped.map((s) => `  ${terminalSafe(s.reference)}  ${stage[s.stage]}: ${terminalSafe(s.reason)}`),
  ];
}
