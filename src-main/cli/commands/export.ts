/**
 * `ferry export`: an image set to a bundle on removable media, with progress,
 * resume (run it again after a crash or a pulled cable) and `--verify`.
 */
import { basename } from 'node:path';
import { FerryError } from '../../../src-shared/errors.ts';
import { parseSize } from '../../../src-shared/units.ts';
import type { BundleImageSet } from '../../../src-shared/model/bundle.ts';
import type { Reference } from '../../../src-shared/model/oci.ts';
import { formatReference, parseReference } from '../../oci/reference.ts';
import { Registries } from '../../oci/registry/registries.ts';
import { readBack } from '../../bundle/read-back.ts';
import { DEFAULT_EXPORT_CONCURRENCY, exportBundle } from '../../transfer/export.ts';
import { readImageList } from '../../transfer/image-list.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { formatBytes } from '../progress.ts';
import { runJob } from '../job.ts';
import { registryAccess, registryFlags } from '../registry-flags.ts';
import { concurrencyFlag, platformSelection } from './copy.ts';

/** The flags and help of `ferry export`. */
export const exportSpec: CommandSpec = {
  name: 'export',
  usage: 'ferry export --to DIR [REF…] [--images FILE] [flags]',
  summary: 'Write images to a bundle folder on removable media (an OCI layout plus ferry.json), resumable and verifiable.',
  flags: {
    to: { type: 'string', value: 'DIR', description: 'the bundle folder, usually on a USB drive; created if missing, must be empty or hold this export' },
    images: { type: 'string', multiple: true, value: 'FILE', description: 'export every reference in FILE (one per line, # comments)' },
    'all-platforms': { type: 'boolean', description: 'every platform of a multi-platform image (the default)' },
    platform: { type: 'string', multiple: true, value: 'OS/ARCH', description: 'only this platform; the index is rewritten, so its digest changes' },
    archive: { type: 'boolean', description: 'write ordered tar parts instead of a folder of blobs (automatic on FAT32)' },
    'part-size': { type: 'string', value: 'SIZE', description: 'largest tar part, e.g. 4GiB, 700MB (default 4 GiB - 1 byte, the FAT32 limit)' },
    'dry-run': { type: 'boolean', description: 'print the plan (images, platforms, blobs, bytes, dedup savings) and write nothing' },
    verify: { type: 'boolean', description: 'read the whole bundle back from the media after writing and check every byte' },
    concurrency: { type: 'string', value: 'N', description: `blobs in flight at once across all images (default ${DEFAULT_EXPORT_CONCURRENCY})` },
    json: { type: 'boolean', description: 'print one JSON summary on stdout' },
    ...registryFlags(''),
  },
  examples: [
    'ferry export --to /media/usb/bundle quay.io/org/app:v1 registry.k8s.io/pause:3.10',
    'ferry export --to /media/usb/bundle --images images.txt --platform linux/amd64 --verify',
    'ferry export --to E:\\bundle --images images.txt --archive --part-size 700MB',
  ],
};

/** Reads the references and remembers where each came from, for ferry.json's image set. */
async function referencesFrom(args: ParsedArgs): Promise<{ references: Reference[]; imageSet: BundleImageSet }> {
  const references = args.positionals.map(parseReference);
  const imageSet: BundleImageSet = { references: references.map(formatReference), lists: [], platforms: [] };
  const lists = args.values.images;
  for (const file of Array.isArray(lists) ? lists.map(String) : []) {
    const listed = (await readImageList(file)).map((l) => l.reference);
    references.push(...listed);
    imageSet.lists.push({ file: basename(file), references: listed.map(formatReference) });
  }
  if (references.length === 0) throw new FerryError('INVALID_ARGUMENT', 'name at least one image: REF… or --images FILE (see ferry export --help)');
  return { references, imageSet };
}

/** Runs `ferry export`; returns the exit code. */
export async function runExport(args: ParsedArgs, { out, err }: CommandIo): Promise<number> {
  const target = args.values.to;
  if (typeof target !== 'string') throw new FerryError('INVALID_ARGUMENT', '--to DIR is required (see ferry export --help)');
  const { references, imageSet } = await referencesFrom(args);
  const platforms = platformSelection(args.values);
  if (platforms.kind === 'some') imageSet.platforms = (args.values.platform as string[]).map(String);
  const partSizeFlag = args.values['part-size'];
  const registries = new Registries(registryAccess(args.values, '', references.map((r) => r.registry)));
  return runJob('export', err, registries, async ({ signal, tracker, endProgress }) => {
    const summary = await exportBundle({
      references, imageSet, target, platforms, dryRun: args.values['dry-run'] === true, concurrency: concurrencyFlag(args.values, DEFAULT_EXPORT_CONCURRENCY),
      ...(args.values.archive === true ? { archive: true } : {}),
      ...(typeof partSizeFlag === 'string' ? { partSize: parseSize(partSizeFlag) } : {}),
      signal, onEvent: tracker.onEvent,
    }, registries);
    let verified: { blobs: number; bytes: number } | undefined;
    if (args.values.verify === true && !summary.dryRun) {
      tracker.setPhase('verifying');
      const result = await readBack(summary.bundle, undefined, signal);
      verified = { blobs: result.blobs, bytes: result.bytes };
    }
    endProgress();
    if (args.values.json === true) {
      out.write(`${JSON.stringify({ ...summary, verified: verified !== undefined }, null, 2)}\n`);
      return 0;
    }
    const platformsShown = [...new Set(summary.images.flatMap((i) => i.platforms))].join(', ') || 'single-platform';
    if (summary.dryRun) {
      out.write(`plan: ${summary.images.length} image(s) (${platformsShown}), ${summary.blobs} blobs, ${formatBytes(summary.bytes)} unique, ${formatBytes(summary.savedByDedup)} saved by dedup\n`);
      for (const image of summary.images) out.write(`  ${image.name}  ${image.digest}  ${formatBytes(image.size)}\n`);
      return 0;
    }
    const what = summary.alreadyComplete ? 'already complete' : `written in ${summary.seconds.toFixed(1)} s`;
    out.write(`bundle ${summary.bundleId} at ${summary.bundle} (${summary.form}${summary.parts.length ? `, ${summary.parts.length} parts` : ''}) ${what}: ${summary.images.length} image(s), ${summary.blobs} blobs, ${formatBytes(summary.bytes)}\n`);
    if (verified) out.write(`verified: ${verified.blobs} blobs, ${formatBytes(verified.bytes)} read back and checked\n`);
    return 0;
  });
}
