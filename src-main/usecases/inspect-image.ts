/**
 * The inspect use case for an image in a registry: what it is before you
 * carry it — digest, media type, platforms, layers and size — like `skopeo
 * inspect`, or the manifest's exact bytes.
 */
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { manifestsInPushOrder, resolveImageGraph } from '../oci/image-graph.ts';
import { ALL_PLATFORMS, formatPlatform, parsePlatform } from '../oci/platform.ts';
import { formatReference, manifestIdentifier, parseReference } from '../oci/reference.ts';
import { getManifest } from '../oci/registry/manifests.ts';
import { Registries } from '../oci/registry/registries.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';

/** One platform's image (or the single image) of an inspected reference. */
export interface InspectedManifest {
  digest: string;
  mediaType: string;
  platform: string | undefined;
  config: Descriptor | undefined;
  layers: Descriptor[];
  size: number;
}

/** What `inspectImage` answers. */
export interface ImageInspection {
  reference: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  totalSize: number;
  manifests: InspectedManifest[];
}

/** Resolves a reference's manifest graph (only the `platforms` asked for, if any) and describes it. */
export async function inspectImage(ref: string, settings: RegistrySettings, platforms: string[] = []): Promise<ImageInspection> {
  const reference = parseReference(ref);
  const selection = platforms.length > 0 ? { kind: 'some' as const, platforms: platforms.map(parsePlatform) } : ALL_PLATFORMS;
  const registries = new Registries(registryAccessFor(settings, [reference.registry]));
  try {
    const graph = await resolveImageGraph(await registries.client(reference.registry), reference, selection);
    const manifests = manifestsInPushOrder(graph.root)
      .filter((node) => node.children.length === 0)
      .map((node) => ({
        digest: node.digest,
        mediaType: node.mediaType,
        platform: node.platform ? formatPlatform(node.platform) : undefined,
        config: node.blobs[0],
        layers: node.blobs.slice(1),
        size: node.bytes.length + node.blobs.reduce((sum, blob) => sum + blob.size, 0),
      }));
    return {
      reference: formatReference(reference),
      digest: graph.root.digest,
      mediaType: graph.root.mediaType,
      platforms: graph.platforms.map(formatPlatform),
      totalSize: graph.totalSize,
      manifests,
    };
  } finally {
    await registries.close();
  }
}

/** The manifest of a reference exactly as the registry serves it. */
export async function rawManifest(ref: string, settings: RegistrySettings): Promise<Uint8Array> {
  const reference = parseReference(ref);
  const registries = new Registries(registryAccessFor(settings, [reference.registry]));
  try {
    const manifest = await getManifest(await registries.client(reference.registry), reference.repository, manifestIdentifier(reference));
    return manifest.bytes;
  } finally {
    await registries.close();
  }
}
