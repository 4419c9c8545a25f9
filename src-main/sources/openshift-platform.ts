/**
 * `openshift.platform.channels`: which OpenShift (or OKD) releases an image
 * set carries, chosen from the update graph as oc-mirror v2 chooses them
 * (internal/pkg/release/cincinnati.go, core-cincinnati.go):
 * - per architecture and channel, the graph of `?channel=…&arch=…` from the
 *   update service (OKD channels from OKD's service unless `--update-service`
 *   names one for both);
 * - bounds default as oc-mirror fills them: maxVersion the channel's newest
 *   release, minVersion its lowest, except with neither bound and no `full`,
 *   when only the newest release (the channel head) is taken;
 * - `shortestPath`: only the releases on the shortest upgrade path between the
 *   bounds; otherwise every release between them;
 * - with several channels, also the upgrade path from the lowest minVersion of
 *   the OCP channels to the highest maxVersion, stepping through the channels
 *   of the minor versions in between (`stable-4.15` → `stable-4.16`).
 * The selected payloads (release images by digest) are then read like any
 * release of `releases:` (openshift-release.ts).
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { redactUrl } from '../oci/registry/errors.ts';
import { DEFAULT_UPDATE_SERVICE, fetchUpdateGraph, shortestPath, versionsInRange, type GraphRelease, type UpdateGraph } from './openshift-graph.ts';
import type { ReleaseInfo } from './openshift-release.ts';
import type { PlatformSelection, ReleaseChannelSelection } from './openshift-schema.ts';
import type { ResolveContext } from './types.ts';
import { anyVersion, compareVersions } from './versions.ts';

/** OKD's update service, oc-mirror's graph endpoint for `type: okd` channels (cincinnati.OkdUpdateURL). */
export const DEFAULT_OKD_UPDATE_SERVICE = 'https://origin-release.ci.openshift.org/graph';

/** An image-set architecture (GOARCH, as oc-mirror takes it) → the update graph's `arch` and the release tag's architecture. */
export const RELEASE_ARCHITECTURE_NAMES: Readonly<Record<PlatformSelection['architectures'][number], { graph: string; release: string }>> = {
  amd64: { graph: 'amd64', release: 'x86_64' },
  arm64: { graph: 'arm64', release: 'aarch64' },
  ppc64le: { graph: 'ppc64le', release: 'ppc64le' },
  s390x: { graph: 's390x', release: 's390x' },
  multi: { graph: 'multi', release: 'multi' },
};

/** The releases the platform channels select: payloads by digest (each once, lowest version first per architecture) and a note per channel and architecture. */
export interface PlatformReleases {
  payloads: Reference[];
  notes: string[];
  /** What the graph says each payload is, by digest: checked against what the release image says (checkPayloads). */
  expected: Map<string, { version: string; arch: string; subject: string }>;
}

/** A channel with its bounds filled in, as oc-mirror's resolveChannelVersions leaves it. */
interface BoundedChannel {
  name: string;
  type: 'ocp' | 'okd';
  min: string;
  max: string;
}

/** Graphs of one resolution, fetched once per service, channel and architecture. */
class GraphCache {
  private readonly graphs = new Map<string, Promise<UpdateGraph>>();
  constructor(private readonly context: ResolveContext) {}

  get(url: string, channel: string, arch: string): Promise<UpdateGraph> {
    const key = `${url}\n${channel}\n${arch}`;
    let graph = this.graphs.get(key);
    if (!graph) {
      graph = fetchUpdateGraph(url, channel, arch, { registries: this.context.registries, signal: this.context.signal });
      this.graphs.set(key, graph);
    }
    return graph;
  }
}

function serviceFor(context: ResolveContext, type: 'ocp' | 'okd'): string {
  return context.updateService ?? (type === 'okd' ? DEFAULT_OKD_UPDATE_SERVICE : DEFAULT_UPDATE_SERVICE);
}

function newestOf(graph: UpdateGraph): GraphRelease {
  const newest = graph.releases.at(-1);
  if (!newest) throw new FerryError('NOT_FOUND', `${graph.subject}: the channel has no releases for this architecture`, { file: graph.subject });
  return newest;
}

function versionsText(releases: readonly GraphRelease[]): string {
  return releases.map((r) => r.version.version).join(', ');
}

/** One channel on one architecture: the releases it selects, its filled-in bounds and why those releases. */
function selectChannel(graph: UpdateGraph, channel: ReleaseChannelSelection): { releases: GraphRelease[]; bounded: BoundedChannel; why: string } {
  const newest = newestOf(graph).version.version;
  const lowest = graph.releases[0]?.version.version ?? newest;
  const headOnly = channel.minVersion === undefined && channel.maxVersion === undefined && !channel.full;
  const min = channel.minVersion ?? (headOnly ? newest : lowest);
  const max = channel.maxVersion ?? newest;
  const bounded: BoundedChannel = { name: channel.name, type: channel.type, min, max };
  if (channel.shortestPath) return { releases: shortestPath(graph, min, max), bounded, why: `shortest upgrade path from ${min} to ${max}` };
  const releases = versionsInRange(graph, channel);
  if (headOnly) return { releases, bounded, why: 'the channel head only (give minVersion, maxVersion or full: true for more)' };
  const range = channel.minVersion === undefined && channel.maxVersion === undefined ? 'every release of the channel' : `every release from ${min} to ${max}`;
  return { releases, bounded, why: range };
}

/** `stable-4.16` → prefix `stable`, major 4, minor 16; oc-mirror steps across channels by these numbers. */
function channelMinor(name: string): { prefix: string; major: number; minor: number } | undefined {
  const match = /^(.+)-(\d+)\.(\d+)$/.exec(name);
  if (!match?.[1] || match[2] === undefined || match[3] === undefined) return undefined;
  return { prefix: match[1], major: Number(match[2]), minor: Number(match[3]) };
}

function releaseIn(graph: UpdateGraph, version: string): GraphRelease {
  const release = graph.byVersion.get(versionKey(version));
  if (!release) throw new FerryError('NOT_FOUND', `${graph.subject}: ${version} is not a release of the channel`, { file: graph.subject, version });
  return release;
}

/** The graph's key of a version as written (`v4.16.0` and `4.16.0` are one release). */
function versionKey(text: string): string {
  return anyVersion(text)?.version ?? text;
}

function compareText(a: string, b: string): number {
  const left = anyVersion(a);
  const right = anyVersion(b);
  return left && right ? compareVersions(left, right) : a.localeCompare(b);
}

/**
 * The upgrade path across OCP channels that oc-mirror adds when several are
 * listed (getCrossChannelDownloads): from the lowest minVersion (in its
 * channel) to the highest maxVersion, through the newest release of each
 * minor channel in between (`<prefix>-<major>.<minor>`, the prefix of the
 * lowest channel); a channel that does not hold the version reached so far
 * ends the walk with that step's goal release alone, as oc-mirror's
 * blocked-edge rule does.
 */
async function crossChannelPath(graphs: GraphCache, url: string, arch: string, channels: readonly BoundedChannel[]): Promise<{ releases: GraphRelease[]; why: string }> {
  const [head, ...rest] = channels;
  if (!head) return { releases: [], why: 'no OCP channel' };
  let first = head;
  let last = head;
  for (const channel of rest) {
    if (compareText(channel.min, first.min) < 0) first = channel;
    if (compareText(channel.max, last.max) > 0) last = channel;
  }
  let why = `upgrade path from ${first.min} (${first.name}) to ${last.max} (${last.name})`;
  const graphOf = (name: string): Promise<UpdateGraph> => graphs.get(url, name, arch);
  if (first.name === last.name) return { releases: shortestPath(await graphOf(first.name), first.min, last.max), why };
  const source = channelMinor(first.name);
  const target = channelMinor(last.name);
  if (!source || !target || source.major !== target.major || source.minor > target.minor) {
    throw new FerryError(
      'INVALID_CONTENT',
      `openshift.platform.channels: cannot find the upgrade path from ${first.min} (${first.name}) to ${last.max} (${last.name}): ` +
        'oc-mirror steps from channel to channel by the <major>.<minor> their names end with, upwards within one major version',
      { from: first.name, to: last.name },
    );
  }
  const targetGraph = await graphOf(last.name);
  if (source.minor === target.minor) {
    if (targetGraph.byVersion.has(versionKey(first.min))) return { releases: shortestPath(targetGraph, first.min, last.max), why };
    return { releases: [releaseIn(targetGraph, last.max)], why: `${why}: ${last.name} does not hold ${first.min}, so only ${last.max}` };
  }
  const sourceGraph = await graphOf(first.name);
  let reached = newestOf(sourceGraph).version.version;
  const releases = shortestPath(sourceGraph, first.min, reached);
  for (let minor = source.minor + 1; minor <= target.minor; minor += 1) {
    const isTarget = minor === target.minor;
    const name = isTarget ? last.name : `${source.prefix}-${source.major}.${minor}`;
    const graph = isTarget ? targetGraph : await graphOf(name);
    const goal = isTarget ? versionKey(last.max) : newestOf(graph).version.version;
    if (!graph.byVersion.has(reached)) {
      releases.push(releaseIn(graph, goal));
      why = `${why}: ${name} does not hold ${reached}, so the path stops at ${goal}`;
      break;
    }
    releases.push(...shortestPath(graph, reached, goal));
    reached = goal;
  }
  const unique = new Map(releases.map((release) => [release.payload, release]));
  return { releases: [...unique.values()], why };
}

/** Selects the releases of every channel and architecture of `platform`, as oc-mirror does; see the file comment. */
export async function selectPlatformReleases(platform: PlatformSelection, context: ResolveContext): Promise<PlatformReleases> {
  const graphs = new GraphCache(context);
  const payloads: Reference[] = [];
  const expected: PlatformReleases['expected'] = new Map();
  const seen = new Set<string>();
  const notes: string[] = [];
  for (const architecture of platform.architectures) {
    const arch = RELEASE_ARCHITECTURE_NAMES[architecture].graph;
    const selected = new Map<string, GraphRelease>();
    const bounded: BoundedChannel[] = [];
    for (const channel of platform.channels) {
      const url = serviceFor(context, channel.type);
      const graph = await graphs.get(url, channel.name, arch);
      const pick = selectChannel(graph, channel);
      bounded.push(pick.bounded);
      for (const release of pick.releases) selected.set(release.payload, release);
      notes.push(`OpenShift ${channel.type === 'okd' ? 'OKD ' : ''}channel ${channel.name} (${architecture}): ${versionsText(pick.releases)} — ${pick.why}; graph from ${redactUrl(url)}`);
    }
    const ocp = bounded.filter((channel) => channel.type === 'ocp');
    if (platform.channels.length > 1 && ocp.length > 0) {
      const cross = await crossChannelPath(graphs, serviceFor(context, 'ocp'), arch, ocp);
      const added = cross.releases.filter((release) => !selected.has(release.payload));
      for (const release of cross.releases) selected.set(release.payload, release);
      notes.push(`OpenShift channels ${ocp.map((c) => c.name).join(', ')} (${architecture}): ${cross.why}${added.length > 0 ? `; adds ${versionsText(added)}` : '; adds nothing'}`);
    }
    const ordered = [...selected.values()].sort((a, b) => compareVersions(a.version, b.version));
    for (const release of ordered) {
      if (seen.has(release.payload)) continue;
      seen.add(release.payload);
      const payload = parseReference(release.payload);
      payloads.push(payload);
      if (payload.digest) expected.set(payload.digest, { version: release.version.version, arch: RELEASE_ARCHITECTURE_NAMES[architecture].release, subject: `update graph (${architecture})` });
    }
  }
  return { payloads, notes, expected };
}

/**
 * Refuses a payload that is not the release the graph says it is (another
 * version or architecture): its tags and signatures would be filed under the
 * wrong name. The graph is only a pointer; the release image is what counts.
 */
export function checkPayloads(selected: PlatformReleases, releases: readonly Pick<ReleaseInfo, 'image' | 'version' | 'arch'>[]): void {
  for (const release of releases) {
    const wanted = release.image.digest ? selected.expected.get(release.image.digest) : undefined;
    if (!wanted) continue;
    if (versionKey(release.version) === wanted.version && release.arch === wanted.arch) continue;
    throw new FerryError(
      'INVALID_CONTENT',
      `${wanted.subject} names ${formatReference(release.image)} as ${wanted.version} (${wanted.arch}), but the release image says it is ${release.version} (${release.arch})`,
      { reference: formatReference(release.image), version: wanted.version },
    );
  }
}
