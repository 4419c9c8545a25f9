/**
 * Reads files out of an image's layers without extracting anything to disk:
 * the generic reader is oci/image-files.ts (layers streamed and verified,
 * whiteouts honoured); this picks the image of a registry reference.
 * Release channels, OpenShift release payloads and file-based operator
 * catalogs are all read this way.
 */
import { z } from 'zod';
import type { Reference } from '../../src-shared/model/oci.ts';
import { parseJsonDocument, type JsonDocumentKind } from '../../src-shared/schemas/document.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { ImageLayers, sourceLayerReader } from '../oci/image-files.ts';
import type { FileCapture } from '../oci/layer-scan.ts';
import { formatReference, manifestIdentifier } from '../oci/reference.ts';
import { IMAGE_CONFIG_LIMIT } from '../oci/built-image.ts';
import { readBlobToBuffer } from '../oci/registry/blobs.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { getManifest, type ImageManifest } from '../oci/registry/manifests.ts';
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

/**
 * The image manifest a reference names: for a multi-platform image the
 * `platform` (default linux/amd64) picks it, else the index's first. The one
 * platform pick behind an image's files and its labels, so both come from
 * the same image.
 */
async function platformManifest(
  registries: Registries,
  reference: Reference,
  options: { platform?: string; signal?: AbortSignal },
): Promise<{ client: RegistryClient; manifest: ImageManifest; subject: string }> {
  const client = await registries.client(reference.registry);
  const subject = formatReference(reference);
  const signal = options.signal ? { signal: options.signal } : {};
  let manifest = await getManifest(client, reference.repository, manifestIdentifier(reference), signal);
  if (manifest.kind === 'index') {
    const wanted = parsePlatform(options.platform ?? 'linux/amd64');
    const entry = manifest.index.manifests.find((d) => platformMatches(d.platform, wanted)) ?? manifest.index.manifests[0];
    if (!entry) throw new FerryError('PLATFORM_NOT_FOUND', `${subject}: the index lists no manifests`);
    manifest = await getManifest(client, reference.repository, entry.digest, signal);
  }
  if (manifest.kind !== 'image') throw new FerryError('INVALID_MANIFEST', `${subject}: nested indexes are not supported here`);
  return { client, manifest: manifest.manifest, subject };
}

/** The layers of the image a reference names; for a multi-platform image the `platform` (default linux/amd64) picks the manifest. */
async function imageLayersOf(registries: Registries, reference: Reference, options: { platform?: string; signal?: AbortSignal }): Promise<ImageLayers> {
  const { client, manifest, subject } = await platformManifest(registries, reference, options);
  return new ImageLayers(manifest.layers, sourceLayerReader(new RepositoryBlobs(client, reference.repository)), subject);
}

/** The parts of an image config read for its labels; every other field is left as it is. */
const LabelledConfigSchema = z.object({
  config: z
    .object({ Labels: z.record(z.string(), z.string()).nullable().optional() })
    .nullable()
    .optional(),
});

const LABELLED_CONFIG_DOCUMENT: JsonDocumentKind<typeof LabelledConfigSchema> = {
  schema: LabelledConfigSchema,
  name: 'the OCI image config schema',
  maxBytes: IMAGE_CONFIG_LIMIT,
  code: 'INVALID_MANIFEST',
};

/**
 * The labels of the image a reference names (of the manifest the `platform`
 * picks, as for its files): the config's size is checked against the config
 * limit before a byte is read, and the config is read strictly.
 */
export async function readImageLabels(registries: Registries, reference: Reference, options: { platform?: string; signal?: AbortSignal } = {}): Promise<Record<string, string>> {
  const { client, manifest, subject } = await platformManifest(registries, reference, options);
  const { config } = manifest;
  if (config.size > IMAGE_CONFIG_LIMIT)
    throw new FerryError('INVALID_MANIFEST', `${subject}: the image config ${config.digest} is ${config.size} bytes, more than the ${IMAGE_CONFIG_LIMIT} an image config may take`, {
      digest: config.digest,
      limit: IMAGE_CONFIG_LIMIT,
    });
  const bytes = await readBlobToBuffer(client, reference.repository, config, options.signal);
  return parseJsonDocument(bytes, LABELLED_CONFIG_DOCUMENT, `${subject}: config ${config.digest}`).config?.Labels ?? {};
}

/**
 * The files of an image `want` accepts (as readImageFiles picks them), each
 * handed to `take` as soon as it is read and its bytes dropped; what `take`
 * makes of each is returned once its layer matched its digest.
 */
export async function foldImageFiles<T>(
  registries: Registries,
  reference: Reference,
  want: (path: string) => boolean,
  take: (path: string, bytes: Buffer) => T,
  options: { platform?: string; signal?: AbortSignal } = {},
): Promise<Map<string, T>> {
  const layers = await imageLayersOf(registries, reference, options);
  return layers.foldMatching(want, FILE_LIMIT, take, options.signal);
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
