/**
 * Planning shared by copy and export: resolve every source reference to its
 * manifest graph before anything is written, and report every failure at once
 * so the user fixes the whole list in one go.
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError, toErrorEnvelope, type ErrorEnvelope } from '../../src-shared/errors.ts';
import type { HeldManifests } from '../oci/held-manifests.ts';
import { manifestsInPushOrder, resolveImageGraph, type ImageGraph, type ManifestNode } from '../oci/image-graph.ts';
import { buildArtifactGraph, type LocalArtifact, type LocalArtifactGraph, type PlannedFile } from '../oci/local-artifact.ts';
import type { PlatformSelection } from '../oci/platform.ts';
import { formatReference } from '../oci/reference.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { Limiter } from '../base/limiter.ts';

/** Manifest graphs resolved at once; they are small requests, latency-bound. */
const PLAN_CONCURRENCY = 8;

/** A reference that could not be resolved, with the error that stopped it. */
export interface ResolveProblem {
  reference: string;
  error: ErrorEnvelope;
}

/** Per reference, the manifests Ferry already holds for it (a rerun's export folder or copy destination), taken instead of fetched. */
export type HeldFor = (reference: Reference, index: number) => HeldManifests | undefined;

/**
 * Resolves every reference, each on its own: the graphs line up with
 * `references` (undefined where one failed) and every failure is listed.
 * A cancelled job is thrown, never listed: it is no fault of a reference.
 */
export async function resolveEach(
  references: Reference[],
  registries: Registries,
  platforms: PlatformSelection,
  signal?: AbortSignal,
  held?: HeldFor,
): Promise<{ graphs: Array<ImageGraph | undefined>; problems: ResolveProblem[] }> {
  const limiter = new Limiter(PLAN_CONCURRENCY);
  const results = await Promise.allSettled(
    references.map((reference, index) =>
      limiter.run(async () => {
        const client = await registries.client(reference.registry);
        return resolveImageGraph(client, reference, platforms, signal, held?.(reference, index));
      }),
    ),
  );
  signal?.throwIfAborted();
  const problems = results.flatMap((result, i) =>
    result.status === 'rejected' ? [{ reference: formatReference(references[i] ?? { registry: '?', repository: '?' }), error: toErrorEnvelope(result.reason) }] : [],
  );
  const cancelled = problems.find((p) => p.error.code === 'CANCELLED');
  if (cancelled) throw new FerryError('CANCELLED', cancelled.error.message);
  return { graphs: results.map((result) => (result.status === 'fulfilled' ? result.value : undefined)), problems };
}

/** One FerryError listing every reference that failed (its details' `problems` are what the app's plan shows). */
export function unresolvedError(problems: readonly ResolveProblem[]): FerryError {
  const first = problems[0]?.error;
  const lines = problems.map((p) => `  ${p.error.message}`).join('\n');
  // What a person can change (a login, a CA, a slower request rate) is kept when it is the same for every problem.
  const hints = new Set(problems.map((p) => JSON.stringify(p.error.details?.hint ?? null)));
  const hint = hints.size === 1 ? first?.details?.hint : undefined;
  return new FerryError(first?.code ?? 'REGISTRY_ERROR', problems.length === 1 ? (first?.message ?? 'cannot resolve image') : `${problems.length} images cannot be resolved:\n${lines}`, {
    problems,
    ...(hint ? { hint } : {}),
  });
}

/** Resolves every reference; throws one FerryError listing every reference that failed. */
export async function resolveAll(references: Reference[], registries: Registries, platforms: PlatformSelection, signal?: AbortSignal, held?: HeldFor): Promise<ImageGraph[]> {
  const { graphs, problems } = await resolveEach(references, registries, platforms, signal, held);
  if (problems.length > 0) throw unresolvedError(problems);
  return graphs.filter((graph): graph is ImageGraph => graph !== undefined);
}

/** A piece of content the bundle stores: a blob or a manifest (manifests are blobs in an OCI layout). */
export interface PlannedContent {
  digest: string;
  size: number;
  /** Where to read it, for blobs: the repository it was resolved from, or the local file hashed while planning; manifests carry their bytes. */
  source?: { reference: Reference } | { file: PlannedFile };
  /** Exact bytes, for manifests (already fetched or built while planning) and the configs of local artifacts. */
  bytes?: Buffer;
}

/** Everything an export will write, with dedup across images already applied. */
export interface ExportPlan {
  graphs: ImageGraph[];
  /** Local artifacts, their manifests built from the files hashed while planning. */
  artifacts: LocalArtifactGraph[];
  /** Unique content: every manifest (with its bytes), then every other blob, each in order of first appearance. */
  content: PlannedContent[];
  uniqueBytes: number;
  /** What the images would take if each were stored alone, minus uniqueBytes. */
  savedByDedup: number;
}

/**
 * Builds every local artifact's manifest, hashing its files (one at a time:
 * they share one disk); refuses two artifacts landing on the same target.
 */
export async function buildAllArtifacts(artifacts: readonly LocalArtifact[], signal?: AbortSignal): Promise<LocalArtifactGraph[]> {
  const targets = new Map<string, string>();
  for (const artifact of artifacts) {
    const target = `${artifact.target.path}:${artifact.target.tag}`;
    const earlier = targets.get(target);
    if (earlier !== undefined) throw new FerryError('INVALID_ARGUMENT', `${earlier} and ${artifact.source} would both land at ${target}`, { target });
    targets.set(target, artifact.source);
  }
  const graphs: LocalArtifactGraph[] = [];
  for (const artifact of artifacts) graphs.push(await buildArtifactGraph(artifact, signal));
  return graphs;
}

/** Collects the unique blobs and manifests of resolved images and local artifacts in a deterministic order. */
export function planContent(graphs: ImageGraph[], artifacts: LocalArtifactGraph[] = []): ExportPlan {
  const blobs = new Map<string, PlannedContent>();
  const manifests = new Map<string, PlannedContent>();
  let separateTotal = 0;
  for (const graph of graphs) {
    separateTotal += graph.totalSize;
    for (const node of manifestsInPushOrder(graph.root)) {
      for (const blob of node.blobs) if (!blobs.has(blob.digest)) blobs.set(blob.digest, { digest: blob.digest, size: blob.size, source: { reference: graph.reference } });
      addManifest(manifests, node);
    }
  }
  for (const artifact of artifacts) {
    separateTotal += artifact.totalSize;
    for (const node of manifestsInPushOrder(artifact.root)) addManifest(manifests, node);
    // Configs ride with the manifests: a few bytes, already in memory.
    for (const [digest, bytes] of artifact.configs) if (!manifests.has(digest)) manifests.set(digest, { digest, size: bytes.length, bytes });
    for (const [digest, file] of artifact.files) if (!blobs.has(digest)) blobs.set(digest, { digest, size: file.size, source: { file } });
    // A built image's base layers are read from the base's repository, like any pulled image's.
    const pulled = artifact.pulled;
    if (pulled) for (const blob of pulled.blobs) if (!blobs.has(blob.digest)) blobs.set(blob.digest, { digest: blob.digest, size: blob.size, source: { reference: pulled.reference } });
  }
  // Manifests first: a reader streaming an archive learns the whole graph before the first layer arrives.
  const content = [...manifests.values(), ...[...blobs.values()].filter((b) => !manifests.has(b.digest))];
  const uniqueBytes = content.reduce((sum, item) => sum + item.size, 0);
  return { graphs, artifacts, content, uniqueBytes, savedByDedup: Math.max(0, separateTotal - uniqueBytes) };
}

function addManifest(manifests: Map<string, PlannedContent>, node: ManifestNode): void {
  if (!manifests.has(node.digest)) manifests.set(node.digest, { digest: node.digest, size: node.bytes.length, bytes: node.bytes });
}
