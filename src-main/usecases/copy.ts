/**
 * The copy use case: registry to registry, one image, a whole list or an
 * image set, digests preserved (OpenShift's "connected mirroring", `oc image
 * mirror`, `skopeo sync`, `oc-mirror --v2 mirror-to-mirror`). Every source is
 * resolved before anything is written. A set lands where an export and import
 * of it would (copy-set.ts), with the same mirror configuration.
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { MirrorConfigOptions, RepositoryMapping } from '../mirror-config/mapping.ts';
import type { MirrorConfigWrite } from '../mirror-config/write.ts';
import type { LocalArtifactGraph } from '../oci/local-artifact.ts';
import { ALL_PLATFORMS, parsePlatform, type PlatformSelection } from '../oci/platform.ts';
import { formatReference, parseReference, parseRegistryPrefix, repositoryName } from '../oci/reference.ts';
import { Registries } from '../oci/registry/registries.ts';
import { copyImages, type ArtifactCopyRequest, type CopyRequest, type CopySummary } from '../transfer/copy.ts';
import { mirrorDestination, readImageList } from '../sources/image-list.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import { resolveSetCopy, type SetCopy } from './copy-set.ts';
import { importTarget } from './import.ts';
import type { JobContext } from './job-context.ts';
import { mirrorTrust, targetText } from './mirror-trust.ts';
import type { OpenShiftEndpoints } from './openshift-endpoints.ts';

/**
 * What to copy: one image to one place, every image of a list under a
 * registry prefix, or an image set placed as an import of it would place it
 * (`keepRegistryHost` as `ferry import --keep-registry-host`).
 */
export type CopySelection =
  | { kind: 'one'; source: string; destination: string }
  | { kind: 'list'; imagesFile: string; to: string }
  | { kind: 'set'; setFile: string; to: string; keepRegistryHost?: boolean; maxNestedPaths?: number };

/** A copy, as every front end asks for it; `updateService` and `signatureStore` serve a set's OpenShift release channels. */
export interface CopyJobInput extends OpenShiftEndpoints {
  images: CopySelection;
  /** `os/arch[/variant]` to keep; empty or absent means every platform. */
  platforms?: string[];
  /** Blobs in flight at once across all images. */
  concurrency?: number;
  source: RegistrySettings;
  destination: RegistrySettings;
  /** Keep going: sources that cannot be resolved are skipped (the summary's `skipped`, with reasons) and the rest is copied. */
  keepGoing?: boolean;
  /** With a set: write registries.conf, IDMS/ITMS/ICSP and containerd hosts.toml for its mappings into this folder, as an import would. */
  mirrorConfigDir?: string;
  /** With mirrorConfigDir: the mirror's CA (PEM file or text); default the destination's `caCertFiles`. */
  mirrorCa?: string;
}

/** What a copy answers: the engine's summary, a set's plan notes, and the mirror configuration files written. */
export interface CopyOutcome extends CopySummary {
  notes: string[];
  mirrorConfig: string[];
  /** Files an earlier run wrote into the mirror configuration folder that this one did not, removed so `oc apply -f` does not apply them again. */
  mirrorConfigRemoved: string[];
}

/** The source → destination pairs of a one-image or list selection. */
async function requestsOf(images: Exclude<CopySelection, { kind: 'set' }>): Promise<CopyRequest[]> {
  if (images.kind === 'list') {
    const { registry, prefix } = parseRegistryPrefix(images.to);
    return (await readImageList(images.imagesFile)).map(({ reference }) => ({ source: reference, destination: mirrorDestination(reference, registry, prefix) }));
  }
  const source = parseReference(images.source);
  const destination = parseReference(images.destination);
  // A destination without its own tag or digest keeps the source's: copying a@sha256:… to b lands at b@sha256:….
  if (images.destination.lastIndexOf(':') <= images.destination.lastIndexOf('/') && !images.destination.includes('@')) {
    delete destination.tag;
    if (source.tag !== undefined) destination.tag = source.tag;
    if (source.digest !== undefined) destination.digest = source.digest;
  }
  return [{ source, destination }];
}

/** A platform selection from `os/arch` strings; none means every platform. */
function platformsOf(platforms: string[] | undefined): PlatformSelection {
  return platforms !== undefined && platforms.length > 0 ? { kind: 'some', platforms: platforms.map(parsePlatform) } : ALL_PLATFORMS;
}

/** A set copy's requests and mappings, or a plain selection's requests with the source clients for them. */
async function prepare(input: CopyJobInput, signal: AbortSignal | undefined): Promise<Omit<SetCopy, 'mirror'> & { mirror?: SetCopy['mirror'] }> {
  const { images } = input;
  if (images.kind === 'set') {
    const target = importTarget(images.to, images.keepRegistryHost, images.maxNestedPaths);
    return resolveSetCopy({
      setFile: images.setFile,
      target,
      platforms: platformsOf(input.platforms),
      source: input.source,
      ...(input.updateService !== undefined ? { updateService: input.updateService } : {}),
      ...(input.signatureStore !== undefined ? { signatureStore: input.signatureStore } : {}),
      ...(signal ? { signal } : {}),
    });
  }
  if (input.mirrorConfigDir !== undefined) throw new FerryError('INVALID_ARGUMENT', 'mirror configuration is written for an image set copy (--set FILE --to REGISTRY)', { argument: 'mirrorConfig' });
  const requests = await requestsOf(images);
  if (requests.length === 0) throw new FerryError('INVALID_CONTENT', 'the image list names no image', { argument: 'images' });
  const from = new Registries(
    registryAccessFor(
      input.source,
      requests.map((r) => r.source.registry),
      'source',
    ),
  );
  return { requests, artifacts: [] as ArtifactCopyRequest[], notes: [], platforms: platformsOf(input.platforms), from, close: () => from.close() };
}

/**
 * Writes a set copy's mirror configuration as an import of the same set writes
 * it: the repository mappings, and the OpenShift cluster resources (catalogs,
 * release signatures, the update graph) built from where the images landed.
 */
async function writeSetMirrorConfig(
  dir: string,
  mirror: SetCopy['mirror'],
  requests: readonly CopyRequest[],
  summary: CopySummary,
  artifacts: readonly LocalArtifactGraph[],
  options: MirrorConfigOptions,
): Promise<MirrorConfigWrite> {
  // The YAML and TOML writers load only for a copy that asks for mirror configuration.
  const { writeMirrorConfig } = await import('../mirror-config/write.ts');
  const { hasClusterResources } = await import('../mirror-config/openshift-resources.ts');
  const { clusterResourcesFrom, signaturesOfArtifacts } = await import('./cluster-resources.ts');
  const landed = summary.images.map((image) => {
    // Where it landed, pinned: `host/repository[:tag]@digest`, as an import summary spells it.
    const destination = parseReference(image.destination);
    return { section: mirror.sections.get(image.source), source: image.source, destination: formatReference({ ...destination, digest: image.digest }) };
  });
  const resources = clusterResourcesFrom(landed, await signaturesOfArtifacts(artifacts));
  return writeMirrorConfig(dir, landedMappings(mirror.mappings, requests, summary), options, hasClusterResources(resources) ? resources : undefined);
}

/**
 * The mappings of the source repositories at least one image landed from: a
 * keep-going copy that skipped every image of a repository must not point a
 * cluster at a mirror repository it never filled.
 */
function landedMappings(mappings: readonly RepositoryMapping[], requests: readonly CopyRequest[], summary: CopySummary): RepositoryMapping[] {
  const landed = new Set(summary.images.map((image) => image.source));
  const repositories = new Set(requests.filter((request) => landed.has(formatReference(request.source))).map((request) => repositoryName(request.source)));
  return mappings.filter((mapping) => repositories.has(mapping.source));
}

/** Copies the images; failed images are listed in the summary, and nothing is written if any source cannot be resolved. */
export async function runCopy(input: CopyJobInput, context: JobContext = {}): Promise<CopyOutcome> {
  // A wrong mirror CA is refused before anything is resolved or copied.
  const trust = input.mirrorConfigDir !== undefined ? await mirrorTrust(input.destination, input.mirrorCa) : {};
  const { requests, artifacts, mirror, notes, platforms, from, close } = await prepare(input, context.signal);
  const destinationHosts = [...requests.map((r) => r.destination.registry), ...artifacts.map((a) => a.destination.registry)];
  let to: Registries | undefined;
  try {
    to = new Registries(registryAccessFor(input.destination, destinationHosts, 'destination'));
    // The artifacts as planned and pushed: the signature ConfigMaps are checked against these digests.
    let planned: readonly LocalArtifactGraph[] = [];
    const summary = await copyImages(requests, from, to, {
      platforms,
      ...(artifacts.length > 0 ? { artifacts, onArtifactsPlanned: (graphs: readonly LocalArtifactGraph[]) => (planned = graphs) } : {}),
      ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
      ...(input.keepGoing === true ? { keepGoing: true } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      ...(context.tracker ? { onEvent: context.tracker.onEvent } : {}),
    });
    // Written only once everything landed (a cluster pointed at a mirror missing some images fails its pulls), before close() removes the signature files;
    // a keep-going copy asked for the rest without what it skipped, so it gets the configuration of what landed, if anything did.
    const written =
      input.mirrorConfigDir !== undefined && mirror !== undefined && summary.failed.length === 0 && (input.keepGoing !== true || summary.images.length > 0)
        ? await writeSetMirrorConfig(input.mirrorConfigDir, mirror, requests, summary, planned, {
            mirrorRegistry: input.images.kind === 'set' ? targetText(importTarget(input.images.to, false)) : mirror.registry,
            ...trust,
          })
        : { written: [], removed: [] };
    return { ...summary, notes, mirrorConfig: written.written, mirrorConfigRemoved: written.removed };
  } finally {
    await Promise.all([close(), to?.close()]);
  }
}

// The defaults front ends show in their help, without reaching below the use-case layer.
export { DEFAULT_BLOB_CONCURRENCY as DEFAULT_COPY_CONCURRENCY } from '../transfer/copy.ts';
// Front ends print the summary without reaching below the use-case layer.
export type { CopySummary };
