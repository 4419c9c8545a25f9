/**
 * The app's registry and bundle browser as the contract's adapter over the
 * browse use case (`ferry ls` / `ferry cat` use the same one). The renderer is
 * untrusted: its source, page, repository, tag, digest, platform and path are
 * checked here into the use case's typed arguments (a login inside a registry
 * address is refused before it can be echoed; repository, tag and digest are
 * parsed by the reference grammar), and what goes back is built field by
 * field. A file's preview is its first BROWSE_PREVIEW_BYTES, handed over as
 * text only when those bytes are UTF-8 without NUL.
 */
import { BROWSE_PREVIEW_BYTES, type BrowseFileEntry, type BrowseFilePreview, type BrowsePlatforms, type ApiMethods } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import type { BrowseSource } from '../../src-shared/model/browse.ts';
import { parseDigest } from '../oci/digest.ts';
import { parsePlatform } from '../oci/platform.ts';
import { parseRegistryPrefix } from '../oci/reference.ts';
import type { RegistrySettings } from '../usecases/access.ts';
import { browseFiles, browsePlatforms, browseReadFile, browseRepositories, browseTags } from '../usecases/browse.ts';
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

/** A repository name of the source: path components of the reference grammar, nothing that could carry a tag, digest or host. */
function repositoryFrom(args: Record<string, unknown>): string {
  const repository = requireString(args, 'repository');
  if (repository.length > NAME_MAX_LENGTH || !repository.split('/').every((component) => PATH_COMPONENT.test(component))) {
    throw new FerryError('INVALID_ARGUMENT', 'repository must be lowercase path components separated by "/"', { argument: 'repository' });
  }
  return repository;
}

/**
 * The image a call names, as the reference the use case takes: for a
 * registry `host/repository:tag` (or `@digest`), for a bundle
 * `repository:tag` as the bundle records it.
 */
function imageFrom(raw: unknown, savedLogin?: SavedLogin): CheckedSource & { args: Record<string, unknown>; reference: string } {
  const args = argsObject(raw);
  const checked = sourceFrom(args.source, savedLogin);
  const repository = repositoryFrom(args);
  const digest = optionalString(args, 'digest');
  const tag = optionalString(args, 'tag');
  let suffix: string;
  if (digest !== undefined) {
    parseDigest(digest);
    suffix = `@${digest}`;
  } else if (tag !== undefined) {
    if (!TAG.test(tag)) throw new FerryError('INVALID_ARGUMENT', 'tag must be 1-128 letters, digits, "_", "." or "-", not starting with "." or "-"', { argument: 'tag' });
    suffix = `:${tag}`;
  } else {
    throw new FerryError('INVALID_ARGUMENT', 'name a tag or a digest of the repository', { argument: 'tag' });
  }
  const reference = checked.source.kind === 'registry' ? `${checked.source.registry}/${repository}${suffix}` : `${repository}${suffix}`;
  return { ...checked, args, reference };
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

/** The browse:* methods, each checking its untrusted arguments first. */
export function browseMethods(savedLogin?: SavedLogin): {
  [M in 'browse:repositories' | 'browse:tags' | 'browse:platforms' | 'browse:files' | 'browse:read']: (args: ApiMethods[M]['args']) => Promise<ApiMethods[M]['result']>;
} {
  return {
    'browse:repositories': async (raw) => {
      const args = argsObject(raw);
      const { source, access } = sourceFrom(args.source, savedLogin);
      const page = await browseRepositories(source, access, pageFrom(args));
      return { repositories: [...page.repositories], ...(page.next !== undefined ? { next: page.next } : {}) };
    },
    'browse:tags': async (raw) => {
      const args = argsObject(raw);
      const { source, access } = sourceFrom(args.source, savedLogin);
      const page = await browseTags(source, access, repositoryFrom(args), pageFrom(args), { digests: args.digests === true });
      const tags = page.tags.map((t) => (t.digest !== undefined ? { tag: t.tag, digest: t.digest } : { tag: t.tag }));
      return { tags, ...(page.next !== undefined ? { next: page.next } : {}) };
    },
    'browse:platforms': async (raw) => {
      const { source, access, reference } = imageFrom(raw, savedLogin);
      const found = await browsePlatforms(source, access, reference);
      const result: BrowsePlatforms = { digest: found.digest, mediaType: found.mediaType, platforms: found.platforms.map((p) => ({ platform: p.platform, digest: p.digest, size: p.size })) };
      if (found.artifactType !== undefined) result.artifactType = found.artifactType;
      return result;
    },
    'browse:files': async (raw) => {
      const { source, access, reference, args } = imageFrom(raw, savedLogin);
      const path = shortText(args, 'path');
      const listing = await browseFiles(source, access, reference, { ...platformFrom(args), ...(path !== undefined ? { path } : {}) });
      const entries = listing.entries.map((e): BrowseFileEntry => {
        const entry: BrowseFileEntry = { path: e.path, type: e.type, size: e.size, mode: e.mode };
        if (e.linkTarget !== undefined) entry.linkTarget = e.linkTarget;
        return entry;
      });
      return { entries };
    },
    'browse:read': async (raw) => {
      const { source, access, reference, args } = imageFrom(raw, savedLogin);
      const path = shortText(args, 'path');
      if (path === undefined) throw new FerryError('INVALID_ARGUMENT', 'path is required', { argument: 'path' });
      const read = await browseReadFile(source, access, reference, path, { ...platformFrom(args), maxBytes: BROWSE_PREVIEW_BYTES });
      return previewOf(path, read);
    },
  };
}
