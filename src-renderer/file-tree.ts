/**
 * An image's file list (browse:files answers paths from the root) as the
 * folders the browser's tree expands: each folder's direct children, folders
 * first. Folders a listing only implies (a tar need not list `etc/` before
 * `etc/os-release`) are made up, so every file has a parent to sit under.
 * Paths come from the image: the tree is a Map, so a folder named
 * `__proto__` or `constructor` is a folder like any other.
 */
import type { BrowseFileEntry } from '../src-shared/api/contract.ts';

/** One entry of the tree: its path from the root (no leading `/` or `./`) and the name shown. */
export interface TreeNode {
  path: string;
  name: string;
  type: BrowseFileEntry['type'];
  size: number;
  linkTarget?: string;
}

/** Each folder's children by the folder's path; the root is `''`. A Map, not an object: its keys are untrusted paths. */
export type FileTree = ReadonlyMap<string, readonly TreeNode[]>;

/** The tree before anything was listed. */
export const EMPTY_TREE: FileTree = new Map();

/** A path as the tree keys it: `./etc/` and `/etc` are both `etc`. */
export function treePath(path: string): string {
  return path.replace(/^(?:\.\/|\/)+/, '').replace(/\/+$/, '');
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function byKindThenName(a: TreeNode, b: TreeNode): number {
  const folder = (node: TreeNode): number => (node.type === 'dir' ? 0 : 1);
  return folder(a) - folder(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The tree with `entries` added (an entry already there is replaced; implied folders are added). */
export function mergeEntries(tree: FileTree, entries: readonly BrowseFileEntry[]): FileTree {
  const nodes = new Map<string, TreeNode>();
  for (const children of tree.values()) for (const node of children) nodes.set(node.path, node);
  for (const entry of entries) {
    const path = treePath(entry.path);
    if (path === '') continue;
    const node: TreeNode = { path, name: path.slice(path.lastIndexOf('/') + 1), type: entry.type, size: entry.size };
    if (entry.linkTarget !== undefined) node.linkTarget = entry.linkTarget;
    nodes.set(path, node);
    for (let parent = parentOf(path); parent !== '' && !nodes.has(parent); parent = parentOf(parent)) {
      nodes.set(parent, { path: parent, name: parent.slice(parent.lastIndexOf('/') + 1), type: 'dir', size: 0 });
    }
  }
  const next = new Map<string, TreeNode[]>([['', []]]);
  for (const node of nodes.values()) {
    const parent = parentOf(node.path);
    const siblings = next.get(parent);
    if (siblings) siblings.push(node);
    else next.set(parent, [node]);
  }
  for (const children of next.values()) children.sort(byKindThenName);
  return next;
}

/** True when a listing reached below its own folder, i.e. it was the whole tree and no folder needs listing again. */
export function listsDeeper(entries: readonly BrowseFileEntry[], folder: string): boolean {
  const depth = folder === '' ? 0 : folder.split('/').length;
  return entries.some((entry) => treePath(entry.path).split('/').length > depth + 1);
}
