/**
 * After an import pushed its referrers by digest: on a registry without the
 * referrers API, a manifest's `subject` is not enough for `cosign` or `oras
 * discover` to find it there, so the referrers tag-schema index at tag
 * `sha256-<hex>` is written or updated, merged with what the tag already
 * lists (distribution-spec "Pushing manifests with subject"). A registry with
 * the API indexes the subject itself, and nothing more is written.
 */
import type { Descriptor } from '../../src-shared/model/oci.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { parseManifest } from '../oci/registry/manifests.ts';
import { addToReferrersFallback, queryReferrersApi, readReferrersFallbackForUpdate } from '../oci/registry/referrers.ts';
import type { ImportImage } from './import-plan.ts';

/** The descriptor a referrers list gives a manifest: its artifact type (else its config's media type) and annotations, as the spec asks. */
function referrerDescriptor(image: ImportImage, bytes: Buffer): Descriptor {
  const parsed = parseManifest(bytes, image.mediaType, image.digest, image.name);
  const fields = parsed.kind === 'image' ? parsed.manifest : parsed.index;
  const artifactType = fields.artifactType ?? (parsed.kind === 'image' ? parsed.manifest.config.mediaType : undefined);
  return {
    mediaType: image.mediaType,
    digest: image.digest,
    size: bytes.length,
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(fields.annotations !== undefined ? { annotations: fields.annotations } : {}),
  };
}

/** The referrers with a `subject` among the plan's images, grouped by the repository and subject whose fallback index lists them. */
function fallbackGroups(view: VerifiedBundle, images: readonly ImportImage[]): Array<{ repository: string; subject: string; descriptors: Descriptor[] }> {
  const groups = new Map<string, { repository: string; subject: string; descriptors: Descriptor[] }>();
  for (const image of images) {
    if (image.referrer === undefined) continue;
    const manifest = view.manifests.get(image.digest);
    const subject = manifest?.subject?.digest;
    if (!manifest || subject === undefined) continue;
    const key = `${image.destination.repository}@${subject}`;
    const group = groups.get(key) ?? { repository: image.destination.repository, subject, descriptors: [] };
    if (!group.descriptors.some((d) => d.digest === image.digest)) group.descriptors.push(referrerDescriptor(image, manifest.bytes));
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Before the first write: refuses the import when a fallback tag `sha256-<hex>` that
 * indexReferrersWithoutApi would update holds something other than an OCI index, so
 * the site's tag is never replaced and nothing is pushed for an import that would fail at the end.
 */
export async function checkReferrersFallbackTags(view: VerifiedBundle, images: readonly ImportImage[], client: RegistryClient, signal?: AbortSignal): Promise<void> {
  for (const { repository, subject } of fallbackGroups(view, images)) {
    if ((await queryReferrersApi(client, repository, subject, signal ? { signal } : {})) !== undefined) continue;
    await readReferrersFallbackForUpdate(client, repository, subject, signal);
  }
}

/**
 * Writes the fallback referrers index for every subject whose repository's registry has no
 * referrers API; returns how many tags it wrote. Only manifests that name a `subject` go in:
 * cosign's tag-attached signatures are found by their own tags. A tag holding anything but an
 * OCI index is refused, never replaced (checkReferrersFallbackTags says so before any push).
 */
export async function indexReferrersWithoutApi(view: VerifiedBundle, images: readonly ImportImage[], client: RegistryClient, signal?: AbortSignal): Promise<number> {
  let written = 0;
  // One subject at a time: each update reads the tag and writes it back, and two at once would lose one's additions.
  for (const { repository, subject, descriptors } of fallbackGroups(view, images)) {
    if ((await queryReferrersApi(client, repository, subject, signal ? { signal } : {})) !== undefined) continue;
    if ((await addToReferrersFallback(client, repository, subject, descriptors, signal)) > 0) written += 1;
  }
  return written;
}
