/**
 * `ferry inspect REF`: what an image is before you carry it — digest, media
 * type, platforms, layers and size — like `skopeo inspect`, or the exact bytes
 * with `--raw`. The work is the inspect use case's; this file prints it.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { inspectImage, rawManifest } from '../../usecases/inspect-image.ts';
import { stringsFlag, type CommandIo, type CommandSpec, type ParsedArgs } from '../args.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { registryFlags, registrySettings } from '../registry-flags.ts';
import { exactStream, shown, terminalSafe } from '../terminal-text.ts';

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
export async function runInspect(args: ParsedArgs, io: CommandIo): Promise<number> {
  const { out } = io;
  const [ref, ...extra] = args.positionals;
  if (ref === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give exactly one image reference (see ferry inspect --help)');
  const settings = await registrySettings(args.values, io);
  if (args.values.raw === true) {
    // Exact bytes for a pipe (`| sha256sum` gives the digest); a terminal gets them through the guard, which cannot be driven by them.
    const raw = exactStream(out);
    ((raw as { isTTY?: boolean }).isTTY ? out : raw).write(await rawManifest(ref, settings));
    return 0;
  }
  const report = await inspectImage(ref, settings, stringsFlag(args.values, 'platform'));
  if (args.values.json === true) {
    out.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const lines = [
    shown`Name:       ${report.reference}`,
    shown`Digest:     ${report.digest}`,
    shown`Media type: ${report.mediaType}`,
    `Platforms:  ${report.platforms.map(terminalSafe).join(', ') || '(single image)'}`,
    `Total size: ${formatBytes(report.totalSize)} (${report.totalSize} bytes, unique blobs and manifests)`,
  ];
  for (const image of report.manifests) {
    lines.push('', shown`${image.platform ?? 'image'}  ${image.digest}  ${image.layers.length} layers  ${formatBytes(image.size)}`);
    for (const layer of image.layers) lines.push(shown`  ${layer.digest}  ${formatBytes(layer.size).padStart(10)}  ${layer.mediaType}`);
  }
  out.write(`${lines.join('\n')}\n`);
  return 0;
}
