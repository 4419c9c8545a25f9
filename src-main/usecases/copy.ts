/**
 * The copy use case: registry to registry, one image or a whole list, digests
 * preserved (OpenShift's "connected mirroring", `oc image mirror`, `skopeo
 * sync`). Every source is resolved before anything is written.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { ALL_PLATFORMS, parsePlatform, type PlatformSelection } from '../oci/platform.ts';
import { parseReference, parseRegistryPrefix } from '../oci/reference.ts';
import { Registries } from '../oci/registry/registries.ts';
import { copyImages, type CopyRequest, type CopySummary } from '../transfer/copy.ts';
import { mirrorDestination, readImageList } from '../sources/image-list.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import type { JobContext } from './job-context.ts';

/** What to copy: one image to one place, or every image of a list under a registry prefix. */
export type CopySelection = { kind: 'one'; source: string; destination: string } | { kind: 'list'; imagesFile: string; to: string };

/** A copy, as every front end asks for it. */
export interface CopyJobInput {
  images: CopySelection;
  /** `os/arch[/variant]` to keep; empty or absent means every platform. */
  platforms?: string[];
  /** Blobs in flight at once across all images. */
  concurrency?: number;
  source: RegistrySettings;
  destination: RegistrySettings;
}

/** The source → destination pairs of a selection. */
async function requestsOf(images: CopySelection): Promise<CopyRequest[]> {
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

/** Copies the images; failed images are listed in the summary, and nothing is written if any source cannot be resolved. */
export async function runCopy(input: CopyJobInput, context: JobContext = {}): Promise<CopySummary> {
  const requests = await requestsOf(input.images);
  if (requests.length === 0) throw new FerryError('INVALID_CONTENT', 'the image list names no image', { argument: 'images' });
  const from = new Registries(
    registryAccessFor(
      input.source,
      requests.map((r) => r.source.registry),
      'source',
    ),
  );
  const to = new Registries(
    registryAccessFor(
      input.destination,
      requests.map((r) => r.destination.registry),
      'destination',
    ),
  );
  try {
    return await copyImages(requests, from, to, {
      platforms: platformsOf(input.platforms),
      ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      ...(context.tracker ? { onEvent: context.tracker.onEvent } : {}),
    });
  } finally {
    await Promise.all([from.close(), to.close()]);
  }
}

// The defaults front ends show in their help, without reaching below the use-case layer.
export { DEFAULT_BLOB_CONCURRENCY as DEFAULT_COPY_CONCURRENCY } from '../transfer/copy.ts';
// Front ends print the summary without reaching below the use-case layer.
export type { CopySummary };
