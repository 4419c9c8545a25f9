/**
 * Tag and repository listing with `n`/`last` and `Link` pagination.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags
 * https://distribution.github.io/distribution/spec/api/#listing-repositories
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { CatalogPageSchema, TagListPageSchema } from '../../../src-shared/schemas/registry-listing.ts';
import { parseStrictJson } from '../../../src-shared/strict-json.ts';
import { CATALOG_SCOPE } from './auth.ts';
import { readCapped, type RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';

/** Tags asked for per page; registries cap it themselves, this only saves round trips. */
const PAGE_SIZE = 1000;
/** A tag list longer than this many pages is a server bug or a loop. */
const MAX_PAGES = 10_000;
/** One page of tags is small JSON; more than this is refused. */
export const PAGE_BYTES_LIMIT = 8 * 1024 * 1024;

/** Extracts the `rel="next"` target of a Link header (RFC 8288). */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(', ') : header;
  if (!text) return undefined;
  for (const part of text.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>\s*;(.*)/.exec(part);
    if (match && /rel="?next"?/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

/** Lists every tag of a repository, following pagination to the end. */
export async function listTags(client: RegistryClient, repository: string, options: { pageSize?: number; signal?: AbortSignal } = {}): Promise<string[]> {
  const { signal } = options;
  const subject = `tags of ${client.registry}/${repository}`;
  const tags: string[] = [];
  let path: string | undefined = `/v2/${repository}/tags/list?n=${options.pageSize ?? PAGE_SIZE}`;
  for (let page = 0; path !== undefined; page += 1) {
    if (page >= MAX_PAGES) throw new FerryError('REGISTRY_ERROR', `${subject}: more than ${MAX_PAGES} pages`);
    const response = await client.send({ method: 'GET', path, scopes: [{ repository, actions: ['pull'] }], expect: [200], subject, signal });
    // An oversized tag page is a misbehaving registry, not a manifest: reported as a registry error.
    const body = await readCapped(response.body, PAGE_BYTES_LIMIT, subject, 'REGISTRY_ERROR');
    let parsed: { tags?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as { tags?: unknown };
    } catch {
      throw new FerryError('REGISTRY_ERROR', `${subject}: the tag list is not JSON`);
    }
    if (Array.isArray(parsed.tags)) tags.push(...parsed.tags.filter((tag): tag is string => typeof tag === 'string'));
    path = nextLink(response.headers.link);
  }
  return tags;
}

/** One page of a listing: the names (sorted by code point), and the `last` to ask for the next page when the registry says there is one. */
export interface ListingPage {
  names: string[];
  next?: string;
}

/**
 * The `last` the next page starts after: the `last` parameter of the `Link`
 * header's target (as distribution writes it), else the last name of this
 * page when a next page is announced without one.
 */
function nextLast(link: string | undefined, names: string[]): string | undefined {
  if (link === undefined) return undefined;
  let last: string | null = null;
  try {
    last = new URL(link, 'http://registry.invalid').searchParams.get('last');
  } catch {
    last = null;
  }
  return last ?? names.at(-1);
}

/** Reads one page of `_catalog` or `tags/list`: its JSON's string array under `key`, refusing anything else by name. */
async function listingPage(
  client: RegistryClient,
  path: string,
  key: 'repositories' | 'tags',
  request: { scopes: Parameters<RegistryClient['send']>[0]['scopes']; subject: string; signal: AbortSignal | undefined },
): Promise<ListingPage> {
  const { subject } = request;
  const response = await client.send({ method: 'GET', path, scopes: request.scopes, expect: [200], subject, signal: request.signal });
  const body = await readCapped(response.body, PAGE_BYTES_LIMIT, subject, 'REGISTRY_ERROR');
  const parsed = parseStrictJson(body, { file: subject, maxBytes: PAGE_BYTES_LIMIT, code: 'REGISTRY_ERROR' });
  const checked = (key === 'tags' ? TagListPageSchema : CatalogPageSchema).safeParse(parsed);
  if (!checked.success) throw new FerryError('REGISTRY_ERROR', `${subject}: "${key}" is not a list of names`);
  const list = 'tags' in checked.data ? checked.data.tags : 'repositories' in checked.data ? checked.data.repositories : undefined;
  // Sorted by code point, as distribution-spec asks of paginated lists; Distribution 2.8 sends an unpaginated tag list in storage order.
  const names = [...(list ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const next = nextLast(nextLink(response.headers.link), names);
  return next === undefined ? { names } : { names, next };
}

/** The query of a page request: `n` (when given) and `last`. */
function pageQuery(page: { last?: string; n?: number }): string {
  const query = new URLSearchParams();
  if (page.n !== undefined) query.set('n', String(page.n));
  if (page.last !== undefined) query.set('last', page.last);
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

/** One page of a registry's repositories (`GET /v2/_catalog`), which needs the `registry:catalog:*` scope. */
export function listRepositoriesPage(client: RegistryClient, page: { last?: string; n?: number } = {}, signal?: AbortSignal): Promise<ListingPage> {
  return listingPage(client, `/v2/_catalog${pageQuery(page)}`, 'repositories', { scopes: [CATALOG_SCOPE], subject: `repositories of ${client.registry}`, signal });
}

/** One page of a repository's tags (`GET /v2/<name>/tags/list`). */
export function listTagsPage(client: RegistryClient, repository: string, page: { last?: string; n?: number } = {}, signal?: AbortSignal): Promise<ListingPage> {
  return listingPage(client, `/v2/${repository}/tags/list${pageQuery(page)}`, 'tags', { scopes: [{ repository, actions: ['pull'] }], subject: `tags of ${client.registry}/${repository}`, signal });
}

/**
 * Whether `repository` exists, by one `GET tags/list?n=1`: true when it answers, false on 404 (NAME_UNKNOWN).
 * Any other failure is thrown: the caller decides what an unanswered question means (the registry check
 * reads it as "cannot tell", the import preflight as a failure). The one existence test every caller shares.
 */
export async function repositoryExists(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await listTagsPage(client, repository, { n: 1 }, signal);
    return true;
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return false;
    throw error;
  }
}
