/**
 * Manifest bytes read into Ferry's types (OCI or Docker, image or index),
 * wherever they came from: a registry (registry/manifests.ts), a bundle or a
 * store folder. Apart from the registry client, so the bundle layer can read
 * manifests without loading it.
 */
import type { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';
import { checkJsonDocument } from '../../src-shared/schemas/document.ts';
import { IMAGE_INDEX_DOCUMENT, IMAGE_MANIFEST_DOCUMENT, MANIFEST_SIZE_LIMIT, type ImageIndexSchema, type ImageManifestSchema } from '../../src-shared/schemas/oci.ts';
import { parseStrictJson } from '../../src-shared/strict-json.ts';
import { detectManifestMediaType, isIndexMediaType } from './media-types.ts';

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
