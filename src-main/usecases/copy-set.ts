/**
 * `ferry copy --set FILE --to REGISTRY[/PREFIX]`: an image set copied straight
 * into a site's registry, landing where an export of the same set followed by
 * an import would land it. The set is read and resolved by the very functions
 * export uses (sources/image-set.ts placeImageSet), and every image and local
 * artifact is placed by import's own rules (transfer/import-plan.ts
 * landImages), so the two paths cannot drift apart; the repository mappings
 * are the ones an import writes its mirror configuration from.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BundleImageSet } from '../../src-shared/model/bundle.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import { parsePlatform, type PlatformSelection } from '../oci/platform.ts';
import { formatReference } from '../oci/reference.ts';
import { Registries } from '../oci/registry/registries.ts';
import type { RepositoryMapping } from '../mirror-config/mapping.ts';
import type { LocalArtifact } from '../sources/types.ts';
import type { ArtifactCopyRequest, CopyRequest } from '../transfer/copy.ts';
import { landImages, type ImportTarget, type Placeable } from '../transfer/import-plan.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import { deckhouseLicense } from './deckhouse-license.ts';
import { checkedEndpoints, type OpenShiftEndpoints } from './openshift-endpoints.ts';

/** A set resolved into the copy's requests, with the registries it was read through. */
export interface SetCopy {
  requests: CopyRequest[];
  artifacts: ArtifactCopyRequest[];
  /**
   * Source → mirror repositories, exactly as an import of the same set maps them, the mirror registry they name, and
   * the set section of every source (a formatted reference, or a local artifact's `source`) for the cluster resources.
   */
  mirror: { mappings: RepositoryMapping[]; registry: string; sections: Map<string, string> };
  /** The resolvers' plan notes (dependencies, blocked images, chart images). */
  notes: string[];
  platforms: PlatformSelection;
  /** The source side's clients (the set's Deckhouse license bound to its host). */
  from: Registries;
  /** Closes the source clients and removes what the resolvers downloaded; after the copy, which pushes from those files. */
  close: () => Promise<void>;
}

/** What a set copy needs to know besides the file. */
export interface SetCopyInput extends OpenShiftEndpoints {
  setFile: string;
  target: ImportTarget;
  /** The platforms the user chose; none means the set's own `platforms:`, else every platform. */
  platforms: PlatformSelection;
  source: RegistrySettings;
  signal?: AbortSignal;
}

/** The destination of one landing: the target registry, the repository and tag; tagless landings keep the source's digest. */
function destinationOf(target: ImportTarget, repository: string, tag: string | undefined, source?: Reference): Reference {
  const destination: Reference = { registry: target.registry, repository };
  if (tag !== undefined) destination.tag = tag;
  else if (source?.digest !== undefined) destination.digest = source.digest;
  return destination;
}

/**
 * Reads and resolves the set as export does (its license, platforms and the
 * OpenShift endpoints included), then places every image and artifact as
 * import would under `target`.
 */
export async function resolveSetCopy(input: SetCopyInput): Promise<SetCopy> {
  const endpoints = checkedEndpoints(input);
  const { readImageSet, placeImageSet } = await import('../sources/image-set.ts');
  const set = await readImageSet(input.setFile);
  const platforms = input.platforms.kind === 'all' && set.platforms.length > 0 ? { kind: 'some' as const, platforms: set.platforms.map(parsePlatform) } : input.platforms;
  const access = registryAccessFor(input.source, [], 'source');
  const license = await deckhouseLicense(set);
  if (license && !access.creds) access.creds = license;
  const from = new Registries(access);
  // Charts, files and release signatures are downloaded here; they are pushed from these files, so the folder outlives the resolution.
  let staging: string | undefined;
  const close = async (): Promise<void> => {
    await from.close();
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  };
  try {
    staging = await mkdtemp(join(tmpdir(), 'ferry-stage-'));
    const imageSet: BundleImageSet = { references: [], lists: [], platforms: [] };
    const references: Reference[] = [];
    const artifacts: LocalArtifact[] = [];
    const context = { registries: from, platforms, staging, ...endpoints, ...(input.signal ? { signal: input.signal } : {}) };
    const placements = await placeImageSet(set, context, imageSet, references, artifacts);
    const items: Placeable[] = [
      ...references.map((source) => {
        const name = formatReference(source);
        const targets = placements.get(name)?.targets;
        return { name, source, ...(targets?.length ? { targets } : {}) };
      }),
      ...artifacts.map((artifact) => ({ name: `${artifact.target.path}:${artifact.target.tag}`, from: artifact.source, targets: [artifact.target] })),
    ];
    const { landings, mappings } = landImages(items, input.target);
    const requests = references.flatMap((source, i) => (landings[i] ?? []).map(({ repository, tag }) => ({ source, destination: destinationOf(input.target, repository, tag, source) })));
    const artifactRequests = artifacts.flatMap((artifact, j) =>
      (landings[references.length + j] ?? []).map(({ repository, tag }) => ({ artifact, destination: destinationOf(input.target, repository, tag) })),
    );
    const sections = new Map<string, string>([
      ...[...placements].map(([name, placement]): [string, string] => [name, placement.section]),
      ...artifacts.map((a): [string, string] => [a.source, a.section]),
    ]);
    return { requests, artifacts: artifactRequests, mirror: { mappings, registry: input.target.registry, sections }, notes: imageSet.notes ?? [], platforms, from, close };
  } catch (error) {
    await close();
    throw error;
  }
}
