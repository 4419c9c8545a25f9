/**
 * The rules that turn an image's layers into one file tree, as a container
 * runtime unpacks them (image-spec "Applying Changesets"): layers apply
 * lowest first; a whiteout `.wh.NAME` removes NAME (and all below it) from the
 * layers beneath, an opaque marker `.wh..wh..opq` empties its folder of what
 * the layers beneath put there, and neither touches what its own layer adds.
 * Pure functions over header lists, so they are unit tested without a tar.
 * https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
 */
import { posix } from 'node:path';
import type { BrowseFileEntry, BrowseFileType } from '../../src-shared/model/browse.ts';

/** The prefix of a whiteout file's name. */
export const WHITEOUT_PREFIX = '.wh.';
/** The name of the opaque-folder marker. */
export const OPAQUE_MARKER = '.wh..wh..opq';

/** One tar entry of a layer, its path normalised; whiteouts and opaque markers are kept as their own kinds. */
export type LayerEntry =
  | (Omit<BrowseFileEntry, 'layer'> & { kind: 'entry' })
  /** `path` is what the whiteout removes from the layers beneath. */
  | { kind: 'whiteout'; path: string }
  /** `path` is the folder whose lower content is hidden ('' for the root). */
  | { kind: 'opaque'; path: string };

/**
 * A tar entry name as a path relative to the image root: no leading `/` or
 * `./`, no trailing `/`, `.` segments dropped. Undefined for the root itself
 * and for a name that climbs out of the root with `..` (runtimes refuse those).
 */
export function normaliseLayerPath(name: string): string | undefined {
  const trimmed = name.replace(/\\/g, '/').replace(/^\/+/, '');
  if (trimmed === '') return undefined;
  const normal = posix.normalize(trimmed).replace(/\/+$/, '');
  if (normal === '.' || normal === '' || normal === '..' || normal.startsWith('../')) return undefined;
  return normal;
}

/** The kind of a tar-stream header type. */
export function fileTypeOf(tarType: string | null | undefined): BrowseFileType {
  switch (tarType) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** Classifies a normalised entry path: a whiteout, an opaque marker, or a plain entry (AUFS's other `.wh..wh.` metadata is dropped). */
export function classifyPath(path: string): { kind: 'entry' } | { kind: 'whiteout' | 'opaque'; path: string } | { kind: 'ignored' } {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', path: dir };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'ignored' };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') return { kind: 'ignored' };
    return { kind: 'whiteout', path: dir === '' ? name : `${dir}/${name}` };
  }
  return { kind: 'entry' };
}

/** True when `path` is `ancestor` or lies below it ('' is the root, above everything). */
export function isWithin(path: string, ancestor: string): boolean {
  return ancestor === '' || path === ancestor || path.startsWith(`${ancestor}/`);
}

/** The proper ancestors of a path, nearest the root first (`a/b/c` → `a`, `a/b`). */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Removes `path` and everything below it from the tree. */
function removeSubtree(tree: Map<string, BrowseFileEntry>, path: string, keepSelf = false): void {
  for (const key of [...tree.keys()]) {
    if (key === path ? !keepSelf : isWithin(key, path) && key !== path) tree.delete(key);
  }
}

/**
 * Applies the layers, lowest first, into one tree: each layer's whiteouts and
 * opaque markers act on the layers beneath it, then its entries are added. A
 * non-folder replacing a folder removes what was below it; a path under a
 * non-folder turns that ancestor into an implied folder. Sorted by path.
 */
export function mergeLayers(layers: readonly (readonly LayerEntry[])[]): BrowseFileEntry[] {
  const tree = new Map<string, BrowseFileEntry>();
  layers.forEach((entries, layer) => {
    for (const entry of entries) {
      if (entry.kind === 'opaque') removeSubtree(tree, entry.path, true);
      else if (entry.kind === 'whiteout') removeSubtree(tree, entry.path);
    }
    for (const entry of entries) {
      if (entry.kind !== 'entry') continue;
      const { kind: _kind, ...file } = entry;
      for (const ancestor of ancestorsOf(file.path)) {
        const above = tree.get(ancestor);
        if (above?.type !== 'dir') {
          if (above) removeSubtree(tree, ancestor);
          tree.set(ancestor, { path: ancestor, type: 'dir', size: 0, mode: 0o755 });
        }
      }
      const before = tree.get(file.path);
      if (before?.type === 'dir' && file.type !== 'dir') removeSubtree(tree, file.path);
      tree.set(file.path, { ...file, layer });
    }
  });
  return [...tree.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** What one layer says about a path, seen from above: nothing, the entry itself, hidden, or "look at another path" (an ancestor is a symlink). */
export type LayerVerdict = { kind: 'none' } | { kind: 'entry'; entry: Omit<BrowseFileEntry, 'layer'> } | { kind: 'hidden'; why: string } | { kind: 'redirect'; path: string; via: string };

/**
 * What a layer decides about `path` for the layers beneath it: its own entry
 * for the path wins over anything else in it; then an ancestor that is a
 * symlink (look again at the path through it) or another non-folder (nothing
 * there); then a whiteout of the path or an ancestor, or an opaque marker in
 * an ancestor folder (hidden). Otherwise the layer leaves the path to the
 * layers beneath.
 */
export function layerVerdict(entries: readonly LayerEntry[], path: string): LayerVerdict {
  const ancestors = ancestorsOf(path);
  let verdict: LayerVerdict = { kind: 'none' };
  for (const entry of entries) {
    if (entry.kind === 'entry') {
      if (entry.path === path) {
        const { kind: _kind, ...file } = entry;
        return { kind: 'entry', entry: file };
      }
      if (ancestors.includes(entry.path) && entry.type !== 'dir') {
        verdict =
          entry.type === 'symlink' && entry.linkTarget !== undefined
            ? { kind: 'redirect', path: throughLink(entry.path, entry.linkTarget, path), via: entry.path }
            : { kind: 'hidden', why: `${entry.path} is not a folder` };
      }
    } else if (verdict.kind === 'none' || verdict.kind === 'hidden') {
      if (entry.kind === 'whiteout' && isWithin(path, entry.path)) verdict = { kind: 'hidden', why: `${entry.path} was deleted by a later layer` };
      if (entry.kind === 'opaque' && isWithin(path, entry.path) && path !== entry.path) verdict = { kind: 'hidden', why: `${entry.path || '/'} was replaced by a later layer` };
    }
  }
  return verdict;
}

/**
 * Where `path` lands when its ancestor `link` is a symlink to `target`, inside
 * the image root (an absolute target is from the root; `..` stops at the
 * root, as in a chroot). The empty string is the root.
 */
export function throughLink(link: string, target: string, path: string): string {
  const base = target.startsWith('/') ? '' : posix.dirname(link) === '.' ? '' : posix.dirname(link);
  const rest = path === link ? '' : path.slice(link.length + 1);
  const joined = [base, target, rest].filter((part) => part !== '').join('/');
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** The entries of a merged tree at or below `path` (the whole tree without one), at most `depth` levels below it. */
export function selectEntries(entries: readonly BrowseFileEntry[], path: string | undefined, depth: number | undefined): BrowseFileEntry[] {
  const root = path === undefined ? '' : (normaliseLayerPath(path) ?? '');
  const rootDepth = root === '' ? 0 : root.split('/').length;
  return entries.filter((entry) => {
    if (!isWithin(entry.path, root)) return false;
    return depth === undefined || entry.path.split('/').length - rootDepth <= depth;
  });
}
