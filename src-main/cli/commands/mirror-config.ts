/**
 * `ferry mirror-config check DIR --registry REGISTRY[/PREFIX]`: the mapping
 * check on configuration a site already has (or Ferry wrote): every image is
 * resolved through each format in DIR as its runtime would, and the site
 * registry is asked by HEAD for the digest where the runtime would ask. The
 * work is usecases/mirror-check.ts; this file picks the images, parses flags
 * and prints.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import type { MirrorCheckReport } from '../../../src-shared/model/mirror-check.ts';
import { imagesFromBundle, imagesFromList, runMirrorCheck, type CheckedImage } from '../../usecases/mirror-check.ts';
import { parseRegistryPrefix } from '../../oci/reference.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { catalogFlag, withCatalog } from '../catalog-flags.ts';
import { registryFlags, registrySettings } from '../registry-flags.ts';
import { terminalSafe } from '../terminal-text.ts';

/** The flags and help of `ferry mirror-config`. */
export const mirrorConfigSpec: CommandSpec = {
  name: 'mirror-config',
  usage: 'ferry mirror-config check DIR --registry REGISTRY[/PREFIX] [--bundle BUNDLE | --images FILE] [flags]',
  summary: 'Check mirror configuration (registries.conf, IDMS/ITMS/ICSP, containerd hosts.toml) as the runtimes read it: every image resolves to a mirror location that holds its digest.',
  flags: {
    registry: { type: 'string', value: 'REGISTRY[/PREFIX]', description: 'the site registry the configuration points at; only its host is asked' },
    bundle: { type: 'string', value: 'BUNDLE', description: 'check the images of this bundle (verified first) by source and digest' },
    images: { type: 'string', value: 'FILE', description: 'check the images of this list, one SOURCE@DIGEST a line' },
    json: { type: 'boolean', description: 'print the report as JSON on stdout' },
    ...catalogFlag,
    ...registryFlags(''),
  },
  examples: [
    'ferry mirror-config check /etc/containers --registry mirror.local:5000/ocp --bundle /media/usb/bundle',
    'ferry mirror-config check ./mirror-config --registry mirror.local:5000 --images digests.txt --json',
    'ferry mirror-config check ./mirror-config --registry mirror.local:5000/ocp   # the images the catalog recorded as imported there',
  ],
};

/** What the receipts recorded as imported under REGISTRY[/PREFIX]. */
async function imagesFromCatalog(args: ParsedArgs, registry: string): Promise<CheckedImage[]> {
  const { registry: host, prefix } = parseRegistryPrefix(registry);
  const under = prefix === '' ? `${host}/` : `${host}/${prefix}/`;
  const images = await withCatalog(args.values, (catalog) => Promise.resolve(catalog.importedImages(under)));
  if (images.length === 0)
    throw new FerryError('INVALID_ARGUMENT', `the catalog records no import into ${registry} (receipts are kept for imports with --site): give --bundle BUNDLE or --images FILE`, {
      argument: 'images',
    });
  return images;
}

function printReport(report: MirrorCheckReport, io: CommandIo): void {
  const { out } = io;
  const rows = report.rows.map((row) => [row.image, row.format, row.state, row.state === 'resolves' ? (row.resolvedAt ?? '') : row.detail.slice(row.image.length + 2)].map(terminalSafe));
  const header = ['IMAGE', 'FORMAT', 'RESULT', 'WHERE'];
  const widths = header.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell))
      .join('  ')
      .trimEnd();
  out.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
  if (report.skipped.length > 0) out.write(`not checked (no source registry): ${report.skipped.map(terminalSafe).join(', ')}\n`);
  out.write(`${report.resolved} of ${report.images} image(s) resolve through ${report.formats.join(', ')} in ${terminalSafe(report.config)} (${report.seconds.toFixed(1)} s)\n`);
}

/** The import's summary of its mapping check: one line when every image resolves, else the line and each failure. */
export function mirrorCheckLines(report: MirrorCheckReport): string {
  if (report.error !== undefined) return `Mirror configuration not checked: ${terminalSafe(report.error)}\n`;
  if (report.ok) return `Mirror configuration checked: ${report.images} image(s) resolve through ${report.formats.join(', ')}\n`;
  const failures = report.rows.filter((row) => row.state !== 'resolves');
  return [
    `Mirror configuration checked: ${report.images - report.resolved} of ${report.images} image(s) would not resolve (ferry mirror-config check shows every row)`,
    ...failures.map((row) => `  ${row.format}: ${terminalSafe(row.detail)}`),
    '',
  ].join('\n');
}

/** Runs `ferry mirror-config check`; exit 0 when every image resolves through every format, 1 otherwise. */
export async function runMirrorConfig(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [sub, dir, ...extra] = args.positionals;
  if (sub !== 'check') throw new FerryError('INVALID_ARGUMENT', `ferry mirror-config ${sub ?? ''}: the subcommand is check (see ferry mirror-config --help)`.replace('  ', ' '));
  if (dir === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give exactly one configuration folder or file: ferry mirror-config check DIR --registry REGISTRY[/PREFIX]');
  const registry = args.values.registry;
  if (typeof registry !== 'string') throw new FerryError('INVALID_ARGUMENT', '--registry REGISTRY[/PREFIX] is required: the site registry the configuration points at');
  const bundle = typeof args.values.bundle === 'string' ? args.values.bundle : undefined;
  const list = typeof args.values.images === 'string' ? args.values.images : undefined;
  if (bundle !== undefined && list !== undefined) throw new FerryError('INVALID_ARGUMENT', 'give --bundle or --images, not both');
  const images = bundle !== undefined ? await imagesFromBundle(bundle) : list !== undefined ? await imagesFromList(list) : await imagesFromCatalog(args, registry);
  const report = await runMirrorCheck({ config: dir, registry, images, settings: await registrySettings(args.values, io) });
  if (args.values.json === true) io.out.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report, io);
  return report.ok ? 0 : 1;
}
