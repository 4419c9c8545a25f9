/**
 * The schema of ferry.json, the root of trust of a bundle
 * (docs/bundle-format.md): nothing in it is used before it passes, every
 * object refuses keys it does not declare, and the TypeScript types of
 * src-shared/model/bundle.ts are inferred from it.
 */
import { z } from 'zod';
import { BUNDLE_FORMAT_ARTIFACTS, BUNDLE_FORMAT_PLAIN, type BundleManifest } from '../model/bundle.ts';
import { parseJsonDocument, type JsonDocumentKind } from './document.ts';
import { printableName } from './printable.ts';

/** `sha256:` and 64 lowercase hex digits: the only digest a bundle holds. */
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A repository path as the distribution spec's grammar allows it. */
const REPOSITORY_PATH = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** An export channel's name (ferry.json `channel`): letters, digits, `. _ : / @ -`, starting with a letter or digit, up to 200. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/;

/**
 * A time as RFC 3339 writes it: date, time, optional fraction and a zone (`Z` or
 * `+hh:mm`). A time without a zone would be read in the reader's local zone,
 * shifting ages and expiry checks by hours, so it is refused.
 */
export const IsoTimeSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/, 'must be an RFC 3339 time with a zone, e.g. 2026-12-02T12:00:00Z')
  .refine((text) => !Number.isNaN(Date.parse(text)), 'must be a real date and time');

/** A sha256 digest string. */
export const Sha256DigestSchema = z.string().regex(SHA256_DIGEST, 'must be a sha256 digest (sha256: and 64 lowercase hex digits)');
/** A byte count. */
export const SizeSchema = z.number().int('must be a whole number').min(0, 'must be at least 0');
const Text = z.string().max(4096, 'is longer than 4096 characters');
/** A name shown to people and used in references: no control or invisible character (printable.ts). */
const Name = printableName(4096);
const TextList = z.array(Text);

/** Who wrote a bundle, for the security officer's review. */
export const BundleExporterSchema = z.strictObject({ host: Text, user: Text, ferryVersion: Text });

/** What the user asked for, so the import side can see the intent behind the images. */
export const BundleImageSetSchema = z.strictObject({
  /** References given on the command line. */
  references: TextList,
  /** Image list files, by base name, with the references read from each. */
  lists: z.array(z.strictObject({ file: Text, references: TextList })),
  /** Platforms asked for; empty means every platform. */
  platforms: TextList,
  /** The image set file (`--set`), by base name. */
  set: Text.optional(),
  /** What the image set's resolvers noted (requirements, disruptions). */
  notes: TextList.optional(),
});

/** Where an image set wants an image on import: a repository path under the prefix, and a tag. */
export const BundleTargetSchema = z.strictObject({
  /** Empty for the import prefix itself (a Deckhouse edition root lands at `REGISTRY/PATH`). */
  path: z.union([z.literal(''), z.string().regex(REPOSITORY_PATH, 'must be a repository path (lowercase names separated by /)')]),
  tag: z.string().regex(TAG, 'must be a tag (letters, digits, _ . -, up to 128)').optional(),
});

/** One exported image: where it came from and the root manifest it resolved to. */
export const BundleImageSchema = z.strictObject({
  /** The name in index.json (`org.opencontainers.image.ref.name`), usable as `oci:BUNDLE:NAME`. */
  name: Name,
  /** The source reference as given, normalised. */
  source: Name,
  tag: Name.optional(),
  digest: Sha256DigestSchema,
  mediaType: Name,
  platforms: z.array(Name),
  /** Bytes of the image's manifests and unique blobs. */
  size: SizeSchema,
  /** Where the image set wants it on import; absent means the default mapping. */
  targets: z.array(BundleTargetSchema).optional(),
  /** The image set section that brought it (`images`, `deckhouse`, `openshift.release`, …). */
  section: Text.optional(),
  /**
   * Format 2: set for a local artifact Ferry built on the connected side (files, a package repository, a chart fetched over HTTP):
   * its manifest's artifactType. Its `source` then describes what it was made from (`file:debs`) and is no reference; it lands at its `targets`.
   */
  artifactType: Name.optional(),
  /**
   * Set for a referrer carried with its image (issue 14): a signature, attestation or SBOM whose manifest names
   * `subject` (the image's digest) or that the cosign tag fallback (`sha256-<hex>.sig|.att|.sbom`) ties to it.
   * It lands in the same repositories as its subject.
   */
  referrer: z.strictObject({ subject: Sha256DigestSchema, kind: z.enum(['signature', 'attestation', 'sbom', 'other'], 'must be signature, attestation, sbom or other') }).optional(),
});

/** A blob the bundle holds (configs, layers and manifests alike), or one it leaves out. */
export const BundleBlobSchema = z.strictObject({ digest: Sha256DigestSchema, size: SizeSchema });

/**
 * A reference a `--keep-going` export left out, and why: `plan` when it could not be resolved (unknown tag,
 * missing repository, refused access, platform not present, bad manifest), `copy` when its content failed to
 * download after the usual retries. The bundle carries nothing of it: no image entry, no index.json entry, no referrer.
 */
export const BundleSkippedSchema = z.strictObject({
  reference: Text,
  reason: Text,
  stage: z.enum(['plan', 'copy'], 'must be "plan" or "copy"'),
});

/** One tar part of the archive form; `sha256` is bare lowercase hex of the part file. */
export const BundlePartSchema = z.strictObject({
  name: z.string().regex(SAFE_NAME, 'must be a plain file name (letters, digits, . _ -)'),
  size: SizeSchema,
  sha256: z.string().regex(/^[a-f0-9]{64}$/, 'must be 64 lowercase hex digits'),
});

/** The whole of ferry.json, format version 1 (pulled images only) or 2 (local artifacts too). */
export const BundleManifestSchema = z
  .strictObject({
    formatVersion: z.literal([BUNDLE_FORMAT_PLAIN, BUNDLE_FORMAT_ARTIFACTS], `must be ${BUNDLE_FORMAT_PLAIN} or ${BUNDLE_FORMAT_ARTIFACTS}`),
    bundleId: z.string().regex(UUID, 'must be a lowercase UUID'),
    /** 1 for a first bundle; an incremental bundle is its parent's sequence + 1. */
    sequence: z.number().int('must be a whole number').min(1, 'must be at least 1'),
    created: IsoTimeSchema,
    expires: IsoTimeSchema.optional(),
    exporter: BundleExporterSchema,
    form: z.enum(['directory', 'archive'], 'must be "directory" or "archive"'),
    imageSet: BundleImageSetSchema,
    images: z.array(BundleImageSchema),
    blobs: z.array(BundleBlobSchema),
    /** Archive form only; empty for the directory form. */
    parts: z.array(BundlePartSchema),
    /** The bundle this one builds on (incremental bundles), or null. */
    parent: z.string().nullable(),
    /** Incremental bundles only: configs and layers the images need but this bundle leaves out, because the site already holds them. */
    omitted: z.array(BundleBlobSchema).optional(),
    /**
     * The digest and size of index.json's exact bytes, so that ferry.json pins every other byte of the bundle
     * (index.json here, every blob in `blobs`, every part in `parts`) and one signature over ferry.json covers all of it.
     * Written by every export since issue 14; a bundle without it verifies but cannot be signed.
     */
    index: BundleBlobSchema.optional(),
    /**
     * The export channel (connected site + image set) whose `sequence` this is: the disconnected side refuses a
     * sequence at or below the highest it imported on the channel (rollback protection), unless an officer allows it.
     */
    channel: z.string().regex(CHANNEL_PATTERN, 'must be a channel name (letters, digits, . _ : / @ -, up to 200)').optional(),
    /** A partial bundle (`--keep-going`): the references asked for that it does not carry, with their reasons. Absent when nothing was skipped. */
    skipped: z.array(BundleSkippedSchema).optional(),
  })
  .superRefine((manifest, context) => {
    manifest.images.forEach((image, i) => {
      // A referrer lands where its subject lands, under its own cosign tag or none: a place or kind of its own would be ignored, or worse obeyed.
      if (image.referrer !== undefined) {
        for (const key of ['targets', 'artifactType'] as const) {
          if (image[key] !== undefined) context.addIssue({ code: 'custom', path: ['images', i, key], message: 'is not allowed on a referrer (it lands where its subject lands)' });
        }
        return;
      }
      if (image.artifactType === undefined) return;
      if (manifest.formatVersion < BUNDLE_FORMAT_ARTIFACTS) context.addIssue({ code: 'custom', path: ['images', i, 'artifactType'], message: `needs formatVersion ${BUNDLE_FORMAT_ARTIFACTS}` });
      if (!image.targets?.length) context.addIssue({ code: 'custom', path: ['images', i, 'targets'], message: 'must name where a local artifact lands' });
    });
  });

/**
 * ferry.json of even a huge bundle (20,000 images, 200,000 blobs: about 30 MB)
 * stays below this; more is an attack on the reader's memory, which needs
 * several times the file's size to parse and check it.
 */
export const FERRY_JSON_LIMIT = 32 * 1024 * 1024;

/** How ferry.json is read: a broken one is a broken bundle (BUNDLE_INVALID), never a registry's bad manifest. */
export const BUNDLE_MANIFEST_DOCUMENT: JsonDocumentKind<typeof BundleManifestSchema> = {
  schema: BundleManifestSchema,
  name: 'the bundle schema',
  maxBytes: FERRY_JSON_LIMIT,
  code: 'BUNDLE_INVALID',
};

/** Reads ferry.json text or bytes strictly and checks it; throws BUNDLE_INVALID naming the file and the JSON path. */
export function parseBundleManifest(input: string | Uint8Array, file: string): BundleManifest {
  return parseJsonDocument(input, BUNDLE_MANIFEST_DOCUMENT, file);
}
