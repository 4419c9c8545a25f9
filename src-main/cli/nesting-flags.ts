/**
 * `--max-nested-paths N`, one spelling for every command that places images
 * under an import target (`ferry import`, `ferry copy --set`, `ferry verify
 * --to`), so they all fold paths by the same rule (transfer/nested-paths.ts).
 */
import { FerryError } from '../../src-shared/errors.ts';
import { MAX_NESTED_PATHS_CEILING } from '../usecases/import.ts';
import type { CommandSpec, ParsedArgs } from './args.ts';

/** The flag's declaration; `when` says which form of the command it goes with. */
export function maxNestedPathsFlag(when = ''): CommandSpec['flags'] {
  return {
    'max-nested-paths': {
      type: 'string',
      value: 'N',
      description: `${when}keep every repository path (the target's path included) at most N levels deep: deeper paths are folded into their last level with "-" and a short hash (registries such as Quay and GitLab limit depth)`,
    },
  };
}

/** The flag's value, checked: undefined when not given. */
export function maxNestedPathsOf(values: ParsedArgs['values']): number | undefined {
  const raw = values['max-nested-paths'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isInteger(n) || n < 1 || n > MAX_NESTED_PATHS_CEILING) {
    throw new FerryError('INVALID_ARGUMENT', `--max-nested-paths must be a whole number from 1 to ${MAX_NESTED_PATHS_CEILING}, got "${String(raw)}"`, { argument: 'maxNestedPaths' });
  }
  return n;
}
