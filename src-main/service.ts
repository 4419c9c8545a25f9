/**
 * The API implementation: one object with one async function per contract
 * method and a subscription to its events, used by every front end (Electron
 * IPC, browser mode, tests) so the only code that differs between them is the
 * transport (DESIGN.md decision 1). It adapts the contract to the use cases
 * (src-main/usecases): export, import, verify, the catalog and the media
 * probes do the work there.
 *
 * Credentials in `RegistryAccessInput` live for one call: they are never put
 * into the catalog, a job's state, its result, or any log.
 */
import { API_METHODS, type ApiClient, type ApiMethod, type ApiMethods } from '../src-shared/api/contract.ts';
import { FerryError } from '../src-shared/errors.ts';
import { watchDrives } from './media/drive-watch.ts';
import { listDrives } from './media/drives.ts';
import { ejectDrive } from './media/eject.ts';
import { ferryVersion } from './version.ts';
import { argsObject, optionalString, requireString, settingsFrom, stringList, type SavedLogin } from './service/access.ts';
import { defaultCatalogPath, listBundles, openCatalog as openCatalogAt, queryCatalog, type Catalog } from './usecases/catalog.ts';
import { testRegistry } from './usecases/registry-test.ts';
import { checkExportTarget } from './usecases/export-target.ts';
import { addReceipt, siteOverview } from './usecases/receipt.ts';
import { VerifiedBundles } from './usecases/verify.ts';
import { browseMethods, type BrowseCallOptions } from './service/browse.ts';
import { EventHub } from './service/events.ts';
import { findBundles, listFolder, makeFolder } from './service/files.ts';
import { exportInput, planExport, runExportJob } from './service/export.ts';
import { importInput, inspectBundle, runImportJob, runVerifyJob } from './service/import.ts';
import { mergePullSecret, mirrorConfig, saveMirrorConfig } from './service/mirror.ts';
import { registryCheck } from './service/registries.ts';
import { lastImportPathFor, readLastImport, rememberImport } from './service/import-memory.ts';
import { AppRegistry } from './service/serve.ts';
import { DemoRegistries } from './service/demo.ts';
import { JobRunner } from './service/jobs.ts';
import { CredentialVault, vaultPathFor, type SecretCipher } from './service/credential-vault.ts';
import { listSavedSets, saveSet, setsFolderFor } from './service/saved-sets.ts';
import { readSettings, savedRateLimitFor, saveSettings, settingsPathFor } from './service/settings.ts';
import { decideOnBundle, readPolicy, reviewBundleFor, savePolicy, signingKeys } from './service/trust.ts';
import { imageDetailsFor, saveReport } from './service/inspector.ts';
import { refuseUserInfo } from '../src-shared/registry-address.ts';

/** How a service is created: where its catalog is and which front end hosts it. */
export interface ServiceOptions {
  catalogPath?: string;
  mode: 'electron' | 'browser';
  /** The system keychain (Electron safeStorage); without it no password is kept and `credentials:save` is refused. */
  cipher?: SecretCipher;
  /** Where the app's registry logs its faults and warnings; default standard error (the app's log). */
  log?: (line: string) => void;
  /** False keeps Settings' "start the registry with the app" from starting it (tests of other features); default true. */
  autoStartRegistry?: boolean;
}

/** The contract's client, plus what the host process needs. */
export type Service = ApiClient & {
  /** Calls a method by name with untrusted arguments: what the IPC and HTTP adapters use; `signal` aborts when the caller went away (browse:* stop). */
  call(method: ApiMethod, args: unknown, options?: BrowseCallOptions): Promise<unknown>;
  /** Waits for a job to end (tests). */
  settled(jobId: string): Promise<ApiMethods['job:list']['result'][number] | undefined>;
  /** Resolves once "start the registry with the app" has been tried (tests). */
  registryStarted(): Promise<void>;
  /** Cancels running jobs, stops the app's registry and closes the catalog. */
  close(): Promise<void>;
};

/** True when `name` is one of the contract's methods (the adapters refuse anything else). */
export function isApiMethod(name: string): name is ApiMethod {
  return (API_METHODS as readonly string[]).includes(name);
}

/** An import's registry target (`target`), refused when it carries a login, before it can reach a job title, an event or the catalog. */
function refuseRegistryTarget(args: unknown): void {
  const target = optionalString(argsObject(args), 'target');
  if (target !== undefined) refuseUserInfo(target, 'target');
}

/** A listing's `limit` from untrusted arguments, when it is a number (the use case clamps it). */
function optionalLimit(args: unknown): { limit?: number } {
  const limit = argsObject(args).limit;
  return typeof limit === 'number' ? { limit } : {};
}

/** Creates the service; the catalog opens on first use and stays open until `close()`. */
export function createService(options: ServiceOptions): Service {
  const catalogPath = options.catalogPath ?? defaultCatalogPath();
  const events = new EventHub();
  const jobs = new JobRunner(events);
  let catalog: Catalog | undefined;
  const vault = new CredentialVault(vaultPathFor(catalogPath), options.cipher);
  // The saved login (keychain) and the saved request rate (Settings → Registries) of a host, looked up as a job opens its client.
  const savedLogin: SavedLogin = Object.assign((host: string) => vault.lookup(host), { rateLimit: savedRateLimitFor(settingsPathFor(catalogPath)) });
  const openCatalog = (): Catalog => (catalog ??= openCatalogAt(catalogPath));
  // The import wizard's last verified bundles: inspect and mirror:config use their views instead of reading a bundle again.
  const verified = new VerifiedBundles();
  // The drive watch starts with the first `drives:changed` subscriber, so a service nobody watches drives on never polls.
  let stopDriveWatch: (() => void) | undefined;
  // The app's own registry (one at a time); Settings' "start it with the app" starts it now, in the background.
  const registry = new AppRegistry({ settingsPath: settingsPathFor(catalogPath), emit: (status) => events.emit('serve:state', status), ...(options.log ? { log: options.log } : {}) });
  const autoStarted = options.autoStartRegistry === false ? Promise.resolve() : registry.autoStart();
  // "Try Ferry with sample images": two local registries in demo/ beside the catalog, stopped with the service.
  const demo = new DemoRegistries(catalogPath);

  const methods: { [M in ApiMethod]: (args: ApiMethods[M]['args']) => Promise<ApiMethods[M]['result']> } = {
    'app:info': async () => ({ version: ferryVersion(), mode: options.mode, catalog: catalogPath }),
    'drives:list': () => listDrives(),
    'drives:eject': async (args) => {
      const path = requireString(argsObject(args), 'path');
      // Only what `drives:list` offers can be removed: a call cannot power off an arbitrary device.
      const drives = await listDrives();
      if (!drives.some((d) => d.path === path)) throw new FerryError('NOT_FOUND', `no removable drive is mounted at ${path}; it may already have been removed`, { path });
      await ejectDrive(path);
      return { ejected: true };
    },
    'export:plan': (args) => planExport(exportInput(args), openCatalog, savedLogin),
    'export:target': (args) => checkExportTarget(requireString(argsObject(args), 'target')),
    'receipt:add': async (args) => {
      const input = argsObject(args);
      const site = optionalString(input, 'site')?.trim();
      const added = await addReceipt(openCatalog(), requireString(input, 'file'), site === '' ? undefined : site);
      return { site: added.site, registry: added.registry, bundleId: added.bundleId, digests: added.digests };
    },
    'site:summary': async (args) => siteOverview(openCatalog(), requireString(argsObject(args), 'site')),
    'export:run': async (args) => {
      const input = exportInput(args);
      if (input.target.trim() === '') throw new FerryError('INVALID_ARGUMENT', 'choose where to write the bundle (a drive or a folder)', { argument: 'target' });
      const references = [
        ...input.references,
        ...(input.setFile ? [`set ${input.setFile}`] : []),
        ...(input.imageListFile ? [`list ${input.imageListFile}`] : []),
        ...(input.imageListText ? ['pasted list'] : []),
      ];
      // A login inside an address would reach the job title and every event: refused first, never echoed.
      for (const reference of input.references) refuseUserInfo(reference, 'references', 'reference');
      const title = `Export ${references.length === 1 ? references[0] : `${references.length} sources`} to ${input.target}`;
      return { jobId: jobs.start('export', title, (context) => runExportJob(input, openCatalog(), context, savedLogin)) };
    },
    'import:inspect': (args) => {
      refuseRegistryTarget(args);
      return inspectBundle(args, verified, openCatalog);
    },
    'import:run': async (args) => {
      refuseRegistryTarget(args);
      const input = importInput(args);
      // A memory for the next run: a data folder that cannot be written must not stop the import.
      await rememberImport(lastImportPathFor(catalogPath), input).catch(() => undefined);
      return { jobId: jobs.start('import', `Import ${input.bundle} to ${input.target}`, (context) => runImportJob(input, openCatalog(), context, verified, savedLogin)) };
    },
    'bundle:verify': async (args) => {
      const bundle = requireString(argsObject(args), 'bundle');
      return { jobId: jobs.start('verify', `Verify ${bundle}`, (context) => runVerifyJob(bundle, context, verified)) };
    },
    'job:cancel': async (args) => ({ cancelled: jobs.cancel(requireString(argsObject(args), 'jobId')) }),
    'job:list': async () => jobs.list(),
    'mirror:config': (args) => {
      refuseRegistryTarget(args);
      return mirrorConfig(args, verified);
    },
    'mirror:save': (args) => {
      refuseRegistryTarget(args);
      return saveMirrorConfig(args, verified);
    },
    'pullsecret:merge': (args) => {
      refuseRegistryTarget(args);
      return mergePullSecret(args);
    },
    'import:last': () => readLastImport(lastImportPathFor(catalogPath)),
    'registry:test': async (args) => {
      const input = argsObject(args);
      refuseUserInfo(requireString(input, 'registry'), 'registry');
      return testRegistry(requireString(input, 'registry'), settingsFrom(input.access, savedLogin));
    },
    // Probes the registry (a probe blob pushed and deleted, manifests by digest, never a tag): as the import's own check does.
    'registry:check': (args) => registryCheck(args, verified, savedLogin),
    'catalog:bundles': async (args) => {
      const input = argsObject(args);
      const contains = optionalString(input, 'contains');
      const limit = typeof input.limit === 'number' ? input.limit : undefined;
      return listBundles(openCatalog(), { ...(contains !== undefined ? { contains } : {}), ...(limit !== undefined ? { limit } : {}) }).map((row) => ({ ...row }));
    },
    'catalog:totals': async () => queryCatalog(openCatalog(), { kind: 'totals' }),
    'catalog:bundle': async (args) => queryCatalog(openCatalog(), { kind: 'bundle', bundleId: requireString(argsObject(args), 'id') }),
    'catalog:sites': async () => queryCatalog(openCatalog(), { kind: 'siteOverviews' }),
    'catalog:receipts': async (args) => queryCatalog(openCatalog(), { kind: 'receipts', ...optionalLimit(args) }),
    'catalog:audit': async (args) => queryCatalog(openCatalog(), { kind: 'auditLog', ...optionalLimit(args) }),
    // Beside the catalog, so FERRY_CATALOG and `ferry ui --catalog` move both together; never holds a secret.
    'settings:get': () => readSettings(settingsPathFor(catalogPath)),
    'settings:save': (args) => saveSettings(settingsPathFor(catalogPath), args),
    // Sealed by the keychain in a file of its own, beside the settings; never in the catalog or settings.json.
    'credentials:status': () => vault.status(),
    'credentials:save': async (args) => {
      const input = argsObject(args);
      refuseUserInfo(requireString(input, 'registry'), 'registry');
      await vault.save(requireString(input, 'registry'), requireString(input, 'username'), typeof input.password === 'string' ? input.password : '');
      return { saved: true };
    },
    'credentials:delete': async (args) => ({ deleted: await vault.delete(requireString(argsObject(args), 'registry')) }),
    'sets:list': () => listSavedSets(setsFolderFor(catalogPath)),
    'sets:save': (args) => {
      const input = argsObject(args);
      return saveSet(setsFolderFor(catalogPath), requireString(input, 'name'), stringList(input, 'references'), stringList(input, 'platforms'));
    },
    'files:list': (args) => listFolder(optionalString(argsObject(args), 'path')),
    'files:mkdir': (args) => {
      const input = argsObject(args);
      return makeFolder(requireString(input, 'parent'), requireString(input, 'name'));
    },
    'bundles:find': async (args) => {
      const roots = stringList(argsObject(args), 'roots');
      if (roots.length > 0) return findBundles(roots.map((path) => ({ path, drive: null })));
      const drives = (await listDrives()).filter((drive) => drive.removable);
      return findBundles(drives.map((drive) => ({ path: drive.path, drive: drive.label })));
    },
    // The officer's Review step: the bundle is verified first; the passphrase of a decision lives for that one call.
    'bundle:review': (args) => {
      refuseRegistryTarget(args);
      return reviewBundleFor(args, verified, openCatalog, savedLogin);
    },
    'bundle:decide': (args) => decideOnBundle(args, openCatalog),
    'bundle:images': (args) => imageDetailsFor(args, verified),
    'report:save': (args) => saveReport(args),
    // Beside the catalog, like the settings: import reads the same file.
    'policy:get': () => readPolicy(catalogPath),
    'policy:save': (args) => savePolicy(catalogPath, args, openCatalog),
    'keys:list': () => signingKeys(),
    // The browser reads registries with the same saved logins as the wizards, and bundles as `ferry ls` does.
    ...browseMethods({ savedLogin, verified }),
    'serve:start': (args) => registry.start(args),
    'serve:stop': () => registry.stop(),
    'serve:status': () => registry.status(),
    'demo:start': () => demo.start(),
    'demo:stop': () => demo.stop(),
    'demo:status': () => demo.status(),
  };

  return {
    ...methods,
    on: (event, listener) => {
      if (event === 'drives:changed') stopDriveWatch ??= watchDrives((drives) => events.emit('drives:changed', { drives }));
      return events.on(event, listener);
    },
    call: async (method, args, callOptions) => {
      if (!isApiMethod(method)) throw new FerryError('NOT_FOUND', `unknown method ${String(method)}`);
      const run = methods[method] as (args: unknown, call?: BrowseCallOptions) => Promise<unknown>;
      return run(argsObject(args), callOptions);
    },
    settled: (jobId) => jobs.settled(jobId),
    registryStarted: () => autoStarted,
    close: async () => {
      stopDriveWatch?.();
      stopDriveWatch = undefined;
      await jobs.stopAll();
      await registry.close();
      await demo.close();
      catalog?.close();
      catalog = undefined;
    },
  };
}
