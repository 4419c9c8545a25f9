/**
 * `ferry inspect REF`: what an image is before you carry it — digest, media
 * type, platforms, layers and size — like `skopeo inspect`, or the exact bytes
 * with `--raw`.
 */
import { ALL_PLATFORMS, formatPlatform, parsePlatform } from '../../oci/platform.ts';
import { formatReference, manifestIdentifier, parseReference } from '../../oci/reference.ts';
import { getManifest } from '../../oci/registry/manifests.ts';
import { Registries } from '../../oci/registry/registries.ts';
import { manifestsInPushOrder, resolveImageGraph } from '../../oci/image-graph.ts';
import { FerryError } from '../../../src-shared/errors.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { registryAccess, registryFlags } from '../registry-flags.ts';

/** The flags and help of `ferry inspect`. */
export const inspectSpec: CommandSpec = {
  name: 'inspect',
  usage: 'ferry inspect REF [--raw] [--json] [--platform OS/ARCH]',
  summary: 'Show the digest, media type, platforms, layers and total size of an image in a registry.',
  flags: {
    raw: { type: 'boolean', description: 'print the manifest exactly as the registry serves it' },
    json: { type: 'boolean', description: 'print one JSON object on stdout' },
    platform: { type: 'string', multiple: true, value: 'OS/ARCH', description: 'show only this platform of a multi-platform image' },
    ...registryFlags(''),
  },
  examples: ['ferry inspect docker.io/library/nginx:1.27', 'ferry inspect --plain-http 127.0.0.1:5000/app:v1 --json'],
};

/** Runs `ferry inspect`; returns the exit code. */
export async function runInspect(args: ParsedArgs, { out }: CommandIo): Promise<number> {
  const [ref, ...extra] = args.positionals;
  if (ref === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give exactly one image reference (see ferry inspect --help)');
  const reference = parseReference(ref);
  const registries = new Registries(registryAccess(args.values, '', [reference.registry]));
  try {
    const client = await registries.client(reference.registry);
    if (args.values.raw === true) {
      const manifest = await getManifest(client, reference.repository, manifestIdentifier(reference));
      out.write(manifest.bytes);
      return 0;
    }
    const wanted = args.values.platform;
    const selection = Array.isArray(wanted) && wanted.length > 0 ? { kind: 'some' as const, platforms: wanted.map((p) => parsePlatform(String(p))) } : ALL_PLATFORMS;
    const graph = await resolveImageGraph(client, reference, selection);
    const images = manifestsInPushOrder(graph.root).filter((node) => node.children.length === 0).map((node) => ({
      digest: node.digest,
      mediaType: node.mediaType,
      platform: node.platform ? formatPlatform(node.platform) : undefined,
      config: node.blobs[0],
      layers: node.blobs.slice(1),
      size: node.bytes.length + node.blobs.reduce((sum, blob) => sum + blob.size, 0),
    }));
    const report = {
      reference: formatReference(reference),
      digest: graph.root.digest,
      mediaType: graph.root.mediaType,
      platforms: graph.platforms.map(formatPlatform),
      totalSize: graph.totalSize,
      manifests: images,
    };
    if (args.values.json === true) {
      out.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `Name:       ${report.reference}`,
      `Digest:     ${report.digest}`,
      `Media type: ${report.mediaType}`,
      `Platforms:  ${report.platforms.join(', ') || '(single image)'}`,
      `Total size: ${formatBytes(report.totalSize)} (${report.totalSize} bytes, unique blobs and manifests)`,
    ];
    for (const image of images) {
      lines.push('', `${image.platform ?? 'image'}  ${image.digest}  ${image.layers.length} layers  ${formatBytes(image.size)}`);
      for (const layer of image.layers) lines.push(`  ${layer.digest}  ${formatBytes(layer.size).padStart(10)}  ${layer.mediaType}`);
    }
    out.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await registries.close();
  }
}
