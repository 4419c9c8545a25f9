/**
 * The bundle manifest, `ferry.json`: the root of trust of a bundle. It is
 * written last, so a folder without it is an unfinished export, and every
 * byte of the bundle is checked against it before anything is trusted.
 * The format is described in docs/bundle-format.md.
 */

/** The format version this build writes and reads; bump it for any change a reader must know about. */
export const BUNDLE_FORMAT_VERSION = 1;

/** File names of a bundle; the tar parts of the archive form may contain only the first three and blobs. */
export const BUNDLE_FILES = {
  ociLayout: 'oci-layout',
  index: 'index.json',
  manifest: 'ferry.json',
} as const;

/** Who wrote a bundle, for the security officer's review. */
export interface BundleExporter {
  host: string;
  user: string;
  ferryVersion: string;
}

/** What the user asked for, so the import side can see the intent behind the images. */
export interface BundleImageSet {
  /** References given on the command line. */
  references: string[];
  /** Image list files, by base name, with the references read from each. */
  lists: Array<{ file: string; references: string[] }>;
  /** Platforms asked for; empty means every platform. */
  platforms: string[];
  /** The image set file (`--set`), by base name, and what its resolvers noted (requirements, disruptions). */
  set?: string;
  notes?: string[];
}

/** One exported image: where it came from and the root manifest it resolved to. */
export interface BundleImage {
  /** The name in index.json (`org.opencontainers.image.ref.name`), usable as `oci:BUNDLE:NAME`. */
  name: string;
  /** The source reference as given, normalised. */
  source: string;
  tag?: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  /** Bytes of the image's manifests and unique blobs. */
  size: number;
  /** Where the image set wants it on import (repository path under the prefix, tag); absent means the default mapping. */
  targets?: Array<{ path: string; tag?: string }>;
  /** The image set section that brought it (`images`, `deckhouse`, `openshift.release`, …). */
  section?: string;
}

/** A blob the bundle holds (configs, layers and manifests alike). */
export interface BundleBlob {
  digest: string;
  size: number;
}

/** One tar part of the archive form. */
export interface BundlePart {
  name: string;
  size: number;
  sha256: string;
}

/** The whole of `ferry.json`. */
export interface BundleManifest {
  formatVersion: typeof BUNDLE_FORMAT_VERSION;
  bundleId: string;
  /** 1 for a first bundle; an incremental bundle is its parent's sequence + 1. */
  sequence: number;
  created: string;
  expires?: string;
  exporter: BundleExporter;
  form: 'directory' | 'archive';
  imageSet: BundleImageSet;
  images: BundleImage[];
  blobs: BundleBlob[];
  /** Archive form only; empty for the directory form. */
  parts: BundlePart[];
  /** The bundle this one builds on (incremental bundles), or null. */
  parent: string | null;
  /**
   * Incremental bundles only: configs and layers the images need but this
   * bundle leaves out, because the site already holds them (from the parent).
   */
  omitted?: BundleBlob[];
}
