/**
 * Manifest GET/HEAD/PUT for OCI manifests and indexes, Docker schema2
 * manifests and lists, and artifacts. Bytes are kept exactly as served, since
 * the digest is of the bytes, not of any re-serialisation.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import type { z } from 'zod';
import { FerryError } from '../../../src-shared/errors.ts';
import { checkJsonDocument } from '../../../src-shared/schemas/document.ts';
import { IMAGE_INDEX_DOCUMENT, IMAGE_MANIFEST_DOCUMENT, MANIFEST_SIZE_LIMIT, type ImageIndexSchema, type ImageManifestSchema } from '../../../src-shared/schemas/oci.ts';
import { parseStrictJson } from '../../../src-shared/strict-json.ts';
import { digestWithAlgorithmOf, isDigest, parseDigest, sha256Digest } from '../digest.ts';
import { detectManifestMediaType, isIndexMediaType, MANIFEST_MEDIA_TYPES } from '../media-types.ts';
import { readCapped, type RegistryClient } from './client.ts';

export { MANIFEST_SIZE_LIMIT };

/** An image manifest or artifact manifest (OCI or Docker schema2), inferred from its schema. */
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

/** An image index or Docker manifest list, inferred from its schema. */
export type ImageIndex = z.infer<typeof ImageIndexSchema>;

/** A manifest as fetched: its exact bytes, its type, its digest and the parsed form. */
export type FetchedManifest =
  { kind: 'index'; bytes: Buffer; mediaType: string; digest: string; index: ImageIndex } | { kind: 'image'; bytes: Buffer; mediaType: string; digest: string; manifest: ImageManifest };

/**
 * Parses and checks manifest bytes (strict JSON, then the shape Ferry reads);
 * throws INVALID_MANIFEST naming the subject and the broken field's JSON path.
 * The parsed form keeps every field; the bytes stay as they were.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, digest: string, subject: string): FetchedManifest {
  const file = `${subject}: manifest`;
  try {
    const parsed = parseStrictJson(bytes, { file, maxBytes: MANIFEST_SIZE_LIMIT, code: 'INVALID_MANIFEST' });
    const mediaType = detectManifestMediaType(parsed, contentType);
    if (mediaType === undefined) {
      throw new FerryError('UNSUPPORTED_MEDIA_TYPE', `${subject}: unsupported manifest type "${contentType ?? 'unknown'}" (Docker schema 1 is not supported)`, { digest });
    }
    if (isIndexMediaType(mediaType)) return { kind: 'index', bytes, mediaType, digest, index: checkJsonDocument(parsed, IMAGE_INDEX_DOCUMENT, file) };
    return { kind: 'image', bytes, mediaType, digest, manifest: checkJsonDocument(parsed, IMAGE_MANIFEST_DOCUMENT, file) };
  } catch (error) {
    // The digest joins the file and path the readers name, so a caller can tell which manifest it was.
    if (error instanceof FerryError) throw new FerryError(error.code, error.message, { ...error.details, digest });
    throw error;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Fetches a manifest by tag or digest, verifying its digest and size cap. */
export async function getManifest(client: RegistryClient, repository: string, identifier: string, options: { signal?: AbortSignal; subject?: string } = {}): Promise<FetchedManifest> {
  const subject = options.subject ?? `${client.registry}/${repository}${isDigest(identifier) ? '@' : ':'}${identifier}`;
  const response = await client.send({
    method: 'GET',
    path: `/v2/${repository}/manifests/${identifier}`,
    scopes: [{ repository, actions: ['pull'] }],
    expect: [200],
    subject,
    headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
    signal: options.signal,
  });
  const declared = Number(headerValue(response.headers['content-length']) ?? '0');
  if (declared > MANIFEST_SIZE_LIMIT) {
    response.body.destroy();
    throw new FerryError('MANIFEST_TOO_LARGE', `${subject}: manifest is ${declared} bytes, over the ${MANIFEST_SIZE_LIMIT}-byte limit`, { size: declared });
  }
  const bytes = await readCapped(response.body, MANIFEST_SIZE_LIMIT, subject);
  const served = headerValue(response.headers['docker-content-digest']);
  const expected = isDigest(identifier) ? identifier : served !== undefined && isDigest(served) ? served : undefined;
  const digest = expected ? digestWithAlgorithmOf(expected, bytes) : sha256Digest(bytes);
  if (expected !== undefined && digest !== expected) {
    throw new FerryError('DIGEST_MISMATCH', `${subject}: manifest digest ${digest} does not match ${expected}`, { expected, actual: digest });
  }
  return parseManifest(bytes, headerValue(response.headers['content-type']), digest, subject);
}

/** Asks whether a manifest exists without fetching it; undefined when it does not. */
export async function headManifest(
  client: RegistryClient,
  repository: string,
  identifier: string,
  signal?: AbortSignal,
): Promise<{ digest: string | undefined; mediaType: string | undefined; size: number } | undefined> {
  const response = await client.send({
    method: 'HEAD',
    path: `/v2/${repository}/manifests/${identifier}`,
    scopes: [{ repository, actions: ['pull'] }],
    expect: [200, 404],
    subject: `${client.registry}/${repository}:${identifier}`,
    headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
    signal,
  });
  await response.body.dump();
  if (response.statusCode === 404) return undefined;
  return {
    digest: headerValue(response.headers['docker-content-digest']),
    mediaType: headerValue(response.headers['content-type']),
    size: Number(headerValue(response.headers['content-length']) ?? '0'),
  };
}

/** Pushes manifest bytes unchanged under a tag or digest, and checks the registry kept the digest. */
export async function putManifest(client: RegistryClient, repository: string, identifier: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<string> {
  const digest = isDigest(identifier) ? digestWithAlgorithmOf(identifier, bytes) : sha256Digest(bytes);
  const subject = `${client.registry}/${repository}${isDigest(identifier) ? '@' : ':'}${identifier}`;
  if (isDigest(identifier) && digest !== identifier) {
    throw new FerryError('DIGEST_MISMATCH', `${subject}: manifest bytes hash to ${digest}, refusing to push`, { expected: identifier, actual: digest });
  }
  const response = await client.send({
    method: 'PUT',
    path: `/v2/${repository}/manifests/${identifier}`,
    scopes: [{ repository, actions: ['pull', 'push'] }],
    expect: [201, 200],
    subject,
    headers: { 'content-type': mediaType },
    body: bytes,
    signal,
  });
  await response.body.dump();
  const stored = headerValue(response.headers['docker-content-digest']);
  if (stored !== undefined && isDigest(stored) && parseDigest(stored).algorithm === parseDigest(digest).algorithm && stored !== digest) {
    throw new FerryError('DIGEST_MISMATCH', `${subject}: registry stored the manifest as ${stored}, expected ${digest}`, { expected: digest, actual: stored });
  }
  return digest;
}
