/**
 * The officer's review of a verified bundle against the site (issue 14,
 * docs/trust.md "Site policy"): gathers the facts the policy is judged on —
 * the statements beside ferry.json checked with the policy's keys, where each
 * image would land, what each target tag holds now (the catalog's record and
 * a registry HEAD: read only, never a write), the channel's highest imported
 * sequence, image signatures — and evaluates the policy over them. The app's
 * Review step, `ferry verify --policy` and the import (before its first
 * write) all go through {@link checkPolicy}, so each shows the same verdict.
 */
import type { PolicyVerdict, ReferrerPresence, ReviewReport, SignatureFinding, TagChange, TrustReport } from '../../src-shared/model/trust.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { Limiter } from '../base/limiter.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { viewBlobReader } from '../bundle/view-blobs.ts';
import type { Catalog } from '../catalog/index.ts';
import { parseReference, parseRegistryPrefix } from '../oci/reference.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { headManifest } from '../oci/registry/manifests.ts';
import { Registries } from '../oci/registry/registries.ts';
import { graphOf, planImport, type ImportPlan, type ImportTarget } from '../transfer/import-plan.ts';
import { checkImageSignatures } from '../trust/image-signatures.ts';
import { readSitePolicy, type SitePolicy } from '../trust/policy.ts';
import { evaluatePolicy, failedRules, type PolicyFacts, type PolicyImage, type PolicyLanding } from '../trust/policy-rules.ts';
import { localKnownKeys, readStatements } from '../trust/statements.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';
import { trustSummary as summaryWithoutPolicy } from './bundle-trust.ts';
import { defaultCatalogPath, openCatalog } from './catalog.ts';
import type { JobContext } from './job-context.ts';
import { keysFolder } from './keys.ts';

/** What a review is of: the import target it would write to, how to reach that registry, and the policy file (default: beside the catalog). */
export interface ReviewInput {
  /** `REGISTRY[/PREFIX]`, as the import takes it. */
  target: string;
  keepRegistryHost?: boolean;
  /** The import's nesting limit, so tags are read where the import will write them. */
  maxNestedPaths?: number;
  registry: RegistrySettings;
  /** The policy file; absent: `policy.yaml` beside the catalog, if there is one. */
  policyPath?: string;
}

/** HEAD requests in flight at once when reading what the target tags hold now. */
const TAG_READS_IN_FLIGHT = 8;

/** The statements beside ferry.json, checked with the policy's keys. */
async function statementsOf(view: VerifiedBundle, policy: SitePolicy | undefined, signal?: AbortSignal): Promise<SignatureFinding[]> {
  if (view.ferryJson === undefined) return [];
  // With a policy, its keys and roles; without one, the local keys folder's keys, roles unknown (as `ferry verify` reports them).
  const keys = policy ? policy.trustedKeys.map((key) => ({ keyId: key.keyId, name: key.name, role: key.role, publicKey: key.publicKey })) : await localKnownKeys(keysFolder());
  return readStatements(view.dir, view.ferryJson, keys, signal);
}

/** Each tag the import would set against what the site holds: the registry's answer (read only), else the catalog's record. */
async function tagChanges(plan: ImportPlan, catalog: Catalog, client: RegistryClient | undefined, signal?: AbortSignal): Promise<{ changes: TagChange[]; problems: string[] }> {
  const seen = new Set<string>();
  const tagged = plan.images.filter((image) => {
    const key = `${image.destination.repository}:${image.destination.tag ?? ''}`;
    if (image.destination.tag === undefined || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const problems: string[] = [];
  const limiter = new Limiter(TAG_READS_IN_FLIGHT);
  // Once the registry fails to answer, the rest is read from the catalog alone: an unreachable registry costs one timeout, not one per tag.
  let unreachable = client === undefined;
  const changes = await Promise.all(
    tagged.map((image) =>
      limiter.run(async (): Promise<TagChange> => {
        const tag = image.destination.tag ?? '';
        const repository = `${image.destination.registry}/${image.destination.repository}`;
        let previous = catalog.recordedTagDigest(repository, tag);
        if (!unreachable && client !== undefined) {
          try {
            previous = (await headManifest(client, image.destination.repository, tag, signal))?.digest;
          } catch (error) {
            if (signal?.aborted) throw error;
            unreachable = true;
            problems.push(`${repository}:${tag}: ${error instanceof Error ? error.message : String(error)}`);
          }
        } else if (client !== undefined) {
          problems.push(`${repository}:${tag}: not asked, the registry did not answer before`);
        }
        const status = previous === undefined ? 'added' : previous === image.digest ? 'unchanged' : 'moved';
        return { repository, tag, digest: image.digest, ...(status === 'moved' && previous !== undefined ? { previous } : {}), status, source: image.source };
      }),
    ),
  );
  return { changes, problems };
}

/** The bundle's images as the rules see them, each with every manifest of its graph. */
function policyImages(view: VerifiedBundle): PolicyImage[] {
  const listed = view.manifest?.images ?? [];
  return view.images.map((image) => {
    const entry = listed.find((i) => i.digest === image.digest && i.name === image.name);
    return {
      name: image.name,
      source: image.source,
      digest: image.digest,
      manifests: graphOf(view, image.digest, image.name).manifests.map((m) => m.digest),
      local: image.artifactType !== undefined,
      ...(entry?.referrer ? { referrer: entry.referrer } : {}),
    };
  });
}

/** Where the import would write: every repository (with its registry) and tag of the plan. */
function landingsOf(plan: ImportPlan): PolicyLanding[] {
  return plan.images.map((image) => ({
    repository: `${image.destination.registry}/${image.destination.repository}`,
    ...(image.destination.tag !== undefined ? { tag: image.destination.tag } : {}),
    digest: image.digest,
    image: image.name,
  }));
}

/** The outcome of checking one bundle against the policy for one target. */
export interface PolicyCheck {
  verdict: PolicyVerdict;
  signatures: SignatureFinding[];
  changes: TagChange[];
}

/**
 * Gathers the facts and evaluates the policy for a verified bundle and an
 * import target. `client` is the target registry, asked with HEAD only; without
 * one the catalog's record stands for what the tags hold. `compareTags: false`
 * skips the tag reads when the policy lets tags move (the import's case).
 */
export async function checkPolicy(
  view: VerifiedBundle,
  policy: SitePolicy,
  target: ImportTarget | undefined,
  catalog: Catalog,
  client: RegistryClient | undefined,
  signal?: AbortSignal,
  options: { compareTags?: boolean } = {},
): Promise<PolicyCheck> {
  const plan = target !== undefined ? planImport(view, target) : undefined;
  const manifest = view.manifest;
  const signatures = await statementsOf(view, policy, signal);
  // Every tag is read unless the caller only needs the verdict and the policy lets tags move (an import of 20,000 images saves 20,000 HEADs).
  const compareTags = options.compareTags ?? true;
  const { changes, problems } = plan !== undefined && compareTags ? await tagChanges(plan, catalog, client, signal) : { changes: [], problems: [] };
  const facts: PolicyFacts = {
    now: new Date(),
    ...(manifest ? { created: manifest.created, sequence: manifest.sequence } : {}),
    ...(manifest?.expires !== undefined ? { expires: manifest.expires } : {}),
    ...(manifest?.channel !== undefined ? { channel: manifest.channel } : {}),
    ...highestOf(catalog, manifest?.channel, manifest?.bundleId),
    pinned: manifest?.index !== undefined,
    signatures,
    images: policyImages(view),
    landings: plan !== undefined ? landingsOf(plan) : [],
    targetKnown: plan !== undefined,
    tagsCompared: compareTags,
    tagChanges: changes,
    tagProblems: problems,
    ...(await imageSignatureFacts(view, policy, signal)),
  };
  return { verdict: evaluatePolicy(policy, facts), signatures, changes };
}

/** Per image, whose cosign signatures verify (trust/image-signatures.ts), read only when the policy requires image signatures. */
async function imageSignatureFacts(view: VerifiedBundle, policy: SitePolicy, signal?: AbortSignal): Promise<Pick<PolicyFacts, 'imageSignatures'>> {
  if (policy.requireImageSignatures.length === 0) return {};
  const results = await checkImageSignatures(view, policy.trustedKeys, viewBlobReader(view), signal);
  const names = new Map(view.images.map((image) => [image.digest, image.name]));
  return { imageSignatures: [...results.entries()].map(([digest, result]) => ({ image: names.get(digest) ?? digest, digest, signedBy: result.signedBy, problems: result.problems })) };
}

/** The highest sequence this site imported on the channel from any other bundle (so importing the same bundle again is no rollback). */
function highestOf(catalog: Catalog, channel: string | undefined, bundleId: string | undefined): { highestSequence?: number } {
  if (channel === undefined) return {};
  const highest = catalog.highestSequence(channel, 'import', bundleId);
  return highest === undefined ? {} : { highestSequence: highest };
}

/**
 * Records the policy file's digest in the audit log when it differs from the
 * last one recorded (`policy.changed`), so every change of the rules an import
 * was judged by is on the record.
 */
export function notePolicyDigest(catalog: Catalog, policy: SitePolicy): void {
  const last = catalog.latestAudit('policy.changed');
  const previous = typeof last?.details.digest === 'string' ? last.details.digest : null;
  if (previous === policy.digest) return;
  const keys = policy.trustedKeys.map(({ name, role, keyId }) => ({ name, role, keyId }));
  catalog.audit('policy.changed', policy.path, { digest: policy.digest, previous, keys });
}

/** The one line people read: "policy passed", "policy failed: approvals, max-age", or without a policy the line `ferry verify` prints (bundle-trust.ts). */
export function trustSummary(signatures: readonly SignatureFinding[], verdict: PolicyVerdict | undefined): string {
  if (verdict !== undefined) return verdict.ok ? 'policy passed' : `policy failed: ${failedRules(verdict).join(', ')}`;
  return summaryWithoutPolicy(signatures);
}

/** The error an import refused by the policy throws: each failing rule named with its findings; nothing was written. */
export function policyRefused(verdict: PolicyVerdict, bundle: string, registry: string): FerryError {
  const failed = verdict.rules.filter((r) => !r.ok);
  const lines = failed.map((r) => `${r.id} (${r.title}): ${r.details.join('; ')}`);
  return new FerryError(
    'POLICY_REFUSED',
    `${bundle}: the site policy ${verdict.path} refuses this bundle (${failed.map((r) => r.id).join(', ')}):\n  ${lines.join('\n  ')}\nnothing was written to ${registry}`,
    {
      policy: verdict.path,
      policyDigest: verdict.digest,
      failed: failed.map((r) => r.id),
      rules: verdict.rules,
    },
  );
}

/** What `ferry verify --policy` judges a verified bundle against: the policy file, and optionally the import target and how to reach it. */
export interface TrustCheckInput {
  policyPath?: string;
  /** `REGISTRY[/PREFIX]`: with it, the target rules (allowed targets, moved tags) are checked too. */
  target?: string;
  keepRegistryHost?: boolean;
  maxNestedPaths?: number;
  registry?: RegistrySettings;
}

/**
 * The trust section of a verify report under the site policy: signatures and
 * approvals checked with the policy's keys and the verdict rule by rule;
 * undefined when the site has no policy (the report then speaks of the
 * signatures alone). Reads the target registry (HEAD only) when a target is given.
 */
export async function policyTrustReport(view: VerifiedBundle, input: TrustCheckInput, catalog: Catalog, context: JobContext = {}): Promise<TrustReport | undefined> {
  const policy = await readSitePolicy(input.policyPath, catalog.path);
  if (policy === undefined) return undefined;
  const target = input.target !== undefined ? targetOf(input.target, input.keepRegistryHost, input.maxNestedPaths) : undefined;
  const registries = target !== undefined && input.registry !== undefined ? new Registries(registryAccessFor(input.registry, [target.registry], 'destination')) : undefined;
  try {
    const client = target !== undefined ? await registries?.client(target.registry) : undefined;
    const { verdict, signatures } = await checkPolicy(view, policy, target, catalog, client, context.signal);
    return { summary: trustSummary(signatures, verdict), signed: signatures.some((s) => s.ok && s.kind === 'export'), signatures, policy: verdict };
  } finally {
    await registries?.close();
  }
}

/**
 * `ferry verify`'s policy part: the site policy's trust report for a verified
 * bundle, or undefined when the site has no policy. The catalog (the
 * channel's highest sequence, recorded tags) is opened only when a policy exists.
 */
export async function verifyTrust(view: VerifiedBundle, input: TrustCheckInput & { catalogPath?: string }, context: JobContext = {}): Promise<TrustReport | undefined> {
  const catalogPath = input.catalogPath ?? defaultCatalogPath();
  if ((await readSitePolicy(input.policyPath, catalogPath)) === undefined) return undefined;
  const catalog = openCatalog(catalogPath);
  try {
    return await policyTrustReport(view, input, catalog, context);
  } finally {
    catalog.close();
  }
}

/** An import target from its `REGISTRY[/PREFIX]` text. */
function targetOf(text: string, keepRegistryHost: boolean | undefined, maxNestedPaths?: number): ImportTarget {
  const { registry, prefix } = parseRegistryPrefix(text);
  return { registry, prefix, keepRegistryHost: keepRegistryHost === true, ...(maxNestedPaths !== undefined ? { maxNestedPaths } : {}) };
}

/** Per image, which referrers travel with it (signature, attestation, SBOM). */
function referrersOf(view: VerifiedBundle): ReferrerPresence[] {
  const listed = view.manifest?.images ?? [];
  const subjects = listed.filter((image) => image.referrer === undefined && image.artifactType === undefined);
  return subjects.map((image) => {
    const kinds = new Set(listed.filter((r) => r.referrer?.subject === image.digest).map((r) => r.referrer?.kind));
    return { image: image.source, digest: image.digest, signature: kinds.has('signature'), attestation: kinds.has('attestation'), sbom: kinds.has('sbom') };
  });
}

/** Source registries with their image counts and bytes. */
function sourcesOf(view: VerifiedBundle): ReviewReport['sources'] {
  const byRegistry = new Map<string, { images: number; bytes: number }>();
  for (const image of view.manifest?.images ?? []) {
    if (image.artifactType !== undefined || image.referrer !== undefined) continue;
    let registry: string;
    try {
      registry = parseReference(image.source).registry;
    } catch {
      continue;
    }
    const entry = byRegistry.get(registry) ?? { images: 0, bytes: 0 };
    entry.images += 1;
    entry.bytes += image.size;
    byRegistry.set(registry, entry);
  }
  return [...byRegistry.entries()].map(([registry, entry]) => ({ registry, ...entry })).sort((a, b) => a.registry.localeCompare(b.registry));
}

/**
 * The officer's Review of a verified bundle for one target: signers and
 * approvals, the policy's verdict rule by rule, the tags it adds, moves and
 * leaves, sizes, sources, plan notes and referrers. Reads the target registry
 * (HEAD only) and the catalog; writes nothing but a `policy.changed` audit row
 * when the policy file changed.
 */
export async function reviewBundle(view: VerifiedBundle, input: ReviewInput, catalog: Catalog, context: JobContext = {}): Promise<ReviewReport> {
  const target = targetOf(input.target, input.keepRegistryHost, input.maxNestedPaths);
  const policy = await readSitePolicy(input.policyPath, catalog.path);
  const registries = new Registries(registryAccessFor(input.registry, [target.registry], 'destination'));
  try {
    const client = await registries.client(target.registry).catch(() => undefined);
    let signatures: SignatureFinding[];
    let changes: TagChange[];
    let verdict: PolicyVerdict | undefined;
    if (policy !== undefined) {
      notePolicyDigest(catalog, policy);
      ({ verdict, signatures, changes } = await checkPolicy(view, policy, target, catalog, client, context.signal));
    } else {
      signatures = await statementsOf(view, undefined, context.signal);
      ({ changes } = await tagChanges(planImport(view, target), catalog, client, context.signal));
    }
    const trust: TrustReport = { summary: trustSummary(signatures, verdict), signed: signatures.some((s) => s.ok && s.kind === 'export'), signatures, ...(verdict ? { policy: verdict } : {}) };
    const manifest = view.manifest;
    return {
      bundle: view.dir,
      ...(manifest ? { bundleId: manifest.bundleId, created: manifest.created, exporter: manifest.exporter, sequence: manifest.sequence } : {}),
      ...(manifest?.channel !== undefined ? { channel: manifest.channel } : {}),
      ...(view.ferryJsonDigest !== undefined ? { ferryJsonDigest: view.ferryJsonDigest } : {}),
      trust,
      changes,
      sources: sourcesOf(view),
      bytes: (manifest?.images ?? []).reduce((sum, image) => sum + image.size, 0),
      notes: manifest?.imageSet.notes ?? [],
      referrers: referrersOf(view),
      pushAllowed: verdict === undefined || verdict.ok,
      ...(verdict !== undefined && !verdict.ok ? { blockedReason: `the site policy refuses this bundle: ${failedRules(verdict).join(', ')}` } : {}),
    };
  } finally {
    await registries.close();
  }
}
