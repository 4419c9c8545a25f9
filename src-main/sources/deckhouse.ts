/**
 * Resolves a `deckhouse:` image-set section into exact references, with the
 * rules Deckhouse Kubernetes Platform enforces on air-gapped updates (its
 * "Updating DKP in air-gapped environment" guide, and `d8 mirror pull`):
 * release channels are read from `version.json` inside `release-channel:<channel>`
 * images, minor releases are never skipped (the newest patch of every minor is
 * carried), a suspended channel stops the resolve, modules follow the same
 * rule on their own channels, and the vulnerability databases have fixed tags.
 * Registry reads only (DESIGN.md decision 8).
 * Guide: https://deckhouse.io/products/kubernetes-platform/guides/airgapped-update.html
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference } from '../oci/reference.ts';
import { headManifest } from '../oci/registry/manifests.ts';
import { listTags } from '../oci/registry/tags.ts';
import { readImageFile } from './image-files.ts';
import { checkContent } from './content-check.ts';
import { deckhouseSchema, type DeckhouseConfig, type DeckhouseModule } from './image-set-schema.ts';
import type { ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';
import { compareVersions, formatVersion, minorKey, rangeFloor, releaseVersion, satisfies, type Version } from './versions.ts';

export { DEFAULT_CHANNELS } from './image-set-schema.ts';
export type { DeckhouseConfig, DeckhouseModule } from './image-set-schema.ts';

/** The section name every image of this resolver carries. */
const SECTION = 'deckhouse';
/** The vulnerability database images of DKP EE, with the fixed tags `operator-trivy` pulls every six hours. */
export const SECURITY_DATABASES: readonly { name: string; tag: string }[] = [
  { name: 'trivy-db', tag: '2' },
  { name: 'trivy-java-db', tag: '1' },
  { name: 'trivy-checks', tag: '0' },
  { name: 'trivy-bdu', tag: '1' },
];
/** Parallel HEAD/read requests per resolve: enough to hide latency, few enough not to trip registry rate limits. */
const REQUEST_CONCURRENCY = 4;

/** The parts of `version.json` the plan uses. */
export interface ReleaseInfo {
  version: Version;
  suspend: boolean;
  requirements: Record<string, string>;
  disruptions: Record<string, string[]>;
}

/**
 * Checks a `deckhouse:` section given as a plain value (an image set checks it
 * with the whole file); every problem is INVALID_CONTENT naming the key.
 */
export function parseDeckhouseConfig(config: unknown): DeckhouseConfig {
  return checkContent(deckhouseSchema, config, { prefix: ['deckhouse'], subject: 'deckhouse' });
}

/** Parses `version.json` of a release image; INVALID_MANIFEST naming the image when it is not what Deckhouse writes. */
export function parseReleaseInfo(bytes: Buffer, subject: string): ReleaseInfo {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new FerryError('INVALID_MANIFEST', `${subject}: version.json is not JSON`);
  }
  const doc = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const version = typeof doc.version === 'string' ? releaseVersion(doc.version) : undefined;
  if (!version) throw new FerryError('INVALID_MANIFEST', `${subject}: version.json has no valid "version"`);
  const requirements: Record<string, string> = {};
  if (typeof doc.requirements === 'object' && doc.requirements !== null) {
    for (const [k, val] of Object.entries(doc.requirements)) if (val !== '' && val !== null && val !== undefined) requirements[k] = String(val);
  }
  const disruptions: Record<string, string[]> = {};
  if (typeof doc.disruptions === 'object' && doc.disruptions !== null) {
    for (const [k, val] of Object.entries(doc.disruptions)) if (Array.isArray(val)) disruptions[k] = val.map(String);
  }
  return { version, suspend: doc.suspend === true, requirements, disruptions };
}

/** The plan line for one version: "v1.69.4 requires k8s 1.29; disruptions: ingressNginx". Only the disruptions listed under the version's own minor apply. */
export function describeRelease(label: string, info: ReleaseInfo): string {
  const requirements = Object.entries(info.requirements).map(([k, val]) => `${k} ${val}`);
  const disruptions = info.disruptions[minorKey(info.version)] ?? [];
  const parts = [requirements.length > 0 ? `requires ${requirements.join(', ')}` : 'has no requirements'];
  if (disruptions.length > 0) parts.push(`disruptions: ${disruptions.join(', ')}`);
  return `${label} ${parts.join('; ')}`;
}

async function mapBounded<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(REQUEST_CONCURRENCY, items.length) }, worker));
  return results;
}

/** The highest version of a list, or undefined for an empty one. */
function newest(versions: readonly Version[]): Version | undefined {
  return [...versions].sort(compareVersions).at(-1);
}

/**
 * The versions to carry: the newest tag of every minor from `from`'s minor up
 * to `to` (inclusive), never past `to`. A minor with no tags at all is an error,
 * because Deckhouse cannot skip minors; a minor whose tags `accept` all rejects
 * is left out (the user's constraint excluded it).
 */
export function sequentialMinors(tags: readonly Version[], from: Version, to: Version, subject: string, accept: (v: Version) => boolean = () => true): Version[] {
  const inWindow = tags.filter((t) => compareVersions(t, to) <= 0 && (t.major > from.major || (t.major === from.major && t.minor >= from.minor)));
  const byMinor = new Map<string, Version[]>();
  for (const t of inWindow) byMinor.set(minorKey(t), [...(byMinor.get(minorKey(t)) ?? []), t]);
  for (let major = from.major; major <= to.major; major++) {
    if (major !== from.major && major !== to.major) continue; // minors of a major in between cannot be enumerated
    const first = major === from.major ? from.minor : 0;
    const last = major === to.major ? to.minor : Math.max(...inWindow.filter((t) => t.major === major).map((t) => t.minor), first);
    for (let minor = first; minor <= last; minor++) {
      if (!byMinor.has(`${major}.${minor}`)) {
        throw new FerryError('NOT_FOUND', `${subject} has no tag for minor ${major}.${minor}; minor releases cannot be skipped on the way from ${formatVersion(from)} to ${formatVersion(to)}`, {
          subject,
          minor: `${major}.${minor}`,
        });
      }
    }
  }
  return [...byMinor.values()]
    .map((list) => newest(list.filter(accept)))
    .filter((v): v is Version => v !== undefined)
    .sort(compareVersions);
}

/**
 * Adds the exact versions the channels point at (no older than `from`, within
 * the constraint) to the newest patches: a cluster following a channel
 * deploys the channel's version, so a carried channel image must not point at
 * an absent image (d8 mirror pull carries them as well). Only versions that
 * exist as tags are added; the caller notes the others.
 */
export function withChannelVersions(
  versions: readonly Version[],
  channelVersions: readonly Version[],
  from: Version,
  tags: readonly Version[],
  accept: (v: Version) => boolean = () => true,
): Version[] {
  const all = new Map(versions.map((v) => [formatVersion(v), v]));
  const tagged = new Set(tags.map((v) => formatVersion(v)));
  for (const v of channelVersions) {
    if (tagged.has(formatVersion(v)) && compareVersions(v, from) >= 0 && accept(v)) all.set(formatVersion(v), v);
  }
  return [...all.values()].sort(compareVersions);
}

/** Collects images without duplicates and notes in order. */
class Plan {
  readonly images = new Map<string, ResolvedImage>();
  readonly notes: string[] = [];

  add(registry: string, repository: string, tag: string): void {
    const source: Reference = { registry, repository, tag };
    this.images.set(formatReference(source), { source, target: { path: repository, tag }, section: SECTION });
  }
}

/** Resolves the registry reads of one edition root. */
class Resolver {
  constructor(
    private readonly config: DeckhouseConfig,
    private readonly context: ResolveContext,
    readonly plan: Plan,
  ) {}

  private get registry(): string {
    return this.config.source.registry;
  }

  private ref(repository: string, tag: string): Reference {
    return { registry: this.registry, repository, tag };
  }

  async exists(repository: string, tag: string): Promise<boolean> {
    const client = await this.context.registries.client(this.registry);
    return (await headManifest(client, repository, tag, this.context.signal)) !== undefined;
  }

  /** Reads version.json from a release image, or undefined when the tag does not exist. */
  async release(repository: string, tag: string): Promise<ReleaseInfo | undefined> {
    return (await this.exists(repository, tag)) ? this.readRelease(repository, tag) : undefined;
  }

  /** Reads version.json from a release image known to exist. */
  async readRelease(repository: string, tag: string): Promise<ReleaseInfo> {
    const reference = this.ref(repository, tag);
    const bytes = await readImageFile(this.context.registries, reference, 'version.json', this.context.signal ? { signal: this.context.signal } : {});
    return parseReleaseInfo(bytes, formatReference(reference));
  }

  /** The `vX.Y.Z` tags of a repository; other tags (channels, digests-as-tags, `latest`) are ignored. */
  async versionTags(repository: string): Promise<Version[]> {
    const client = await this.context.registries.client(this.registry);
    const tags = await listTags(client, repository, this.context.signal ? { signal: this.context.signal } : {});
    return tags.map((t) => (t.startsWith('v') ? releaseVersion(t) : undefined)).filter((v): v is Version => v !== undefined);
  }

  /** Reads every configured channel of a release repository; missing channels are noted and skipped. `suspend` is enforced for the platform only: the guide documents suspension for platform channels. */
  async channels(repository: string, label: string, enforceSuspend: boolean): Promise<Map<string, ReleaseInfo>> {
    const infos = await mapBounded(this.config.channels, async (channel) => [channel, await this.release(repository, channel)] as const);
    const found = new Map<string, ReleaseInfo>();
    for (const [channel, info] of infos) {
      if (!info) {
        this.plan.notes.push(`${label}: channel ${channel} not found (${this.registry}/${repository}:${channel}), skipped`);
        continue;
      }
      if (info.suspend && enforceSuspend) {
        if (!this.config.ignoreSuspend) {
          throw new FerryError(
            'INVALID_CONTENT',
            `${this.registry}/${this.config.source.repository} has suspended release channel "${channel}" (${formatVersion(info.version)}): set ignoreSuspend: true to carry it anyway, or pin one version with tag:`,
            { channel, version: formatVersion(info.version) },
          );
        }
        this.plan.notes.push(`${label}: channel ${channel} is suspended at ${formatVersion(info.version)}, carried anyway (ignoreSuspend)`);
      }
      found.set(channel, info);
      this.plan.add(this.registry, repository, channel);
    }
    if (found.size === 0) throw new FerryError('NOT_FOUND', `${this.registry}/${repository}: none of the channels ${this.config.channels.join(', ')} exists`, { repository });
    this.plan.notes.push(`${label} channels: ${[...found].map(([c, i]) => `${c} ${formatVersion(i.version)}`).join(', ')}`);
    return found;
  }

  /** Adds the per-version images of a release repository and the version's plan note. */
  async carryVersions(versions: readonly string[], repos: { image: string; release: string; extras: string[] }, label: string, known: Map<string, ReleaseInfo>, requireNote: boolean): Promise<void> {
    const found = await mapBounded(versions, async (tag) => {
      const hasRelease = await this.exists(repos.release, tag);
      const info = hasRelease ? await this.readRelease(repos.release, tag) : known.get(tag);
      const extras = await Promise.all(repos.extras.map(async (extra) => ((await this.exists(extra, tag)) ? extra : undefined)));
      return { tag, info, hasRelease, extras };
    });
    for (const { tag, info, hasRelease, extras } of found) {
      this.plan.add(this.registry, repos.image, tag);
      if (hasRelease) this.plan.add(this.registry, repos.release, tag);
      for (const extra of extras) if (extra) this.plan.add(this.registry, extra, tag);
      if (info && (requireNote || Object.keys(info.requirements).length > 0 || (info.disruptions[minorKey(info.version)] ?? []).length > 0))
        this.plan.notes.push(describeRelease(`${label}${tag}`, info));
      else if (requireNote) this.plan.notes.push(`${label}${tag}: no release metadata found (${this.registry}/${repos.release}:${tag} is absent)`);
    }
  }

  async platform(): Promise<void> {
    const root = this.config.source.repository;
    const repos = { image: root, release: `${root}/release-channel`, extras: [`${root}/install`, `${root}/install-standalone`] };
    if (this.config.tag !== undefined) {
      if (!(await this.exists(root, this.config.tag))) throw new FerryError('NOT_FOUND', `${this.registry}/${root}:${this.config.tag} does not exist (deckhouse.tag)`, { tag: this.config.tag });
      this.plan.notes.push(`deckhouse: release channels not consulted, tag ${this.config.tag} is pinned`);
      await this.carryVersions([this.config.tag], repos, '', new Map(), true);
      return;
    }
    const channels = await this.channels(repos.release, 'deckhouse', true);
    const channelVersions = [...channels.values()].map((i) => i.version).sort(compareVersions);
    const to = channelVersions.at(-1);
    const from = this.config.sinceVersion ?? channelVersions[0];
    if (!to || !from) return;
    if (compareVersions(from, to) > 0) {
      this.plan.notes.push(`deckhouse: sinceVersion ${formatVersion(from)} is newer than every channel (newest ${formatVersion(to)}); no platform version to carry`);
      return;
    }
    const tags = await this.versionTags(root);
    const latest = sequentialMinors(tags, from, to, `${this.registry}/${root}`);
    const versions = withChannelVersions(latest, channelVersions, from, tags).map((v) => formatVersion(v));
    for (const [channel, info] of channels) {
      if (!versions.includes(formatVersion(info.version))) this.plan.notes.push(`deckhouse: channel ${channel} points at ${formatVersion(info.version)}, which is not carried`);
    }
    const known = new Map([...channels.values()].map((i) => [formatVersion(i.version), i]));
    await this.carryVersions(versions, repos, '', known, true);
  }

  async module(spec: DeckhouseModule): Promise<void> {
    const repository = `${this.config.source.repository}/modules/${spec.name}`;
    const label = `module ${spec.name}`;
    const channels = await this.channels(`${repository}/release`, label, false);
    const channelVersions = [...channels.values()].map((i) => i.version).sort(compareVersions);
    const tags = await this.versionTags(repository);
    const to = channelVersions.at(-1);
    const floor = spec.constraint ? rangeFloor(spec.constraint) : undefined;
    const oldestTag = tags.length > 0 ? [...tags].sort(compareVersions)[0] : undefined;
    const from = floor && oldestTag ? (compareVersions(floor, oldestTag) > 0 ? floor : oldestTag) : channelVersions[0];
    const constraint = spec.constraint;
    const accept = constraint ? (v: Version): boolean => satisfies(v, constraint) : undefined;
    const versions =
      !to || !from || compareVersions(from, to) > 0
        ? []
        : withChannelVersions(sequentialMinors(tags, from, to, `${this.registry}/${repository}`, accept), channelVersions, from, tags, accept).map((v) => formatVersion(v));
    if (versions.length === 0) this.plan.notes.push(`${label}: no version${constraint ? ` satisfies ${constraint.raw}` : ''} up to ${to ? formatVersion(to) : 'the channels'}`);
    for (const [channel, info] of channels) {
      if (!versions.includes(formatVersion(info.version))) this.plan.notes.push(`${label}: channel ${channel} points at ${formatVersion(info.version)}, which is not carried`);
    }
    const known = new Map([...channels.values()].map((i) => [formatVersion(i.version), i]));
    await this.carryVersions(versions, { image: repository, release: `${repository}/release`, extras: [] }, `${spec.name} `, known, false);
  }

  async securityDatabases(): Promise<void> {
    for (const db of SECURITY_DATABASES) {
      const repository = `${this.config.source.repository}/security/${db.name}`;
      if (!(await this.exists(repository, db.tag))) {
        throw new FerryError('NOT_FOUND', `${this.registry}/${repository}:${db.tag} does not exist; security databases are published for DKP EE only (deckhouse.securityDatabases)`, {
          repository,
          tag: db.tag,
        });
      }
      this.plan.add(this.registry, repository, db.tag);
    }
  }
}

/** Resolves a `deckhouse:` section given as a plain value: checked first, then {@link resolveDeckhouseConfig}. */
export async function resolveDeckhouse(config: unknown, context: ResolveContext): Promise<ResolvedSection> {
  return resolveDeckhouseConfig(parseDeckhouseConfig(config), context);
}

/** Resolves a checked `deckhouse:` section into the images to carry and plan notes (requirements, disruptions, skipped channels). */
export async function resolveDeckhouseConfig(parsed: DeckhouseConfig, context: ResolveContext): Promise<ResolvedSection> {
  const plan = new Plan();
  const resolver = new Resolver(parsed, context, plan);
  if (!parsed.noPlatform) await resolver.platform();
  if (!parsed.noModules) for (const module of parsed.modules) await resolver.module(module);
  else if (parsed.modules.length > 0) plan.notes.push(`deckhouse: noModules is set, modules ${parsed.modules.map((m) => m.name).join(', ')} are not carried`);
  if (parsed.securityDatabases) await resolver.securityDatabases();
  return { images: [...plan.images.values()], notes: plan.notes };
}
