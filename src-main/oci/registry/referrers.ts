/**
 * The referrers API (signatures, SBOMs, attestations attached to an image),
 * with the tag-schema fallback `sha256-<hex>` for registries without it.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 */
import type { Descriptor } from '../../../src-shared/model/oci.ts';
import { FerryError } from '../../../src-shared/errors.ts';
import { OCI_INDEX } from '../media-types.ts';
import { referrersFallbackTag } from '../referrer-kind.ts';
import { readCapped, type RegistryClient } from './client.ts';
import { getManifest, MANIFEST_SIZE_LIMIT, parseManifest, putManifest, type FetchedManifest } from './manifests.ts';
import { RegistryError } from './errors.ts';
import { nextLink } from './tags.ts';

/** A referrers list longer than this many pages is a server bug or a loop. */
const MAX_PAGES = 1000;

export { referrersFallbackTag };

/**
 * Answers that mean "this registry has no referrers API": 404 (Distribution 2.8, older Harbor), and
 * 400 or 405, which registries that route `/referrers/` as a manifest or tag name, or refuse the method there, send.
 */
const NO_REFERRERS_API = [400, 404, 405];

/**
 * Asks the referrers API alone for the manifests naming `digest` as their subject, every page.
 * Undefined when the registry answers 404, 400 or 405: it has no referrers API, and the caller decides
 * whether the tag fallback applies.
 */
export async function queryReferrersApi(
  client: RegistryClient,
  repository: string,
  digest: string,
  options: { artifactType?: string; signal?: AbortSignal } = {},
): Promise<{ descriptors: Descriptor[]; filtered: boolean } | undefined> {
  const subject = `referrers of ${client.registry}/${repository}@${digest}`;
  const query = options.artifactType ? `?artifactType=${encodeURIComponent(options.artifactType)}` : '';
  const response = await client.send({
    method: 'GET',
    path: `/v2/${repository}/referrers/${digest}${query}`,
    scopes: [{ repository, actions: ['pull'] }],
    expect: [200, ...NO_REFERRERS_API],
    subject,
    signal: options.signal,
  });
  if (NO_REFERRERS_API.includes(response.statusCode)) {
    await response.body.dump();
    return undefined;
  }
  const descriptors: Descriptor[] = [];
  let filtered = false;
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
  return { descriptors, filtered };
}

/** What the fallback tag `sha256-<hex>` holds, or undefined when it does not exist. */
async function readFallbackTag(client: RegistryClient, repository: string, digest: string, signal?: AbortSignal): Promise<FetchedManifest | undefined> {
  try {
    return await getManifest(client, repository, referrersFallbackTag(digest), { ...(signal ? { signal } : {}), subject: `referrers of ${client.registry}/${repository}@${digest}` });
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}

/** The descriptors the fallback tag `sha256-<hex>` lists; empty when the tag does not exist or is no index. */
export async function readReferrersFallback(client: RegistryClient, repository: string, digest: string, signal?: AbortSignal): Promise<Descriptor[]> {
  const fallback = await readFallbackTag(client, repository, digest, signal);
  return fallback?.kind === 'index' ? fallback.index.manifests : [];
}

/**
 * The descriptors the fallback tag `sha256-<hex>` lists, for a client about to update it: empty when the tag
 * does not exist; refused when it holds anything but an OCI index (an image, a Docker manifest list), because
 * writing the referrers index there would replace what someone else keeps under that tag.
 */
export async function readReferrersFallbackForUpdate(client: RegistryClient, repository: string, digest: string, signal?: AbortSignal): Promise<Descriptor[]> {
  const fallback = await readFallbackTag(client, repository, digest, signal);
  if (fallback === undefined) return [];
  if (fallback.kind === 'index' && fallback.mediaType === OCI_INDEX) return fallback.index.manifests;
  const tag = `${client.registry}/${repository}:${referrersFallbackTag(digest)}`;
  throw new FerryError(
    'REGISTRY_ERROR',
    `${tag} holds a ${fallback.mediaType} manifest (${fallback.digest}), not the OCI index the referrers tag schema keeps there; Ferry will not replace it. Move or delete that tag, or import into a registry with the referrers API`,
    { repository, tag: referrersFallbackTag(digest), mediaType: fallback.mediaType, digest: fallback.digest },
  );
}

/** Lists the manifests that name `digest` as their subject, optionally only of one artifact type: the API, else the fallback tag. */
export async function listReferrers(client: RegistryClient, repository: string, digest: string, options: { artifactType?: string; signal?: AbortSignal } = {}): Promise<Descriptor[]> {
  const answer = await queryReferrersApi(client, repository, digest, options);
  const descriptors = answer?.descriptors ?? (await readReferrersFallback(client, repository, digest, options.signal));
  return options.artifactType && !answer?.filtered ? descriptors.filter((d) => d.artifactType === options.artifactType) : descriptors;
}

/**
 * Adds referrers to the fallback tag `sha256-<hex>` of a registry without the referrers API, as the
 * distribution-spec asks of a client pushing a manifest with a `subject` there: read the index the tag
 * holds (none: a new one; anything but an OCI index: refused, never replaced), add each descriptor it lacks, push it back. Returns how many were added;
 * nothing is written when the tag lists them all already.
 */
export async function addToReferrersFallback(client: RegistryClient, repository: string, subject: string, referrers: readonly Descriptor[], signal?: AbortSignal): Promise<number> {
  const listed = await readReferrersFallbackForUpdate(client, repository, subject, signal);
  const known = new Set(listed.map((d) => d.digest));
  const added = referrers.filter((d) => !known.has(d.digest) && (known.add(d.digest), true));
  if (added.length === 0) return 0;
  const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...listed, ...added] };
  await putManifest(client, repository, referrersFallbackTag(subject), Buffer.from(JSON.stringify(index)), OCI_INDEX, signal);
  return added.length;
}
