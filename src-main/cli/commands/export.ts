/**
 * `ferry export`: an image set to a bundle on removable media, with progress,
 * resume (run it again after a crash or a pulled cable) and `--verify`.
 */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { FerryError } from '../../../src-shared/errors.ts';
import { formatBytes, parseSize } from '../../../src-shared/units.ts';
import type { BundleImageSet } from '../../../src-shared/model/bundle.ts';
import type { Catalog } from '../../catalog/index.ts';
import { catalogFlag, openCatalog } from '../catalog-flags.ts';
import { recordExport } from '../../catalog/job-records.ts';
import { withCatalogJob } from '../../catalog/catalog-job.ts';
import { incrementalBase } from '../../catalog/incremental.ts';
import { placeImageSet, readImageSet, type ImageSetFile } from '../../sources/image-set.ts';
import { parsePlatform } from '../../oci/platform.ts';
import type { Reference } from '../../../src-shared/model/oci.ts';
import { formatReference, parseReference } from '../../oci/reference.ts';
import { Registries } from '../../oci/registry/registries.ts';
import { readBack } from '../../bundle/read-back.ts';
import { DEFAULT_EXPORT_CONCURRENCY, exportBundle } from '../../transfer/export.ts';
import { readImageList } from '../../sources/image-list.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
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
    set: { type: 'string', value: 'FILE', description: 'an image set file (YAML): images, imageLists, tags, deckhouse, openshift sections; see docs/image-sets.md' },
    'all-platforms': { type: 'boolean', description: 'every platform of a multi-platform image (the default)' },
    platform: { type: 'string', multiple: true, value: 'OS/ARCH', description: 'only this platform; the index is rewritten, so its digest changes' },
    archive: { type: 'boolean', description: 'write ordered tar parts instead of a folder of blobs (automatic on FAT32)' },
    'part-size': { type: 'string', value: 'SIZE', description: 'largest tar part, e.g. 4GiB, 700MB (default 4 GiB - 1 byte, the FAT32 limit)' },
    'dry-run': { type: 'boolean', description: 'print the plan (images, platforms, blobs, bytes, dedup savings) and write nothing' },
    verify: { type: 'boolean', description: 'read the whole bundle back from the media after writing and check every byte' },
    concurrency: { type: 'string', value: 'N', description: `blobs in flight at once across all images (default ${DEFAULT_EXPORT_CONCURRENCY})` },
    site: { type: 'string', value: 'NAME', description: 'incremental: leave out what site NAME already has (from its receipts in the catalog) and record the parent bundle' },
    'since-receipt': { type: 'string', value: 'FILE', description: 'incremental: leave out what this receipt says the site has' },
    json: { type: 'boolean', description: 'print one JSON summary on stdout' },
    ...catalogFlag,
    ...registryFlags(''),
  },
  examples: [
    'ferry export --to /media/usb/bundle quay.io/org/app:v1 registry.k8s.io/pause:3.10',
    'ferry export --to /media/usb/bundle --images images.txt --platform linux/amd64 --verify',
    'ferry export --to E:\\bundle --images images.txt --archive --part-size 700MB',
    'ferry export --to /media/usb/june --images images.txt --site plant-7 --dry-run',
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
  if (references.length === 0 && typeof args.values.set !== 'string') throw new FerryError('INVALID_ARGUMENT', 'name at least one image: REF…, --images FILE or --set FILE (see ferry export --help)');
  return { references, imageSet };
}

/** Runs `ferry export`; returns the exit code. */
export async function runExport(args: ParsedArgs, io: CommandIo): Promise<number> {
  const catalog = openCatalog(args.values);
  try {
    return await exportWithCatalog(args, io, catalog);
  } finally {
    catalog.close();
  }
}

async function exportWithCatalog(args: ParsedArgs, { out, err }: CommandIo, catalog: Catalog): Promise<number> {
  const target = args.values.to;
  if (typeof target !== 'string') throw new FerryError('INVALID_ARGUMENT', '--to DIR is required (see ferry export --help)');
  const { references, imageSet } = await referencesFrom(args);
  let platforms = platformSelection(args.values);
  if (platforms.kind === 'some') imageSet.platforms = (args.values.platform as string[]).map(String);
  const partSizeFlag = args.values['part-size'];
  const site = typeof args.values.site === 'string' ? args.values.site : undefined;
  const incremental = await incrementalBase(catalog, site, args.values['since-receipt']);
  const setFile = args.values.set;
  const set = typeof setFile === 'string' ? await readImageSet(setFile) : undefined;
  // A set's own `platforms:` applies unless --platform overrides it.
  if (set && platforms.kind === 'all' && set.platforms.length > 0) platforms = { kind: 'some', platforms: set.platforms.map(parsePlatform) };
  const access = registryAccess(args.values, '', references.map((r) => r.registry));
  const license = set ? await deckhouseLicense(set) : undefined;
  if (license && !access.creds) access.creds = license;
  const registries = new Registries(access);
  const placements = set ? await placeImageSet(set, { registries, platforms }, imageSet, references) : undefined;
  return runJob('export', err, registries, async ({ signal, tracker, endProgress }) => {
    const request = {
      references, imageSet, target, platforms, dryRun: args.values['dry-run'] === true, concurrency: concurrencyFlag(args.values, DEFAULT_EXPORT_CONCURRENCY),
      ...(args.values.archive === true ? { archive: true } : {}),
      ...(typeof partSizeFlag === 'string' ? { partSize: parseSize(partSizeFlag) } : {}),
      signal, onEvent: tracker.onEvent, ...(incremental ? { incremental } : {}), ...(placements ? { placements } : {}),
    };
    // The bundle folder keeps the byte-level resume state; the catalog job records which blobs are written, for the record and the UI.
    const summary = request.dryRun
      ? await exportBundle(request, registries)
      : await withCatalogJob(catalog, 'export', resolve(target), { target: resolve(target), images: references.length, site: site ?? null }, (journal) => exportBundle({
        ...request,
        onEvent: (event) => {
          if (event.type === 'blob' && (event.progress.state === 'finished' || event.progress.state === 'skipped')) journal.markDone(event.progress.digest, event.progress.total);
          tracker.onEvent(event);
        },
      }, registries));
    if (!summary.dryRun && !summary.alreadyComplete && summary.bundleId) recordExport(catalog, summary.bundle, site);
    let verified: { blobs: number; bytes: number } | undefined;
    if (args.values.verify === true && !summary.dryRun) {
      tracker.setPhase('verifying');
      const result = await readBack(summary.bundle, undefined, signal);
      verified = { blobs: result.blobs, bytes: result.bytes };
    }
    endProgress();
    if (args.values.json === true) {
      out.write(`${JSON.stringify({ ...summary, notes: imageSet.notes ?? [], verified: verified !== undefined }, null, 2)}\n`);
      return 0;
    }
    for (const note of imageSet.notes ?? []) out.write(`note: ${note}\n`);
    const platformsShown = [...new Set(summary.images.flatMap((i) => i.platforms))].join(', ') || 'single-platform';
    if (summary.dryRun) {
      out.write(`plan: ${summary.images.length} image(s) (${platformsShown}), ${summary.blobs} blobs, ${formatBytes(summary.bytes)} unique, ${formatBytes(summary.savedByDedup)} saved by dedup\n`);
      if (summary.parent) out.write(`incremental on top of bundle ${summary.parent}: ${formatBytes(summary.savedByIncremental)} left out because the site already has it\n`);
      for (const image of summary.images) {
        const where = image.targets?.length ? `  -> ${image.targets.map((t) => `${t.path}${t.tag ? `:${t.tag}` : ''}`).join(', ')}` : '';
        out.write(`  ${image.name}  ${image.digest}  ${formatBytes(image.size)}${image.section ? `  [${image.section}]` : ''}${where}\n`);
      }
      return 0;
    }
    const what = summary.alreadyComplete ? 'already complete' : `written in ${summary.seconds.toFixed(1)} s`;
    out.write(`bundle ${summary.bundleId} at ${summary.bundle} (${summary.form}${summary.parts.length ? `, ${summary.parts.length} parts` : ''}) ${what}: ${summary.images.length} image(s), ${summary.blobs} blobs, ${formatBytes(summary.bytes)}\n`);
    if (summary.parent) out.write(`incremental on top of bundle ${summary.parent}: ${formatBytes(summary.savedByIncremental)} left out\n`);
    if (verified) out.write(`verified: ${verified.blobs} blobs, ${formatBytes(verified.bytes)} read back and checked\n`);
    return 0;
  });
}

/**
 * The Deckhouse `license:` of a set: `env:NAME` (or a bare NAME) reads an
 * environment variable, `file:PATH` a file. It becomes the password of the
 * Deckhouse registry (user `license-token`, as d8 uses) and nothing else.
 */
async function deckhouseLicense(set: ImageSetFile): Promise<{ username: string; password: string; host: string } | undefined> {
  const deckhouse = set.document.deckhouse;
  if (typeof deckhouse !== 'object' || deckhouse === null || Array.isArray(deckhouse)) return undefined;
  const { license, source } = deckhouse;
  if (typeof license !== 'string' || typeof source !== 'string') return undefined;
  let password: string | undefined;
  if (license.startsWith('file:')) password = (await readFile(license.slice('file:'.length), 'utf8').catch(() => undefined))?.trim();
  else password = process.env[license.replace(/^env:/, '')];
  if (!password) throw new FerryError('CREDENTIALS_ERROR', `${set.path}: the Deckhouse license "${license}" is empty or missing (use env:VARIABLE or file:PATH)`, { file: set.path });
  return { username: 'license-token', password, host: parseReference(source).registry };
}

