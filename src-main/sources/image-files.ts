/**
 * Reads files out of an image's layers without extracting anything to disk:
 * the generic reader is oci/image-files.ts (layers streamed and verified,
 * whiteouts honoured); this picks the image of a registry reference.
 * Release channels, OpenShift release payloads and file-based operator
 * catalogs are all read this way.
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { ImageLayers, sourceLayerReader } from '../oci/image-files.ts';
import type { FileCapture } from '../oci/layer-scan.ts';
import { formatReference, manifestIdentifier } from '../oci/reference.ts';
import { getManifest } from '../oci/registry/manifests.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { RepositoryBlobs } from '../oci/registry/repository-blobs.ts';
import { parsePlatform, platformMatches } from '../oci/platform.ts';

/** A file found in an image is read into memory only up to this size (version.json, image-references, catalog.json). */
const FILE_LIMIT = 64 * 1024 * 1024;

/** Normalises a tar entry name for comparison: no leading `./` or `/`. */
function clean(name: string): string {
  return name.replace(/^\.?\/+/, '');
}

/**
 * Returns the files of an image whose paths `want` accepts, each from the
 * highest layer that holds it and not deleted by a layer above. For a
 * multi-platform image the `platform` (default linux/amd64) picks the manifest.
 */
export async function readImageFiles(
  registries: Registries,
  reference: Reference,
  want: (path: string) => boolean,
  options: { platform?: string; signal?: AbortSignal } = {},
): Promise<Map<string, Buffer>> {
  const layers = await imageLayersOf(registries, reference, options);
  return layers.readMatching(want, FILE_LIMIT, options.signal);
}

/** The layers of the image a reference names; for a multi-platform image the `platform` (default linux/amd64) picks the manifest. */
async function imageLayersOf(registries: Registries, reference: Reference, options: { platform?: string; signal?: AbortSignal }): Promise<ImageLayers> {
  const client = await registries.client(reference.registry);
  const subject = formatReference(reference);
  let manifest = await getManifest(client, reference.repository, manifestIdentifier(reference), { ...(options.signal ? { signal: options.signal } : {}) });
  if (manifest.kind === 'index') {
    const wanted = parsePlatform(options.platform ?? 'linux/amd64');
    const entry = manifest.index.manifests.find((d) => platformMatches(d.platform, wanted)) ?? manifest.index.manifests[0];
    if (!entry) throw new FerryError('PLATFORM_NOT_FOUND', `${subject}: the index lists no manifests`);
    manifest = await getManifest(client, reference.repository, entry.digest, { ...(options.signal ? { signal: options.signal } : {}) });
  }
  if (manifest.kind !== 'image') throw new FerryError('INVALID_MANIFEST', `${subject}: nested indexes are not supported here`);
  return new ImageLayers(manifest.manifest.layers, sourceLayerReader(new RepositoryBlobs(client, reference.repository)), subject);
}

/** Reads one file from an image; a missing file is an error naming the image and the path. */
export async function readImageFile(registries: Registries, reference: Reference, path: string, options: { platform?: string; signal?: AbortSignal } = {}): Promise<Buffer> {
  const files = await readImageFiles(registries, reference, (p) => p === clean(path), options);
  const file = files.get(clean(path));
  if (!file) throw new FerryError('NOT_FOUND', `${formatReference(reference)} has no file ${clean(path)}`, { reference: formatReference(reference), path });
  return file;
}

/**
 * Streams one file of an image to `capture` without holding it in memory (an
 * operator index database can be hundreds of megabytes). The bytes are only
 * trustworthy once this returns: the layer they came from has then matched its
 * digest to its last byte. Links inside the image are followed.
 */
export async function streamImageFile(
  registries: Registries,
  reference: Reference,
  path: string,
  capture: FileCapture,
  options: { platform?: string; signal?: AbortSignal } = {},
): Promise<{ path: string; size: number }> {
  const layers = await imageLayersOf(registries, reference, options);
  return layers.readFile(path, capture, options.signal);
}
