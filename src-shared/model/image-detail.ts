/**
 * One image of a verified bundle in detail, as the officer's inspector shows
 * it (issue 17): per platform its manifest, its layers with sizes and media
 * types, and its config labels. Everything here was read from the bundle's
 * verified view; labels from config blobs checked against their digests.
 */

/** One layer (or other blob) an image manifest lists. */
export interface LayerDetail {
  digest: string;
  size: number;
  mediaType: string;
  /** True when an incremental bundle left it out (the site already has it). */
  omitted?: boolean;
}

/** One image manifest of an image: a platform of an index, or the image itself. */
export interface PlatformDetail {
  /** `os/arch[/variant]` from the index's descriptor or the config; absent when neither says. */
  platform?: string;
  digest: string;
  mediaType: string;
  config?: { digest: string; size: number; mediaType: string };
  layers: LayerDetail[];
  /** The config's labels, read from its verified bytes; absent when they were not asked for or cannot be read (see labelsNote). */
  labels?: Record<string, string>;
  /** Why there are no labels, in words (an artifact's config, a config left out of an incremental bundle, one that is no image config). */
  labelsNote?: string;
}

/** One image (or artifact) of the bundle with every platform it offers. */
export interface ImageDetail {
  /** Its name in the bundle. */
  name: string;
  source: string;
  digest: string;
  mediaType: string;
  platforms: PlatformDetail[];
}

/** The answer of `bundle:images`: the images asked for, and how many more the bundle holds beyond the cap. */
export interface ImageDetails {
  images: ImageDetail[];
  more: number;
}
