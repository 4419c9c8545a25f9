/**
 * Where `ferry serve --bundle` shows each image of a verified bundle: the
 * repositories, tags, manifests and blobs a client sees, computed once from
 * the verified view (never from the media).
 *
 * The naming is import's with no prefix (transfer/import-plan.ts), so pulling
 * from a served bundle and pulling from a registry the bundle was imported
 * into with `ferry import BUNDLE --to HOST` use the same references:
 * - an image lands at its source repository path, the source host dropped
 *   (`quay.io/org/app:v1` → `org/app:v1`; `docker.io/nginx` → `library/nginx`);
 * - an image set's targets win (`path`, `tag`); an empty path (a Deckhouse
 *   edition root, which import places at the prefix) falls back to the
 *   source repository path, since a served bundle has no prefix;
 * - a signature, attestation or SBOM lands in every repository its subject
 *   lands in, under its cosign tag if it has one, else by digest only (the
 *   referrers API finds it through its `subject`).
 * Two images setting one repository:tag to different manifests are refused,
 * as import refuses them. This module sits in serve/, which may not import
 * transfer/, so it follows the same rules on its own; the bundle-serve tests
 * pull the same references import pushes.
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import type { BundleImageRef, VerifiedBundle } from '../bundle/bundle-view.ts';
import { parseReference } from '../oci/reference.ts';

/** What one served repository holds. */
export interface ServedRepository {
  /** Tag → root manifest digest. */
  tags: Map<string, string>;
  /** Every manifest digest reachable from the images placed here (roots, children, referrers). */
  manifests: Set<string>;
  /** Every config and layer digest of those manifests. */
  blobs: Set<string>;
}

/** One placement of an image: a repository and, optionally, a tag. */
interface Placement {
  repository: string;
  tag?: string;
}

/** The source reference of an image, or undefined for a local artifact (whose source is no reference). */
function sourceOf(view: VerifiedBundle, image: BundleImageRef): Reference | undefined {
  return image.artifactType !== undefined ? undefined : parseSource(view, image);
}

/** An image's source reference, parsed; a bundle whose ferry.json holds one Ferry cannot read is broken. */
function parseSource(view: VerifiedBundle, image: BundleImageRef): Reference {
  try {
    return parseReference(image.source);
  } catch (error) {
    throw new FerryError('BUNDLE_INVALID', `${view.dir}: image "${image.name}" has a source reference Ferry cannot read: ${error instanceof Error ? error.message : String(error)}`, {
      image: image.name,
      path: view.dir,
    });
  }
}

/** Where a non-referrer image is served: its targets, else its source path and tag. */
function placementsOf(view: VerifiedBundle, image: BundleImageRef): Placement[] {
  const source = sourceOf(view, image);
  const tagged = (repository: string, tag: string | undefined): Placement => (tag !== undefined ? { repository, tag } : { repository });
  if (image.targets?.length) {
    return image.targets.map((target) => {
      if (target.path !== '') return tagged(target.path, target.tag);
      if (source) return tagged(source.repository, target.tag);
      throw new FerryError(
        'INVALID_ARGUMENT',
        `${view.dir}: local artifact "${image.name}" belongs at the registry path a cluster is configured with, which a served bundle does not have: import it into a store with a path instead (ferry import ${view.dir} --to-store DIR --to HOST:PORT/PATH)`,
        { image: image.name, path: view.dir },
      );
    });
  }
  if (!source) throw new FerryError('BUNDLE_INVALID', `${view.dir}: local artifact "${image.name}" names no target`, { image: image.name, path: view.dir });
  return [tagged(source.repository, source.tag)];
}

/** Adds one image's graph (manifests and blobs, from the verified view) to a repository. */
function addGraph(view: VerifiedBundle, repository: ServedRepository, root: string, image: string): void {
  const queue = [root];
  for (let next = 0; next < queue.length; next += 1) {
    const digest = queue[next] as string;
    if (repository.manifests.has(digest) && next > 0) continue;
    const manifest = view.manifests.get(digest);
    if (!manifest) throw new FerryError('BUNDLE_INVALID', `${view.dir}: image ${image}: manifest ${digest} is not among the verified manifests`, { digest, image, path: view.dir });
    repository.manifests.add(digest);
    for (const { role, descriptor } of manifest.children) {
      if (role === 'manifest') {
        if (!repository.manifests.has(descriptor.digest)) queue.push(descriptor.digest);
      } else {
        repository.blobs.add(descriptor.digest);
      }
    }
  }
}

/**
 * The served repositories of a verified bundle, by name. Refuses a bundle in
 * which two images set one repository:tag to different manifests (naming
 * both), and a referrer whose subject the bundle does not carry.
 */
export function servedRepositories(view: VerifiedBundle): Map<string, ServedRepository> {
  const repositories = new Map<string, ServedRepository>();
  const tagOwners = new Map<string, BundleImageRef>();
  const conflicts: string[] = [];
  const place = (image: BundleImageRef, placement: Placement): void => {
    let repository = repositories.get(placement.repository);
    if (!repository) {
      repository = { tags: new Map(), manifests: new Set(), blobs: new Set() };
      repositories.set(placement.repository, repository);
    }
    addGraph(view, repository, image.digest, image.name);
    if (placement.tag === undefined) return;
    const key = `${placement.repository}:${placement.tag}`;
    const earlier = tagOwners.get(key);
    if (earlier && earlier.digest !== image.digest) conflicts.push(`${earlier.source} (${earlier.digest}) and ${image.source} (${image.digest}) would both be ${key}`);
    tagOwners.set(key, image);
    repository.tags.set(placement.tag, image.digest);
  };
  const landed = new Map<string, Set<string>>();
  for (const image of view.images) {
    if (image.referrer !== undefined) continue;
    for (const placement of placementsOf(view, image)) {
      place(image, placement);
      landed.set(image.digest, (landed.get(image.digest) ?? new Set()).add(placement.repository));
    }
  }
  // Referrers after every subject: they follow it wherever it was placed.
  for (const image of view.images) {
    if (image.referrer === undefined) continue;
    const subjects = landed.get(image.referrer.subject);
    if (!subjects)
      throw new FerryError('BUNDLE_INVALID', `${view.dir}: referrer ${image.name} belongs to ${image.referrer.subject}, which the bundle does not carry`, { image: image.name, path: view.dir });
    const { tag } = parseSource(view, image);
    for (const repository of subjects) place(image, tag !== undefined ? { repository, tag } : { repository });
  }
  if (conflicts.length > 0) {
    throw new FerryError(
      'INVALID_ARGUMENT',
      `${view.dir} cannot be served as it is: two images would set one tag:\n  ${conflicts.join('\n  ')}\n(import it into a store instead: ferry import ${view.dir} --to-store DIR --keep-registry-host)`,
      { conflicts, path: view.dir },
    );
  }
  return repositories;
}
