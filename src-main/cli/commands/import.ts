/**
 * `ferry import BUNDLE --to REGISTRY[/PREFIX]`: verify a bundle, push it into
 * the site's registry, write the receipt and, if asked, the mirror
 * configuration clusters need.
 */
import { join, resolve } from 'node:path';
import { FerryError } from '../../../src-shared/errors.ts';
import { parseRegistryPrefix } from '../../oci/reference.ts';
import { Registries } from '../../oci/registry/registries.ts';
import type { Catalog } from '../../catalog/index.ts';
import { writeReceipt, type ImportReceipt } from '../../bundle/receipt.ts';
import { catalogFlag, openCatalog } from '../catalog-flags.ts';
import { recordImport } from '../../catalog/job-records.ts';
import { withCatalogJob } from '../../catalog/catalog-job.ts';
import { writeMirrorConfig } from '../../mirror-config/write.ts';
import { mergePullSecretFile } from '../../mirror-config/pull-secret.ts';
import { DEFAULT_IMPORT_CONCURRENCY, importBundle, type ImportSummary } from '../../transfer/import.ts';
import type { CommandIo, CommandSpec, ParsedArgs } from '../args.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { runJob } from '../job.ts';
import { registryAccess, registryFlags } from '../registry-flags.ts';
import { concurrencyFlag } from './copy.ts';

/** The flags and help of `ferry import`. */
export const importSpec: CommandSpec = {
  name: 'import',
  usage: 'ferry import BUNDLE --to REGISTRY[/PREFIX] [flags]',
  summary: 'Verify a bundle (or any OCI image layout folder) and push it into a registry; nothing is written unless every byte checks out.',
  flags: {
    to: { type: 'string', value: 'REGISTRY[/PREFIX]', description: 'the site registry; SRC_HOST/path/name lands at REGISTRY/PREFIX/path/name' },
    'keep-registry-host': { type: 'boolean', description: 'keep the source host in the path: REGISTRY/PREFIX/SRC_HOST/path/name (a :port becomes _port)' },
    'dry-run': { type: 'boolean', description: 'verify and print where every image would land; write nothing' },
    'mirror-config': { type: 'string', value: 'DIR', description: 'write registries.conf, IDMS/ITMS/ICSP and containerd hosts.toml for this mapping into DIR' },
    'pull-secret': { type: 'string', value: 'FILE', description: 'add the --creds of the mirror to this .dockerconfigjson pull secret, keeping its other entries' },
    receipt: { type: 'string', value: 'FILE', description: 'where to write ferry-receipt.json (default: the bundle folder when writable, else a receipts folder beside the catalog)' },
    site: { type: 'string', value: 'NAME', description: 'the site name recorded in the receipt' },
    concurrency: { type: 'string', value: 'N', description: `blobs in flight at once (default ${DEFAULT_IMPORT_CONCURRENCY})` },
    json: { type: 'boolean', description: 'print one JSON summary on stdout' },
    ...catalogFlag,
    ...registryFlags(''),
  },
  examples: [
    'ferry import /media/usb/bundle --to mirror.local:5000/ocp --mirror-config ./mirror-config',
    'ferry import ./bundle --to 127.0.0.1:5000 --plain-http --dry-run',
  ],
};

/** Runs `ferry import`; returns the exit code. */
export async function runImport(args: ParsedArgs, io: CommandIo): Promise<number> {
  const catalog = openCatalog(args.values);
  try {
    return await importWithCatalog(args, io, catalog);
  } finally {
    catalog.close();
  }
}

async function importWithCatalog(args: ParsedArgs, { out, err }: CommandIo, catalog: Catalog): Promise<number> {
  const [bundleArg, ...extra] = args.positionals;
  const to = args.values.to;
  if (bundleArg === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give exactly one BUNDLE folder (see ferry import --help)');
  if (typeof to !== 'string') throw new FerryError('INVALID_ARGUMENT', '--to REGISTRY[/PREFIX] is required (see ferry import --help)');
  const bundle = resolve(bundleArg);
  const { registry, prefix } = parseRegistryPrefix(to);
  const registries = new Registries(registryAccess(args.values, '', [registry]));
  return runJob('import', err, registries, async ({ signal, tracker, endProgress }) => {
    const request = {
      bundle, target: { registry, prefix, keepRegistryHost: args.values['keep-registry-host'] === true }, dryRun: args.values['dry-run'] === true,
      concurrency: concurrencyFlag(args.values, DEFAULT_IMPORT_CONCURRENCY), signal, onEvent: tracker.onEvent,
    };
    const summary = request.dryRun
      ? await importBundle(request, registries)
      : await withCatalogJob(catalog, 'import', `${bundle} -> ${to}`, { bundle, target: to }, (journal) => importBundle({ ...request, journal }, registries));
    endProgress();
    const pullSecret = args.values['pull-secret'];
    if (typeof pullSecret === 'string' && !summary.dryRun) {
      const creds = registryAccess(args.values, '', [registry]).creds;
      if (!creds) throw new FerryError('INVALID_ARGUMENT', '--pull-secret needs --creds USER:PASSWORD for the mirror registry');
      await mergePullSecretFile(pullSecret, registry, { username: creds.username, password: creds.password });
    }
    const mirrorDir = args.values['mirror-config'];
    const written = typeof mirrorDir === 'string' ? await writeMirrorConfig(mirrorDir, summary.mappings, { mirrorRegistry: registry }) : [];
    let receipt: string | undefined;
    if (!summary.dryRun) {
      const file = args.values.receipt;
      const site = typeof args.values.site === 'string' ? args.values.site : undefined;
      const content: ImportReceipt = {
        receiptVersion: 1, site: site ?? null, registry: summary.target, bundleId: summary.bundleId ?? null,
        importedAt: new Date().toISOString(), images: summary.images, digests: summary.present,
      };
      receipt = await writeReceipt(content, { bundleDir: bundle, ...(typeof file === 'string' ? { file } : {}) });
      recordImport(catalog, summary, content, site);
    }
    if (args.values.json === true) {
      out.write(`${JSON.stringify({ ...summary, receipt, mirrorConfig: written }, null, 2)}\n`);
      return 0;
    }
    for (const image of summary.images) out.write(`${summary.dryRun ? 'would import' : 'imported'} ${image.source} -> ${image.destination}\n`);
    if (!summary.dryRun) {
      out.write(`${summary.images.length} image(s) in ${summary.seconds.toFixed(1)} s: blobs ${summary.blobs.copied} pushed (${formatBytes(summary.bytesPushed)}), ${summary.blobs.mounted} mounted, ${summary.blobs.skipped} already there; ${summary.manifestsPushed} manifests and tags pushed\n`);
      out.write(`receipt: ${receipt}\n`);
    }
    if (written.length > 0) out.write(`mirror configuration: ${written.join(', ')} in ${mirrorDir}\n`);
    return 0;
  });
}
