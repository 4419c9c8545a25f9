/**
 * A copy's destination repository as held manifests: a copy run again finds
 * its images already there, and reads their manifests from the destination
 * by digest instead of from the source (Docker Hub counts every source
 * manifest GET against its pull limit). One GET per manifest: a 404 costs
 * what a HEAD would, and a hit needs the bytes anyway, since a HEAD's answer
 * never stands in for the bytes Ferry pushes; heldManifest checks them
 * against the digest.
 */
import type { Reference } from '../../../src-shared/model/oci.ts';
import type { HeldManifests } from '../held-manifests.ts';
import { RegistryError } from './errors.ts';
import { getManifest } from './manifests.ts';
import type { Registries } from './registries.ts';

/** Manifests held in one destination repository. */
export class RegistryManifests implements HeldManifests {
  /** Set after a failure other than "not there": the destination is not asked again in this job (the copy reports it when it writes). */
  private unusable = false;

  constructor(
    private readonly registries: Registries,
    private readonly destination: Reference,
  ) {}

  /** The destination's bytes of manifest `digest`, or undefined when it does not hold it (or cannot be asked). */
  async read(digest: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    if (this.unusable) return undefined;
    try {
      const client = await this.registries.client(this.destination.registry);
      return (await getManifest(client, this.destination.repository, digest, { signal })).bytes;
    } catch (error) {
      if (signal?.aborted) throw error;
      if (!(error instanceof RegistryError && error.status === 404)) this.unusable = true;
      return undefined;
    }
  }
}
