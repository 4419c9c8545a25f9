/**
 * The browsing use case: what `crane ls` and `crane export … | tar -tv/-Oxf`
 * answer, for a registry and for a bundle alike — repositories, tags (with
 * digests when asked), the platforms of an image, its file tree (layers
 * applied in order, whiteouts honoured) and one file's bytes. Nothing is
 * extracted to disk; every blob is checked against its digest as it streams
 * (browse-stores.ts opens the store, oci/image-files.ts reads the layers).
 * `ferry ls` / `ferry cat` and the app's browser both call these.
 */
import type {
  BrowseFileContent,
  BrowseFiles,
  BrowseFilesOptions,
  BrowseImageRef,
  BrowseManifest,
  BrowsePage,
  BrowsePlatform,
  BrowseSource,
  BrowseTag,
  RepositoryPage,
  TagPage,
} from '../../src-shared/model/browse.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { Limiter } from '../base/limiter.ts';
import { isDigest } from '../oci/digest.ts';
import { ImageLayers } from '../oci/image-files.ts';
import { selectEntries } from '../oci/layer-tree.ts';
import { MAX_INDEX_NESTING } from '../oci/media-types.ts';
import { formatPlatform, parsePlatform, platformMatches } from '../oci/platform.ts';
import type { FetchedManifest } from '../oci/registry/manifests.ts';
import type { RegistrySettings } from './access.ts';
import { openStore, type BrowseContext, type BrowseStore } from './browse-stores.ts';
import { imagePlatform } from './browse-config.ts';
import { HeldOutput } from './held-output.ts';

export type { BrowseContext };

/** HEAD requests in flight at once when tags are listed with their digests. */
const DIGEST_CONCURRENCY = 8;

/** What `browseStreamFile` holds in memory until its layer matched its digest; a bigger file waits in a private temporary file. */
export const DEFAULT_HOLD_BYTES = 16 * 1024 * 1024;

async function withStore<T>(source: BrowseSource, settings: RegistrySettings, context: BrowseContext, use: (store: BrowseStore) => Promise<T>): Promise<T> {
  const store = await openStore(source, settings, context);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** One page of the repositories of a registry (its `_catalog`) or of a bundle (its images' names without tags). */
export async function browseRepositories(source: BrowseSource, settings: RegistrySettings, page: BrowsePage = {}, context: BrowseContext = {}): Promise<RepositoryPage> {
  return withStore(source, settings, context, async (store) => {
    const listed = await store.repositories(page, context.signal);
    return listed.next === undefined ? { repositories: listed.names } : { repositories: listed.names, next: listed.next };
  });
}

/** One page of a repository's tags, each with the digest it points at when `digests` is asked for (HEAD requests, a few at a time). */
export async function browseTags(
  source: BrowseSource,
  settings: RegistrySettings,
  repository: string,
  page: BrowsePage = {},
  options: { digests?: boolean } = {},
  context: BrowseContext = {},
): Promise<TagPage> {
  return withStore(source, settings, context, async (store) => {
    const listed = await store.tags(repository, page, context.signal);
    let tags: BrowseTag[] = listed.names.map((tag) => ({ tag }));
    if (options.digests === true) {
      const limiter = new Limiter(DIGEST_CONCURRENCY);
      tags = await Promise.all(listed.names.map((tag) => limiter.run(async () => ({ tag, digest: await store.tagDigest(repository, tag, context.signal) }))));
    }
    return listed.next === undefined ? { tags } : { tags, next: listed.next };
  });
}

function identifierOf(image: BrowseImageRef): string {
  if (image.digest !== undefined && !isDigest(image.digest)) throw new FerryError('INVALID_DIGEST', `invalid digest "${image.digest}"`, { digest: image.digest });
  return image.digest ?? image.tag ?? 'latest';
}

function describe(store: BrowseStore, image: BrowseImageRef): string {
  return `${store.name}: ${image.repository}${image.digest ? `@${image.digest}` : `:${image.tag ?? 'latest'}`}`;
}

/** The image manifests a fetched manifest offers: an index's entries, or itself with the platform its config names. */
async function platformsOf(store: BrowseStore, repository: string, manifest: FetchedManifest, signal?: AbortSignal): Promise<BrowsePlatform[]> {
  if (manifest.kind === 'index') {
    return manifest.index.manifests.map((entry) => ({ ...(entry.platform ? { platform: formatPlatform(entry.platform) } : {}), digest: entry.digest, mediaType: entry.mediaType, size: entry.size }));
  }
  const platform = await imagePlatform(store.layers(repository), manifest.manifest.config, signal);
  return [{ ...(platform ? { platform } : {}), digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length }];
}

/** What an image reference points at: its root manifest and every image manifest (platform) it offers. */
export async function browsePlatforms(source: BrowseSource, settings: RegistrySettings, image: BrowseImageRef, context: BrowseContext = {}): Promise<BrowseManifest> {
  return withStore(source, settings, context, async (store) => {
    const manifest = await store.manifest(image.repository, identifierOf(image), context.signal);
    const artifactType = manifest.kind === 'index' ? manifest.index.artifactType : (manifest.manifest.artifactType ?? undefined);
    return {
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      ...(artifactType ? { artifactType } : {}),
      platforms: await platformsOf(store, image.repository, manifest, context.signal),
    };
  });
}

/**
 * The image manifest a reference and an optional platform choose: the asked
 * platform, else the only real one (attestations `unknown/unknown` aside),
 * else linux/amd64 as crane and the resolvers default to; several others
 * without a platform asked for is an error listing them.
 */
async function chooseImage(
  store: BrowseStore,
  image: BrowseImageRef,
  platform: string | undefined,
  signal?: AbortSignal,
): Promise<{ manifest: Extract<FetchedManifest, { kind: 'image' }>; platform?: string }> {
  const subject = describe(store, image);
  const wanted = platform === undefined ? undefined : parsePlatform(platform);
  let manifest = await store.manifest(image.repository, identifierOf(image), signal);
  let chosen: string | undefined;
  for (let depth = 0; manifest.kind === 'index'; depth += 1) {
    if (depth >= MAX_INDEX_NESTING) throw new FerryError('INVALID_MANIFEST', `${subject}: indexes nest deeper than ${MAX_INDEX_NESTING} levels`);
    const entries = manifest.index.manifests;
    const real = entries.filter((entry) => !(entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown'));
    const offered = real.map((entry) => (entry.platform ? formatPlatform(entry.platform) : entry.digest)).join(', ');
    const entry = wanted
      ? entries.find((candidate) => platformMatches(candidate.platform, wanted))
      : real.length === 1
        ? real[0]
        : real.find((candidate) => platformMatches(candidate.platform, { os: 'linux', architecture: 'amd64' }));
    if (!entry) {
      const why = wanted ? `has no ${platform} image` : 'has several platforms and none is linux/amd64: name one';
      throw new FerryError('PLATFORM_NOT_FOUND', `${subject} ${why} (it has ${offered || 'none'})`, { platforms: offered });
    }
    chosen = entry.platform ? formatPlatform(entry.platform) : chosen;
    manifest = await store.manifest(image.repository, entry.digest, signal);
  }
  return chosen === undefined ? { manifest } : { manifest, platform: chosen };
}

async function imageLayers(store: BrowseStore, image: BrowseImageRef, platform: string | undefined, context: BrowseContext): Promise<{ layers: ImageLayers; digest: string; platform?: string }> {
  const chosen = await chooseImage(store, image, platform, context.signal);
  // The caller's cache is keyed by the manifest just fetched from this store, so headers are shared only with what it was allowed to read.
  const scanned = context.layerCache?.of(store.name, chosen.manifest.digest);
  const layers = new ImageLayers(chosen.manifest.manifest.layers, store.layers(image.repository), `${describe(store, image)}@${chosen.manifest.digest}`, scanned);
  return { layers, digest: chosen.manifest.digest, ...(chosen.platform ? { platform: chosen.platform } : {}) };
}

/** The file tree of an image (one platform of an index): every layer read and applied in order; only `path` and below when given. */
export async function browseFiles(source: BrowseSource, settings: RegistrySettings, image: BrowseImageRef, options: BrowseFilesOptions = {}, context: BrowseContext = {}): Promise<BrowseFiles> {
  return withStore(source, settings, context, async (store) => {
    const { layers, digest, platform } = await imageLayers(store, image, options.platform, context);
    const entries = selectEntries(await layers.tree(context.signal), options.path, options.depth);
    if (options.path !== undefined && entries.length === 0) throw new FerryError('NOT_FOUND', `${describe(store, image)} has nothing at ${options.path}`, { path: options.path });
    return { digest, ...(platform ? { platform } : {}), entries };
  });
}

/** One file of an image, at most `maxBytes` of it in memory (the app's preview); returned only once the layer it came from matched its digest. */
export async function browseReadFile(
  source: BrowseSource,
  settings: RegistrySettings,
  image: BrowseImageRef,
  path: string,
  options: { platform?: string; maxBytes: number },
  context: BrowseContext = {},
): Promise<BrowseFileContent> {
  return withStore(source, settings, context, async (store) => {
    const { layers } = await imageLayers(store, image, options.platform, context);
    const chunks: Buffer[] = [];
    let kept = 0;
    const read = await layers.readFile(
      path,
      (chunk) => {
        const room = options.maxBytes - kept;
        if (room <= 0) return;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        chunks.push(Buffer.from(part));
        kept += part.length;
      },
      context.signal,
    );
    return { path: read.path, bytes: Buffer.concat(chunks), size: read.size, truncated: read.size > kept };
  });
}

/**
 * Streams one file of an image to `write`, unbounded (`ferry cat`), and only
 * once the layer it comes from has matched its digest: up to `holdBytes` is
 * held in memory, a bigger file is spooled to a private temporary file
 * (held-output.ts) and copied out after the check. A layer that fails its
 * check writes nothing; the spool is removed whatever the outcome.
 */
export async function browseStreamFile(
  source: BrowseSource,
  settings: RegistrySettings,
  image: BrowseImageRef,
  path: string,
  options: { platform?: string; holdBytes?: number },
  write: (chunk: Uint8Array) => Promise<void>,
  context: BrowseContext = {},
): Promise<{ path: string; size: number }> {
  const held = new HeldOutput(options.holdBytes ?? DEFAULT_HOLD_BYTES);
  try {
    const read = await withStore(source, settings, context, async (store) => {
      const { layers } = await imageLayers(store, image, options.platform, context);
      return layers.readFile(path, (chunk) => held.add(chunk), context.signal);
    });
    // readFile returned: the layer the bytes came from matched its digest. Only now does anything reach `write`.
    await held.release(write, context.signal);
    return read;
  } finally {
    await held.discard();
  }
}
