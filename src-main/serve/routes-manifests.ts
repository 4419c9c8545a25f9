/**
 * Manifest endpoints of `ferry serve`: GET/HEAD/PUT/DELETE
 * `/v2/<name>/manifests/<tag-or-digest>` and the referrers API
 * `/v2/<name>/referrers/<digest>`. A manifest is served with the media type
 * it was pushed with and its exact bytes; a PUT is bounded (4 MiB, 413
 * beyond) and answers `OCI-Subject` when the manifest names a subject.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 */
import { isDigest } from '../oci/digest.ts';
import { RegistryProblem } from './problems.ts';
import { sendEmpty, sendJson } from './http-answer.ts';
import { readBoundedBody } from './request-body.ts';
import { checkDigest, writable, type RouteContext } from './route-context.ts';
import { registryPath } from './routes-path.ts';
import { isTagName } from './store-layout.ts';

/** The largest manifest accepted: the spec asks registries to take at least 4 MB, and Distribution caps at 4 MiB too. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The media type of the referrers answer, fixed by the spec. */
const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** Tags a single PUT by digest may add with `?tag=` (the spec asks for at least 10 to be supported). */
const MAX_TAGS_PER_PUT = 32;

/** A tag or digest reference, checked; anything else cannot name a manifest. */
function checkReference(reference: string, forWrite: boolean): string {
  if (reference.includes(':')) return checkDigest(reference);
  if (isTagName(reference)) return reference;
  const message = `invalid tag "${reference}": tags match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`;
  throw forWrite ? new RegistryProblem('MANIFEST_INVALID', message, { detail: { tag: reference } }) : new RegistryProblem('MANIFEST_UNKNOWN', message, { detail: { tag: reference } });
}

/** The MANIFEST_UNKNOWN answer for a reference the repository lacks. */
function unknownManifest(name: string, reference: string): RegistryProblem {
  return new RegistryProblem('MANIFEST_UNKNOWN', `manifest ${reference} is not in repository ${name}`, { detail: isDigest(reference) ? { digest: reference } : { tag: reference } });
}

/**
 * The media type a PUT declares: the Content-Type without parameters (the
 * spec says to ignore them), else the manifest's own `mediaType` field.
 */
function declaredMediaType(contentType: string | undefined, bytes: Buffer): string {
  const fromHeader = (contentType ?? '').split(';')[0]?.trim() ?? '';
  if (fromHeader !== '' && fromHeader !== 'application/octet-stream') return fromHeader;
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'mediaType' in parsed && typeof parsed.mediaType === 'string') return parsed.mediaType;
  } catch {
    // The store refuses the bytes with MANIFEST_INVALID and says why.
  }
  throw new RegistryProblem('MANIFEST_INVALID', 'the manifest has no Content-Type header and no mediaType field: the registry cannot tell what it is');
}

/** GET or HEAD: the exact bytes with their stored media type and digest. */
async function getManifest(context: RouteContext, name: string, reference: string): Promise<void> {
  const manifest = await context.reader.manifest(name, checkReference(reference, false));
  if (manifest === undefined) throw unknownManifest(name, reference);
  const headers = {
    'Content-Type': manifest.mediaType,
    'Content-Length': String(manifest.bytes.length),
    'Docker-Content-Digest': manifest.digest,
    ETag: `"${manifest.digest}"`,
  };
  context.response.writeHead(200, headers);
  context.response.end(context.request.method === 'HEAD' ? undefined : manifest.bytes);
}

/** PUT: stores the manifest under the reference (plus `?tag=` tags when pushed by digest), 201 with its digest. */
async function putManifest(context: RouteContext, name: string, reference: string): Promise<void> {
  const storage = writable(context, 'pushing a manifest');
  const target = checkReference(reference, true);
  const extraTags = context.query.getAll('tag');
  if (extraTags.length > 0 && !isDigest(target)) {
    throw new RegistryProblem('MANIFEST_INVALID', `?tag= is only accepted on a push by digest, not on tag "${target}"`);
  }
  if (extraTags.length > MAX_TAGS_PER_PUT) {
    throw new RegistryProblem('MANIFEST_INVALID', `at most ${MAX_TAGS_PER_PUT} ?tag= parameters per push (got ${extraTags.length})`, { status: 414 });
  }
  for (const tag of extraTags) checkReference(tag, true);
  const bytes = await readBoundedBody(context.request, MAX_MANIFEST_BYTES, `manifest ${name}:${target}`);
  const mediaType = declaredMediaType(context.request.headers['content-type'], bytes);
  const stored = await storage.putManifest(name, target, bytes, mediaType);
  for (const tag of extraTags) await storage.putManifest(name, tag, bytes, mediaType);
  const headers: Record<string, string> = {
    Location: registryPath(name, 'manifests', stored.digest),
    'Docker-Content-Digest': stored.digest,
  };
  if (stored.subject !== undefined) headers['OCI-Subject'] = stored.subject;
  if (extraTags.length > 0) headers['OCI-Tag'] = extraTags.join(', ');
  sendEmpty(context.response, 201, headers);
}

/** DELETE: a tag alone, or a digest with every tag on it (202). */
async function deleteManifest(context: RouteContext, name: string, reference: string): Promise<void> {
  const storage = writable(context, 'deleting a manifest');
  if (!(await storage.deleteManifest(name, checkReference(reference, false)))) throw unknownManifest(name, reference);
  sendEmpty(context.response, 202);
}

/** Answers a manifest endpoint (the server has checked the method). */
export async function manifestRoute(context: RouteContext, name: string, reference: string): Promise<void> {
  const method = context.request.method;
  if (method === 'PUT') return putManifest(context, name, reference);
  if (method === 'DELETE') return deleteManifest(context, name, reference);
  return getManifest(context, name, reference);
}

/**
 * The referrers API: an image index of the manifests in this repository
 * whose subject is the digest, filtered by `?artifactType=` when asked (and
 * then `OCI-Filters-Applied: artifactType`). Never 404: an unknown digest
 * has an empty list, as the spec requires.
 */
export async function referrersRoute(context: RouteContext, name: string, rawDigest: string): Promise<void> {
  const digest = checkDigest(rawDigest);
  const artifactType = context.query.get('artifactType');
  const all = await context.reader.referrers(name, digest);
  const manifests = artifactType === null ? all : all.filter((descriptor) => descriptor.artifactType === artifactType);
  const headers: Record<string, string> = { 'Content-Type': INDEX_MEDIA_TYPE };
  if (artifactType !== null) headers['OCI-Filters-Applied'] = 'artifactType';
  sendJson(context.request, context.response, 200, { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests }, headers);
}
