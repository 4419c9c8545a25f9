/**
 * `ferry registry check REGISTRY[/PREFIX]`: what a registry will and will not
 * take, found out before an import's first write (docs/registries.md). The
 * CLI, the import preflight and the app's target step all enter here, with the
 * user's credentials and TLS settings, and get one RegistryCheckReport.
 */
import type { RegistryCheckReport } from '../../src-shared/model/registry-check.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseRegistryPrefix } from '../oci/reference.ts';
import { Registries } from '../oci/registry/registries.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import { checkRows, type RowDetails } from './registry-check-rows.ts';

/** How deep the depth probe goes: deeper than any mirror layout needs, few enough requests to stay quick. */
export const DEPTH_CEILING = 8;

/** Options of one check. */
export interface RegistryCheckOptions {
  signal?: AbortSignal;
  /** Told as each probe starts ("Pushing probe manifests by digest"), for progress lines. */
  onStep?: (label: string) => void;
  /**
   * A repository under the prefix the caller is about to push to anyway (an import's first target): the
   * write and manifest probes run there even when it does not exist yet, since the push creates it.
   * Without it they run in an existing repository under the prefix, and on an empty prefix only
   * what creates no repository is probed (docs/registries.md, "What the check leaves behind").
   */
  probeRepository?: string;
}

/** Checks `target` (`REGISTRY[/PREFIX]`) with the user's registry settings; never throws for what the registry answers, only for a bad target. */
export async function checkRegistry(target: string, settings: RegistrySettings, options: RegistryCheckOptions = {}): Promise<RegistryCheckReport> {
  const started = Date.now();
  const { registry, prefix } = parseRegistryPrefix(target);
  const registries = new Registries(registryAccessFor(settings, [registry]));
  const details: RowDetails = {};
  const tls = settings.plainHttp === true ? 'plain-http' : settings.tlsVerify === false ? 'unverified' : 'verified';
  const base: Omit<RegistryCheckReport, 'rows'> = {
    target,
    registry,
    prefix,
    reachable: false,
    tls,
    auth: 'anonymous',
    write: false,
    maxDepth: null,
    depthCeiling: DEPTH_CEILING,
    accepts: { ociIndex: null, dockerManifestList: null, artifactType: null, subject: null },
    referrersApi: null,
    createsRepositoriesOnPush: null,
    deletes: null,
    canCreateRepositories: false,
    leftovers: [],
    durationMs: 0,
  };
  try {
    options.onStep?.(`Connecting to ${registry}`);
    const client = await registries.client(registry);
    try {
      await client.send({ method: 'GET', path: '/v2/', scopes: [], expect: [200], subject: registry, noRetry: true, signal: options.signal });
      base.reachable = true;
      const scheme = client.auth.scheme;
      base.auth = scheme === 'basic' ? 'basic' : scheme === 'bearer' ? 'token' : 'anonymous';
    } catch (error) {
      if (error instanceof FerryError && error.code === 'CANCELLED') throw error;
      details.reachable = error instanceof Error ? error.message : String(error);
    }
  } finally {
    await registries.close();
  }
  base.durationMs = Date.now() - started;
  return { ...base, rows: checkRows(base, details) };
}
