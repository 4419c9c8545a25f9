/**
 * Media types of manifests and indexes that Ferry reads and writes, and how to
 * tell them apart. https://github.com/opencontainers/image-spec/blob/main/media-types.md
 */

/** The annotation oras reads as a layer's file name (image-spec annotations.md). */
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';
/** OCI image manifest. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image index. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Docker image manifest, schema 2. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker manifest list (multi-platform). */
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** The empty JSON descriptor's media type, used as the config of artifacts. */
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

/**
 * How deep indexes may nest below an image's root (its index.json entry or the
 * reference asked for): real images use one level, rarely two. Every walk over
 * a manifest graph — the registry resolver, verify's graph check, the import
 * plan — refuses an index deeper than this, naming the image and the depth.
 */
export const MAX_INDEX_NESTING = 8;

/** Every manifest type Ferry accepts, in the order sent in `Accept` (distribution-spec "Pulling manifests"). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST];

/** True for types that list other manifests (index, manifest list). */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

/** True for types that describe one image or artifact (config + layers). */
export function isImageManifestMediaType(mediaType: string): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

/** True for any manifest type Ferry understands. */
export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/**
 * The media type of manifest bytes when the server's Content-Type is missing
 * or generic: from the `mediaType` field, else by shape (an OCI index may omit
 * the field; image-spec says to tell them by `manifests` vs `config`).
 */
export function detectManifestMediaType(parsed: unknown, contentType: string | undefined): string | undefined {
  const header = contentType?.split(';')[0]?.trim();
  if (header && isManifestMediaType(header)) return header;
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  if (typeof record.mediaType === 'string' && isManifestMediaType(record.mediaType)) return record.mediaType;
  if (Array.isArray(record.manifests)) return OCI_INDEX;
  if (typeof record.config === 'object' && record.config !== null) return OCI_MANIFEST;
  return undefined;
}
