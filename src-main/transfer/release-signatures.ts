/**
 * The OpenShift release signatures a verified bundle carries
 * (oci/openshift-artifacts.ts): one artifact per release, each layer one
 * signature whose `org.opencontainers.image.title` is its ConfigMap key
 * `sha256-<hex>-<n>`. Layer bytes are read from the media through extract's
 * verified layer reader (checked against their digests as they stream); a
 * layer an incremental bundle leaves out is read from the site's registry,
 * where the import found it, and checked against its digest the same way.
 */
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import type { BundleImageRef, VerifiedBundle } from '../bundle/bundle-view.ts';
import { TITLE_ANNOTATION } from '../oci/local-artifact.ts';
import { RELEASE_SIGNATURE_KEY, RELEASE_SIGNATURE_MEDIA_TYPE, RELEASE_SIGNATURES_ARTIFACT_TYPE, RELEASE_SIGNATURES_PATH, RELEASE_SIGNATURES_SECTION } from '../oci/openshift-artifacts.ts';
import { readBlobToBuffer } from '../oci/registry/blobs.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { forEachVerifiedLayer } from './extract.ts';

/** One release signature as the cluster resources take it (shared interface 4). */
export interface CarriedSignature {
  /** The ConfigMap binaryData key, `sha256-<hex of the release digest>-<n>`. */
  key: string;
  bytes: Buffer;
  /** The release's `<version>-<arch>`, the artifact's tag. */
  release: string;
}

/** Where the site's registry holds what an incremental bundle left out: the client and the repository (below its host) each artifact landed in. */
export interface SignatureSite {
  client: RegistryClient;
  repositoryOf: (image: BundleImageRef) => string | undefined;
}

/** A release signature is an armored or binary OpenPGP message of about a kilobyte; anything near a ConfigMap's 1 MiB is not one. */
export const SIGNATURE_MAX_BYTES = 256 * 1024;

/** Whether a layer title is a signature's ConfigMap key `sha256-<hex>-<n>`; the bundle reader and `ferry copy --set` check titles alike. */
export function isReleaseSignatureKey(title: string | undefined): title is string {
  return title !== undefined && RELEASE_SIGNATURE_KEY.test(title);
}

function broken(view: VerifiedBundle, image: BundleImageRef, why: string, details: Record<string, unknown> = {}): FerryError {
  return new FerryError('BUNDLE_INVALID', `${view.dir}: release signatures ${image.name}: ${why}`, { image: image.name, ...details });
}

/** The signature layers of one artifact, each checked for its media type, its title and its size before a byte is read. */
function signatureLayers(view: VerifiedBundle, image: BundleImageRef): Array<{ layer: Descriptor; key: string; release: string }> {
  if (image.artifactType !== RELEASE_SIGNATURES_ARTIFACT_TYPE) throw broken(view, image, `its artifactType is ${image.artifactType ?? 'missing'}, not ${RELEASE_SIGNATURES_ARTIFACT_TYPE}`);
  const release = (image.targets?.find((target) => target.path === RELEASE_SIGNATURES_PATH) ?? image.targets?.[0])?.tag;
  if (release === undefined) throw broken(view, image, 'it names no release (<version>-<arch> tag)');
  const manifest = view.manifests.get(image.digest);
  if (!manifest) throw broken(view, image, `manifest ${image.digest} is not among the verified manifests`);
  return manifest.children
    .filter((child) => child.role === 'layer')
    .map(({ descriptor: layer }) => {
      const key = layer.annotations?.[TITLE_ANNOTATION];
      if (layer.mediaType !== RELEASE_SIGNATURE_MEDIA_TYPE) throw broken(view, image, `layer ${layer.digest} is ${layer.mediaType}, not ${RELEASE_SIGNATURE_MEDIA_TYPE}`, { digest: layer.digest });
      if (!isReleaseSignatureKey(key)) throw broken(view, image, `layer ${layer.digest} is not titled sha256-<hex>-<n>`, { digest: layer.digest });
      if (layer.size > SIGNATURE_MAX_BYTES) throw broken(view, image, `layer ${key} holds ${layer.size} bytes, more than a release signature (${SIGNATURE_MAX_BYTES})`, { digest: layer.digest });
      return { layer, key, release };
    });
}

/**
 * Reads every release signature a verified bundle carries, in the bundle's
 * order. A layer an incremental bundle leaves out comes from the site's
 * registry; without `site` (the app's preview of the files) it is left out.
 */
export async function readReleaseSignatures(view: VerifiedBundle, site?: SignatureSite, signal?: AbortSignal): Promise<CarriedSignature[]> {
  const planned = view.images.filter((image) => image.section === RELEASE_SIGNATURES_SECTION).map((image) => ({ image, layers: signatureLayers(view, image) }));
  if (planned.length === 0) return [];
  const omitted = new Set((view.manifest?.omitted ?? []).map((blob) => blob.digest));
  const bytes = new Map<string, Buffer>();
  const fromMedia = planned.flatMap(({ layers }) => layers.map(({ layer }) => layer)).filter((layer) => !omitted.has(layer.digest));
  await forEachVerifiedLayer(
    view,
    fromMedia,
    async (layer, stream) => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      bytes.set(layer.digest, Buffer.concat(chunks));
    },
    signal,
  );
  const signatures: CarriedSignature[] = [];
  for (const { image, layers } of planned) {
    for (const { layer, key, release } of layers) {
      let content = bytes.get(layer.digest);
      if (content === undefined && omitted.has(layer.digest)) {
        if (site === undefined) continue;
        const repository = site.repositoryOf(image);
        if (repository === undefined) throw broken(view, image, `layer ${key} is left out of the bundle and the artifact lands nowhere to read it from`);
        content = await readBlobToBuffer(site.client, repository, layer, signal);
        bytes.set(layer.digest, content);
      }
      if (content === undefined) throw broken(view, image, `layer ${key} was not read`, { digest: layer.digest });
      signatures.push({ key, bytes: content, release });
    }
  }
  return signatures;
}
