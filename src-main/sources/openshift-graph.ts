/**
 * OpenShift platform channels through the update graph, as oc-mirror does:
 * the graph of one channel and architecture is fetched from the update
 * service (Cincinnati) on the connected side, read strictly, and then either
 * every release between a minimum and a maximum version is taken, or only the
 * releases on the shortest upgrade path between them. Versions are compared
 * with node-semver (sources/versions.ts), never as text.
 *
 * Not yet wired into the image-set resolver: that part maps a `platform`
 * channel of an image set onto versionsInRange / shortestPath.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { UPDATE_GRAPH_DOCUMENT, UPDATE_GRAPH_LIMIT } from '../../src-shared/schemas/update-graph.ts';
import { redactUrl } from '../oci/registry/errors.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { httpGetCapped } from './http-download.ts';
import { anyVersion, compareVersions, type Version } from './versions.ts';

/** The public OpenShift update service, oc-mirror's default graph endpoint (`--update-service` overrides it). */
export const DEFAULT_UPDATE_SERVICE = 'https://api.openshift.com/api/upgrades_info/v1/graph';

/** The public release signature store (`<store>/sha256=<hex>/signature-<n>`), as oc-mirror reads it (`--signature-store` overrides it). */
export const DEFAULT_SIGNATURE_STORE = 'https://mirror.openshift.com/pub/openshift-v4/signatures/openshift/release';

/** One release of the graph: its version, its release image by digest and the service's metadata. */
export interface GraphRelease {
  version: Version;
  /** The release image, `quay.io/openshift-release-dev/ocp-release@sha256:…`. */
  payload: string;
  metadata: Readonly<Record<string, string>>;
}

/** An update recommended only when the cluster is not exposed to the named risks. */
export interface ConditionalUpdate {
  to: string;
  risks: readonly string[];
}

/** A graph read and checked: releases in ascending version order, updates keyed by the version they start from. */
export interface UpdateGraph {
  /** What messages call the graph, e.g. `update graph stable-4.16/amd64 from https://…`. */
  subject: string;
  releases: readonly GraphRelease[];
  byVersion: ReadonlyMap<string, GraphRelease>;
  /** Unconditional updates: from version → to versions. */
  updates: ReadonlyMap<string, readonly string[]>;
  /** Conditional updates: from version → the updates and their risks. */
  conditionalUpdates: ReadonlyMap<string, readonly ConditionalUpdate[]>;
}

function invalid(subject: string, path: string, why: string): FerryError {
  return new FerryError('INVALID_CONTENT', `${subject}: ${path} ${why}`, { file: subject, path });
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Reads a Cincinnati graph body strictly (duplicate keys, size cap, schema), then checks versions, indexes and conditional edges; every refusal names `subject` and the JSON path. */
export function parseUpdateGraph(bytes: string | Uint8Array, subject: string): UpdateGraph {
  const document = parseJsonDocument(bytes, UPDATE_GRAPH_DOCUMENT, subject);
  const byVersion = new Map<string, GraphRelease>();
  const versionAt: string[] = [];
  document.nodes.forEach((node, index) => {
    const version = anyVersion(node.version);
    if (!version) throw invalid(subject, `$.nodes[${index}].version`, `${JSON.stringify(node.version)} is not a semantic version`);
    if (byVersion.has(version.version)) throw invalid(subject, `$.nodes[${index}].version`, `${version.version} appears twice`);
    byVersion.set(version.version, { version, payload: node.payload, metadata: node.metadata ?? {} });
    versionAt.push(version.version);
  });
  const updates = new Map<string, string[]>();
  document.edges.forEach(([from, to], index) => {
    const fromVersion = versionAt[from];
    const toVersion = versionAt[to];
    if (fromVersion === undefined) throw invalid(subject, `$.edges[${index}][0]`, `points at node ${from}, but the graph has ${versionAt.length} nodes`);
    if (toVersion === undefined) throw invalid(subject, `$.edges[${index}][1]`, `points at node ${to}, but the graph has ${versionAt.length} nodes`);
    pushTo(updates, fromVersion, toVersion);
  });
  const conditionalUpdates = new Map<string, ConditionalUpdate[]>();
  (document.conditionalEdges ?? []).forEach((conditional, index) => {
    const risks = conditional.risks.map((risk) => risk.name);
    conditional.edges.forEach((edge, edgeIndex) => {
      const ends = { from: edge.from, to: edge.to };
      for (const [end, text] of Object.entries(ends)) {
        const version = anyVersion(text);
        if (!version || !byVersion.has(version.version)) throw invalid(subject, `$.conditionalEdges[${index}].edges[${edgeIndex}].${end}`, `${JSON.stringify(text)} is not a release of the graph`);
      }
      const from = anyVersion(edge.from)?.version ?? edge.from;
      const to = anyVersion(edge.to)?.version ?? edge.to;
      pushTo(conditionalUpdates, from, { to, risks });
    });
  });
  const releases = [...byVersion.values()].sort((a, b) => compareVersions(a.version, b.version));
  return { subject, releases, byVersion, updates, conditionalUpdates };
}

/** The versions of a platform channel entry, as written in the image set. */
export interface VersionSelection {
  minVersion?: string | undefined;
  maxVersion?: string | undefined;
  /** Every release of the channel; without it and without bounds only the channel's newest release is taken. */
  full?: boolean | undefined;
}

function boundOf(graph: UpdateGraph, text: string | undefined, name: string): Version | undefined {
  if (text === undefined) return undefined;
  const version = anyVersion(text.trim());
  if (!version) throw new FerryError('INVALID_CONTENT', `${graph.subject}: ${name} ${JSON.stringify(text)} is not a semantic version`, { file: graph.subject, [name]: text });
  return version;
}

/**
 * The releases a channel entry selects, lowest first, as oc-mirror picks
 * them: from minVersion (default: the channel's lowest release) to maxVersion
 * (default: its newest) inclusive; with neither bound and no `full`, only the
 * newest release. Refuses an empty selection or min above max by name.
 */
export function versionsInRange(graph: UpdateGraph, selection: VersionSelection): GraphRelease[] {
  const min = boundOf(graph, selection.minVersion, 'minVersion');
  const max = boundOf(graph, selection.maxVersion, 'maxVersion');
  const newest = graph.releases.at(-1);
  if (!newest) throw new FerryError('INVALID_CONTENT', `${graph.subject}: the channel has no releases`, { file: graph.subject });
  if (min && max && compareVersions(min, max) > 0) {
    throw new FerryError('INVALID_CONTENT', `${graph.subject}: minVersion ${min.version} is above maxVersion ${max.version}`, {
      file: graph.subject,
      minVersion: min.version,
      maxVersion: max.version,
    });
  }
  if (!min && !max && selection.full !== true) return [newest];
  const selected = graph.releases.filter((release) => (!min || compareVersions(release.version, min) >= 0) && (!max || compareVersions(release.version, max) <= 0));
  if (selected.length === 0) {
    throw new FerryError('INVALID_CONTENT', `${graph.subject}: no release between ${min?.version ?? 'the lowest'} and ${max?.version ?? 'the newest'}`, {
      file: graph.subject,
      ...(min ? { minVersion: min.version } : {}),
      ...(max ? { maxVersion: max.version } : {}),
    });
  }
  return selected;
}

/** Whether conditional updates (those with known risks) may be part of a path. */
export interface PathOptions {
  conditional?: boolean | undefined;
}

function releaseNamed(graph: UpdateGraph, text: string, name: string): GraphRelease {
  const version = boundOf(graph, text, name);
  const release = version ? graph.byVersion.get(version.version) : undefined;
  if (!release) throw new FerryError('NOT_FOUND', `${graph.subject}: ${name} ${text} is not a release of the channel`, { file: graph.subject, [name]: text });
  return release;
}

/**
 * The releases on the shortest upgrade path from one version to another,
 * both included, by breadth-first search over the updates (conditional ones
 * only when asked). Among equally short paths the one through the highest
 * versions wins, so the answer never depends on the graph's order.
 */
export function shortestPath(graph: UpdateGraph, from: string, to: string, options: PathOptions = {}): GraphRelease[] {
  const start = releaseNamed(graph, from, 'from');
  const goal = releaseNamed(graph, to, 'to');
  const previous = new Map<string, string | null>([[start.version.version, null]]);
  const newestFirst = (a: GraphRelease, b: GraphRelease): number => compareVersions(b.version, a.version);
  let frontier: GraphRelease[] = [start];
  while (frontier.length > 0 && !previous.has(goal.version.version)) {
    const next: GraphRelease[] = [];
    for (const release of frontier) {
      const from = release.version.version;
      const targets = [...(graph.updates.get(from) ?? []), ...(options.conditional === true ? (graph.conditionalUpdates.get(from) ?? []).map((update) => update.to) : [])];
      for (const target of targets.flatMap((version) => graph.byVersion.get(version) ?? []).sort(newestFirst)) {
        if (previous.has(target.version.version)) continue;
        previous.set(target.version.version, from);
        next.push(target);
      }
    }
    // The next level is visited newest first too, so ties break the same way at every depth.
    frontier = next.sort(newestFirst);
  }
  if (!previous.has(goal.version.version)) {
    throw new FerryError(
      'NOT_FOUND',
      `${graph.subject}: no upgrade path from ${start.version.version} to ${goal.version.version}${options.conditional === true ? '' : ' (conditional updates not considered)'}`,
      {
        file: graph.subject,
        from: start.version.version,
        to: goal.version.version,
      },
    );
  }
  const path: GraphRelease[] = [];
  for (let at: string | null | undefined = goal.version.version; at !== null && at !== undefined; at = previous.get(at)) {
    const release = graph.byVersion.get(at);
    if (release) path.unshift(release);
  }
  return path;
}

/** What a fetch needs from the job: its registries (for TLS trust and connections) and its cancellation. */
export interface GraphFetchContext {
  registries: Registries;
  signal?: AbortSignal | undefined;
}

/** Fetches and reads the graph of one channel and architecture from an update service (`<url>?channel=…&arch=…`, JSON asked for, capped at 32 MiB). */
export async function fetchUpdateGraph(url: string, channel: string, arch: string, context: GraphFetchContext): Promise<UpdateGraph> {
  let endpoint: URL;
  try {
    endpoint = new URL(url);
  } catch {
    throw new FerryError('INVALID_ARGUMENT', `update service ${JSON.stringify(redactUrl(url))} is not a URL`, { url: redactUrl(url) });
  }
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') {
    throw new FerryError('INVALID_ARGUMENT', `update service ${redactUrl(url)} is not an http(s) URL`, { url: redactUrl(url) });
  }
  endpoint.searchParams.set('channel', channel);
  endpoint.searchParams.set('arch', arch);
  const subject = `update graph ${channel}/${arch} from ${redactUrl(endpoint.href)}`;
  const bytes = await httpGetCapped(context.registries, endpoint, subject, UPDATE_GRAPH_LIMIT, context.signal, { accept: 'application/json' });
  return parseUpdateGraph(bytes, subject);
}
