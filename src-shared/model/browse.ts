/**
 * Browsing a registry or a bundle the way `crane ls` / `crane export | tar`
 * do: repositories, tags, the platforms of an image, the file tree its layers
 * make, and one file's bytes. Plain data, so the same shapes serve the CLI
 * (`ferry ls`, `ferry cat`), the service and the app's browser.
 */

/** What is browsed: a registry host (`127.0.0.1:5000`, `quay.io`) or a bundle folder (either form, or a plain OCI layout), verified before it is read. */
export type BrowseSource = { kind: 'registry'; registry: string } | { kind: 'bundle'; path: string };

/**
 * One image of a source. In a registry `repository` is the path under the
 * host (`deckhouse/ee/release-channel`); in a bundle it is the image name
 * without its tag (`registry.example.com/deckhouse/ee/release-channel`). A
 * digest wins over a tag; with neither, `latest`.
 */
export interface BrowseImageRef {
  repository: string;
  tag?: string;
  digest?: string;
}

/** One page of a listing: items after `last` (exclusive), at most `n` of them. */
export interface BrowsePage {
  last?: string;
  n?: number;
}

/** A page of repository names; `next` is the `last` to ask for the following page, absent on the last page. */
export interface RepositoryPage {
  repositories: string[];
  next?: string;
}

/** One tag, with the digest of the manifest it points at when asked for. */
export interface BrowseTag {
  tag: string;
  digest?: string;
}

/** A page of tags, sorted by code point (a registry may send an unpaginated list in any order). */
export interface TagPage {
  tags: BrowseTag[];
  next?: string;
}

/** One image manifest an index (or a single image) offers. */
export interface BrowsePlatform {
  /** `os/arch[/variant]`; `unknown/unknown` for attestation manifests; undefined when neither the index nor the config names one (artifacts). */
  platform?: string;
  digest: string;
  mediaType: string;
  /** The manifest's size in bytes, as its descriptor gives it. */
  size: number;
}

/** What a reference points at: its root manifest and the image manifests it offers. */
export interface BrowseManifest {
  digest: string;
  mediaType: string;
  artifactType?: string;
  /** Every image manifest: the index's entries, or the one image itself. */
  platforms: BrowsePlatform[];
}

/** The kind of one entry of an image's file tree; `hardlink` names another path of the image in `linkTarget`. */
export type BrowseFileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

/** One path of an image's file tree: the layers applied in order, whiteouts honoured. */
export interface BrowseFileEntry {
  /** Relative to the image root, no leading `/` or `./` (`etc/os-release`). */
  path: string;
  type: BrowseFileType;
  /** Bytes of a regular file (0 for the rest). */
  size: number;
  /** Permission bits as the tar header gives them (e.g. 0o644). */
  mode: number;
  linkTarget?: string;
  /** Modification time, ISO 8601, when the layer gives one. */
  mtime?: string;
  /** Index of the layer the entry comes from (0 is the lowest); undefined for a directory only implied by a path below it. */
  layer?: number;
}

/** Which files of an image to list. */
export interface BrowseFilesOptions {
  /** For an index: `os/arch[/variant]`; default the only image, else linux/amd64. */
  platform?: string;
  /** Only this path and what lies below it. */
  path?: string;
  /** How many levels below `path` (or the root): 1 lists one folder; default every level. */
  depth?: number;
}

/** The file tree of one image. */
export interface BrowseFiles {
  /** The image manifest the tree is of (the platform's, for an index). */
  digest: string;
  platform?: string;
  entries: BrowseFileEntry[];
}

/** One file read out of an image, at most `maxBytes` of it. */
export interface BrowseFileContent {
  /** The path whose bytes these are, after following symlinks and hard links inside the image. */
  path: string;
  bytes: Uint8Array;
  /** The file's full size. */
  size: number;
  truncated: boolean;
}
