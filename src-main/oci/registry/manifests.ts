/**
 * Manifest GET/HEAD/PUT for OCI manifests and indexes, Docker schema2
 * manifests and lists, and artifacts. Bytes are kept exactly as served, since
 * the digest is of the bytes, not of any re-serialisation.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { MANIFEST_SIZE_LIMIT } from '../../../src-shared/schemas/oci.ts';
import { parseManifest, type FetchedManifest, type ImageIndex, type ImageManifest } from '../manifest-parse.ts';
import { digestWithAlgorithmOf, isDigest, parseDigest, sha256Digest } from '../digest.ts';
import { MANIFEST_MEDIA_TYPES } from '../media-types.ts';
import { readCapped, type RegistryClient } from './client.ts';
import { firstHeader } from './response-body.ts';

export { MANIFEST_SIZE_LIMIT, parseManifest, type FetchedManifest, type ImageIndex, type ImageManifest };

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
  const declared = Number(firstHeader(response.headers['content-length']) ?? '0');
  if (declared > MANIFEST_SIZE_LIMIT) {
    response.body.destroy();
    throw new FerryError('MANIFEST_TOO_LARGE', `${subject}: manifest is ${declared} bytes, over the ${MANIFEST_SIZE_LIMIT}-byte limit`, { size: declared });
  }
  const bytes = await readCapped(response.body, MANIFEST_SIZE_LIMIT, subject);
  const served = firstHeader(response.headers['docker-content-digest']);
  const expected = isDigest(identifier) ? identifier : served !== undefined && isDigest(served) ? served : undefined;
  const digest = expected ? digestWithAlgorithmOf(expected, bytes) : sha256Digest(bytes);
  if (expected !== undefined && digest !== expected) {
    throw new FerryError('DIGEST_MISMATCH', `${subject}: manifest digest ${digest} does not match ${expected}`, { expected, actual: digest });
  }
  return parseManifest(bytes, firstHeader(response.headers['content-type']), digest, subject);
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
    digest: firstHeader(response.headers['docker-content-digest']),
    mediaType: firstHeader(response.headers['content-type']),
    size: Number(firstHeader(response.headers['content-length']) ?? '0'),
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
  const stored = firstHeader(response.headers['docker-content-digest']);
  if (stored !== undefined && isDigest(stored) && parseDigest(stored).algorithm === parseDigest(digest).algorithm && stored !== digest) {
    throw new FerryError('DIGEST_MISMATCH', `${subject}: registry stored the manifest as ${stored}, expected ${digest}`, { expected: digest, actual: stored });
  }
  return digest;
}
