/**
 * Tag listing with `Link` pagination.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { readCapped, type RegistryClient } from './client.ts';

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
