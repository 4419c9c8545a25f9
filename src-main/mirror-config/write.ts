/**
 * Writes every mirror-configuration format into one folder for
 * `ferry import --mirror-config DIR` and the UI, and removes the files an
 * earlier run wrote that this one does not (an earlier import's catalogs,
 * signatures or UpdateService), since `oc apply -f DIR` would apply them again.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { containerdHostsToml, hostFolder } from './containerd.ts';
import { deckhouseFiles } from './deckhouse.ts';
import { ketPlanRegistry } from './ket.ts';
import type { MirrorConfigOptions, RepositoryMapping } from './mapping.ts';
import { imageContentSourcePolicy, imageDigestMirrorSet, imageTagMirrorSet } from './openshift.ts';
import { renderClusterResources, type ClusterResourcesInput } from './openshift-resources.ts';
import { registriesConf } from './registries-conf.ts';
import { GENERATED_BY, GENERATED_BY_PREFIX } from './stringify.ts';
import { trustFiles } from './trust-files.ts';

/** What a write did, paths relative to the folder with "/" separators: the files written, and those of an earlier run removed. */
export interface MirrorConfigWrite {
  written: string[];
  removed: string[];
}

/** The files Ferry writes under fixed names: only these and STALE_PATTERNS are ever removed. */
const FIXED_NAMES: ReadonlySet<string> = new Set([
  'registries.conf.d/99-ferry-mirror.conf',
  'openshift/imagedigestmirrorset.yaml',
  'openshift/imagetagmirrorset.yaml',
  'openshift/imagecontentsourcepolicy.yaml',
  'openshift/updateservice.yaml',
  'containerd/SKIPPED.txt',
  'openshift/additional-trusted-ca.yaml',
  'ket/plan-docker-registry.yaml',
  'deckhouse/init-configuration.yaml',
  'deckhouse/module-source.yaml',
]);
/** Files the user fills with the nodes' pull login (KET's password, Deckhouse's dockerCfg): readable by the owner only. Ferry writes none in. */
const PRIVATE_FILES: ReadonlySet<string> = new Set(['ket/plan-docker-registry.yaml', 'deckhouse/init-configuration.yaml', 'deckhouse/module-source.yaml']);
/** Mode of a file holding credentials. */
const PRIVATE_MODE = 0o600;
/** The names Ferry gives per catalog, release digest and source host; a file named otherwise (the user's `openshift/my-idms.yaml`) is never removed. */
const STALE_PATTERNS: readonly RegExp[] = [
  /^openshift\/c[sc]-[^/]+\.yaml$/,
  /^openshift\/release-signatures\/sha256-[0-9a-f]{64}\.yaml$/,
  /^containerd\/certs\.d\/[^/]+\/(hosts\.toml|ca\.crt)$/,
  /^certs\.d\/[^/]+\/ca\.crt$/,
];
/** The start of the first line of every file Ferry writes (YAML and TOML comments alike): a stable prefix, so rewording the rest of the header still recognises files an older Ferry wrote. */
const MARK = Buffer.from(`# ${GENERATED_BY_PREFIX}`);

/** Whether Ferry could have written a file of this relative path (fixed name or one of its patterns). */
function ferryName(relative: string): boolean {
  return FIXED_NAMES.has(relative) || STALE_PATTERNS.some((pattern) => pattern.test(relative));
}

/** Whether a regular file starts with Ferry's header; only its first bytes are read, and a symlink is never opened (O_NOFOLLOW). */
async function writtenByFerry(path: string): Promise<boolean> {
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await file.stat()).isFile()) return false;
    const head = Buffer.alloc(MARK.length);
    const { bytesRead } = await file.read(head, 0, MARK.length, 0);
    return bytesRead === MARK.length && head.equals(MARK);
  } finally {
    await file.close();
  }
}

/** What a path is without following a symlink: missing, a real folder, or something else (a symlink, a file). */
async function kindOf(path: string): Promise<'missing' | 'folder' | 'other'> {
  try {
    return (await lstat(path)).isDirectory() ? 'folder' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

/**
 * Refuses, before anything is written, a folder on the way to a file Ferry
 * writes that is a symlink (or not a folder): writing would follow it out of
 * DIR, and removing an earlier run's files would delete files there. DIR
 * itself may be a symlink; the folders inside it may not.
 */
async function refuseLinkedFolders(dir: string, relatives: Iterable<string>): Promise<void> {
  const folders = new Set<string>();
  for (const relative of relatives) for (let parent = posix.dirname(relative); parent !== '.'; parent = posix.dirname(parent)) folders.add(parent);
  for (const folder of [...folders].sort()) {
    const path = join(dir, ...folder.split('/'));
    if ((await kindOf(path)) === 'other')
      throw new FerryError('INVALID_ARGUMENT', `${path} is a symbolic link or a file, not a folder: Ferry writes its mirror configuration only into real folders inside ${dir}`, { path });
  }
}

/** Regular files directly in a folder (relative, "/"-separated) and its real subfolders; a symlink is neither followed nor listed, a missing or linked folder has none. */
async function entriesOf(dir: string, relative: string): Promise<{ files: string[]; folders: string[] }> {
  const path = join(dir, ...relative.split('/'));
  if ((await kindOf(path)) !== 'folder') return { files: [], folders: [] };
  const entries = await readdir(path, { withFileTypes: true });
  return {
    files: entries.filter((entry) => entry.isFile()).map((entry) => `${relative}/${entry.name}`),
    folders: entries.filter((entry) => entry.isDirectory()).map((entry) => `${relative}/${entry.name}`),
  };
}

/** The files under DIR whose paths Ferry could have written: only the folders it writes into are listed, each checked with lstat, never through a symlink. */
async function candidates(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const folder of ['registries.conf.d', 'openshift', 'openshift/release-signatures', 'containerd', 'ket', 'deckhouse']) out.push(...(await entriesOf(dir, folder)).files);
  for (const parent of ['containerd/certs.d', 'certs.d']) for (const host of (await entriesOf(dir, parent)).folders) out.push(...(await entriesOf(dir, host)).files);
  return out.filter(ferryName);
}

/**
 * Removes the files of an earlier run that this one did not write: only a
 * path Ferry itself could have written (ferryName) whose file starts with its
 * header, then any folder below DIR's top-level ones that the removal left
 * empty. The user's own files (another name, or no header) are never touched.
 */
async function removeStale(dir: string, keep: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const relative of await candidates(dir)) {
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
  return removed.sort();
}

/** Whether DIR's file system takes ":" in a name (FAT32, exFAT and Windows do not); probed with a file created and removed at once. */
async function colonAllowed(dir: string): Promise<boolean> {
  if (process.platform === 'win32') return false;
  await mkdir(dir, { recursive: true });
  const probe = join(dir, `.ferry-name-probe:${process.pid}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
  } catch {
    return false;
  }
  await unlink(probe);
  return true;
}

/**
 * Docker's and containers' certs.d folder is `host:port`. Where DIR cannot
 * hold a ":" (a FAT32 or exFAT stick, Windows), the folder is written as
 * containerd spells it, `host_port_` (hostFolder), and the file's header and
 * installGuide give the real destination with the ":".
 */
async function portableNames(dir: string, files: Map<string, string>): Promise<void> {
  const colons = [...files.keys()].filter((relative) => relative.includes(':'));
  // A DIR that cannot even be created keeps the names: the write below then fails with IO_ERROR naming the file.
  if (colons.length === 0 || (await colonAllowed(dir).catch(() => true))) return;
  for (const relative of colons) {
    const text = files.get(relative) ?? '';
    files.delete(relative);
    files.set(
      relative
        .split('/')
        .map((part) => (part.includes(':') ? hostFolder(part) : part))
        .join('/'),
      text,
    );
  }
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
 * earlier run this one did not write are removed (removeStale: only paths
 * Ferry writes whose file carries its header). A folder inside DIR on the way
 * to a file is never a symlink: such a folder is refused before anything is
 * written. Returns both lists.
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
      `# ${GENERATED_BY}\n\nFerry wrote no hosts.toml for these source hosts:\n${skipped.map((s) => `- ${s}`).join('\n')}\nUse registries.conf or the OpenShift objects for them.\n`,
    );
  if (resources) for (const [path, text] of renderClusterResources(resources, options)) files.set(path, text);
  for (const [path, text] of trustFiles(options)) files.set(path, text);
  files.set('ket/plan-docker-registry.yaml', ketPlanRegistry(options));
  for (const [path, text] of deckhouseFiles(mappings, options)) files.set(path, text);
  await portableNames(dir, files);

  await refuseLinkedFolders(dir, files.keys());
  const written: string[] = [];
  for (const [relative, text] of files) {
    const target = join(dir, ...relative.split('/'));
    try {
      await mkdir(dirname(target), { recursive: true });
      await writeFileDurable(target, text, PRIVATE_FILES.has(relative) ? { mode: PRIVATE_MODE } : {});
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
