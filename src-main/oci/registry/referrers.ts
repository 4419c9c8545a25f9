/**
 * The referrers API (signatures, SBOMs, attestations attached to an image),
 * with the tag-schema fallback `sha256-<hex>` for registries without it.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 */
import type { Descriptor } from '../../../src-shared/model/oci.ts';
import { FerryError } from '../../../src-shared/errors.ts';
import { parseDigest } from '../digest.ts';
import { OCI_INDEX } from '../media-types.ts';
import { readCapped, type RegistryClient } from './client.ts';
import { getManifest, MANIFEST_SIZE_LIMIT, parseManifest } from './manifests.ts';
import { RegistryError } from './errors.ts';
import { nextLink } from './tags.ts';

/** A referrers list longer than this many pages is a server bug or a loop. */
const MAX_PAGES = 1000;

/** The fallback tag that stands for a subject's referrers list (`sha256:abc…` → `sha256-abc…`). */
export function referrersFallbackTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}`;
}

/** Lists the manifests that name `digest` as their subject, optionally only of one artifact type. */
export async function listReferrers(client: RegistryClient, repository: string, digest: string, options: { artifactType?: string; signal?: AbortSignal } = {}): Promise<Descriptor[]> {
  const subject = `referrers of ${client.registry}/${repository}@${digest}`;
  const query = options.artifactType ? `?artifactType=${encodeURIComponent(options.artifactType)}` : '';
  const response = await client.send({
    method: 'GET',
    path: `/v2/${repository}/referrers/${digest}${query}`,
    scopes: [{ repository, actions: ['pull'] }],
    expect: [200, 404],
    subject,
    signal: options.signal,
  });
  let descriptors: Descriptor[] = [];
  let filtered = false;
  if (response.statusCode === 200) {
    // The answer may be paginated with Link headers, like tag lists.
    let page: typeof response | undefined = response;
    for (let pages = 0; page !== undefined; pages += 1) {
      if (pages >= MAX_PAGES) throw new FerryError('REGISTRY_ERROR', `${subject}: more than ${MAX_PAGES} pages`);
      const bytes = await readCapped(page.body, MANIFEST_SIZE_LIMIT, subject);
      const parsed = parseManifest(bytes, OCI_INDEX, '', subject);
      if (parsed.kind !== 'index') throw new FerryError('INVALID_MANIFEST', `${subject}: the referrers answer is not an index`);
      descriptors.push(...parsed.index.manifests);
      filtered ||= page.headers['oci-filters-applied'] !== undefined;
      const next = nextLink(page.headers.link);
      page = next === undefined ? undefined : await client.send({ method: 'GET', path: next, scopes: [{ repository, actions: ['pull'] }], expect: [200], subject, signal: options.signal });
    }
  } else {
    await response.body.dump();
    try {
      const fallback = await getManifest(client, repository, referrersFallbackTag(digest), { signal: options.signal, subject });
      descriptors = fallback.kind === 'index' ? fallback.index.manifests : [];
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404) return [];
      throw error;
    }
  }
  return options.artifactType && !filtered ? descriptors.filter((d) => d.artifactType === options.artifactType) : descriptors;
}
