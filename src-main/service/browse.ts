/**
 * The app's registry and bundle browser as the contract's adapter over the
 * browse use case (`ferry ls` / `ferry cat` use the same one). The renderer is
 * untrusted: its source, page, repository, tag, digest, platform and path are
 * checked here into the use case's typed arguments (a login inside a registry
 * address is refused before it can be echoed; repository, tag and digest are
 * parsed by the reference grammar). A file's preview is its first BROWSE_PREVIEW_BYTES, handed over as
 * text only when those bytes are UTF-8 without NUL.
 *
 * Cancellation: the contract has no per-call cancel (only jobs have ids), so
 * each call runs under its own AbortSignal that ends it when the front end
 * that asked goes away (browser mode: the HTTP client disconnected, e.g. the
 * page navigated or the fetch was aborted; the adapter passes that signal in)
 * or after BROWSE_CALL_TIME_LIMIT_MS, whichever comes first. An answer the
 * renderer no longer wants (the user moved on) is dropped there and, in the
 * Electron app, runs on to that bound; what it read is still kept in the
 * layer cache for the next click. The cache (the headers of the last few
 * images' layers, by manifest digest) lives as long as the service.
 *
 * A fresh Registries per call is kept on purpose: it caches the saved login
 * per host, so one reused across calls would keep using a login the user has
 * just changed or removed in Settings; a call costs one token and TLS
 * handshake, not a layer download.
 */
import { BROWSE_PREVIEW_BYTES, type ApiMethods, type BrowseFilePreview } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import type { BrowseImageRef, BrowseSource } from '../../src-shared/model/browse.ts';
import { parseDigest } from '../oci/digest.ts';
import { parsePlatform } from '../oci/platform.ts';
import { parseReference, parseRegistryPrefix } from '../oci/reference.ts';
import type { RegistrySettings } from '../usecases/access.ts';
import { ScannedLayerCache } from '../oci/image-files.ts';
import { browseFiles, browsePlatforms, browseReadFile, browseRepositories, browseTags, type BrowseContext } from '../usecases/browse.ts';
import type { VerifiedBundles } from '../usecases/verify.ts';
import { argsObject, optionalString, requireString, settingsFrom, type SavedLogin } from './access.ts';

/** The longest one browse call may run (a whole image's layers over a slow link) before it is stopped; what it read is kept for the next one. */
export const BROWSE_CALL_TIME_LIMIT_MS = 10 * 60 * 1000;
/** Images whose layer headers are kept between calls. */
const CACHED_IMAGES = 4;

/** What the adapter that received a call knows about it: `signal` aborts when its client went away. */
export interface BrowseCallOptions {
  signal?: AbortSignal;
}

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

/** Runs one call under its own signal: aborted (CANCELLED) when the caller's is, or when `limitMs` passed. */
async function limited<T>(limitMs: number, outer: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new FerryError('CANCELLED', `browsing stopped after ${Math.round(limitMs / 1000)} s; ask again to go on from what was read`, { timeLimitMs: limitMs })),
    limitMs,
  );
  timer.unref();
  const stop = (): void => controller.abort(new FerryError('CANCELLED', 'browsing was cancelled: the window or page that asked has gone'));
  if (outer?.aborted) stop();
  outer?.addEventListener('abort', stop, { once: true });
  try {
    return await run(controller.signal);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', stop);
  }
}

type BrowseMethod = 'browse:repositories' | 'browse:tags' | 'browse:platforms' | 'browse:files' | 'browse:read';

/**
 * The browse:* methods, each checking its untrusted arguments first. Bundles
 * are read through `verified`, the views the app keeps, so a bundle is
 * verified once rather than on every click; layer headers are kept for the
 * last few images. Each call ends when `call.signal` aborts or after
 * `timeLimitMs` (BROWSE_CALL_TIME_LIMIT_MS unless a test shortens it).
 */
export function browseMethods(options: { savedLogin?: SavedLogin; verified: VerifiedBundles; timeLimitMs?: number }): {
  [M in BrowseMethod]: (args: ApiMethods[M]['args'], call?: BrowseCallOptions) => Promise<ApiMethods[M]['result']>;
} {
  const { savedLogin } = options;
  const kept: BrowseContext = { bundles: options.verified, layerCache: new ScannedLayerCache(CACHED_IMAGES) };
  const limitMs = options.timeLimitMs ?? BROWSE_CALL_TIME_LIMIT_MS;
  const within = <T>(call: BrowseCallOptions | undefined, run: (context: BrowseContext) => Promise<T>): Promise<T> => limited(limitMs, call?.signal, (signal) => run({ ...kept, signal }));
  return {
    'browse:repositories': async (raw, call) => {
      const args = argsObject(raw);
      const { source, access } = sourceFrom(args.source, savedLogin);
      const page = pageFrom(args);
      return within(call, (context) => browseRepositories(source, access, page, context));
    },
    'browse:tags': async (raw, call) => {
      const args = argsObject(raw);
      const { source, access } = sourceFrom(args.source, savedLogin);
      const repository = repositoryFrom(args, source);
      const page = pageFrom(args);
      return within(call, (context) => browseTags(source, access, repository, page, { digests: args.digests === true }, context));
    },
    'browse:platforms': async (raw, call) => {
      const { source, access, image } = imageFrom(raw, savedLogin);
      return within(call, (context) => browsePlatforms(source, access, image, context));
    },
    'browse:files': async (raw, call) => {
      const { source, access, image, args } = imageFrom(raw, savedLogin);
      const path = shortText(args, 'path');
      const wanted = { ...platformFrom(args), ...(path !== undefined ? { path } : {}) };
      return within(call, (context) => browseFiles(source, access, image, wanted, context));
    },
    'browse:read': async (raw, call) => {
      const { source, access, image, args } = imageFrom(raw, savedLogin);
      const path = shortText(args, 'path');
      if (path === undefined) throw new FerryError('INVALID_ARGUMENT', 'path is required', { argument: 'path' });
      const platform = platformFrom(args);
      const read = await within(call, (context) => browseReadFile(source, access, image, path, { ...platform, maxBytes: BROWSE_PREVIEW_BYTES }, context));
      return previewOf(read.path, read);
    },
  };
}
