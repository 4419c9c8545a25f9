/**
 * The bundle manifest, `ferry.json`: the root of trust of a bundle. It is
 * written last, so a folder without it is an unfinished export, and every
 * byte of the bundle is checked against it before anything is trusted.
 * The format is described in docs/bundle-format.md.
 */
import type { z } from 'zod';
import type { BundleBlobSchema, BundleExporterSchema, BundleImageSchema, BundleImageSetSchema, BundleManifestSchema, BundlePartSchema, BundleSkippedSchema } from '../schemas/bundle-manifest.ts';

/** The format version of a bundle of pulled images only: what every Ferry reads, so it is still written whenever it suffices. */
export const BUNDLE_FORMAT_PLAIN = 1;
/** The format version of a bundle that carries local artifacts (images with `artifactType` and a source that is no reference); an older reader refuses it by its version. */
export const BUNDLE_FORMAT_ARTIFACTS = 2;
/** The newest format version this build writes and reads; bump it for any change a reader must know about. */
export const BUNDLE_FORMAT_VERSION = BUNDLE_FORMAT_ARTIFACTS;

/** File names of a bundle; the tar parts of the archive form may contain only the first three and blobs. */
export const BUNDLE_FILES = {
  ociLayout: 'oci-layout',
  index: 'index.json',
  manifest: 'ferry.json',
  /** The folder beside ferry.json holding signatures and approvals (`*.sigstore.json`), outside the parts, so one can be added on the drive later. */
  signatures: 'signatures',
} as const;

/** The suffix of every statement file under `signatures/` (a Sigstore bundle: an export signature, an approval or a rejection). */
export const STATEMENT_FILE_SUFFIX = '.sigstore.json';

/**
 * The names a statement file under `signatures/` may have: a plain name (letters, digits, `.`, `_`, `-`, starting with a
 * letter or digit) ending in `.sigstore.json`, e.g. `exporter-1.sigstore.json` or `officer-1.approval.sigstore.json`.
 * Verification refuses anything else in the folder by name.
 */
export const STATEMENT_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.sigstore\.json$/;

/** A statement file is a few KiB; one larger than this is refused unread. */
export const MAX_STATEMENT_FILE_BYTES = 1024 * 1024;

/** At most this many statement files in `signatures/`: more is no review, but an attack on the reader. */
export const MAX_STATEMENT_FILES = 100;

// The types are inferred from the schema (src-shared/schemas/bundle-manifest.ts), so they cannot drift from what is checked.

/** Who wrote a bundle, for the security officer's review. */
export type BundleExporter = z.infer<typeof BundleExporterSchema>;

/** What the user asked for, so the import side can see the intent behind the images. */
export type BundleImageSet = z.infer<typeof BundleImageSetSchema>;

/** One exported image: where it came from and the root manifest it resolved to. */
export type BundleImage = z.infer<typeof BundleImageSchema>;

/** A blob the bundle holds (configs, layers and manifests alike). */
export type BundleBlob = z.infer<typeof BundleBlobSchema>;

/** One tar part of the archive form. */
export type BundlePart = z.infer<typeof BundlePartSchema>;

/** A reference a partial (`--keep-going`) export or copy left out, with its reason and the stage it failed at. */
export type BundleSkipped = z.infer<typeof BundleSkippedSchema>;

/** The whole of `ferry.json`. */
export type BundleManifest = z.infer<typeof BundleManifestSchema>;
