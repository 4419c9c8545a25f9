/**
 * Writes every mirror-configuration format into one folder for
 * `ferry import --mirror-config DIR` and the UI, and removes the files an
 * earlier run wrote that this one does not (an earlier import's catalogs,
 * signatures or UpdateService), since `oc apply -f DIR` would apply them again.
 */
import { mkdir, open, readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { containerdHostsToml } from './containerd.ts';
import type { MirrorConfigOptions, RepositoryMapping } from './mapping.ts';
import { imageContentSourcePolicy, imageDigestMirrorSet, imageTagMirrorSet } from './openshift.ts';
import { renderClusterResources, type ClusterResourcesInput } from './openshift-resources.ts';
import { registriesConf } from './registries-conf.ts';
import { GENERATED_BY } from './stringify.ts';

/** What a write did, paths relative to the folder with "/" separators: the files written, and those of an earlier run removed. */
export interface MirrorConfigWrite {
  written: string[];
  removed: string[];
}

/** The folders Ferry writes into; only these are searched for files of an earlier run, so a folder given as DIR is never walked whole. */
const OWN_FOLDERS = ['registries.conf.d', 'openshift', 'containerd'] as const;
/** How deep below those folders Ferry writes (containerd/certs.d/<host>/hosts.toml). */
const MAX_DEPTH = 3;
/** The first line of every file Ferry writes (YAML and TOML comments alike), which marks a file as Ferry's to replace or remove. */
const MARK = Buffer.from(`# ${GENERATED_BY}\n`);

/** Whether a file starts with Ferry's header line; only its first bytes are read. */
async function writtenByFerry(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(MARK.length);
    const { bytesRead } = await file.read(head, 0, MARK.length, 0);
    return bytesRead === MARK.length && head.equals(MARK);
  } finally {
    await file.close();
  }
}

/** Regular files under `relative` in `root` (paths relative to `root`, "/"-separated), symlinks neither followed nor listed; a missing folder has none. */
async function filesUnder(root: string, relative: string, depth: number): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(root, ...relative.split('/')), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
  const out: string[] = [];
  for (const entry of entries) {
    const path = `${relative}/${entry.name}`;
    if (entry.isFile()) out.push(path);
    else if (entry.isDirectory() && depth < MAX_DEPTH) out.push(...(await filesUnder(root, path, depth + 1)));
  }
  return out;
}

/**
 * Removes the files under Ferry's folders that carry its header line but are
 * not in `keep`, then any folder below those that the removal left empty. A
 * file without the header (the user's own) is never touched.
 */
async function removeStale(dir: string, keep: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of OWN_FOLDERS) {
    for (const relative of await filesUnder(dir, folder, 1)) {
      const path = join(dir, ...relative.split('/'));
      if (keep.has(relative) || !(await writtenByFerry(path))) continue;
      await unlink(path);
      removed.push(relative);
      for (let parent = posix.dirname(relative); parent.includes('/'); parent = posix.dirname(parent)) {
        try {
          await rmdir(join(dir, ...parent.split('/')));
        } catch {
          break; // not empty (or gone): the folders above it are not empty either
        }
      }
    }
  }
  return removed.sort();
}

/**
 * Renders all formats first and writes only when every one succeeded, so a
 * failure leaves no half-written folder; each file is written durably (temp
 * file, fsync, rename), so a file from an earlier run is replaced whole or
 * left as it was, never truncated in place. containerd hosts that cannot be
 * expressed are listed in `containerd/SKIPPED.txt` instead. With `resources`,
 * the OpenShift cluster resources (openshift-resources.ts: CatalogSource and
 * ClusterCatalog per catalog, release-signature ConfigMaps under
 * `openshift/release-signatures/`, the UpdateService) are rendered with the
 * rest and written in the same pass. Once all are written, the files of an
 * earlier run this one did not write are removed (removeStale: only files
 * carrying Ferry's header line). Returns both lists.
 */
export async function writeMirrorConfig(dir: string, mappings: readonly RepositoryMapping[], options: MirrorConfigOptions, resources?: ClusterResourcesInput): Promise<MirrorConfigWrite> {
  const files = new Map<string, string>([
    ['registries.conf.d/99-ferry-mirror.conf', registriesConf(mappings, options)],
    ['openshift/imagedigestmirrorset.yaml', imageDigestMirrorSet(mappings, options)],
    ['openshift/imagetagmirrorset.yaml', imageTagMirrorSet(mappings, options)],
    ['openshift/imagecontentsourcepolicy.yaml', imageContentSourcePolicy(mappings, options)],
  ]);
  // containerd mirrors whole hosts: a host whose repositories move to different paths (an OpenShift release) cannot be expressed there.
  const skipped: string[] = [];
  for (const [path, text] of containerdHostsToml(mappings, options, skipped)) files.set(`containerd/${path}`, text);
  if (skipped.length > 0)
    files.set(
      'containerd/SKIPPED.txt',
      `${MARK.toString()}\nFerry wrote no hosts.toml for these source hosts:\n${skipped.map((s) => `- ${s}`).join('\n')}\nUse registries.conf or the OpenShift objects for them.\n`,
    );
  if (resources) for (const [path, text] of renderClusterResources(resources, options)) files.set(path, text);

  const written: string[] = [];
  for (const [relative, text] of files) {
    const target = join(dir, ...relative.split('/'));
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFileDurable(target, text);
    } catch (caught) {
      // writeFileDurable wraps the OS error; the message names its errno code.
      const error = caught instanceof FerryError ? caught.cause : caught;
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
      throw new FerryError('IO_ERROR', `could not write mirror configuration file ${target}${code === undefined ? '' : ` (${code})`}`, { path: target, written }, { cause: error });
    }
    written.push(relative);
  }
  try {
    return { written, removed: await removeStale(dir, new Set(written)) };
  } catch (caught) {
    const code = typeof caught === 'object' && caught !== null && 'code' in caught ? String(caught.code) : undefined;
    throw new FerryError('IO_ERROR', `could not remove the files of an earlier run from ${dir}${code === undefined ? '' : ` (${code})`}`, { path: dir, written }, { cause: caught });
  }
}
