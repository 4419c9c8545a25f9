/**
 * The app's registry and bundle browser as the contract's adapter over the
 * browse use case (`ferry ls` / `ferry cat` use the same one). The renderer is
 * untrusted: its source, page, repository, tag, digest, platform and path are
 * checked here into the use case's typed arguments (a login inside a registry
 * address is refused before it can be echoed; repository, tag and digest are
 * parsed by the reference grammar). A file's preview is its first BROWSE_PREVIEW_BYTES, handed over as
 * text only when those bytes are UTF-8 without NUL.
 */
import { BROWSE_PREVIEW_BYTES, type ApiMethods, type BrowseFilePreview } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import type { BrowseImageRef, BrowseSource } from '../../src-shared/model/browse.ts';
import { parseDigest } from '../oci/digest.ts';
import { parsePlatform } from '../oci/platform.ts';
import { parseReference, parseRegistryPrefix } from '../oci/reference.ts';
import type { RegistrySettings } from '../usecases/access.ts';
import { browseFiles, browsePlatforms, browseReadFile, browseRepositories, browseTags, type BrowseContext } from '../usecases/browse.ts';
import type { VerifiedBundles } from '../usecases/verify.ts';
import { argsObject, optionalString, requireString, settingsFrom, type SavedLogin } from './access.ts';

/** The most entries one page may ask for; registries cap `n` themselves, this keeps one answer small. */
export const BROWSE_MAX_PAGE = 1000;
/** Longest `last` marker or file path accepted from the renderer (a repository name is at most 255, a tar path rarely over 1 KiB). */
const MAX_TEXT = 4096;

/** A source and the registry settings it is read with. */
interface CheckedSource {
  source: BrowseSource;
  access: RegistrySettings;
}

/** The `source` argument: a registry's `host[:port]` with its access, or a bundle folder. */
function sourceFrom(raw: unknown, savedLogin?: SavedLogin): CheckedSource {
  const args = argsObject(raw);
  if (args.kind === 'registry') {
    const registry = requireString(args, 'registry').trim();
    // parseRegistryPrefix refuses a login in the address without echoing it, and any host that is not host[:port].
    const parsed = parseRegistryPrefix(registry);
    if (parsed.prefix !== '') throw new FerryError('INVALID_ARGUMENT', `browse a registry by its host[:port] alone, not "${registry}"`, { argument: 'source.registry' });
    return { source: { kind: 'registry', registry: parsed.registry }, access: settingsFrom(args.access, savedLogin) };
  }
  if (args.kind === 'bundle') return { source: { kind: 'bundle', path: requireString(args, 'path') }, access: settingsFrom(undefined) };
  throw new FerryError('INVALID_ARGUMENT', 'source.kind must be "registry" or "bundle"', { argument: 'source.kind' });
}

/** A short text argument without NUL (a page marker, a path inside an image). */
function shortText(args: Record<string, unknown>, name: string): string | undefined {
  const value = optionalString(args, name);
  if (value !== undefined && (value.length > MAX_TEXT || value.includes('\0')))
    throw new FerryError('INVALID_ARGUMENT', `${name} must be a text of at most ${MAX_TEXT} characters`, { argument: name });
  return value;
}

/** The page arguments: `last` (the previous page's `next`) and `n` (1 to BROWSE_MAX_PAGE). */
function pageFrom(args: Record<string, unknown>): { last?: string; n?: number } {
  const page: { last?: string; n?: number } = {};
  const last = shortText(args, 'last');
  if (last !== undefined) page.last = last;
  if (args.n !== undefined && args.n !== null) {
    if (typeof args.n !== 'number' || !Number.isInteger(args.n) || args.n < 1 || args.n > BROWSE_MAX_PAGE) {
      throw new FerryError('INVALID_ARGUMENT', `n must be a whole number from 1 to ${BROWSE_MAX_PAGE}`, { argument: 'n' });
    }
    page.n = args.n;
  }
  return page;
}

/** A repository path component and a tag, as the distribution reference grammar has them. */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
/** A repository name's longest length (distribution's NameTotalLengthMax). */
const NAME_MAX_LENGTH = 255;

/**
 * A repository name of the source: in a registry, path components of the
 * reference grammar below the host; in a bundle, an image name as the bundle
 * records it (host included). Nothing that could carry a tag or a digest.
 */
function repositoryFrom(args: Record<string, unknown>, source: BrowseSource): string {
  const repository = requireString(args, 'repository');
  const refuse = (): never => {
    throw new FerryError('INVALID_ARGUMENT', 'repository must be a repository name: lowercase path components separated by "/"', { argument: 'repository' });
  };
  if (repository.length > NAME_MAX_LENGTH || repository.includes('@')) refuse();
  if (source.kind === 'registry') {
    if (!repository.split('/').every((component) => PATH_COMPONENT.test(component))) refuse();
  } else {
    let tag: string | undefined;
    try {
      tag = parseReference(`${repository}:latest`).tag;
    } catch {
      refuse();
    }
    if (tag !== 'latest') refuse();
  }
  return repository;
}

/** The image a call names: a repository of the source and a tag or a digest in it. */
function imageFrom(raw: unknown, savedLogin?: SavedLogin): CheckedSource & { args: Record<string, unknown>; image: BrowseImageRef } {
  const args = argsObject(raw);
  const checked = sourceFrom(args.source, savedLogin);
  const repository = repositoryFrom(args, checked.source);
  const digest = optionalString(args, 'digest');
  if (digest !== undefined) {
    parseDigest(digest);
    return { ...checked, args, image: { repository, digest } };
  }
  const tag = optionalString(args, 'tag');
  if (tag === undefined) throw new FerryError('INVALID_ARGUMENT', 'name a tag or a digest of the repository', { argument: 'tag' });
  if (!TAG.test(tag)) throw new FerryError('INVALID_ARGUMENT', 'tag must be 1-128 letters, digits, "_", "." or "-", not starting with "." or "-"', { argument: 'tag' });
  return { ...checked, args, image: { repository, tag } };
}

/** The optional platform of an index to look into (`os/arch[/variant]`). */
function platformFrom(args: Record<string, unknown>): { platform?: string } {
  const platform = optionalString(args, 'platform');
  if (platform === undefined) return {};
  parsePlatform(platform);
  return { platform };
}

/** The preview of a file's first bytes: text when they are UTF-8 without NUL (a character cut by the cap is left out), else binary. */
export function previewOf(path: string, read: { bytes: Uint8Array; size: number; truncated: boolean }): BrowseFilePreview {
  const preview = { path, size: read.size, truncated: read.truncated };
  if (read.bytes.includes(0)) return { ...preview, binary: true, text: '' };
  try {
    // `stream` keeps back a character the byte cap cut in two instead of calling it malformed.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(read.bytes, { stream: read.truncated });
    return { ...preview, binary: false, text };
  } catch {
    return { ...preview, binary: true, text: '' };
  }
}

/**
 * The browse:* methods, each checking its untrusted arguments first. Bundles
 * are read through `verified`, the views the app keeps, so a bundle is
 * verified once rather than on every click.
 */
export function browseMethods(options: { savedLogin?: SavedLogin; verified: VerifiedBundles }): {
  [M in 'browse:repositories' | 'browse:tags' | 'browse:platforms' | 'browse:files' | 'browse:read']: (args: ApiMethods[M]['args']) => Promise<ApiMethods[M]['result']>;
} {
  const { savedLogin } = options;
  const context: BrowseContext = { bundles: options.verified };
  return {
    'browse:repositories': async (raw) => {
      const args = argsObject(raw);
      const { source, access } = sourceFrom(args.source, savedLogin);
      return browseRepositories(source, access, pageFrom(args), context);
    },
    'browse:tags': async (raw) => {
      const args = argsObject(raw);
      const { source, access } = sourceFrom(args.source, savedLogin);
      return browseTags(source, access, repositoryFrom(args, source), pageFrom(args), { digests: args.digests === true }, context);
    },
    'browse:platforms': async (raw) => {
      const { source, access, image } = imageFrom(raw, savedLogin);
      return browsePlatforms(source, access, image, context);
    },
    'browse:files': async (raw) => {
      const { source, access, image, args } = imageFrom(raw, savedLogin);
      const path = shortText(args, 'path');
      return browseFiles(source, access, image, { ...platformFrom(args), ...(path !== undefined ? { path } : {}) }, context);
    },
    'browse:read': async (raw) => {
      const { source, access, image, args } = imageFrom(raw, savedLogin);
      const path = shortText(args, 'path');
      if (path === undefined) throw new FerryError('INVALID_ARGUMENT', 'path is required', { argument: 'path' });
      const read = await browseReadFile(source, access, image, path, { ...platformFrom(args), maxBytes: BROWSE_PREVIEW_BYTES }, context);
      return previewOf(read.path, read);
    },
  };
}
