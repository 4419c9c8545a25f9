/**
 * Where everything lives in a `ferry serve` store folder, and the name rules
 * that make those paths safe. Every name that reaches the disk is checked
 * here first, so no request can escape the folder:
 * - repository names follow the distribution-spec grammar (no component may
 *   start with `.` or `_`, so `..` and the store's own `_x` folders cannot
 *   be spelled), https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 * - tags follow `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}` (no `/`, never `.` or `..`),
 * - digests are sha256/sha512 with lowercase hex of the right length (oci/digest.ts),
 * - upload ids are 32 lowercase hex digits Ferry made itself,
 * - on Windows (process.platform win32), a repository component or tag that
 *   Windows cannot hold as a file name is refused with a clear problem instead
 *   of failing at the disk: a reserved device name (CON, PRN, AUX, NUL,
 *   COM1-9, LPT1-9, with or without an extension, any case) or a trailing
 *   dot (Windows strips it, so `v1.` would be `v1`). Tags that differ only in
 *   case are one tag on macOS and Windows disks (see store.ts).
 * The folder layout itself is described in store.ts.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fsyncDir } from '../base/durable-write.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';
import { isDigest, parseDigest } from '../oci/digest.ts';
import { RegistryProblem } from './problems.ts';

/** One path component of a repository name (distribution-spec `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`). */
const REPOSITORY_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
/** A whole repository name: components joined by `/`. */
const REPOSITORY_NAME = new RegExp(`^${REPOSITORY_COMPONENT}(?:/${REPOSITORY_COMPONENT})*$`);
/** Distribution refuses names longer than this (host + name must fit 255 characters); so does Ferry, before any path is built. */
export const MAX_REPOSITORY_LENGTH = 255;
/** The spec's tag grammar. */
const TAG_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Upload session ids: 16 random bytes in hex, made by startUpload. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** Windows device names: a file named so (with any extension) cannot be created. */
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com[1-9]|lpt[1-9])(?:\..*)?$/i;

/**
 * Why Windows cannot hold a repository name or tag as folder names, or
 * undefined when it can (always undefined on other platforms).
 */
export function windowsNameProblem(name: string, platform: string = process.platform): string | undefined {
  if (platform !== 'win32') return undefined;
  for (const component of name.split('/')) {
    if (WINDOWS_RESERVED.test(component)) return `"${component}" is a device name Windows reserves`;
    if (component.endsWith('.')) return `"${component}" ends in a dot, which Windows strips`;
  }
  return undefined;
}

/** True when `name` is a repository name the spec allows (and, on Windows, one the disk can hold). */
export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_REPOSITORY_LENGTH && REPOSITORY_NAME.test(name) && windowsNameProblem(name) === undefined;
}

/** Refuses a repository name the spec does not allow with NAME_INVALID, before any path is built from it. */
export function checkRepositoryName(name: string): void {
  const windows = REPOSITORY_NAME.test(name) ? windowsNameProblem(name) : undefined;
  if (windows !== undefined) throw new RegistryProblem('NAME_INVALID', `invalid repository name "${name}" for a store on Windows: ${windows}`, { detail: { name } });
  if (!isRepositoryName(name)) {
    throw new RegistryProblem(
      'NAME_INVALID',
      `invalid repository name "${name}": expected lowercase components like "team/app" (distribution-spec grammar, at most ${MAX_REPOSITORY_LENGTH} characters)`,
      {
        detail: { name },
      },
    );
  }
}

/** True when `tag` is a tag the spec allows (and, on Windows, one the disk can hold). */
export function isTagName(tag: string): boolean {
  return TAG_NAME.test(tag) && windowsNameProblem(tag) === undefined;
}

/** True when `id` is an upload id this store could have made. */
export function isUploadId(id: string): boolean {
  return UPLOAD_ID.test(id);
}

/** Refuses a digest Ferry cannot verify with DIGEST_INVALID naming it (the HTTP layer sends 400). */
export function checkDigest(digest: string, what: string): void {
  if (!isDigest(digest)) {
    throw new RegistryProblem('DIGEST_INVALID', `invalid digest "${digest}" for ${what}: expected sha256:<64 hex> or sha512:<128 hex>`, { detail: { digest } });
  }
}

/** The paths of one store folder; pure functions of validated names. */
export class StoreLayout {
  constructor(readonly root: string) {}

  /** The lock file a read-write store holds while it is open (pid inside). */
  get lockFile(): string {
    return join(this.root, 'serve.lock');
  }

  /** The marker that says "this folder is a Ferry store" and its layout version. */
  get markerFile(): string {
    return join(this.root, 'ferry-store.json');
  }

  /** `blobs/`: every committed blob and manifest, by digest. */
  get blobsRoot(): string {
    return join(this.root, 'blobs');
  }

  /** `uploads/`: one folder per upload session. */
  get uploadsRoot(): string {
    return join(this.root, 'uploads');
  }

  /** `repositories/`: one folder per repository path. */
  get repositoriesRoot(): string {
    return join(this.root, 'repositories');
  }

  /** The folder of a blob's file: `blobs/<algorithm>/<first 2 hex>` (keeps folders small). */
  blobFolder(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.blobsRoot, algorithm, hex.slice(0, 2));
  }

  /** A committed blob's file: `blobs/<algorithm>/<2 hex>/<hex>`; it exists only complete and verified. */
  blobFile(digest: string): string {
    return join(this.blobFolder(digest), parseDigest(digest).hex);
  }

  /** An upload session's folder: `uploads/<id>/` holding `info.json` and `data`. */
  uploadFolder(id: string): string {
    return join(this.uploadsRoot, id);
  }

  /** A repository's folder: `repositories/<name>/` (name already checked, so `/` only separates components). */
  repositoryFolder(repository: string): string {
    return join(this.repositoriesRoot, ...repository.split('/'));
  }

  /** The link that says a repository has a blob: `repositories/<name>/_layers/<algorithm>/<hex>`. */
  layerLink(repository: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.repositoryFolder(repository), '_layers', algorithm, hex);
  }

  /** The link that says a repository has a manifest (its media type inside): `_manifests/revisions/<algorithm>/<hex>`. */
  revisionLink(repository: string, digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.revisionsFolder(repository), algorithm, hex);
  }

  /** `_manifests/revisions/`: every manifest of a repository. */
  revisionsFolder(repository: string): string {
    return join(this.repositoryFolder(repository), '_manifests', 'revisions');
  }

  /** `_manifests/tags/`: exists once the repository was tagged (Distribution answers NAME_UNKNOWN for a tag list before that). */
  tagsFolder(repository: string): string {
    return join(this.repositoryFolder(repository), '_manifests', 'tags');
  }

  /** A tag's link (the digest inside): `_manifests/tags/<tag>/link`; a folder per tag, so a temp file is never listed as a tag. */
  tagLink(repository: string, tag: string): string {
    return join(this.tagsFolder(repository), tag, 'link');
  }

  /** `_referrers/<algorithm>-<hex of subject>/`: the referrers of one subject. */
  referrersFolder(repository: string, subject: string): string {
    const { algorithm, hex } = parseDigest(subject);
    return join(this.repositoryFolder(repository), '_referrers', `${algorithm}-${hex}`);
  }

  /** One referrer's descriptor (JSON): `_referrers/<subject>/<algorithm>-<hex of referrer>`. */
  referrerEntry(repository: string, subject: string, referrer: string): string {
    const { algorithm, hex } = parseDigest(referrer);
    return join(this.referrersFolder(repository, subject), `${algorithm}-${hex}`);
  }

  /** The repository name of a folder under `repositories/`. */
  repositoryOf(folder: string): string {
    return relative(this.repositoriesRoot, folder).split(sep).join('/');
  }
}

/** The digest a link file's name spells (`<algorithm>/<hex>`), or undefined for anything else (a temp file a kill left). */
export function digestOfLinkName(algorithm: string, name: string): string | undefined {
  const digest = `${algorithm}:${name}`;
  return isDigest(digest) ? digest : undefined;
}

/**
 * Creates a folder and its missing parents, and fsyncs the parent of each
 * folder it created, so a new folder's entry is as durable as the files
 * later renamed into it. Folders already known to exist are skipped. With
 * `toSync`, the parents are added there instead of synced, for a batch
 * (store-bulk.ts) that syncs each folder once at its barrier.
 */
export async function ensureFolder(path: string, known?: Set<string>, toSync?: Set<string>): Promise<void> {
  if (known?.has(path)) return;
  let first: string | undefined;
  try {
    first = await mkdir(path, { recursive: true, mode: 0o750 }); // not world-readable: a local user must not read blobs past --htpasswd
  } catch (error) {
    throw ioError('create folder', path, error);
  }
  if (first !== undefined) {
    // mkdir made `first` and every folder below it down to `path`: sync each new entry's parent.
    let folder = path;
    for (;;) {
      if (toSync) toSync.add(dirname(folder));
      else await fsyncDir(dirname(folder));
      if (folder === first) break;
      folder = dirname(folder);
    }
  }
  known?.add(path);
}

/** The names in a folder, or [] when it does not exist. */
export async function listFolder(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return [];
    throw ioError('list', path, error);
  }
}
