/**
 * Reads files out of an image's layers without extracting anything to disk:
 * each layer streams from the registry (verified), is gunzipped on the fly and
 * walked with tar-stream until the wanted paths are found. Release channels,
 * OpenShift release payloads and file-based operator catalogs are all read this way.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference, manifestIdentifier } from '../oci/reference.ts';
import { readBlob } from '../oci/registry/blobs.ts';
import { getManifest } from '../oci/registry/manifests.ts';
import type { Registries } from '../oci/registry/registries.ts';
import { parsePlatform, platformMatches } from '../oci/platform.ts';

/** A file found in an image is read into memory only up to this size (version.json, image-references, catalog.json). */
const FILE_LIMIT = 64 * 1024 * 1024;

/** Normalises a tar entry name for comparison: no leading `./` or `/`. */
function clean(name: string): string {
  return name.replace(/^\.?\/+/, '');
}

/**
 * Returns the files of an image whose paths `want` accepts, read from the
 * layers top-down (an upper layer's copy wins). For a multi-platform image the
 * `platform` (default linux/amd64) picks the manifest.
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
  const found = new Map<string, Buffer>();
  for (const layer of [...manifest.manifest.layers].reverse()) {
    const gzipped = layer.mediaType.includes('gzip') || layer.mediaType.endsWith('.tar.gz');
    const plain = Readable.from(readBlob(client, reference.repository, layer, options.signal ? { signal: options.signal } : {}));
    const tar = gzipped ? plain.pipe(createGunzip()) : plain;
    const extract = tarStream.extract();
    tar.on('error', (error) => extract.destroy(error));
    tar.pipe(extract);
    for await (const entry of extract) {
      const path = clean(entry.header.name);
      if (entry.header.type === 'file' && want(path) && !found.has(path)) {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of entry) {
          size += (chunk as Buffer).length;
          if (size > FILE_LIMIT) throw new FerryError('INVALID_MANIFEST', `${subject}: ${path} is larger than ${FILE_LIMIT} bytes`);
          chunks.push(chunk as Buffer);
        }
        found.set(path, Buffer.concat(chunks));
      } else {
        for await (const _chunk of entry) {
          /* skip */
        }
      }
    }
  }
  return found;
}

/** Reads one file from an image; a missing file is an error naming the image and the path. */
export async function readImageFile(registries: Registries, reference: Reference, path: string, options: { platform?: string; signal?: AbortSignal } = {}): Promise<Buffer> {
  const files = await readImageFiles(registries, reference, (p) => p === clean(path), options);
  const file = files.get(clean(path));
  if (!file) throw new FerryError('NOT_FOUND', `${formatReference(reference)} has no file ${clean(path)}`, { reference: formatReference(reference), path });
  return file;
}
