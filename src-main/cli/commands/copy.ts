/**
 * `ferry copy`: registry to registry, one image or a whole list in one
 * process, digests preserved (OpenShift's "connected mirroring", `oc image
 * mirror`, `skopeo sync`).
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { ALL_PLATFORMS, parsePlatform, type PlatformSelection } from '../../oci/platform.ts';
import { parseReference, parseRegistryPrefix } from '../../oci/reference.ts';
import { Registries } from '../../oci/registry/registries.ts';
import { copyImages, DEFAULT_BLOB_CONCURRENCY, type CopyRequest } from '../../transfer/copy.ts';
import { mirrorDestination, readImageList } from '../../sources/image-list.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { runJob } from '../job.ts';
import { registryAccess, registryFlags } from '../registry-flags.ts';

/** The flags and help of `ferry copy`. */
export const copySpec: CommandSpec = {
  name: 'copy',
  usage: 'ferry copy SRC_REF DST_REF [flags]\n       ferry copy --images FILE --to REGISTRY[/PREFIX] [flags]',
  summary: 'Copy images between registries with digests preserved; blobs move concurrently across all images. Every source is resolved first: if any cannot be, all of them are listed and nothing is written.',
  flags: {
    images: { type: 'string', value: 'FILE', description: 'copy every reference in FILE (one per line, # comments)' },
    to: { type: 'string', value: 'REGISTRY[/PREFIX]', description: 'with --images: each image lands at REGISTRY/PREFIX/<source path> (source host dropped)' },
    'all-platforms': { type: 'boolean', description: 'copy every platform of a multi-platform image (the default)' },
    platform: { type: 'string', multiple: true, value: 'OS/ARCH', description: 'copy only this platform; the index is rewritten, so its digest changes' },
    concurrency: { type: 'string', value: 'N', description: `blobs in flight at once across all images (default ${DEFAULT_BLOB_CONCURRENCY})` },
    json: { type: 'boolean', description: 'print one JSON summary on stdout' },
    ...registryFlags(''),
    ...registryFlags('src-'),
    ...registryFlags('dest-'),
  },
  examples: [
    'ferry copy quay.io/org/app:v1 mirror.local:5000/org/app:v1',
    'ferry copy --images images.txt --to mirror.local:5000/ocp --dest-authfile auth.json',
  ],
};

/** `--platform` / `--all-platforms` as a selection; shared by copy and export. */
export function platformSelection(values: ParsedArgs['values']): PlatformSelection {
  const wanted = values.platform;
  const some = Array.isArray(wanted) && wanted.length > 0;
  if (some && values['all-platforms'] === true) throw new FerryError('INVALID_ARGUMENT', '--all-platforms and --platform exclude each other');
  return some ? { kind: 'some', platforms: wanted.map((p) => parsePlatform(String(p))) } : ALL_PLATFORMS;
}

/** `--concurrency N`, checked; shared by copy and export. */
export function concurrencyFlag(values: ParsedArgs['values'], fallback: number): number {
  const raw = values.concurrency;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new FerryError('INVALID_ARGUMENT', `--concurrency must be an integer from 1 to 256, got "${String(raw)}"`);
  return n;
}

async function requestsFrom(args: ParsedArgs): Promise<CopyRequest[]> {
  const list = args.values.images;
  const to = args.values.to;
  if (typeof list === 'string') {
    if (args.positionals.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give either --images FILE --to REGISTRY or SRC_REF DST_REF, not both');
    if (typeof to !== 'string') throw new FerryError('INVALID_ARGUMENT', '--images needs --to REGISTRY[/PREFIX]');
    const { registry, prefix } = parseRegistryPrefix(to);
    return (await readImageList(list)).map(({ reference }) => ({ source: reference, destination: mirrorDestination(reference, registry, prefix) }));
  }
  const [source, destination, ...extra] = args.positionals;
  if (source === undefined || destination === undefined || extra.length > 0 || to !== undefined) {
    throw new FerryError('INVALID_ARGUMENT', 'give SRC_REF DST_REF, or --images FILE --to REGISTRY[/PREFIX] (see ferry copy --help)');
  }
  const src = parseReference(source);
  const dst = parseReference(destination);
  // A destination without its own tag or digest keeps the source's: copying a@sha256:… to b lands at b@sha256:….
  if (destination.lastIndexOf(':') <= destination.lastIndexOf('/') && !destination.includes('@')) {
    delete dst.tag;
    if (src.tag !== undefined) dst.tag = src.tag;
    if (src.digest !== undefined) dst.digest = src.digest;
  }
  return [{ source: src, destination: dst }];
}

/** Runs `ferry copy`; returns the exit code (1 when any image failed). */
export async function runCopy(args: ParsedArgs, { out, err }: CommandIo): Promise<number> {
  const requests = await requestsFrom(args);
  const blobConcurrency = concurrencyFlag(args.values, DEFAULT_BLOB_CONCURRENCY);
  const from = new Registries(registryAccess(args.values, 'src-', requests.map((r) => r.source.registry)));
  const to = new Registries(registryAccess(args.values, 'dest-', requests.map((r) => r.destination.registry)));
  try {
    return await runJob('copy', err, to, async ({ signal, tracker, endProgress }) => {
      const summary = await copyImages(requests, from, to, { platforms: platformSelection(args.values), concurrency: blobConcurrency, signal, onEvent: tracker.onEvent });
      endProgress();
      if (args.values.json === true) {
        out.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        const seconds = summary.durationMs / 1000;
        out.write(`${summary.images.length} image(s) copied, ${summary.failed.length} failed; blobs: ${summary.blobs.copied} copied, ${summary.blobs.mounted} mounted, ${summary.blobs.skipped} already present; ${formatBytes(summary.bytesCopied)} in ${seconds.toFixed(1)} s\n`);
        for (const image of summary.images) if (image.rootRewritten) out.write(`note: ${image.destination} is a filtered index with a new digest ${image.digest}\n`);
        for (const failure of summary.failed) out.write(`failed: ${failure.source}: ${failure.error.message}\n`);
      }
      return summary.failed.length === 0 ? 0 : 1;
    });
  } finally {
    await from.close();
  }
}
