/**
 * Finds what is attached to each exported image so it travels with it:
 * cosign's tags (`sha256-<hex>.sig`, `.att`, `.sbom`) in the image's own
 * repository, and the manifests that name the image as their `subject`, from
 * the OCI 1.1 referrers API or, where the registry has none (404), from the
 * referrers tag-schema index at tag `sha256-<hex>`. Each referrer becomes one
 * more image of the bundle (a graph like any other, verified the same way).
 * A registry that fails a lookup with anything but 404 does not stop the
 * export: the lookup is noted in the plan and the image travels without them.
 * Requests are kept few: each repository's tags are listed once and only the
 * cosign and fallback tags it holds are read (each is probed only where the
 * list cannot be had in one page), and a registry that says it has no
 * referrers API is not asked again for the next image.
 */
import type { Descriptor, Reference } from '../../src-shared/model/oci.ts';
import { toErrorEnvelope } from '../../src-shared/errors.ts';
import { Limiter } from '../base/limiter.ts';
import { isImageManifestMediaType } from '../oci/media-types.ts';
import { resolveImageGraph, type ImageGraph } from '../oci/image-graph.ts';
import { ALL_PLATFORMS } from '../oci/platform.ts';
import { formatReference } from '../oci/reference.ts';
import { COSIGN_TAG_SUFFIXES, referrerKind, type ReferrerKind } from '../oci/referrer-kind.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { RegistryError } from '../oci/registry/errors.ts';
import { parseManifest, type ImageManifest } from '../oci/registry/manifests.ts';
import { queryReferrersApi, readReferrersFallback, referrersFallbackTag } from '../oci/registry/referrers.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { listTagsPage } from '../oci/registry/tags.ts';

/** Subjects looked up at once: a handful of small requests each, latency-bound. */
const LOOKUP_CONCURRENCY = 8;

/** One referrer found for an exported image: its resolved graph, the image it belongs to and what it is. */
export interface DiscoveredReferrer {
  /** Resolved from the subject's repository: by cosign tag (kept as its tag) or by digest. */
  graph: ImageGraph;
  /** The subject image's root digest. */
  subject: string;
  kind: ReferrerKind;
}

/** What the discovery found, and the lookups that failed (for the plan's notes). */
export interface ReferrerDiscovery {
  referrers: DiscoveredReferrer[];
  notes: string[];
}

/** The image manifest a graph's root is, parsed from its verified bytes; undefined for an index. */
function rootManifest(graph: ImageGraph): ImageManifest | undefined {
  const root = graph.root;
  if (!isImageManifestMediaType(root.mediaType)) return undefined;
  const parsed = parseManifest(root.bytes, root.mediaType, root.digest, formatReference(graph.reference));
  return parsed.kind === 'image' ? parsed.manifest : undefined;
}

/** The `subject` digest a referrer's root manifest names, if any. */
function subjectOf(graph: ImageGraph): string | undefined {
  const root = graph.root;
  const parsed = parseManifest(root.bytes, root.mediaType, root.digest, formatReference(graph.reference));
  return parsed.kind === 'image' ? parsed.manifest.subject?.digest : parsed.index.subject?.digest;
}

function isNotFound(error: unknown): boolean {
  return error instanceof RegistryError && error.status === 404;
}

function words(error: unknown): string {
  return toErrorEnvelope(error).message;
}

/** What the lookups of one export share: each repository's tag list, and which registries have no referrers API. */
class LookupShare {
  private readonly tagLists = new Map<string, Promise<ReadonlySet<string> | undefined>>();
  private readonly firstApiAnswers = new Map<string, Promise<void>>();
  private readonly withoutApi = new Set<string>();

  constructor(private readonly signal: AbortSignal | undefined) {}

  /**
   * The repository's tags, listed once for all its subjects; undefined when
   * the list fails or spans pages (probing a few tags is then cheaper and
   * surer than reading every page), so each tag is asked for by name.
   */
  tags(client: RegistryClient, repository: string): Promise<ReadonlySet<string> | undefined> {
    const key = `${client.registry}/${repository}`;
    let list = this.tagLists.get(key);
    if (!list) {
      list = listTagsPage(client, repository, {}, this.signal).then(
        (page) => (page.next === undefined ? new Set(page.names) : undefined),
        (error: unknown) => {
          if (this.signal?.aborted) throw error;
          return undefined;
        },
      );
      this.tagLists.set(key, list);
    }
    return list;
  }

  /**
   * The referrers API's answer for one subject. The first subject of each
   * registry asks first; once a registry has said it has no API (404, 400,
   * 405: the distribution-spec's "not supported"), the others skip the request.
   */
  async queryApi(client: RegistryClient, repository: string, digest: string): Promise<Awaited<ReturnType<typeof queryReferrersApi>>> {
    const options = this.signal ? { signal: this.signal } : {};
    const first = this.firstApiAnswers.get(client.registry);
    if (!first) {
      const answer = queryReferrersApi(client, repository, digest, options);
      this.firstApiAnswers.set(
        client.registry,
        answer.then(
          (result) => {
            if (result === undefined) this.withoutApi.add(client.registry);
          },
          () => undefined,
        ),
      );
      return answer;
    }
    await first;
    return this.withoutApi.has(client.registry) ? undefined : queryReferrersApi(client, repository, digest, options);
  }
}

/** Looks up one subject's referrers; every failure but "not found" becomes a note. */
async function referrersOf(client: RegistryClient, subject: Reference & { digest: string }, carried: ReadonlySet<string>, share: LookupShare, signal?: AbortSignal): Promise<ReferrerDiscovery> {
  const found: DiscoveredReferrer[] = [];
  const notes: string[] = [];
  const name = formatReference(subject);
  const seen = new Set<string>();
  const keep = (graph: ImageGraph, kind: ReferrerKind): void => {
    const key = `${subject.repository}@${graph.root.digest}`;
    if (seen.has(key) || carried.has(`${subject.registry}/${key}`)) return;
    seen.add(key);
    found.push({ graph, subject: subject.digest, kind });
  };
  const base = { registry: subject.registry, repository: subject.repository };
  const tags = await share.tags(client, subject.repository);
  for (const { suffix } of COSIGN_TAG_SUFFIXES) {
    const tag = `${referrersFallbackTag(subject.digest)}.${suffix}`;
    if (tags && !tags.has(tag)) continue;
    try {
      const graph = await resolveImageGraph(client, { ...base, tag }, ALL_PLATFORMS, signal);
      keep(graph, referrerKind(rootManifest(graph), { cosignTagSuffix: suffix }));
    } catch (error) {
      if (signal?.aborted) throw error;
      if (!isNotFound(error)) notes.push(`referrers of ${name}: cosign tag ${tag} could not be read (${words(error)}); it is not carried`);
    }
  }
  let listed: Descriptor[] = [];
  try {
    const answer = await share.queryApi(client, subject.repository, subject.digest);
    const fallbackListed = !tags || tags.has(referrersFallbackTag(subject.digest));
    listed = answer?.descriptors ?? (fallbackListed ? await readReferrersFallback(client, subject.repository, subject.digest, signal) : []);
  } catch (error) {
    if (signal?.aborted) throw error;
    notes.push(`referrers of ${name} could not be listed (${words(error)}); they are not carried`);
  }
  for (const descriptor of listed) {
    if (seen.has(`${subject.repository}@${descriptor.digest}`)) continue;
    try {
      const graph = await resolveImageGraph(client, { ...base, digest: descriptor.digest }, ALL_PLATFORMS, signal);
      // A listing that names a manifest attached to another image is the registry's mistake: it does not travel as this one's.
      const named = subjectOf(graph);
      if (named !== undefined && named !== subject.digest) {
        notes.push(`referrers of ${name}: ${descriptor.digest} names another subject (${named}); it is not carried`);
        continue;
      }
      keep(graph, referrerKind(rootManifest(graph), descriptor.artifactType !== undefined ? { artifactType: descriptor.artifactType } : {}));
    } catch (error) {
      if (signal?.aborted) throw error;
      notes.push(`referrers of ${name}: ${descriptor.digest} could not be read (${words(error)}); it is not carried`);
    }
  }
  return { referrers: found, notes };
}

/**
 * Finds the referrers of every resolved image, each subject once (two tags of one
 * image share them). A referrer the export carries already as an image of its own
 * (a `.sig` tag named in the image list) is not added again. An index that
 * platform filtering rewrote has a digest the source never had, so nothing refers to it.
 */
export async function discoverReferrers(graphs: readonly ImageGraph[], registries: Registries, signal?: AbortSignal): Promise<ReferrerDiscovery> {
  const carried = new Set(graphs.map((graph) => `${graph.reference.registry}/${graph.reference.repository}@${graph.root.digest}`));
  const subjects = new Map<string, Reference & { digest: string }>();
  for (const graph of graphs) {
    if (graph.rootRewritten && graph.root.children.length > 0) continue;
    const subject = { registry: graph.reference.registry, repository: graph.reference.repository, digest: graph.root.digest };
    subjects.set(formatReference(subject), subject);
  }
  const limiter = new Limiter(LOOKUP_CONCURRENCY);
  const share = new LookupShare(signal);
  const results = await Promise.all([...subjects.values()].map((subject) => limiter.run(async () => referrersOf(await registries.client(subject.registry), subject, carried, share, signal))));
  const referrers: DiscoveredReferrer[] = [];
  const taken = new Set<string>();
  for (const result of results) {
    for (const referrer of result.referrers) {
      const name = formatReference(referrer.graph.reference);
      if (taken.has(name)) continue;
      taken.add(name);
      referrers.push(referrer);
    }
  }
  return { referrers, notes: results.flatMap((result) => result.notes) };
}
