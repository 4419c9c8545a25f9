/**
 * Listing endpoints of `ferry serve`: `/v2/<name>/tags/list` and
 * `/v2/_catalog`, both paginated with `?n=&last=` and a `Link: <…>;
 * rel="next"` header while more entries follow (n=0: an empty list, no Link).
 * The storage returns sorted lists, so a page is a slice after `last`.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags
 */
import { RegistryProblem } from './problems.ts';
import { sendJson } from './http-answer.ts';
import type { RouteContext } from './route-context.ts';
import { registryPath } from './routes-path.ts';

/** One page of a sorted list and the `last` of the next page, when there is one. */
interface Page {
  entries: string[];
  next?: string;
}

/** The `n` query parameter as a count, undefined when absent; anything but a whole number is refused. */
function pageSize(query: URLSearchParams): number | undefined {
  const raw = query.get('n');
  if (raw === null || raw === '') return undefined;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new RegistryProblem('UNSUPPORTED', `pagination parameter n="${raw}" is not a whole number`, { status: 400, detail: { n: raw } });
  }
  return Number(raw);
}

/** The entries after `last` (by code point, as the lists are sorted), at most `n` of them. */
function paginate(sorted: readonly string[], query: URLSearchParams): Page {
  const n = pageSize(query);
  const last = query.get('last');
  const after = last === null || last === '' ? sorted : sorted.filter((entry) => entry > last);
  if (n === undefined) return { entries: [...after] };
  const entries = after.slice(0, n);
  const lastEntry = entries.at(-1);
  return n > 0 && after.length > n && lastEntry !== undefined ? { entries, next: lastEntry } : { entries };
}

/** The RFC 5988 Link header that points at the next page. */
function linkHeader(path: string, n: number, last: string): Record<string, string> {
  return { Link: `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"` };
}

/** GET `/v2/<name>/tags/list`: the repository's tags, 404 NAME_UNKNOWN when it has no manifests at all. */
export async function tagsRoute(context: RouteContext, name: string): Promise<void> {
  const tags = await context.reader.tags(name);
  if (tags === undefined) throw new RegistryProblem('NAME_UNKNOWN', `repository ${name} is not known to this registry`, { detail: { name } });
  const page = paginate(tags, context.query);
  const headers = page.next === undefined ? {} : linkHeader(registryPath(name, 'tags', 'list'), page.entries.length, page.next);
  sendJson(context.request, context.response, 200, { name, tags: page.entries }, headers);
}

/** GET `/v2/_catalog`: every repository holding a manifest. */
export async function catalogRoute(context: RouteContext): Promise<void> {
  const page = paginate(await context.reader.repositories(), context.query);
  const headers = page.next === undefined ? {} : linkHeader('/v2/_catalog', page.entries.length, page.next);
  sendJson(context.request, context.response, 200, { repositories: page.entries }, headers);
}
