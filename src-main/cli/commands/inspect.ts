/**
 * `ferry inspect REF`: what an image is before you carry it — digest, media
 * type, platforms, layers and size — like `skopeo inspect`, or the exact bytes
 * with `--raw`. `ferry inspect BUNDLE` (a folder holding ferry.json or
 * oci-layout): verify it, then list what it holds — images beside files,
 * charts and package repositories, with sizes and files. The work is the
 * inspect use cases'; this file prints it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { skippedAtExportLines } from '../keep-going.ts';
import { FerryError } from '../../../src-shared/errors.ts';
import { CONTENT_KIND_WORDS } from '../../../src-shared/model/content-kind.ts';
import type { ReferrerPresence } from '../../../src-shared/model/trust.ts';
import { inspectImage, rawManifest } from '../../usecases/inspect-image.ts';
import { stringsFlag, type CommandIo, type CommandSpec, type ParsedArgs } from '../args.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { registryFlags, registrySettings } from '../registry-flags.ts';
import { exactStream, shown, terminalSafe } from '../terminal-text.ts';

/** The flags and help of `ferry inspect`. */
export const inspectSpec: CommandSpec = {
  name: 'inspect',
  usage: 'ferry inspect REF|BUNDLE [--raw] [--json] [--platform OS/ARCH]',
  summary: 'Show the digest, media type, platforms, layers and size of an image in a registry, or what a bundle holds (images, files, charts, package repositories).',
  flags: {
    raw: { type: 'boolean', description: 'print the manifest exactly as the registry serves it' },
    json: { type: 'boolean', description: 'print one JSON object on stdout' },
    platform: { type: 'string', multiple: true, value: 'OS/ARCH', description: 'show only this platform of a multi-platform image' },
    ...registryFlags(''),
  },
  examples: ['ferry inspect docker.io/library/nginx:1.27', 'ferry inspect --plain-http 127.0.0.1:5000/app:v1 --json', 'ferry inspect /media/usb/bundle'],
};

/** Runs `ferry inspect`; returns the exit code. */
export async function runInspect(args: ParsedArgs, io: CommandIo): Promise<number> {
  const { out } = io;
  const [ref, ...extra] = args.positionals;
  if (ref === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give exactly one image reference or bundle folder (see ferry inspect --help)');
  if (existsSync(join(ref, 'ferry.json')) || existsSync(join(ref, 'oci-layout'))) return inspectBundleFolder(ref, args, io);
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

/** "signature, attestation, SBOM present" for what travels with one image; "no signature, attestation or SBOM" when nothing does. */
function referrerWords(presence: ReferrerPresence): string {
  const present = [presence.signature ? 'signature' : '', presence.attestation ? 'attestation' : '', presence.sbom ? 'SBOM' : ''].filter((word) => word !== '');
  return present.length > 0 ? `${present.join(', ')} present` : 'no signature, attestation or SBOM';
}

/** `ferry inspect BUNDLE`: verified first (nothing unverified is listed), then every entry with its kind, size and files. */
async function inspectBundleFolder(bundle: string, args: ParsedArgs, { out }: CommandIo): Promise<number> {
  if (args.values.raw === true || args.values.platform !== undefined) throw new FerryError('INVALID_ARGUMENT', '--raw and --platform inspect an image in a registry, not a bundle');
  const { verificationFailed, verifyWithView } = await import('../../usecases/verify.ts');
  const { inspectBundle } = await import('../../usecases/inspect-bundle.ts');
  const { report, view } = await verifyWithView(bundle);
  if (!report.ok || !view) throw verificationFailed(report, 'nothing in it is listed');
  const inspection = inspectBundle(view, undefined, undefined);
  if (args.values.json === true) {
    out.write(`${JSON.stringify(inspection, null, 2)}\n`);
    return 0;
  }
  const m = inspection.manifest;
  const lines = [shown`Bundle:  ${view.dir}`, `Form:    ${inspection.form}${m ? shown`, bundle ${m.bundleId}, sequence ${String(m.sequence)}, created ${m.created}` : ''}`];
  const width = Math.max(...inspection.images.map((i) => CONTENT_KIND_WORDS[i.kind].length));
  const presence = new Map((inspection.referrers ?? []).map((r) => [r.image, referrerWords(r)]));
  for (const image of inspection.images) {
    const where = image.targets?.length ? shown` -> ${image.targets.map((t) => `${t.path}${t.tag ? `:${t.tag}` : ''}`).join(', ')}` : '';
    lines.push(shown`  ${CONTENT_KIND_WORDS[image.kind].padEnd(width)}  ${image.name}  ${formatBytes(image.size)}  from ${image.source}` + where);
    for (const file of image.files ?? []) lines.push(shown`      ${file.title}  ${formatBytes(file.size)}  ${file.mediaType}`);
    if (image.referrer) lines.push(shown`      ${image.referrer.kind} of ${image.referrer.subject}`);
    const attached = presence.get(image.name);
    if (attached) lines.push(`      ${attached}`);
  }
  if (m?.skipped?.length) lines.push(...skippedAtExportLines(m.skipped));
  out.write(`${lines.join('\n')}\n`);
  return 0;
}
