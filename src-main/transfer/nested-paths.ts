/**
 * `--max-nested-paths N`: registries such as Quay and GitLab refuse repository
 * paths deeper than two or three components, so an import may have to fold a
 * deep source path into at most N components. The rule (docs/import.md,
 * "Repository path limits"), N counting every component under the registry
 * host, the import prefix included:
 *
 * - a path of k ≤ N components is unchanged;
 * - with k > N, components 1..N-1 are kept, components N..k are joined with
 *   `-`, and `-` plus the first 8 hex digits of sha256(the whole original path)
 *   is appended.
 *
 * The hash suffix makes the rule collision-free in practice: `a/b-c` and
 * `a-b/c` join to the same text but hash differently. A prefix that alone has
 * N or more components leaves no room for the image's own path and is refused.
 */
import { createHash } from 'node:crypto';
import { FerryError } from '../../src-shared/errors.ts';
import { pathDepth } from '../oci/reference.ts';

/** Hex digits of the sha256 suffix: 32 bits, enough that two paths of one bundle meeting by chance is negligible (and the plan refuses it if they did). */
const SUFFIX_HEX_DIGITS = 8;

/** The deepest limit accepted: beyond this no registry Ferry knows of imposes one, so a bigger N is almost certainly a typo. */
export const MAX_NESTED_PATHS_CEILING = 64;

/** Checks N is a whole number from 1 to the ceiling; the message names the option so a front end can show it as is. */
export function checkMaxNestedPaths(maxNestedPaths: number): number {
  if (!Number.isInteger(maxNestedPaths) || maxNestedPaths < 1 || maxNestedPaths > MAX_NESTED_PATHS_CEILING) {
    throw new FerryError('INVALID_ARGUMENT', `the maximum number of nested path components must be a whole number from 1 to ${MAX_NESTED_PATHS_CEILING}, not ${String(maxNestedPaths)}`, {
      argument: 'maxNestedPaths',
    });
  }
  return maxNestedPaths;
}

/**
 * Refuses a prefix that leaves no room below it: with N components allowed,
 * a prefix of N or more components would have to be folded itself, which
 * would move every image out from under the prefix the site asked for.
 */
export function checkPrefixRoom(prefix: string, maxNestedPaths: number): void {
  const components = pathDepth(prefix);
  if (components >= maxNestedPaths) {
    throw new FerryError(
      'INVALID_ARGUMENT',
      `the target path "${prefix}" already has ${components} component(s), so no repository fits under it at most ${maxNestedPaths} level(s) deep: use a shorter path after the registry or allow more levels`,
      { argument: 'maxNestedPaths', prefix, maxNestedPaths },
    );
  }
}

/**
 * The repository path `path` (prefix included) folded into at most
 * `maxNestedPaths` components by the rule in the module comment. Pure and
 * deterministic: the import plan, `ferry copy --set` and the mirror
 * configuration all get the same answer for the same path.
 */
export function nestPath(path: string, maxNestedPaths: number): string {
  checkMaxNestedPaths(maxNestedPaths);
  const components = path.split('/');
  if (components.length <= maxNestedPaths) return path;
  const kept = components.slice(0, maxNestedPaths - 1);
  const folded = components.slice(maxNestedPaths - 1).join('-');
  const suffix = createHash('sha256').update(path).digest('hex').slice(0, SUFFIX_HEX_DIGITS);
  return [...kept, `${folded}-${suffix}`].join('/');
}
