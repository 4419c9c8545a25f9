/**
 * The browser's part of the contract (`browse:*` in contract.ts): where it
 * reads from, and what it shows of repositories, tags, platforms, file trees
 * and a small file's start. The engine's own types are in model/browse.ts;
 * these are what crosses to the renderer (text instead of bytes).
 */
import type { RegistryAccessInput } from './contract.ts';

/**
 * Where the app's browser reads from: a registry (its `host[:port]`, with the
 * access to reach it; a saved login is looked up on the engine side) or a
 * bundle folder on the engine's machine.
 */
export type BrowseSourceInput = { kind: 'registry'; registry: string; access?: RegistryAccessInput } | { kind: 'bundle'; path: string };

/** One page of a listing the browser walks with "load more": `last` is the `next` of the previous page. */
export interface BrowsePage {
  last?: string;
  /** Entries per page; the engine caps it. */
  n?: number;
}

/** An image in the browser: a repository of the source and a tag in it, or a digest (which wins). */
export interface BrowseImageInput {
  source: BrowseSourceInput;
  repository: string;
  tag?: string;
  digest?: string;
}

/** What the browser shows of one tag or digest: its manifest, and for an index the platforms it holds. */
export interface BrowsePlatforms {
  digest: string;
  mediaType: string;
  artifactType?: string;
  platforms: Array<{ platform: string; digest: string; size: number }>;
}

/** One entry of an image's file tree (its layers applied in order), with the path from the root. */
export interface BrowseFileEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mode: number;
  linkTarget?: string;
}

/**
 * A small file out of an image for the preview: at most `BROWSE_PREVIEW_BYTES`
 * of it, as text when those bytes are UTF-8 without NUL, else `binary` and no
 * text. The text is untrusted: the renderer shows it as text, never as markup,
 * with control and bidi characters made visible.
 */
export interface BrowseFilePreview {
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
