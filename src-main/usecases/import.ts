/**
 * The import use case, whole: verify the bundle, judge it by the site policy
 * when there is one (before the first write, the dry run too), push it into the site's
 * registry (resumable through the catalog's journal), merge the pull secret,
 * write the mirror configuration, the receipt and the catalog record with the
 * site. `ferry import` and the app's import wizard both enter here, so the app
 * records the site and the receipt exactly as the CLI does.
 */
import { resolve } from 'node:path';
import { FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import type { MirrorConfigOptions } from '../mirror-config/mapping.ts';
import type { MirrorConfigWrite } from '../mirror-config/write.ts';
import type { MirrorCheckReport } from '../../src-shared/model/mirror-check.ts';
import { writeReceipt, type ImportReceipt } from '../bundle/receipt.ts';
import type { Catalog } from '../catalog/index.ts';
import { parseRegistryPrefix } from '../oci/reference.ts';
import type { Registries } from '../oci/registry/registries.ts';
import type { ImportPlan, ImportTarget } from '../transfer/import-plan.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { checkMaxNestedPaths, checkPrefixRoom } from '../transfer/nested-paths.ts';
import type { ImportRequest, ImportSummary } from '../transfer/import-start.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import { withCatalogJob } from './catalog-job.ts';
import type { JobContext } from './job-context.ts';
import { recordImport } from './job-records.ts';
import { mirrorTrust, storeMirrorCa, targetText } from './mirror-trust.ts';
import { readSitePolicy } from '../trust/policy.ts';
import type { PolicyCheck } from './trust-review.ts';
import type { ImportPreflightResult } from './import-preflight.ts';

/** What to import and where, as every front end asks for it. */
export interface ImportJobInput {
  /** The bundle folder (or any OCI image layout folder). */
  bundle: string;
  /** `REGISTRY[/PREFIX]`: SRC_HOST/path/name lands at REGISTRY/PREFIX/path/name. */
  target: string;
  /** Keep the source host in the path: REGISTRY/PREFIX/SRC_HOST/path/name. */
  keepRegistryHost?: boolean;
  /** Fold every repository path (prefix included) into at most this many components (transfer/nested-paths.ts). */
  maxNestedPaths?: number;
  /** Where the registry needs repositories to exist and offers a way to create them, create the missing ones before the push. */
  createRepositories?: boolean;
  /** Leave out the registry check before the first write (import-preflight.ts), for a registry that answers it wrongly. */
  skipRegistryCheck?: boolean;
  /** Verify and plan only; write nothing. */
  dryRun?: boolean;
  /** Blobs in flight at once. */
  concurrency?: number;
  /** The site this registry belongs to: recorded in the receipt and the catalog. */
  site?: string;
  /** Where to write the receipt (default: the bundle folder when writable, else beside the catalog). */
  receiptFile?: string;
  /** Write registries.conf, IDMS/ITMS/ICSP and containerd hosts.toml for this mapping into this folder. */
  mirrorConfigDir?: string;
  /** The mirror's CA for the mirror configuration (PEM file or text); default: `registry.caCertFiles`. */
  mirrorCa?: string;
  /** Add the mirror's login to this .dockerconfigjson pull secret, keeping its other entries. */
  pullSecretFile?: string;
  /** The site policy file; absent: `policy.yaml` beside the catalog when there is one, else no policy (as before issue 14). */
  policyPath?: string;
  /**
   * Write straight into this `ferry serve` store folder instead of pushing over HTTP (`--to-store`,
   * import-to-store.ts); `target` is then the address clients will use to reach it.
   */
  store?: string;
  registry: RegistrySettings;
}

/** What an import answers: the engine's summary, the receipt's path and the mirror configuration files written. */
export interface ImportOutcome {
  summary: ImportSummary;
  receipt?: string;
  mirrorConfig: string[];
  /** Files an earlier run wrote into the mirror configuration folder that this one did not, removed so `oc apply -f` does not apply them again. */
  mirrorConfigRemoved: string[];
  /** The bundle as the import's verification read it (the app keeps it for the wizard's mirror configuration). */
  view: VerifiedBundle;
  /** The mapping check of the mirror configuration written (usecases/mirror-check.ts); absent without one, for a dry run and a store. */
  mirrorCheck?: MirrorCheckReport;
  /** The site policy's verdict (it passed, or the import would have been refused); absent without a policy. */
  policy?: PolicyCheck['verdict'];
  /** The registry check before the first write and the repositories it created; absent when it did not run (dry run, store folder, skipped). */
  preflight?: ImportPreflightResult;
}

/** The target of an import as the engine takes it; a nesting limit the prefix leaves no room under is refused here, before anything is read. */
export function importTarget(target: string, keepRegistryHost: boolean | undefined, maxNestedPaths?: number): ImportTarget {
  const { registry, prefix } = parseRegistryPrefix(target);
  if (maxNestedPaths === undefined) return { registry, prefix, keepRegistryHost: keepRegistryHost === true };
  checkPrefixRoom(prefix, checkMaxNestedPaths(maxNestedPaths));
  return { registry, prefix, keepRegistryHost: keepRegistryHost === true, maxNestedPaths };
}

/** A verification pass's progress callbacks: the verifier tells its total once, then every chunk it reads. */
export interface VerifyProgress {
  onTotal: (bytes: number) => void;
  onBytes: (bytes: number) => void;
}

/** Feeds a verification pass to the job's progress; undefined when nobody shows progress. */
export function verifyProgress(tracker: JobContext['tracker']): VerifyProgress | undefined {
  if (tracker === undefined) return undefined;
  let read = 0;
  let total = 0;
  tracker.verifying(0, 0);
  return {
    onTotal: (bytes) => {
      total = bytes;
      tracker.verifying(read, total);
    },
    onBytes: (bytes) => {
      read += bytes;
      tracker.verifying(read, total);
    },
  };
}

/**
 * Writes the mirror configuration of an import, with the OpenShift cluster
 * resources the bundle calls for (catalogs, release signatures, the update
 * graph): built from the verified view and where the images landed; a
 * signature layer an incremental bundle left out is read from the site's registry.
 */
async function writeImportMirrorConfig(
  dir: string,
  view: VerifiedBundle,
  summary: ImportSummary,
  registry: string,
  registries: Registries,
  signal: AbortSignal | undefined,
  options: MirrorConfigOptions,
): Promise<MirrorConfigWrite> {
  // The YAML and TOML writers load only for an import that asks for mirror configuration.
  const { writeMirrorConfig } = await import('../mirror-config/write.ts');
  const { hasClusterResources } = await import('../mirror-config/openshift-resources.ts');
  const { clusterResourcesOfBundle } = await import('./cluster-resources.ts');
  const resources = await clusterResourcesOfBundle(view, summary.images, await registries.client(registry), signal);
  return writeMirrorConfig(dir, summary.mappings, options, hasClusterResources(resources) ? resources : undefined);
}

/** The policy's decision as the receipt keeps it: digest, verdict, each rule, and who signed and approved. */
function receiptPolicy({ verdict, signatures }: PolicyCheck): NonNullable<ImportReceipt['policy']> {
  const names = (kind: string): string[] => [...new Set(signatures.filter((s) => s.ok && s.kind === kind).map((s) => s.keyName ?? s.keyId))].sort();
  return { digest: verdict.digest, ok: verdict.ok, rules: verdict.rules.map(({ id, ok }) => ({ id, ok })), signedBy: names('export'), approvedBy: names('approval') };
}

/** Runs the import (or its dry run) and everything that follows it: pull secret, mirror configuration, receipt, catalog. */
export async function runImport(input: ImportJobInput, catalog: Catalog, context: JobContext = {}): Promise<ImportOutcome> {
  const { signal, tracker } = context;
  const bundle = resolve(input.bundle);
  const target = importTarget(input.target, input.keepRegistryHost, input.maxNestedPaths);
  if (input.pullSecretFile !== undefined && input.registry.login === undefined) {
    throw new FerryError('INVALID_ARGUMENT', 'merging a pull secret needs the login of the mirror registry', {
      argument: 'pullSecret',
      hint: { kind: 'mirror-login', host: target.registry } satisfies ErrorHint,
    });
  }
  // Read before anything else: a broken policy or mirror CA stops the import before verification starts.
  const policy = await readSitePolicy(input.policyPath, catalog.path);
  const trust = input.mirrorConfigDir !== undefined ? await mirrorTrust(input.registry, await storeMirrorCa(input.store, input.registry, input.mirrorCa)) : {};
  // Opened on first use: an import into a store folder that asks no registry anything loads no registry client.
  let opened: Promise<Registries> | undefined;
  const registries = (): Promise<Registries> =>
    (opened ??= import('../oci/registry/registries.ts').then(({ Registries }) => new Registries(registryAccessFor(input.registry, [target.registry], 'destination'))));
  try {
    const progress = verifyProgress(tracker);
    let verified: VerifiedBundle | undefined;
    let judged: PolicyCheck | undefined;
    let preflight: ImportPreflightResult | undefined;
    const request = {
      bundle,
      target,
      dryRun: input.dryRun === true,
      ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
      ...(signal ? { signal } : {}),
      ...(tracker ? { onEvent: tracker.onEvent } : {}),
      ...(progress ? { onVerifyBytes: progress.onBytes, onVerifyTotal: progress.onTotal } : {}),
      // The registry's capabilities against the plan, before the first write (a store folder is Ferry's own and needs none).
      ...(input.store === undefined && input.skipRegistryCheck !== true
        ? {
            preflight: async (plan: ImportPlan, client: RegistryClient) => {
              tracker?.setPhase('checking-registry');
              const { runImportPreflight } = await import('./import-preflight.ts');
              preflight = await runImportPreflight(targetText(target), plan, input.registry, client, {
                ...(input.createRepositories === true ? { createRepositories: true } : {}),
                ...(signal ? { signal } : {}),
              });
            },
          }
        : {}),
      onVerified: async (view: VerifiedBundle) => {
        verified = view;
        // A known id with another ferry.json is refused (and recorded as a conflict) before the first write, dry run included.
        if (view.manifest !== undefined && view.ferryJsonDigest !== undefined) {
          catalog.checkBundleIdentity(view.manifest.bundleId, { path: bundle, direction: 'import', manifestDigest: view.ferryJsonDigest });
        }
        // The site policy, judged on the verified view and the target (read only) before the first write, dry run included.
        if (policy !== undefined) {
          // The review (and the registry client it may ask) loads only for a site with a policy.
          const { checkPolicy, notePolicyDigest, policyRefused } = await import('./trust-review.ts');
          notePolicyDigest(catalog, policy);
          // A store is not asked over HTTP: the catalog's record stands for what its tags hold.
          const client = input.store === undefined ? await (await registries()).client(target.registry) : undefined;
          judged = await checkPolicy(view, policy, target, catalog, client, signal, { compareTags: !policy.overwriteTags });
          const { verdict } = judged;
          const failed = verdict.rules.filter((r) => !r.ok).map((r) => r.id);
          catalog.audit(verdict.ok ? 'import.policy-passed' : 'import.policy-refused', view.manifest?.bundleId ?? bundle, {
            policy: verdict.path,
            policyDigest: verdict.digest,
            target: input.target,
            dryRun: input.dryRun === true,
            failed,
          });
          if (!verdict.ok) throw policyRefused(verdict, bundle, target.registry);
        }
      },
    };
    const { store } = input;
    const run =
      store === undefined
        ? async (r: ImportRequest) => (await import('../transfer/import.ts')).importBundle(r, await registries())
        : async (r: ImportRequest) => (await import('./import-to-store.ts')).importToStore(r, store);
    const summary = request.dryRun
      ? await run(request)
      : await withCatalogJob(catalog, 'import', `${bundle} -> ${input.target}`, { bundle, target: input.target, ...(store !== undefined ? { store: resolve(store) } : {}) }, (journal) =>
          run({ ...request, journal }),
        );
    if (input.pullSecretFile !== undefined && input.registry.login !== undefined && !summary.dryRun) {
      const { mergePullSecretFile } = await import('../mirror-config/pull-secret.ts');
      await mergePullSecretFile(input.pullSecretFile, target.registry, input.registry.login);
    }
    // importBundle tells the view before it plans anything; without one it has thrown.
    if (verified === undefined) throw new FerryError('INTERNAL', `${bundle}: the import finished without a verified view`);
    const mirror =
      input.mirrorConfigDir !== undefined
        ? await writeImportMirrorConfig(input.mirrorConfigDir, verified, summary, target.registry, await registries(), signal, { mirrorRegistry: targetText(target), ...trust })
        : { written: [], removed: [] };
    const outcome: ImportOutcome = {
      summary,
      mirrorConfig: mirror.written,
      mirrorConfigRemoved: mirror.removed,
      view: verified,
      ...(judged ? { policy: judged.verdict } : {}),
      ...(preflight ? { preflight } : {}),
    };
    // The mapping, proven: each imported image resolved through the configuration just written and asked for where a runtime would ask.
    if (input.mirrorConfigDir !== undefined && !summary.dryRun && input.store === undefined) {
      const { checkImportedMapping } = await import('./mirror-check.ts');
      outcome.mirrorCheck = await checkImportedMapping(input.mirrorConfigDir, targetText(target), summary.images, await registries(), signal);
    }
    if (!summary.dryRun) {
      const receipt: ImportReceipt = {
        receiptVersion: 1,
        site: input.site ?? null,
        registry: summary.target,
        bundleId: summary.bundleId ?? null,
        importedAt: new Date().toISOString(),
        images: summary.images,
        digests: summary.present,
        ...(judged ? { policy: receiptPolicy(judged) } : {}),
      };
      outcome.receipt = await writeReceipt(receipt, { bundleDir: bundle, ...(input.receiptFile !== undefined ? { file: input.receiptFile } : {}) });
      // From the ferry.json verification read, never from the media again; a plain OCI layout has none and is not recorded as a bundle.
      const { manifest, ferryJsonDigest } = verified;
      recordImport(catalog, summary, manifest && ferryJsonDigest ? { manifest, manifestDigest: ferryJsonDigest } : undefined, receipt, input.site);
    }
    return outcome;
  } finally {
    if (opened !== undefined) await (await opened).close();
  }
}

// The default front ends show in their help, without reaching below the use-case layer.
export { DEFAULT_IMPORT_CONCURRENCY } from '../transfer/import-start.ts';
export { MAX_NESTED_PATHS_CEILING } from '../transfer/nested-paths.ts';
