/**
 * `ferry export`: an image set to a bundle on removable media, with progress,
 * resume (run it again after a crash or a pulled cable) and `--verify`. The
 * work is the export use case's; this file parses flags and prints.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { formatBytes, parseSize } from '../../../src-shared/units.ts';
import { DEFAULT_EXPORT_CONCURRENCY, runExport as exportImages, type ExportJobInput, type ExportOutcome } from '../../usecases/export.ts';
import { endpointFlags, openShiftEndpoints } from '../openshift-flags.ts';
import { concurrencyFlag, platformFlags, stringsFlag, type CommandIo, type CommandSpec, type ParsedArgs } from '../args.ts';
import { catalogFlag, withCatalog } from '../catalog-flags.ts';
import { runJob } from '../job.ts';
import { existingPassphrase } from '../passphrase.ts';
import { registryFlags, registrySettings } from '../registry-flags.ts';
import { shown, terminalSafe } from '../terminal-text.ts';
import { exitCodeOf, KEEP_GOING_EXIT_CODES, keepGoingFlag, skippedLines } from '../keep-going.ts';

/** The flags and help of `ferry export`. */
export const exportSpec: CommandSpec = {
  name: 'export',
  usage: 'ferry export --to DIR [REF…] [--images FILE] [flags]',
  summary: 'Write images to a bundle folder on removable media (an OCI layout plus ferry.json), resumable and verifiable.',
  flags: {
    to: { type: 'string', value: 'DIR', description: 'the bundle folder, usually on a USB drive; created if missing, must be empty or hold this export' },
    images: { type: 'string', multiple: true, value: 'FILE', description: 'export every reference in FILE (one per line, # comments)' },
    set: {
      type: 'string',
      value: 'FILE',
      description:
        "an image set file (YAML): images, imageLists, tags, deckhouse, openshift, files, packageRepositories, charts, blockedImages sections, or oc-mirror's ImageSetConfiguration; see docs/image-sets.md",
    },
    'all-platforms': { type: 'boolean', description: 'every platform of a multi-platform image (the default)' },
    platform: { type: 'string', multiple: true, value: 'OS/ARCH', description: 'only this platform; the index is rewritten, so its digest changes' },
    archive: { type: 'boolean', description: 'write ordered tar parts instead of a folder of blobs (automatic on FAT32)' },
    'part-size': { type: 'string', value: 'SIZE', description: 'largest tar part, e.g. 4GiB, 700MB (default 4 GiB - 1 byte, the FAT32 limit)' },
    'dry-run': { type: 'boolean', description: 'print the plan (images, platforms, blobs, bytes, dedup savings) and write nothing' },
    verify: { type: 'boolean', description: 'read the whole bundle back from the media after writing and check every byte' },
    concurrency: { type: 'string', value: 'N', description: `blobs in flight at once across all images (default ${DEFAULT_EXPORT_CONCURRENCY})` },
    site: { type: 'string', value: 'NAME', description: 'incremental: leave out what site NAME already has (from its receipts in the catalog) and record the parent bundle' },
    'since-receipt': { type: 'string', value: 'FILE', description: 'incremental: leave out what this receipt says the site has' },
    channel: {
      type: 'string',
      value: 'NAME',
      description: "the export channel the bundle's sequence counts on (default: this host and the set file's name, e.g. build-1/images); the disconnected side refuses an older sequence on it",
    },
    'no-referrers': { type: 'boolean', description: "leave out the images' signatures, attestations and SBOMs (by default they travel with their images)" },
    sign: {
      type: 'string',
      value: 'KEY',
      description: "sign the bundle once it is sealed: a key name in Ferry's keys folder or a path to a .key file (see ferry key); writes signatures/KEY-<fingerprint>.sigstore.json beside ferry.json",
    },
    'passphrase-file': {
      type: 'string',
      value: 'FILE',
      description: "with --sign: a file holding the key's passphrase (one line, chmod 600); without it the passphrase is typed on the terminal before the export starts",
    },
    ...keepGoingFlag,
    json: { type: 'boolean', description: 'print one JSON summary on stdout (with "skipped": the references left out and why)' },
    ...endpointFlags,
    ...catalogFlag,
    ...registryFlags(''),
  },
  examples: [
    'ferry export --to /media/usb/bundle quay.io/org/app:v1 registry.k8s.io/pause:3.10',
    'ferry export --to /media/usb/bundle --images images.txt --platform linux/amd64 --verify',
    'ferry export --to E:\\bundle --images images.txt --archive --part-size 700MB',
    'ferry export --to /media/usb/june --images images.txt --site plant-7 --dry-run',
    'ferry export --to /media/usb/bundle --images images.txt --sign exporter-1 --passphrase-file ~/.ferry-pass',
    'ferry export --to /media/usb/ocp --set imageset-config.yaml --update-service https://updates.example.com/api/upgrades_info/v1/graph',
    'ferry export --to /media/usb/bundle --images images.txt --keep-going',
  ],
  exitCodes: KEEP_GOING_EXIT_CODES,
};

/** The export the flags ask for. */
async function exportInput(args: ParsedArgs, io: CommandIo): Promise<ExportJobInput> {
  const target = args.values.to;
  if (typeof target !== 'string') throw new FerryError('INVALID_ARGUMENT', '--to DIR is required (see ferry export --help)');
  const setFile = args.values.set;
  if (args.positionals.length === 0 && stringsFlag(args.values, 'images').length === 0 && typeof setFile !== 'string') {
    throw new FerryError('INVALID_ARGUMENT', 'name at least one image: REF…, --images FILE or --set FILE (see ferry export --help)');
  }
  const input: ExportJobInput = {
    target,
    references: args.positionals,
    imageListFiles: stringsFlag(args.values, 'images'),
    platforms: platformFlags(args.values),
    concurrency: concurrencyFlag(args.values, DEFAULT_EXPORT_CONCURRENCY),
    dryRun: args.values['dry-run'] === true,
    ...(args.values['keep-going'] === true ? { keepGoing: true } : {}),
    verify: args.values.verify === true && args.values['dry-run'] !== true,
    ...openShiftEndpoints(args.values),
    registry: await registrySettings(args.values, io),
  };
  if (typeof setFile === 'string') input.setFile = setFile;
  if (args.values.archive === true) input.archive = true;
  if (args.values['no-referrers'] === true) input.referrers = false;
  const partSize = args.values['part-size'];
  if (typeof partSize === 'string') input.partSize = parseSize(partSize);
  if (typeof args.values.site === 'string') input.site = args.values.site;
  if (typeof args.values['since-receipt'] === 'string') input.sinceReceipt = args.values['since-receipt'];
  if (typeof args.values.channel === 'string') input.channel = args.values.channel;
  const key = args.values.sign;
  if (typeof key === 'string') {
    if (input.dryRun === true) throw new FerryError('INVALID_ARGUMENT', '--sign with --dry-run: a dry run writes no bundle, so there is nothing to sign');
    // Asked before the export starts, so nobody has to wait at the terminal for the copy to end.
    input.sign = { key, passphrase: await existingPassphrase(args.values, io, key, 'ferry export --sign') };
  } else if (args.values['passphrase-file'] !== undefined) {
    throw new FerryError('INVALID_ARGUMENT', '--passphrase-file is for --sign KEY; give the key to sign with');
  }
  return input;
}

/** The plan of a dry run, one line per image. */
function printPlan({ summary }: ExportOutcome, out: NodeJS.WritableStream): void {
  const platformsShown = [...new Set(summary.images.flatMap((i) => i.platforms))].map(terminalSafe).join(', ') || 'single-platform';
  out.write(`plan: ${summary.images.length} image(s) (${platformsShown}), ${summary.blobs} blobs, ${formatBytes(summary.bytes)} unique, ${formatBytes(summary.savedByDedup)} saved by dedup\n`);
  if (summary.parent) out.write(`incremental on top of bundle ${terminalSafe(summary.parent)}: ${formatBytes(summary.savedByIncremental)} left out because the site already has it\n`);
  if (summary.skipped.length > 0) {
    out.write(`would skip ${summary.skipped.length} reference(s) (with --keep-going; without it the export stops):\n`);
    for (const skipped of summary.skipped) out.write(`  ${terminalSafe(skipped.reference)}: ${terminalSafe(skipped.reason)}\n`);
  }
  for (const image of summary.images) {
    const where = image.targets?.length ? `  -> ${image.targets.map((t) => terminalSafe(`${t.path === '' ? '(the import path)' : t.path}${t.tag ? `:${t.tag}` : ''}`)).join(', ')}` : '';
    // A local artifact (files, a package repository) says what it was made from.
    const from = image.artifactType !== undefined ? shown`  from ${image.source}` : image.referrer ? shown`  ${image.referrer.kind} of ${image.referrer.subject}` : '';
    out.write(`  ${shown`${image.name}  ${image.digest}`}  ${formatBytes(image.size)}${image.section ? shown`  [${image.section}]` : ''}${from}${where}\n`);
  }
}

/** Runs `ferry export`; returns the exit code (3 when --keep-going skipped references). */
export async function runExport(args: ParsedArgs, io: CommandIo): Promise<number> {
  const { out, err } = io;
  const input = await exportInput(args, io);
  const outcome = await withCatalog(args.values, (catalog) =>
    runJob('export', err, async ({ signal, tracker, endProgress }) => {
      try {
        return await exportImages(input, catalog, { signal, tracker });
      } finally {
        endProgress();
      }
    }),
  );
  const { summary, notes, verified } = outcome;
  if (args.values.json === true) {
    out.write(`${JSON.stringify({ ...summary, notes, verified: verified !== undefined, ...(outcome.signature ? { signature: outcome.signature } : {}) }, null, 2)}\n`);
    err.write(skippedLines(summary.skipped, summary.images.length));
    return exitCodeOf(summary.skipped);
  }
  for (const note of notes) out.write(`note: ${terminalSafe(note)}\n`);
  if (summary.dryRun) {
    printPlan(outcome, out);
    return exitCodeOf(summary.skipped);
  }
  const what = summary.alreadyComplete ? 'already complete' : `written in ${summary.seconds.toFixed(1)} s`;
  out.write(
    `${shown`bundle ${summary.bundleId} at ${summary.bundle}`} (${summary.form}${summary.parts.length ? `, ${summary.parts.length} parts` : ''}) ${what}: ${summary.images.length} image(s), ${summary.blobs} blobs, ${formatBytes(summary.bytes)}\n`,
  );
  if (summary.parent) out.write(`incremental on top of bundle ${terminalSafe(summary.parent)}: ${formatBytes(summary.savedByIncremental)} left out\n`);
  if (outcome.signature) out.write(shown`signed by ${outcome.signature.keyName} (${outcome.signature.keyId}): ${outcome.signature.file}\n`);
  if (verified) out.write(`verified: ${verified.blobs} blobs, ${formatBytes(verified.bytes)} read back and checked\n`);
  err.write(skippedLines(summary.skipped, summary.images.length));
  return exitCodeOf(summary.skipped);
}
