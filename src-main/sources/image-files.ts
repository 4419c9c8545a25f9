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
  const layers = new ImageLayers(manifest.manifest.layers, sourceLayerReader(new RepositoryBlobs(client, reference.repository)), subject);
  return layers.readMatching(want, FILE_LIMIT, options.signal);
}

/** Reads one file from an image; a missing file is an error naming the image and the path. */
export async function readImageFile(registries: Registries, reference: Reference, path: string, options: { platform?: string; signal?: AbortSignal } = {}): Promise<Buffer> {
  const files = await readImageFiles(registries, reference, (p) => p === clean(path), options);
  const file = files.get(clean(path));
  if (!file) throw new FerryError('NOT_FOUND', `${formatReference(reference)} has no file ${clean(path)}`, { reference: formatReference(reference), path });
  return file;
}
