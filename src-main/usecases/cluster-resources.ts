/**
 * Builds the OpenShift cluster resources' input (mirror-config/openshift-resources.ts,
 * shared interface 4) from where a job landed its images: an import from its
 * verified bundle, `ferry copy --set` from its plan. Catalog images
 * (section `openshift.catalog`) become CatalogSource/ClusterCatalog by digest,
 * the graph data image (`openshift.graph`) with the release images' mirror
 * repository an UpdateService, and the release signatures the bundle carries
 * (`openshift.signatures`) the signature ConfigMaps.
 */
import { readFile, stat } from 'node:fs/promises';
import { FerryError } from '../../src-shared/errors.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import type { ClusterResourcesInput } from '../mirror-config/openshift-resources.ts';
import { sha256Digest } from '../oci/digest.ts';
import { TITLE_ANNOTATION, type LocalArtifactGraph } from '../oci/local-artifact.ts';
import { CATALOG_SECTION, GRAPH_SECTION, RELEASE_SIGNATURE_MEDIA_TYPE, RELEASE_SIGNATURES_ARTIFACT_TYPE, RELEASE_SIGNATURES_SECTION } from '../oci/openshift-artifacts.ts';
import { parseReference, repositoryName } from '../oci/reference.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { RELEASE_IMAGES_PATH, RELEASE_SECTION } from '../sources/openshift-release.ts';
import { isReleaseSignatureKey, readReleaseSignatures, SIGNATURE_MAX_BYTES, type CarriedSignature } from '../transfer/release-signatures.ts';

/** One image as a job landed it in the mirror: the plain data the cluster resources are built from. */
export interface LandedImage {
  /** The image set section that brought it (shared interface 2); undefined for images from lists. */
  section: string | undefined;
  /** Its source reference as the plan records it (catalogs are pinned by digest there). */
  source: string;
  /** Where it landed, `host/repository[:tag]@digest`, as an import summary or a copy plan spells it. */
  destination: string;
}

/** A landed image's destination split into the mirror repository, its tag and its digest; a destination without a digest is no pinned image. */
function landed(image: LandedImage): { repository: string; tag: string | undefined; digest: string } | undefined {
  const destination = parseReference(image.destination);
  if (destination.digest === undefined) return undefined;
  return { repository: repositoryName(destination), tag: destination.tag, digest: destination.digest };
}

/**
 * Builds the input from plain data, for a job that has no bundle (`ferry copy
 * --set`) as well as for an import. A catalog's `source` is given back as the
 * image set named it (its repository with the tag it landed under), so its
 * objects are named after the tag as oc-mirror names them. The UpdateService
 * needs both the graph data image and a release image; the first of each wins.
 */
export function clusterResourcesFrom(images: readonly LandedImage[], signatures: readonly CarriedSignature[]): ClusterResourcesInput {
  const catalogs: ClusterResourcesInput['catalogs'] = [];
  let graphImage: string | undefined;
  let releases: string | undefined;
  for (const image of images) {
    const place = landed(image);
    if (place === undefined) continue;
    if (image.section === CATALOG_SECTION) {
      const source = place.tag === undefined ? image.source : `${repositoryName(parseReference(image.source))}:${place.tag}`;
      catalogs.push({ source, image: `${place.repository}@${place.digest}` });
    } else if (image.section === GRAPH_SECTION) {
      graphImage ??= `${place.repository}@${place.digest}`;
    } else if (image.section === RELEASE_SECTION && place.repository.endsWith(`/${RELEASE_IMAGES_PATH}`)) {
      releases ??= place.repository;
    }
  }
  const input: ClusterResourcesInput = { catalogs, signatures: uniqueSignatures(signatures) };
  if (graphImage !== undefined && releases !== undefined) input.updateService = { graphImage, releases };
  return input;
}

/** One signature per key and bytes: a release carried twice gives the same signatures twice. */
function uniqueSignatures(signatures: readonly CarriedSignature[]): CarriedSignature[] {
  const seen = new Map<string, CarriedSignature[]>();
  const out: CarriedSignature[] = [];
  for (const signature of signatures) {
    const same = seen.get(signature.key) ?? [];
    if (same.some((other) => other.bytes.equals(signature.bytes))) continue;
    same.push(signature);
    seen.set(signature.key, same);
    out.push(signature);
  }
  return out;
}

/**
 * Builds the input of an import (or of its rendered preview) from the verified
 * bundle and where its images landed (`placed`: name and destination, from the
 * import summary or plan). Signature layers are read from the media, checked
 * against their digests; with `site`, a layer an incremental bundle leaves out
 * is read from the site's registry instead.
 */
export async function clusterResourcesOfBundle(
  view: VerifiedBundle,
  placed: ReadonlyArray<{ name: string; destination: string }>,
  site?: RegistryClient,
  signal?: AbortSignal,
): Promise<ClusterResourcesInput> {
  const sections = new Map(view.images.map((image) => [image.name, image]));
  const images = placed.flatMap((image): LandedImage[] => {
    const ref = sections.get(image.name);
    return ref ? [{ section: ref.section, source: ref.source, destination: image.destination }] : [];
  });
  const repositoryOf = (name: string): string | undefined => {
    const first = placed.find((image) => image.name === name);
    return first ? parseReference(first.destination).repository : undefined;
  };
  const signatures = await readReleaseSignatures(view, site ? { client: site, repositoryOf: (image) => repositoryOf(image.name) } : undefined, signal);
  return clusterResourcesFrom(images, signatures);
}

/**
 * The release signatures of a copy's signature artifacts (section
 * `openshift.signatures`), read from the files the resolver wrote on this
 * side: for `ferry copy --set`, which has no bundle. Each graph is the one
 * the copy planned and pushed (transfer/copy.ts `onArtifactsPlanned`), so
 * every file is read once and its bytes checked against its layer's planned
 * digest, the blob the registry now holds: a file changed since is refused
 * (DIGEST_MISMATCH) rather than written into a ConfigMap the mirror does not
 * back. Each layer must carry the signature media type and a
 * `sha256-<hex>-<n>` title; a file bigger than a signature is refused before
 * it is read.
 */
export async function signaturesOfArtifacts(graphs: readonly LocalArtifactGraph[]): Promise<CarriedSignature[]> {
  const signatures: CarriedSignature[] = [];
  for (const { artifact, root } of graphs.filter((candidate) => candidate.artifact.section === RELEASE_SIGNATURES_SECTION)) {
    const refuse = (why: string): FerryError => new FerryError('INVALID_CONTENT', `release signatures ${artifact.source}: ${why}`, { source: artifact.source });
    if (artifact.artifactType !== RELEASE_SIGNATURES_ARTIFACT_TYPE) throw refuse(`its artifactType is ${artifact.artifactType}, not ${RELEASE_SIGNATURES_ARTIFACT_TYPE}`);
    // The planned layers by title (titles are unique within an artifact; identical files share one digest).
    const planned = new Map(root.blobs.flatMap((blob) => (blob.annotations?.[TITLE_ANNOTATION] !== undefined ? [[blob.annotations[TITLE_ANNOTATION], blob.digest] as const] : [])));
    for (const layer of artifact.layers) {
      if (layer.mediaType !== RELEASE_SIGNATURE_MEDIA_TYPE || !isReleaseSignatureKey(layer.title))
        throw refuse(`layer ${layer.title} is not a ${RELEASE_SIGNATURE_MEDIA_TYPE} titled sha256-<hex>-<n>`);
      const { size } = await stat(layer.file);
      if (size > SIGNATURE_MAX_BYTES) throw refuse(`${layer.file} holds ${size} bytes, more than a release signature (${SIGNATURE_MAX_BYTES})`);
      const bytes = await readFile(layer.file);
      const expected = planned.get(layer.title);
      const actual = sha256Digest(bytes);
      if (expected !== actual)
        throw new FerryError(
          'DIGEST_MISMATCH',
          `release signatures ${artifact.source}: ${layer.file} (${layer.title}) now hashes to ${actual}, not the ${expected ?? 'no'} digest pushed for it: it changed after the copy planned it; run the copy again`,
          { source: artifact.source, path: layer.file, expected: expected ?? null, actual },
        );
      signatures.push({ key: layer.title, bytes, release: artifact.target.tag });
    }
  }
  return signatures;
}
