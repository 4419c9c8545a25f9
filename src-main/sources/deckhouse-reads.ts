/**
 * The registry reads of one Deckhouse edition root and the plan they fill.
 * Every path here is relative to the root (`''` is the root itself,
 * `modules/console/release` a repository below it), because that is how
 * `d8 mirror push` lays a bundle out: an import to `REGISTRY/PATH` puts
 * `<root>/X` at `PATH/X` and the root at `PATH`, with no edition level kept.
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference } from '../oci/reference.ts';
import { headManifest } from '../oci/registry/manifests.ts';
import { listTags } from '../oci/registry/tags.ts';
import { readImageFiles } from './image-files.ts';
import type { DeckhouseConfig } from './image-set-schema.ts';
import { describeRelease, releaseDetails, releaseFromFiles, RELEASE_FILES, type ReleaseInfo } from './deckhouse-release.ts';
import type { ResolveContext, ResolvedImage } from './types.ts';
import { formatVersion, minorKey, releaseVersion, type Version } from './versions.ts';

/** The section name every image of this resolver carries. */
export const SECTION = 'deckhouse';
/** Parallel HEAD/read requests per resolve: enough to hide latency, few enough not to trip registry rate limits. */
export const REQUEST_CONCURRENCY = 4;

/** Runs `fn` over `items` with at most `limit` calls in flight, results in input order. */
export async function mapBounded<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = REQUEST_CONCURRENCY): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** `<root>/<path>`, or the root itself for the empty path. */
export function below(root: string, path: string): string {
  return path === '' ? root : `${root}/${path}`;
}

/** The tag `d8 mirror` gives an image it pulled by digest: what follows the last ':' (the hex of a sha256 digest). */
export function shortTag(digest: string): string {
  return digest.slice(digest.lastIndexOf(':') + 1);
}

/** Collects images without duplicates, each placed relative to the root, and the plan's notes in order. */
export class DeckhousePlan {
  readonly images = new Map<string, ResolvedImage>();
  readonly notes: string[] = [];

  constructor(
    readonly registry: string,
    readonly root: string,
  ) {}

  private put(source: Reference, path: string, tag: string): void {
    this.images.set(formatReference(source), { source, target: { path, tag }, section: SECTION });
  }

  /** Carries `<root>/<path>:<tag>` to `<path>:<tag>` under the import prefix. */
  addTag(path: string, tag: string): void {
    this.put({ registry: this.registry, repository: below(this.root, path), tag }, path, tag);
  }

  /** Carries `<root>/<path>@<digest>` to `<path>:<hex>`, as d8 tags what it pulls by digest. */
  addDigest(path: string, digest: string): void {
    this.put({ registry: this.registry, repository: below(this.root, path), digest }, path, shortTag(digest));
  }
}

/** One configured channel's release, or why it is absent. */
export type ChannelRead = { channel: string; info: ReleaseInfo } | { channel: string; info: undefined };

/** Registry reads relative to the root, shared by the platform, module and security parts. */
export class DeckhouseReads {
  constructor(
    readonly config: DeckhouseConfig,
    readonly context: ResolveContext,
    readonly plan: DeckhousePlan,
  ) {}

  get registry(): string {
    return this.config.source.registry;
  }

  get root(): string {
    return this.config.source.repository;
  }

  /** The full reference of `<root>/<path>:<tag>` (or `@digest`). */
  ref(path: string, identifier: string): Reference {
    const repository = below(this.root, path);
    return identifier.startsWith('sha256:') ? { registry: this.registry, repository, digest: identifier } : { registry: this.registry, repository, tag: identifier };
  }

  /** `host/root/path:tag` for messages. */
  name(path: string, identifier: string): string {
    return formatReference(this.ref(path, identifier));
  }

  private get options(): { signal?: AbortSignal } {
    return this.context.signal ? { signal: this.context.signal } : {};
  }

  /** Whether `<root>/<path>` has a manifest under the tag or digest. */
  async exists(path: string, identifier: string): Promise<boolean> {
    const client = await this.context.registries.client(this.registry);
    return (await headManifest(client, below(this.root, path), identifier, this.context.signal)) !== undefined;
  }

  /** Every tag of `<root>/<path>`, or undefined when the registry does not know the repository. */
  async tags(path: string): Promise<string[] | undefined> {
    const client = await this.context.registries.client(this.registry);
    try {
      return await listTags(client, below(this.root, path), this.options);
    } catch (error) {
      if (error instanceof FerryError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** The `vX.Y.Z` tags of a repository; other tags (channels, digests-as-tags, `latest`) are ignored. */
  async versionTags(path: string): Promise<Version[]> {
    const tags = (await this.tags(path)) ?? [];
    return tags.map((t) => (t.startsWith('v') ? releaseVersion(t) : undefined)).filter((v): v is Version => v !== undefined);
  }

  /** The named files of `<root>/<path>:<tag>`, streamed out of its layers; absent files are simply not in the map. */
  async files(path: string, tag: string, names: readonly string[]): Promise<Map<string, Buffer>> {
    return readImageFiles(this.context.registries, this.ref(path, tag), (p) => names.includes(p), this.options);
  }

  /** version.json and changelog.yaml of a release image known to exist. */
  async readRelease(path: string, tag: string): Promise<ReleaseInfo> {
    return releaseFromFiles(await this.files(path, tag, RELEASE_FILES), this.name(path, tag));
  }

  /** Reads every configured channel of a release repository, in the configured order; absent channels come back without info. */
  async readChannels(path: string, channels: readonly string[] = this.config.channels): Promise<ChannelRead[]> {
    return mapBounded(channels, async (channel): Promise<ChannelRead> => ({ channel, info: (await this.exists(path, channel)) ? await this.readRelease(path, channel) : undefined }));
  }

  /**
   * Reads the channels, adds the channel images, and notes what it found.
   * `suspend` is enforced for the platform only (the guide documents
   * suspension for platform channels). `optional` channels are read too,
   * but their absence goes unmentioned. Undefined when no channel exists.
   */
  async channels(path: string, label: string, enforceSuspend: boolean, optional: readonly string[] = []): Promise<Map<string, ReleaseInfo> | undefined> {
    const found = new Map<string, ReleaseInfo>();
    const extra = optional.filter((c) => !this.config.channels.includes(c));
    for (const { channel, info } of await this.readChannels(path, [...this.config.channels, ...extra])) {
      if (!info) {
        // An optional channel (a module's lts) is carried where it exists and absent without a word, as d8 does.
        if (!extra.includes(channel)) this.plan.notes.push(`${label}: channel ${channel} not found (${this.name(path, channel)}), skipped`);
        continue;
      }
      if (info.suspend && enforceSuspend) {
        if (!this.config.ignoreSuspend) {
          throw new FerryError(
            'INVALID_CONTENT',
            `${this.registry}/${this.root} has suspended release channel "${channel}" (${formatVersion(info.version)}): set ignoreSuspend: true to carry it anyway, or pin one version with tag:`,
            { channel, version: formatVersion(info.version) },
          );
        }
        this.plan.notes.push(`${label}: channel ${channel} is suspended at ${formatVersion(info.version)}, carried anyway (ignoreSuspend)`);
      }
      found.set(channel, info);
      this.plan.addTag(path, channel);
    }
    if (found.size === 0) return undefined;
    this.plan.notes.push(`${label} channels: ${[...found].map(([c, i]) => `${c} ${formatVersion(i.version)}`).join(', ')}`);
    return found;
  }

  /**
   * Adds the per-version images of a release line (the versioned image, its
   * release image where present, extra repositories where present) and the
   * version's plan notes: requirements and disruptions, canary, changelog.
   * `requireNote` notes a version without any release metadata too.
   */
  async carryVersions(
    versions: readonly string[],
    repos: { image: string; release: string; extras: string[] },
    label: string,
    known: ReadonlyMap<string, ReleaseInfo>,
    requireNote: boolean,
  ): Promise<Array<{ tag: string; extras: string[] }>> {
    const found = await mapBounded(versions, async (tag) => {
      const hasRelease = await this.exists(repos.release, tag);
      const info = hasRelease ? await this.readRelease(repos.release, tag) : known.get(tag);
      const extras = await Promise.all(repos.extras.map(async (extra) => ((await this.exists(extra, tag)) ? extra : undefined)));
      return { tag, info, hasRelease, extras: extras.filter((e): e is string => e !== undefined) };
    });
    for (const { tag, info, hasRelease, extras } of found) {
      this.plan.addTag(repos.image, tag);
      if (hasRelease) this.plan.addTag(repos.release, tag);
      for (const extra of extras) this.plan.addTag(extra, tag);
      if (info && (requireNote || Object.keys(info.requirements).length > 0 || (info.disruptions[minorKey(info.version)] ?? []).length > 0))
        this.plan.notes.push(describeRelease(`${label}${tag}`, info));
      else if (requireNote) this.plan.notes.push(`${label}${tag}: no release metadata found (${this.name(repos.release, tag)} is absent)`);
      if (info) this.plan.notes.push(...releaseDetails(`${label}${tag}`, info));
    }
    return found.map(({ tag, extras }) => ({ tag, extras }));
  }
}
