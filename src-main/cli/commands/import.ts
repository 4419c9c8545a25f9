/**
 * `ferry import BUNDLE --to REGISTRY[/PREFIX]`: verify a bundle, push it into
 * the site's registry, write the receipt and, if asked, the mirror
 * configuration clusters need. The work is the import use case's; this file
 * parses flags and prints.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import { DEFAULT_IMPORT_CONCURRENCY, runImport as importBundle, type ImportJobInput } from '../../usecases/import.ts';
import { concurrencyFlag, type CommandIo, type CommandSpec, type ParsedArgs } from '../args.ts';
import { catalogFlag, withCatalog } from '../catalog-flags.ts';
import { formatBytes } from '../../../src-shared/units.ts';
import { runJob } from '../job.ts';
import { maxNestedPathsFlag, maxNestedPathsOf } from '../nesting-flags.ts';
import { registryFlags, registrySettings } from '../registry-flags.ts';
import { shown, terminalSafe } from '../terminal-text.ts';
import { mirrorCheckLines } from './mirror-config.ts';
import { skippedAtExportLines } from '../keep-going.ts';

/** The flags and help of `ferry import`. */
export const importSpec: CommandSpec = {
  name: 'import',
  usage: 'ferry import BUNDLE --to REGISTRY[/PREFIX] [flags]',
  summary: 'Verify a bundle (or any OCI image layout folder) and push it into a registry; nothing is written unless every byte checks out.',
  flags: {
    to: { type: 'string', value: 'REGISTRY[/PREFIX]', description: 'the site registry; SRC_HOST/path/name lands at REGISTRY/PREFIX/path/name' },
    'to-store': {
      type: 'string',
      value: 'DIR',
      description: 'write straight into this `ferry serve` store folder (created on first use) at disk speed, not over HTTP; --to then names the address clients will use (default localhost)',
    },
    'keep-registry-host': { type: 'boolean', description: 'keep the source host in the path: REGISTRY/PREFIX/SRC_HOST/path/name (a :port becomes _port)' },
    ...maxNestedPathsFlag(),
    'create-repositories': {
      type: 'boolean',
      description: 'where the registry needs repositories to exist before a push (as ECR does) and offers a way to create them, create the missing ones first',
    },
    'skip-registry-check': {
      type: 'boolean',
      description: "leave out the check of the registry's capabilities (path depth, media types, repositories) before the first write, for a registry that answers it wrongly",
    },
    'dry-run': { type: 'boolean', description: 'verify and print where every image would land; write nothing' },
    'mirror-config': {
      type: 'string',
      value: 'DIR',
      description: 'write registries.conf, IDMS/ITMS/ICSP, containerd hosts.toml and, for OpenShift content, CatalogSource/ClusterCatalog, release-signature ConfigMaps and UpdateService into DIR',
    },
    'mirror-ca': {
      type: 'string',
      value: 'FILE',
      description:
        "with --mirror-config: the mirror's CA (PEM), written as certs.d/<host:port>/ca.crt, containerd's ca, the OpenShift additionalTrustedCA ConfigMap and the KET/Deckhouse CA fields (default: the --ca-cert files)",
    },
    'pull-secret': {
      type: 'string',
      value: 'FILE',
      description: 'add the login of the mirror (--creds, --password-stdin or --creds-file) to this .dockerconfigjson pull secret, keeping its other entries',
    },
    receipt: { type: 'string', value: 'FILE', description: 'where to write ferry-receipt.json (default: the bundle folder when writable, else a receipts folder beside the catalog)' },
    site: { type: 'string', value: 'NAME', description: 'the site name recorded in the receipt' },
    policy: { type: 'string', value: 'FILE', description: 'the site policy to enforce before the first write (default: policy.yaml beside the catalog, when it exists)' },
    concurrency: { type: 'string', value: 'N', description: `blobs in flight at once (default ${DEFAULT_IMPORT_CONCURRENCY})` },
    json: { type: 'boolean', description: 'print one JSON summary on stdout' },
    ...catalogFlag,
    ...registryFlags(''),
  },
  examples: [
    'ferry import /media/usb/bundle --to mirror.local:5000/ocp --mirror-config ./mirror-config',
    'ferry import /media/usb/bundle --to-store /srv/ferry-store --to mirror.local:5000',
    'ferry import ./bundle --to 127.0.0.1:5000 --plain-http --dry-run',
    'ferry import /media/usb/bundle --to quay.local/mirror --max-nested-paths 2 --mirror-config ./mirror-config',
  ],
};

/** The import the flags ask for. */
async function importInput(args: ParsedArgs, io: CommandIo): Promise<ImportJobInput> {
  const [bundle, ...extra] = args.positionals;
  const store = typeof args.values['to-store'] === 'string' ? args.values['to-store'] : undefined;
  if (store !== undefined && typeof args.values.to !== 'string' && typeof args.values['mirror-config'] === 'string') {
    throw new FerryError('INVALID_ARGUMENT', '--mirror-config with --to-store needs --to HOST:PORT[/PREFIX]: the address clients will reach `ferry serve` at');
  }
  // A store's images land at their source paths under localhost unless --to names the served address.
  const to = store !== undefined && args.values.to === undefined ? 'localhost' : args.values.to;
  if (bundle === undefined || extra.length > 0) throw new FerryError('INVALID_ARGUMENT', 'give exactly one BUNDLE folder (see ferry import --help)');
  if (typeof to !== 'string') throw new FerryError('INVALID_ARGUMENT', '--to REGISTRY[/PREFIX] (or --to-store DIR) is required (see ferry import --help)');
  const input: ImportJobInput = {
    bundle,
    target: to,
    keepRegistryHost: args.values['keep-registry-host'] === true,
    dryRun: args.values['dry-run'] === true,
    concurrency: concurrencyFlag(args.values, DEFAULT_IMPORT_CONCURRENCY),
    registry: await registrySettings(args.values, io),
  };
  const maxNestedPaths = maxNestedPathsOf(args.values);
  if (maxNestedPaths !== undefined) input.maxNestedPaths = maxNestedPaths;
  if (args.values['create-repositories'] === true) input.createRepositories = true;
  if (args.values['skip-registry-check'] === true) input.skipRegistryCheck = true;
  const text = (name: string): string | undefined => (typeof args.values[name] === 'string' ? args.values[name] : undefined);
  const site = text('site');
  const receipt = text('receipt');
  const mirrorConfig = text('mirror-config');
  const pullSecret = text('pull-secret');
  const policy = text('policy');
  if (store !== undefined) input.store = store;
  if (site !== undefined) input.site = site;
  if (policy !== undefined) input.policyPath = policy;
  if (receipt !== undefined) input.receiptFile = receipt;
  if (mirrorConfig !== undefined) input.mirrorConfigDir = mirrorConfig;
  const mirrorCa = text('mirror-ca');
  if (mirrorCa !== undefined) {
    if (mirrorConfig === undefined) throw new FerryError('INVALID_ARGUMENT', '--mirror-ca goes with --mirror-config DIR');
    input.mirrorCa = mirrorCa;
  }
  if (pullSecret !== undefined) {
    if (input.registry.login === undefined)
      throw new FerryError('INVALID_ARGUMENT', '--pull-secret needs the login of the mirror registry: --username USER --password-stdin, --creds-file FILE or --creds USER:PASSWORD');
    input.pullSecretFile = pullSecret;
  }
  return input;
}

/** Runs `ferry import`; returns the exit code. */
export async function runImport(args: ParsedArgs, io: CommandIo): Promise<number> {
  const { out, err } = io;
  const input = await importInput(args, io);
  const { summary, receipt, mirrorConfig, mirrorConfigRemoved, policy, view, preflight, mirrorCheck } = await withCatalog(args.values, (catalog) =>
    runJob('import', err, async ({ signal, tracker, endProgress }) => {
      try {
        return await importBundle(input, catalog, { signal, tracker });
      } finally {
        endProgress();
      }
    }),
  );
  if (args.values.json === true) {
    const registryCheck = preflight?.report ? { registryCheck: preflight.report, repositoriesCreated: preflight.created } : {};
    const skippedAtExport = view.manifest?.skipped;
    out.write(
      `${JSON.stringify({ ...summary, receipt, mirrorConfig, mirrorConfigRemoved, ...(policy ? { policy } : {}), ...(skippedAtExport?.length ? { skippedAtExport } : {}), ...registryCheck, ...(mirrorCheck ? { mirrorCheck } : {}) }, null, 2)}\n`,
    );
    return 0;
  }
  if (policy) out.write(shown`site policy ${policy.path} (${policy.digest}): passed\n`);
  if (preflight?.report?.reachable)
    out.write(
      `registry check: passed in ${(preflight.report.durationMs / 1000).toFixed(1)} s${preflight.created.length > 0 ? `; created ${preflight.created.length} repositories: ${preflight.created.map(terminalSafe).join(', ')}` : ''}\n`,
    );
  for (const image of summary.images) out.write(`${summary.dryRun ? 'would import' : 'imported'} ${shown`${image.source} -> ${image.destination}`}\n`);
  if (!summary.dryRun) {
    out.write(
      `${summary.images.length} image(s) in ${summary.seconds.toFixed(1)} s: blobs ${summary.blobs.copied} pushed (${formatBytes(summary.bytesPushed)}), ${summary.blobs.mounted} mounted, ${summary.blobs.skipped} already there; ${summary.manifestsPushed} manifests and tags pushed\n`,
    );
    if (input.store !== undefined) out.write(shown`written into the store ${input.store} (serve it with ferry serve --storage ${input.store})\n`);
    out.write(shown`receipt: ${receipt}\n`);
  }
  if (mirrorConfig.length > 0) out.write(`mirror configuration: ${mirrorConfig.map(terminalSafe).join(', ')} in ${terminalSafe(input.mirrorConfigDir)}\n`);
  if (mirrorConfigRemoved.length > 0) out.write(`removed from the mirror configuration (an earlier run wrote them, this one did not): ${mirrorConfigRemoved.map(terminalSafe).join(', ')}\n`);
  if (mirrorCheck) out.write(mirrorCheckLines(mirrorCheck));
  // A partial bundle: what its export left out is not at the site either.
  if (view.manifest?.skipped?.length) out.write(`${skippedAtExportLines(view.manifest.skipped).join('\n')}\n`);
  return 0;
}
