/**
 * The browser's part of the contract (`browse:*` in contract.ts): where it
 * reads from and what a small file's preview carries. Repositories, tags,
 * manifests and file trees cross as the browse use case's own shapes
 * (model/browse.ts); a file's bytes cross as text, and only when they are text.
 */
import type { BrowseImageRef } from '../model/browse.ts';
import type { RegistryAccessInput } from './contract.ts';

export type { BrowseFileEntry, BrowseFiles, BrowseImageRef, BrowseManifest, BrowsePage, BrowsePlatform, BrowseTag, RepositoryPage, TagPage } from '../model/browse.ts';

/**
 * Where the app's browser reads from: a registry (its `host[:port]`, with the
 * access to reach it; a saved login is looked up on the engine side) or a
 * bundle folder on the engine's machine (verified before anything is listed).
 */
export type BrowseSourceInput = { kind: 'registry'; registry: string; access?: RegistryAccessInput } | { kind: 'bundle'; path: string };

/** An image in the browser: a repository of the source (in a bundle, the image name without its tag) and a tag in it, or a digest (which wins). */
export type BrowseImageInput = BrowseImageRef & { source: BrowseSourceInput };

/**
 * A small file out of an image for the preview: at most `BROWSE_PREVIEW_BYTES`
 * of it, as text when those bytes are UTF-8 without NUL, else `binary` and no
 * text. The text is untrusted: the renderer shows it as text, never as markup,
 * with control and bidi characters made visible.
 */
export interface BrowseFilePreview {
  /** The path read, after the image's symlinks and hard links were followed. */
  path: string;
  /** The file's whole size. */
  size: number;
  /** True when only the first `BROWSE_PREVIEW_BYTES` were read. */
  truncated: boolean;
  binary: boolean;
  text: string;
}

/** How much of a file the browser's preview reads (256 KiB): enough for version.json and its kind, never a layer's worth. */
export const BROWSE_PREVIEW_BYTES = 256 * 1024;
