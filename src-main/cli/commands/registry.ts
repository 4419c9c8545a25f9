/**
 * `ferry registry check REGISTRY[/PREFIX]`: what a registry will and will not
 * take (path depth, manifest kinds, referrers, repositories on push, deletes),
 * found out before the first push, with the user's credentials and TLS
 * settings. The work is the registry-check use case's; this file parses flags
 * and prints the table or the JSON report (docs/registries.md).
 */
import { FerryError } from '../../../src-shared/errors.ts';
import type { RegistryCheckReport } from '../../../src-shared/model/registry-check.ts';
import { checkRegistry } from '../../usecases/registry-check.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { registryFlags, registrySettings } from '../registry-flags.ts';
import { terminalSafe } from '../terminal-text.ts';

/** The flags and help of `ferry registry`. */
export const registrySpec: CommandSpec = {
  name: 'registry',
  usage: 'ferry registry check REGISTRY[/PREFIX] [flags]',
  summary:
    'Check what a registry will take before the first push: reachability, TLS and login, write access, the deepest repository path, OCI indexes, manifest lists, artifacts, referrers, repositories on push, deletes.',
  flags: {
    json: { type: 'boolean', description: 'print the report as JSON on stdout (no progress lines)' },
    'probe-repository': {
      type: 'string',
      value: 'NAME',
      description:
        'store the probe manifests in this repository under the prefix (deleted again by digest), even if it does not exist yet: it then stays, empty and untagged. Default: an existing repository under the prefix; with none, manifest kinds are not probed',
    },
    ...registryFlags(''),
  },
  examples: [
    'ferry registry check mirror.example.com/ocp',
    'ferry registry check --json --username admin --password-stdin harbor.example.com:8443/project',
    'ferry registry check --plain-http 127.0.0.1:5000',
    'Exit code: 0 when the registry is reachable and writable under the prefix, 1 otherwise, 2 for bad arguments.',
  ],
};

/** One table cell's words for a row state. */
const STATE_WORDS = { yes: 'yes', no: 'no', unknown: '?' } as const;

/** What to type next, for the findings a flag handles (docs/registries.md names the same flags). */
function flagHints(report: RegistryCheckReport): string[] {
  const hints: string[] = [];
  if (report.maxDepth !== null) hints.push(`Paths deeper than ${report.maxDepth} levels are refused: import with --max-nested-paths ${report.maxDepth}.`);
  if (report.createsRepositoriesOnPush === false) {
    hints.push(
      report.canCreateRepositories
        ? 'Pushes do not create repositories: import with --create-repositories, or create them first.'
        : 'Pushes do not create repositories, and the registry offers no way to create them: create them first.',
    );
  }
  const unprobed = report.reachable && report.write && report.probeRepository === undefined && Object.values(report.accepts).some((value) => value === null);
  if (unprobed) hints.push('Manifest kinds were not probed: --probe-repository NAME probes them in a repository you are about to push to.');
  return hints;
}

/** The table: capability | result | detail, then the probe repository and the leftovers. */
export function reportTable(report: RegistryCheckReport): string {
  const rows = report.rows.map((row) => [terminalSafe(row.label), STATE_WORDS[row.state], terminalSafe(row.detail)] as const);
  const header = ['CAPABILITY', 'RESULT', 'DETAIL'] as const;
  const widths = [0, 1].map((i) => Math.max(header[i]?.length ?? 0, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => `${(cells[0] ?? '').padEnd(widths[0] ?? 0)}  ${(cells[1] ?? '').padEnd(widths[1] ?? 0)}  ${cells[2] ?? ''}`.trimEnd();
  const lines = [`${terminalSafe(report.target)}: checked in ${(report.durationMs / 1000).toFixed(1)} s`, '', line(header), ...rows.map(line), ''];
  if (report.probeRepository !== undefined) lines.push(`Probes ran in ${terminalSafe(report.registry)}/${terminalSafe(report.probeRepository)}, by digest only (no tag).`);
  if (report.leftovers.length === 0) lines.push('Left behind: nothing.');
  else lines.push('Left behind (no tag):', ...report.leftovers.map((item) => `  ${terminalSafe(item)}`));
  const hints = flagHints(report);
  if (hints.length > 0) lines.push('', ...hints);
  return `${lines.join('\n')}\n`;
}

/** Runs `ferry registry`; returns the exit code: 0 reachable and writable, 1 otherwise. */
export async function runRegistry(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [sub, target, ...extra] = args.positionals;
  if (sub !== 'check') throw new FerryError('INVALID_ARGUMENT', `unknown registry command "${sub ?? ''}": use ferry registry check REGISTRY[/PREFIX] (see ferry registry --help)`);
  if (target === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give one REGISTRY[/PREFIX] to check (see ferry registry --help)');
  const settings = await registrySettings(args.values, io);
  const json = args.values.json === true;
  const probeRepository = args.values['probe-repository'];
  const controller = new AbortController();
  const stop = (): void => controller.abort(new FerryError('CANCELLED', 'ferry registry check cancelled'));
  process.once('SIGINT', stop);
  let report: RegistryCheckReport;
  try {
    report = await checkRegistry(target, settings, {
      signal: controller.signal,
      ...(typeof probeRepository === 'string' ? { probeRepository } : {}),
      ...(json ? {} : { onStep: (label: string) => io.err.write(`${label}…\n`) }),
    });
  } finally {
    process.removeListener('SIGINT', stop);
  }
  io.out.write(json ? `${JSON.stringify(report, null, 2)}\n` : reportTable(report));
  return report.reachable && report.write ? 0 : 1;
}
