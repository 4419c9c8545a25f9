/**
 * `ferry copy`: registry to registry, one image or a whole list in one
 * process, digests preserved (OpenShift's "connected mirroring", `oc image
 * mirror`, `skopeo sync`). The work is the copy use case's; this file parses
 * flags and prints.
 */
import { errorHint, FerryError } from '../../../src-shared/errors.ts';
import { DEFAULT_COPY_CONCURRENCY, runCopy as copyImages, type CopyJobInput, type CopySelection } from '../../usecases/copy.ts';
import { concurrencyFlag, platformFlags, type CommandIo, type CommandSpec, type ParsedArgs } from '../args.ts';
import { hintAsFlags, messageLines } from '../error-words.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { runJob } from '../job.ts';
import { endpointFlags, openShiftEndpoints } from '../openshift-flags.ts';
import { maxNestedPathsFlag, maxNestedPathsOf } from '../nesting-flags.ts';
import { registryFlags, registrySides } from '../registry-flags.ts';
import { shown, terminalSafe } from '../terminal-text.ts';
import { exitCodeOf, KEEP_GOING_EXIT_CODES, keepGoingFlag, skippedLines } from '../keep-going.ts';

/** The flags and help of `ferry copy`. */
export const copySpec: CommandSpec = {
  name: 'copy',
  usage: 'ferry copy SRC_REF DST_REF [flags]\n       ferry copy --images FILE --to REGISTRY[/PREFIX] [flags]\n       ferry copy --set FILE --to REGISTRY[/PREFIX] [--mirror-config DIR] [flags]',
  summary:
    'Copy images between registries with digests preserved; blobs move concurrently across all images. Every source is resolved first: if any cannot be, all of them are listed and nothing is written.',
  flags: {
    images: { type: 'string', value: 'FILE', description: 'copy every reference in FILE (one per line, # comments)' },
    set: {
      type: 'string',
      value: 'FILE',
      description: "copy an image set (docs/image-sets.md, or oc-mirror's ImageSetConfiguration): each image lands where `ferry export --set` then `ferry import --to` would land it",
    },
    to: { type: 'string', value: 'REGISTRY[/PREFIX]', description: 'with --images or --set: each image lands at REGISTRY/PREFIX/<source path> (source host dropped) or where the set places it' },
    'keep-registry-host': { type: 'boolean', description: "with --set: keep each source's registry host in the path, REGISTRY/PREFIX/SRC_HOST/path (as ferry import does)" },
    ...maxNestedPathsFlag('with --set: '),
    'mirror-config': {
      type: 'string',
      value: 'DIR',
      description:
        'with --set: write registries.conf, IDMS/ITMS/ICSP, containerd hosts.toml and the OpenShift cluster resources (CatalogSource, ClusterCatalog, release-signature ConfigMaps, UpdateService) for the copied set into DIR, as ferry import does',
    },
    'mirror-ca': { type: 'string', value: 'FILE', description: "with --mirror-config: the mirror's CA (PEM) for the trust files, as ferry import writes them (default: the --dest-ca-cert files)" },
    ...endpointFlags,
    'all-platforms': { type: 'boolean', description: 'copy every platform of a multi-platform image (the default)' },
    platform: { type: 'string', multiple: true, value: 'OS/ARCH', description: 'copy only this platform; the index is rewritten, so its digest changes' },
    concurrency: { type: 'string', value: 'N', description: `blobs in flight at once across all images (default ${DEFAULT_COPY_CONCURRENCY})` },
    ...keepGoingFlag,
    json: { type: 'boolean', description: 'print one JSON summary on stdout (with "skipped": the sources left out and why)' },
    ...registryFlags(''),
    ...registryFlags('src-'),
    ...registryFlags('dest-'),
  },
  examples: [
    'ferry copy quay.io/org/app:v1 mirror.local:5000/org/app:v1',
    'ferry copy --images images.txt --to mirror.local:5000/ocp --dest-authfile auth.json',
    'ferry copy --set imageset-config.yaml --to mirror.local:5000/ocp --mirror-config ./mirror-config',
    'ferry copy --images images.txt --to mirror.local:5000/ocp --keep-going',
  ],
  exitCodes: KEEP_GOING_EXIT_CODES,
};

/** The images the flags and arguments name. */
function selectionOf(args: ParsedArgs): CopySelection {
  const list = args.values.images;
  const set = args.values.set;
  const to = args.values.to;
  const setOnly = (['keep-registry-host', 'max-nested-paths', 'mirror-config', 'mirror-ca', 'update-service', 'signature-store'] as const).find((flag) => args.values[flag] !== undefined);
  if (typeof set === 'string') {
    if (args.positionals.length > 0 || typeof list === 'string') throw new FerryError('INVALID_ARGUMENT', 'give one of --set FILE, --images FILE or SRC_REF DST_REF');
    if (typeof to !== 'string') throw new FerryError('INVALID_ARGUMENT', '--set needs --to REGISTRY[/PREFIX]');
    const maxNestedPaths = maxNestedPathsOf(args.values);
    return {
      kind: 'set',
      setFile: set,
      to,
      ...(args.values['keep-registry-host'] === true ? { keepRegistryHost: true } : {}),
      ...(maxNestedPaths !== undefined ? { maxNestedPaths } : {}),
    };
  }
  if (setOnly !== undefined) throw new FerryError('INVALID_ARGUMENT', `--${setOnly} goes with --set FILE`);
  if (typeof list === 'string') {
    if (args.positionals.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give either --images FILE --to REGISTRY or SRC_REF DST_REF, not both');
    if (typeof to !== 'string') throw new FerryError('INVALID_ARGUMENT', '--images needs --to REGISTRY[/PREFIX]');
    return { kind: 'list', imagesFile: list, to };
  }
  const [source, destination, ...extra] = args.positionals;
  if (source === undefined || destination === undefined || extra.length > 0 || to !== undefined) {
    throw new FerryError('INVALID_ARGUMENT', 'give SRC_REF DST_REF, or --images FILE --to REGISTRY[/PREFIX] (see ferry copy --help)');
  }
  return { kind: 'one', source, destination };
}

/** Runs `ferry copy`; returns the exit code (1 when any image failed or, with --keep-going, none landed; with --keep-going 3 when any was skipped). */
export async function runCopy(args: ParsedArgs, io: CommandIo): Promise<number> {
  const { out, err } = io;
  const images = selectionOf(args);
  const platforms = platformFlags(args.values);
  const concurrency = concurrencyFlag(args.values, DEFAULT_COPY_CONCURRENCY);
  const endpoints = openShiftEndpoints(args.values);
  const sides = await registrySides(args.values, ['src-', 'dest-'] as const, io);
  const input: CopyJobInput = { images, platforms, concurrency, ...endpoints, source: sides['src-'], destination: sides['dest-'] };
  if (args.values['keep-going'] === true) input.keepGoing = true;
  const mirrorConfigDir = args.values['mirror-config'];
  if (typeof mirrorConfigDir === 'string') input.mirrorConfigDir = mirrorConfigDir;
  const mirrorCa = args.values['mirror-ca'];
  if (typeof mirrorCa === 'string') {
    if (input.mirrorConfigDir === undefined) throw new FerryError('INVALID_ARGUMENT', '--mirror-ca goes with --mirror-config DIR');
    input.mirrorCa = mirrorCa;
  }
  const summary = await runJob('copy', err, async ({ signal, tracker, endProgress }) => {
    try {
      return await copyImages(input, { signal, tracker });
    } finally {
      endProgress();
    }
  });
  if (args.values.json === true) {
    out.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    for (const note of summary.notes) out.write(`note: ${terminalSafe(note)}\n`);
    const seconds = summary.durationMs / 1000;
    out.write(
      `${summary.images.length} image(s) copied, ${summary.failed.length} failed; blobs: ${summary.blobs.copied} copied, ${summary.blobs.mounted} mounted, ${summary.blobs.skipped} already present; ${formatBytes(summary.bytesCopied)} in ${seconds.toFixed(1)} s\n`,
    );
    for (const image of summary.images) if (image.rootRewritten) out.write(shown`note: ${image.destination} is a filtered index with a new digest ${image.digest}\n`);
    for (const failure of summary.failed) {
      const hint = errorHint(failure.error.details);
      out.write(`failed: ${terminalSafe(failure.source)}: ${messageLines(failure.error.message)}\n${hint ? `  hint: ${hintAsFlags(hint)}\n` : ''}`);
    }
    if (summary.mirrorConfig.length > 0) out.write(`mirror configuration: ${summary.mirrorConfig.map(terminalSafe).join(', ')} in ${terminalSafe(input.mirrorConfigDir)}\n`);
    else if (input.mirrorConfigDir !== undefined) out.write(`no mirror configuration written: ${summary.failed.length > 0 ? `${summary.failed.length} image(s) failed` : 'no image was copied'}\n`);
    if (summary.mirrorConfigRemoved.length > 0)
      out.write(`removed from the mirror configuration (an earlier run wrote them, this one did not): ${summary.mirrorConfigRemoved.map(terminalSafe).join(', ')}\n`);
  }
  if (input.keepGoing === true) {
    err.write(skippedLines(summary.skipped, summary.images.length));
    // Partial means something was carried: a copy that landed nothing, or stopped on what is no image's fault, failed.
    if (summary.images.length === 0) err.write('nothing was copied\n');
    return summary.failed.length > 0 || summary.images.length === 0 ? 1 : exitCodeOf(summary.skipped);
  }
  return summary.failed.length === 0 ? 0 : 1;
}
