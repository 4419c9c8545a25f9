/**
 * `ferry registry check REGISTRY[/PREFIX]`: what a registry will and will not
 * take, found out before an import's first write (docs/registries.md). The
 * CLI, the import preflight and the app's target step all enter here, with the
 * user's credentials and TLS settings, and get one RegistryCheckReport.
 *
 * What it leaves: nothing by tag, ever. Probes that complete a blob or store a
 * manifest run only inside a repository that exists already under the prefix
 * (or one the user named with --probe-repository), and are deleted by digest
 * afterwards; on an empty prefix only upload sessions are opened and
 * cancelled, which creates no repository. Whatever could not be deleted is
 * listed in `leftovers`.
 */
import { randomBytes } from 'node:crypto';
import type { RegistryCheckReport } from '../../src-shared/model/registry-check.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseRegistryPrefix, pathDepth } from '../oci/reference.ts';
import { throttlingReport } from '../oci/registry/throttling.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { Registries } from '../oci/registry/registries.ts';
import { cancelProbeUpload, findRepositoryUnder, patchProbeUpload, probe, probeDeleteRoute, pushProbeBlob, refusalWords, startProbeUpload } from '../oci/registry/probe-access.ts';
import { depthName, probeDepth, type DepthFinding } from '../oci/registry/probe-depth.ts';
import { probeReferrers, probeSet, pushProbeManifests, type ManifestFinding, type ProbeSet, type ProbeTrail } from '../oci/registry/probe-manifests.ts';
import { createRepository, probeRepositoryApi, type CreatedRepository } from '../oci/registry/probe-repository-api.ts';
import { repositoryExists } from '../oci/registry/tags.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import { checkRows, type RowDetails } from './registry-check-rows.ts';
import { cleanUpProbes, manifestRows } from './registry-check-manifests.ts';

export type { CreatedRepository };

/** How deep the depth probe goes: deeper than any mirror layout needs, few enough requests to stay quick. */
export const DEPTH_CEILING = 8;

/** Options of one check. */
export interface RegistryCheckOptions {
  signal?: AbortSignal;
  /** Told as each probe starts ("Pushing probe manifests by digest"), for progress lines. */
  onStep?: (label: string) => void;
  /**
   * A repository the user named to probe in (`--probe-repository`): the write and manifest probes run there
   * even when it does not exist yet, which leaves it existing (listed in `leftovers`). Without it they run in
   * an existing repository (one of `candidates`, else one found under the prefix), and where there is none
   * only what creates no repository is probed (docs/registries.md, "What the check leaves behind").
   */
  probeRepository?: string;
  /**
   * Repositories the caller is about to push to (an import's targets), shallowest first: the probes run in
   * the first that exists already, so a registry without a readable catalog is still probed fully. One that
   * does not exist is never used: the check must not create a repository it then claims it did not write.
   */
  candidates?: readonly string[];
}

/** How many candidate repositories are asked about (tags/list) before the check falls back to the catalog. */
const CANDIDATES_ASKED = 32;
/** Candidate existence checks in flight at once. */
const CANDIDATES_IN_FLIGHT = 8;

/** The report being filled in, before its rows are built. */
type Draft = Omit<RegistryCheckReport, 'rows'>;

function emptyDraft(target: string, registry: string, prefix: string, settings: RegistrySettings): Draft {
  return {
    target,
    registry,
    prefix,
    reachable: false,
    tls: settings.plainHttp === true ? 'plain-http' : settings.tlsVerify === false ? 'unverified' : 'verified',
    auth: 'anonymous',
    write: false,
    maxDepth: null,
    depthCeiling: Math.max(DEPTH_CEILING, pathDepth(prefix) + 1),
    accepts: { ociIndex: null, dockerManifestList: null, artifactType: null, subject: null },
    referrersApi: null,
    createsRepositoriesOnPush: null,
    deletes: null,
    canCreateRepositories: false,
    leftovers: [],
    durationMs: 0,
  };
}

/** True when `repository` exists (its tag list answers); false on 404, undefined when the registry would not say. */
async function existsOrUnknown(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<boolean | undefined> {
  const answer = await probe(() => repositoryExists(client, repository, signal), signal);
  return answer.ok ? answer.value : undefined;
}

/** The first of `candidates` (up to {@link CANDIDATES_ASKED}) the registry says exists, asked a batch at a time. */
async function firstExisting(client: RegistryClient, candidates: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
  const asked = [...new Set(candidates)].slice(0, CANDIDATES_ASKED);
  for (let start = 0; start < asked.length; start += CANDIDATES_IN_FLIGHT) {
    const batch = asked.slice(start, start + CANDIDATES_IN_FLIGHT);
    const exists = await Promise.all(batch.map((repository) => existsOrUnknown(client, repository, signal)));
    const found = batch.find((_, index) => exists[index] === true);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Where the write and manifest probes run: a given or existing repository, or none (empty prefix). */
async function chooseProbeRepository(client: RegistryClient, draft: Draft, details: RowDetails, options: RegistryCheckOptions): Promise<{ repository?: string; createdByCheck: boolean }> {
  if (options.probeRepository !== undefined) {
    const existed = await existsOrUnknown(client, options.probeRepository, options.signal);
    return { repository: options.probeRepository, createdByCheck: existed === false };
  }
  const candidate = await firstExisting(client, options.candidates ?? [], options.signal);
  if (candidate !== undefined) return { repository: candidate, createdByCheck: false };
  const found = await findRepositoryUnder(client, draft.prefix, options.signal);
  if (found.ok && found.value !== undefined) return { repository: found.value, createdByCheck: false };
  const where = draft.prefix === '' ? 'the registry' : draft.prefix;
  const why = found.ok
    ? `${where} holds no repository yet, and a stored probe would leave a new repository listed`
    : `the registry keeps its repository list to itself (${refusalWords(found.refusal)}), so no existing repository could be picked`;
  const notProbed = `not probed: ${why}; an import probes in the first of its repositories that exists, or name a repository to probe in`;
  for (const id of ['oci-index', 'docker-manifest-list', 'artifact-type', 'subject'] as const) details[id] = { detail: notProbed };
  return { createdByCheck: false };
}

/** Write access where no repository may be created: an upload opened, its bytes sent, and cancelled before it completes. */
async function probeWriteWithoutRepository(client: RegistryClient, draft: Draft, set: ProbeSet, name: string, depth: DepthFinding, details: RowDetails, signal?: AbortSignal): Promise<void> {
  if (depth.createsOnPush === false) {
    details.write = { state: 'no', detail: `no repository under the prefix to write to, and the registry does not create them on push (${depth.createsWords})` };
    return;
  }
  const leftoversBefore = draft.leftovers.length;
  const started = await startProbeUpload(client, name, signal);
  if (!started.ok) {
    details.write = { state: 'no', detail: `an upload under the prefix was refused: ${started.refusal.message}` };
    return;
  }
  const sent = await patchProbeUpload(client, name, started.value, set.config.bytes, signal);
  if (!(await cancelProbeUpload(client, name, sent.ok ? sent.value : started.value, signal))) draft.leftovers.push(`an upload session in ${draft.registry}/${name} (it expires on its own)`);
  if (!sent.ok) {
    details.write = { state: 'no', detail: `an upload under the prefix was opened but its bytes refused: ${sent.refusal.message}` };
    return;
  }
  draft.write = true;
  const ending = draft.leftovers.length === leftoversBefore ? 'was cancelled before completing' : 'was left to expire without completing (its cancel was refused)';
  details.write = { detail: `an upload under the prefix took the probe's bytes and ${ending}, so no repository was created (no existing one to probe in)` };
}

function depthDetails(draft: Draft, depth: DepthFinding, details: RowDetails): void {
  const refusal = depth.refusal;
  const shallow = depth.refusedShallow.map((r) => `${r.depth} level${r.depth === 1 ? '' : 's'}: ${refusalWords(r.refusal)}`).join('; ');
  if (depth.limitAt !== undefined && depth.deepestAccepted === undefined) {
    draft.maxDepth = depth.limitAt - 1;
    details['max-depth'] = {
      detail: `at most ${draft.maxDepth} levels, which the prefix already uses: every upload under it answered ${refusal ? refusalWords(refusal) : 'a refusal'}; choose a shallower prefix`,
    };
  } else if (depth.limitAt !== undefined) {
    draft.maxDepth = depth.limitAt - 1;
    details['max-depth'] = {
      detail: `at most ${draft.maxDepth} levels: an upload ${depth.limitAt} levels deep answered ${refusal ? refusalWords(refusal) : 'a refusal'}; an import must nest deeper paths into ${draft.maxDepth} levels${shallow ? ` (refused shallower: ${shallow})` : ''}`,
    };
  } else if (depth.interrupted !== undefined) {
    const { depth: at, refusal: why } = depth.interrupted;
    details['max-depth'] = {
      state: 'unknown',
      detail: `${at - 1} levels were accepted; an upload ${at} levels deep answered ${refusalWords(why)}, which says nothing about depth (not a refusal of the name)`,
    };
  } else if (depth.deepestAccepted === undefined) {
    details['max-depth'] = { state: 'unknown', detail: `no upload under the prefix was accepted at any depth${refusal ? ` (${refusalWords(refusal)})` : ''}` };
  } else if (shallow) {
    details['max-depth'] = { detail: `no limit found up to ${depth.ceiling} levels, but refused shallower: ${shallow} (Harbor wants a project: give a prefix)` };
  }
  draft.createsRepositoriesOnPush = depth.createsOnPush ?? (depth.deepestAccepted === undefined ? null : true);
  details['creates-repositories'] = { detail: depth.createsWords || (depth.deepestAccepted === undefined ? 'could not tell: no upload was accepted' : 'an upload at a new, deeper name was accepted') };
  for (const session of depth.uncancelled) draft.leftovers.push(`${session} (it expires on its own)`);
}

/** How long the clean-up may spend deleting what the check stored, cancelled or not. */
const CLEANUP_TIMEOUT_MS = 10_000;

/** Where the content probes run and what they record for the clean-up. */
interface ContentProbe {
  set: ProbeSet;
  repository: string | undefined;
  freshName: string;
  depth: DepthFinding;
  trail: ProbeTrail;
}

/** Write access, manifest kinds, the referrers API and the creation API; deletes where nothing was stored. */
async function probeContent(client: RegistryClient, draft: Draft, details: RowDetails, where: ContentProbe, options: RegistryCheckOptions): Promise<void> {
  const { signal, onStep } = options;
  const { set, repository, freshName, trail } = where;
  let manifests: ManifestFinding | undefined;
  if (repository === undefined) {
    onStep?.('Sending a probe upload (cancelled before it completes)');
    await probeWriteWithoutRepository(client, draft, set, freshName, where.depth, details, signal);
  } else {
    draft.probeRepository = repository;
    onStep?.(`Pushing a probe blob into ${repository}`);
    const pushed = await pushProbeBlob(client, repository, set.config, signal);
    draft.write = pushed.ok;
    details.write = pushed.ok ? { detail: `pushed a probe blob into ${repository}` } : { detail: `a probe blob was refused in ${repository}: ${pushed.refusal.message}` };
    if (pushed.ok) {
      trail.blobs.unshift(set.config);
      onStep?.('Pushing probe manifests by digest');
      manifests = await pushProbeManifests(client, repository, set, trail, signal);
      manifestRows(draft, details, manifests, repository);
    } else {
      for (const id of ['oci-index', 'docker-manifest-list', 'artifact-type', 'subject'] as const) details[id] = { detail: 'not probed: the probe blob was refused' };
    }
  }
  onStep?.('Asking for the referrers API');
  const imageStored = manifests?.image.state === 'stored';
  const referrers = await probeReferrers(
    client,
    repository ?? freshName,
    imageStored ? set.image.digest : `sha256:${'0'.repeat(64)}`,
    imageStored && manifests?.referrer.state === 'stored' ? set.referrer.digest : undefined,
    signal,
  );
  draft.referrersApi = referrers.api ?? null;
  details['referrers-api'] = { detail: referrers.words };
  onStep?.('Looking for a repository-creation API');
  const api = await probeRepositoryApi(client, signal);
  draft.canCreateRepositories = api.canCreate;
  details['can-create-repositories'] = { detail: api.words };
  if (trail.manifests.length + trail.blobs.length === 0) {
    onStep?.('Asking whether deletes are allowed');
    const route = await probeDeleteRoute(client, repository ?? freshName, signal);
    draft.deletes = route.deletes ?? null;
    details.deletes = { detail: route.words };
  }
}

/** Runs every probe against a reachable registry, filling in `draft` and `details`. */
async function runProbes(client: RegistryClient, draft: Draft, details: RowDetails, options: RegistryCheckOptions): Promise<void> {
  const { signal, onStep } = options;
  const nonce = randomBytes(6).toString('hex');
  const set = probeSet(nonce);
  onStep?.(draft.prefix === '' ? 'Looking for a repository' : `Looking for a repository under ${draft.prefix}`);
  const chosen = await chooseProbeRepository(client, draft, details, options);
  const repository = chosen.repository;
  onStep?.('Opening uploads at increasing depth');
  const depth = await probeDepth(client, draft.prefix, nonce, draft.depthCeiling, signal);
  depthDetails(draft, depth, details);
  const freshName = depthName(draft.prefix, nonce, pathDepth(draft.prefix) + 1);
  const trail: ProbeTrail = { manifests: [], blobs: [] };
  let completed = false;
  try {
    await probeContent(client, draft, details, { set, repository, freshName, depth, trail }, options);
    completed = true;
  } finally {
    if (repository !== undefined && trail.manifests.length + trail.blobs.length > 0) {
      // What was stored is deleted even when the check is cancelled before or during the clean-up: on a budget of its own.
      const cleanupSignal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
      try {
        onStep?.('Cleaning up');
        await cleanUpProbes(client, draft, details, repository, trail, cleanupSignal);
      } catch (error) {
        if (completed) throw error;
      }
    }
  }
  if (chosen.createdByCheck && draft.write) {
    draft.leftovers.push(`${draft.registry}/${repository ?? ''}: the repository itself, which the check created (it was named as the repository to probe in); it holds no tag`);
  }
}

/** Checks `target` (`REGISTRY[/PREFIX]`) with the user's registry settings; never throws for what the registry answers, only for a bad target or a cancellation. */
export async function checkRegistry(target: string, settings: RegistrySettings, options: RegistryCheckOptions = {}): Promise<RegistryCheckReport> {
  const started = Date.now();
  const { registry, prefix } = parseRegistryPrefix(target);
  const registries = new Registries(registryAccessFor(settings, [registry]));
  const details: RowDetails = {};
  const draft = emptyDraft(target, registry, prefix, settings);
  try {
    options.onStep?.(`Connecting to ${registry}`);
    const client = await registries.client(registry);
    const ping = await probe(async () => {
      const response = await client.send({ method: 'GET', path: '/v2/', scopes: [], expect: [200], subject: registry, noRetry: true, signal: options.signal });
      await response.body.dump();
    }, options.signal);
    if (ping.ok) {
      draft.reachable = true;
      const scheme = client.auth.scheme;
      draft.auth = scheme === 'basic' ? 'basic' : scheme === 'bearer' ? 'token' : 'anonymous';
      await runProbes(client, draft, details, options);
    } else {
      details.reachable = { detail: ping.refusal.message };
    }
    const throttling = throttlingReport(client.throttling.snapshot());
    if (throttling !== undefined) draft.throttling = throttling;
  } finally {
    await registries.close();
  }
  draft.durationMs = Date.now() - started;
  return { ...draft, rows: checkRows(draft, details) };
}

/**
 * Creates `repositories` (paths under the registry, `namespace/name…`) where the registry offers an API for
 * it (Quay's); refused with the list when it offers none, so an administrator can create them. Wired to
 * `--create-repositories`: Ferry never creates a repository unless asked.
 */
export async function createRepositories(registry: string, repositories: readonly string[], settings: RegistrySettings, options: { signal?: AbortSignal } = {}): Promise<CreatedRepository[]> {
  const registries = new Registries(registryAccessFor(settings, [registry]));
  try {
    const client = await registries.client(registry);
    const api = await probeRepositoryApi(client, options.signal);
    if (!api.canCreate) {
      throw new FerryError('REGISTRY_ERROR', `${registry} offers no way to create repositories (${api.words}); create these first: ${repositories.join(', ')}`, {
        registry,
        repositories: [...repositories],
      });
    }
    const created: CreatedRepository[] = [];
    for (const repository of new Set(repositories)) created.push(await createRepository(client, repository, options.signal));
    return created;
  } finally {
    await registries.close();
  }
}
