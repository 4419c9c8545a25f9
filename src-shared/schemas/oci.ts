/**
 * The shapes of the OCI documents Ferry parses: descriptors, image manifests,
 * indexes and an image layout's index.json. Shape only — the fields Ferry
 * reads, with `z.object`, so extension fields the image spec allows pass; the
 * readers keep the parsed value whole (and manifests keep their exact bytes,
 * since digests are of the bytes). The types in src-shared/model/oci.ts are
 * inferred from these.
 * https://github.com/opencontainers/image-spec/blob/main/descriptor.md
 */
import { z } from 'zod';
import type { JsonDocumentKind } from './document.ts';
import { CONTROL_OR_INVISIBLE } from '../printable-text.ts';
import { CONTROL_OR_INVISIBLE_MESSAGE } from './printable.ts';

/** A digest Ferry can verify: sha256 or sha512, lowercase hex of the right length. */
export const VERIFIABLE_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

const StringMap = z.record(z.string(), z.string());

/** The platform of an image inside an index (image-index.md). */
export const PlatformSchema = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
});

/** An OCI content descriptor. */
export const DescriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string().regex(VERIFIABLE_DIGEST, 'must be a sha256 or sha512 digest'),
  size: z.number().int('must be a whole number').min(0, 'must be at least 0').max(Number.MAX_SAFE_INTEGER),
  urls: z.array(z.string()).optional(),
  annotations: StringMap.optional(),
  platform: PlatformSchema.optional(),
  artifactType: z.string().optional(),
});

/** An image manifest or artifact manifest (OCI or Docker schema2). */
export const ImageManifestSchema = z.object({
  schemaVersion: z.literal(2, 'must be 2'),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: StringMap.optional(),
});

/** One entry of an index's `manifests` (an image layout's index.json names its images this way). */
export const IndexEntrySchema = DescriptorSchema;

/** An image index or Docker manifest list, and an image layout's index.json. */
export const ImageIndexSchema = z.object({
  schemaVersion: z.literal(2, 'must be 2'),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(IndexEntrySchema),
  subject: DescriptorSchema.optional(),
  annotations: StringMap.optional(),
});

/** Registries refuse manifests over 4 MiB (distribution-spec); a bigger one is an attack or a mistake. */
export const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;

/** index.json of even a 100,000-image layout is below this. */
export const LAYOUT_INDEX_LIMIT = 16 * 1024 * 1024;

/** How a manifest's bytes are read: INVALID_MANIFEST, the code for a registry's (or a bundle's) bad manifest. */
export const IMAGE_MANIFEST_DOCUMENT: JsonDocumentKind<typeof ImageManifestSchema> = {
  schema: ImageManifestSchema,
  name: 'the OCI image manifest schema',
  maxBytes: MANIFEST_SIZE_LIMIT,
  code: 'INVALID_MANIFEST',
  keepUnknownKeys: true,
};

/** How an index's bytes are read. */
export const IMAGE_INDEX_DOCUMENT: JsonDocumentKind<typeof ImageIndexSchema> = {
  schema: ImageIndexSchema,
  name: 'the OCI image index schema',
  maxBytes: MANIFEST_SIZE_LIMIT,
  code: 'INVALID_MANIFEST',
  keepUnknownKeys: true,
};

/** The annotation that names an image in a layout's index.json (image-spec annotations.md). */
const REF_NAME = 'org.opencontainers.image.ref.name';

/** A layout's index.json: an image index whose image names (`ref.name`) hold no control or invisible character. */
export const LayoutIndexSchema = ImageIndexSchema.superRefine((index, context) => {
  index.manifests.forEach((entry, position) => {
    const name = entry.annotations?.[REF_NAME];
    if (name !== undefined && CONTROL_OR_INVISIBLE.test(name)) context.addIssue({ code: 'custom', path: ['manifests', position, 'annotations', REF_NAME], message: CONTROL_OR_INVISIBLE_MESSAGE });
  });
});

/** How a bundle's or layout's index.json is read: a broken one is a broken bundle (BUNDLE_INVALID). */
export const LAYOUT_INDEX_DOCUMENT: JsonDocumentKind<typeof LayoutIndexSchema> = {
  schema: LayoutIndexSchema,
  name: 'the OCI image index schema',
  maxBytes: LAYOUT_INDEX_LIMIT,
  code: 'BUNDLE_INVALID',
  keepUnknownKeys: true,
};

/** The `oci-layout` marker file of an image layout (image-layout.md). */
export const LayoutMarkerSchema = z.object({ imageLayoutVersion: z.string() });

/** How the `oci-layout` marker is read. */
export const LAYOUT_MARKER_DOCUMENT: JsonDocumentKind<typeof LayoutMarkerSchema> = {
  schema: LayoutMarkerSchema,
  name: 'an OCI layout marker',
  maxBytes: 4096,
  code: 'BUNDLE_INVALID',
  keepUnknownKeys: true,
};
