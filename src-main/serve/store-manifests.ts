/**
 * What a store checks in a manifest before it keeps it (distribution-spec
 * "Pushing manifests"): the bytes are a JSON image manifest or index of the
 * media type it was pushed with, and which blobs, child manifests and subject
 * it names, so the store can refuse one whose content is missing
 * (MANIFEST_BLOB_UNKNOWN) and index its referrers.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { IMAGE_INDEX_DOCUMENT, IMAGE_MANIFEST_DOCUMENT, MANIFEST_SIZE_LIMIT } from '../../src-shared/schemas/oci.ts';
import { isIndexMediaType, isManifestMediaType, MANIFEST_MEDIA_TYPES } from '../oci/media-types.ts';
import { RegistryProblem } from './problems.ts';

/** A descriptor's digest and the byte count it claims (checked against what the store holds). */
export interface SizedDigest {
  digest: string;
  size: number;
}

/** One entry per distinct digest and size (a digest named twice with two sizes stays twice, so both are checked). */
function distinct(descriptors: SizedDigest[]): SizedDigest[] {
  const seen = new Map<string, SizedDigest>();
  for (const { digest, size } of descriptors) seen.set(`${digest} ${size}`, { digest, size });
  return [...seen.values()];
}

/** What a stored manifest names, and its descriptor as the referrers API lists it. */
export interface ManifestFacts {
  /** Blobs (config, layers) that must be linked in the repository, with the size each descriptor claims. */
  blobs: SizedDigest[];
  /** Child manifests (of an index) that must be in the repository, with the size each descriptor claims. */
  manifests: SizedDigest[];
  /** The digest of the manifest this one refers to, if any. */
  subject?: string;
  /** How the referrers API lists this manifest (without digest and size, which the store fills in). */
  referrer: Pick<Descriptor, 'mediaType' | 'artifactType' | 'annotations'>;
}

/** Reads a pushed manifest's facts, or refuses it with MANIFEST_INVALID saying what is wrong. */
export function readManifestFacts(repository: string, reference: string, bytes: Buffer, mediaType: string): ManifestFacts {
  const name = `manifest ${reference} of ${repository}`;
  const invalid = (why: string, detail?: unknown): never => {
    throw new RegistryProblem('MANIFEST_INVALID', `${name}: ${why}`, { detail });
  };
  if (bytes.byteLength > MANIFEST_SIZE_LIMIT) invalid(`is ${bytes.byteLength} bytes, more than the ${MANIFEST_SIZE_LIMIT} a manifest may be`);
  if (!isManifestMediaType(mediaType)) invalid(`media type "${mediaType}" is not one Ferry serves (${MANIFEST_MEDIA_TYPES.join(', ')})`);
  const index = isIndexMediaType(mediaType);
  let parsed: { mediaType?: string | undefined; artifactType?: string | undefined; annotations?: Record<string, string> | undefined; subject?: Descriptor | undefined };
  let blobs: SizedDigest[] = [];
  let manifests: SizedDigest[] = [];
  let configType: string | undefined;
  try {
    if (index) {
      const document = parseJsonDocument(bytes, IMAGE_INDEX_DOCUMENT, name);
      manifests = document.manifests.map(({ digest, size }) => ({ digest, size }));
      parsed = document;
    } else {
      const document = parseJsonDocument(bytes, IMAGE_MANIFEST_DOCUMENT, name);
      // A layer with `urls` (Docker's foreign layers) is fetched from elsewhere; registries do not hold it.
      blobs = [document.config, ...document.layers.filter((layer) => (layer.urls ?? []).length === 0)].map(({ digest, size }) => ({ digest, size }));
      configType = document.config.mediaType;
      parsed = document;
    }
  } catch (error) {
    if (error instanceof FerryError) invalid(error.message.startsWith(name) ? error.message.slice(name.length).replace(/^[:\s]+/, '') : error.message, error.details);
    throw error;
  }
  if (parsed.mediaType !== undefined && parsed.mediaType !== mediaType) {
    invalid(`its mediaType field says "${parsed.mediaType}", but it was pushed as "${mediaType}"`, { mediaType: parsed.mediaType, contentType: mediaType });
  }
  // image-spec manifest.md: artifactType, else the config's media type, is what the referrers API reports.
  const artifactType = parsed.artifactType ?? configType;
  const referrer: ManifestFacts['referrer'] = { mediaType };
  if (artifactType !== undefined) referrer.artifactType = artifactType;
  if (parsed.annotations !== undefined) referrer.annotations = parsed.annotations;
  const facts: ManifestFacts = { blobs: distinct(blobs), manifests: distinct(manifests), referrer };
  if (parsed.subject !== undefined) facts.subject = parsed.subject.digest;
  return facts;
}
