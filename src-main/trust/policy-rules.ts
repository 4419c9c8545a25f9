/**
 * The site policy's rules, evaluated (docs/trust.md "Site policy"): a pure
 * function of the policy and the facts gathered about one bundle and one
 * target (statements beside ferry.json, where each image lands, what the
 * target's tags hold now, the channel's highest imported sequence, image
 * signatures). Nothing here reads a file or a registry, so `ferry verify`,
 * the Review step and the import all get the same verdict from the same facts,
 * and every rule is unit tested with plain data.
 */
import type { PolicyRuleId, PolicyRuleResult, PolicyVerdict, SignatureFinding, TagChange } from '../../src-shared/model/trust.ts';
import { POLICY_RULE_ORDER } from '../../src-shared/model/trust.ts';
import { parseReference } from '../oci/reference.ts';
import type { PolicyKey, SitePolicy } from './policy.ts';
import { normaliseRepositoryName } from './policy-names.ts';

/** One image of the bundle as the rules see it. */
export interface PolicyImage {
  name: string;
  /** The source reference as ferry.json gives it; for a local artifact what it was made from (`file:debs`). */
  source: string;
  digest: string;
  /** Every manifest digest of its graph, the root included: a blocked digest anywhere in it blocks the image. */
  manifests: readonly string[];
  /** A local artifact (files, package repository, chart over HTTP): it came from no registry. */
  local: boolean;
  /** Set for a signature, attestation or SBOM carried with the image it names. */
  referrer?: { subject: string; kind: string };
}

/** One place the import would write: `registry/repository`, the tag if any, and what lands there. */
export interface PolicyLanding {
  repository: string;
  tag?: string;
  digest: string;
  image: string;
}

/** What the image signature checker found for one image: the trusted key names whose signature verified, and what failed. */
export interface ImageSignatureFact {
  image: string;
  digest: string;
  signedBy: readonly string[];
  problems: readonly string[];
}

/** Everything the rules are evaluated on. */
export interface PolicyFacts {
  /** The time to judge ages by. */
  now: Date;
  /** ferry.json's `created` and `expires`. */
  created?: string;
  expires?: string;
  channel?: string;
  sequence?: number;
  /** The highest sequence this site imported on the channel from another bundle (importing the same bundle again is no rollback); undefined when none. */
  highestSequence?: number;
  /** Whether ferry.json pins index.json (`index`): only then does a statement over ferry.json cover every byte of the bundle. */
  pinned: boolean;
  /** The statements beside ferry.json, checked with the policy's keys. */
  signatures: readonly SignatureFinding[];
  images: readonly PolicyImage[];
  landings: readonly PolicyLanding[];
  /** False when no import target was given (`ferry verify --policy` alone): the target rules are then left to the import. */
  targetKnown?: boolean;
  /** Each target tag against what the site holds. */
  tagChanges: readonly TagChange[];
  /** False when the tags were not compared (an import under a policy that lets tags move skips the reads). */
  tagsCompared?: boolean;
  /** Tags whose present state could not be read (the registry did not answer): overwriteTags: false cannot vouch for them. */
  tagProblems?: readonly string[];
  /** Per image, from the image signature checker; undefined when none could run. */
  imageSignatures?: readonly ImageSignatureFact[];
  /** Why image signatures could not be checked, when imageSignatures is undefined. */
  imageSignaturesUnavailable?: string;
}

/** Clock difference tolerated before a time is called "in the future". */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Findings listed per rule before the rest are counted. */
const LISTED = 20;

const TITLES: Readonly<Record<PolicyRuleId, string>> = {
  signatures: 'signed by the required exporter keys',
  approvals: 'approved by the required officer keys (two-person rule)',
  rejections: 'rejected by no trusted officer',
  'max-age': 'not older than the maximum age, not expired',
  rollback: 'not older than the newest bundle imported on its channel',
  'allowed-sources': 'every image from an allowed source',
  'blocked-images': 'no blocked image',
  'allowed-targets': 'every write under an allowed target',
  'overwrite-tags': 'no existing tag moved to another digest',
  'image-signatures': 'every image signed by the required keys',
};

/** A list of findings, capped so a 20,000-image bundle's report stays readable. */
function capped(lines: string[]): string[] {
  return lines.length <= LISTED ? lines : [...lines.slice(0, LISTED), `… and ${lines.length - LISTED} more`];
}

/** A `*` / `**` pattern over `registry/repository` names as an anchored expression: `*` stays within a path segment. */
export function globExpression(pattern: string): RegExp {
  const parts = pattern.split('**').map((part) =>
    part
      .split('*')
      .map((text) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*'),
  );
  return new RegExp(`^${parts.join('.*')}$`);
}

/** `registry/repository` of a source reference (normalised as policy entries are), or undefined when it is no reference. */
function sourceRepository(image: PolicyImage): { repository: string; tag?: string } | undefined {
  if (image.local) return undefined;
  try {
    const reference = parseReference(image.source);
    return { repository: normaliseRepositoryName(`${reference.registry}/${reference.repository}`), ...(reference.tag !== undefined ? { tag: reference.tag } : {}) };
  } catch {
    return undefined;
  }
}

/** Milliseconds since the epoch of an ISO time, or undefined when it is none. */
function timeOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The key a finding was made with, when the policy trusts it. */
function trustedKey(policy: SitePolicy, finding: SignatureFinding): PolicyKey | undefined {
  return finding.ok ? policy.trustedKeys.find((key) => key.keyId === finding.keyId) : undefined;
}

/** Why no signature or approval counts on a ferry.json without the index pin. */
const UNPINNED = 'ferry.json carries no index pin (made before pins): a statement over it does not cover index.json, so none counts; re-export the bundle';

function rule(id: PolicyRuleId, ok: boolean, details: string[]): PolicyRuleResult {
  return { id, title: TITLES[id], ok, details: capped(details) };
}

function signaturesRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  const signers = new Map<string, string>();
  const details: string[] = [];
  for (const finding of facts.signatures) {
    if (!finding.ok) {
      details.push(`${finding.file} did not verify: ${finding.problem ?? 'unknown reason'}`);
      continue;
    }
    if (finding.kind !== 'export' || !facts.pinned) continue;
    const key = trustedKey(policy, finding);
    if (key?.role === 'exporter') signers.set(key.keyId, key.name);
    else details.push(`${finding.file}: signed by ${finding.keyName ?? finding.keyId}, which the policy does not trust as an exporter: not counted`);
  }
  const needed = policy.require.exporter;
  const names = [...signers.values()].sort();
  const head = names.length > 0 ? `signed by ${names.join(', ')}` : 'no trusted exporter signature';
  return rule('signatures', names.length >= needed, [`${head} (${names.length} of ${needed} required)`, ...(facts.pinned ? [] : [UNPINNED]), ...details]);
}

/** Why an approval's time keeps it from counting (none, in the future, older than maxAge); undefined when it may count. */
function staleApproval(policy: SitePolicy, finding: SignatureFinding, now: number): string | undefined {
  const time = timeOf(finding.time);
  if (time === undefined) return 'it carries no readable time';
  if (time > now + CLOCK_SKEW_MS) return `dated in the future (${finding.time ?? ''})`;
  if (policy.maxAge !== undefined && now - time > policy.maxAge.ms) return `made ${finding.time ?? ''}, older than ${policy.maxAge.text}`;
  return undefined;
}

function approvalsRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  const now = facts.now.getTime();
  // Two-person rule: a key that vouched for the bundle as its exporter never counts as its officer, whatever its role.
  const exporters = new Set(facts.signatures.filter((f) => f.ok && f.kind === 'export').map((f) => f.keyId));
  const approvers = new Map<string, string>();
  const details: string[] = [];
  for (const finding of facts.signatures) {
    if (!finding.ok || finding.kind !== 'approval' || !facts.pinned) continue;
    const key = trustedKey(policy, finding);
    const who = key?.name ?? finding.keyName ?? finding.keyId;
    if (key?.role !== 'officer') {
      details.push(`approval by ${who}: not a trusted officer key, not counted`);
      continue;
    }
    if (exporters.has(key.keyId)) {
      details.push(`approval by ${who}: the same key signed the bundle as its exporter, not counted (two-person rule)`);
      continue;
    }
    const stale = staleApproval(policy, finding, now);
    if (stale !== undefined) {
      details.push(`approval by ${who}: ${stale}, not counted`);
      continue;
    }
    // Counted either way: the officer approved this bundle; a policy changed since then is shown, so the change is visible.
    if (finding.policyDigest && finding.policyDigest !== policy.digest) details.push(`approval by ${who} was checked against another policy (${finding.policyDigest})`);
    approvers.set(key.keyId, key.name);
  }
  const needed = policy.require.officer;
  const names = [...approvers.values()].sort();
  const head = names.length > 0 ? `approved by ${names.join(', ')}` : 'no counted officer approval';
  return rule('approvals', names.length >= needed, [`${head} (${names.length} of ${needed} required)`, ...(facts.pinned ? [] : [UNPINNED]), ...details]);
}

function rejectionsRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  const details: string[] = [];
  let rejected = false;
  for (const finding of facts.signatures) {
    if (!finding.ok || finding.kind !== 'rejection') continue;
    const key = trustedKey(policy, finding);
    const note = finding.note ? `: "${finding.note}"` : '';
    if (key?.role === 'officer') {
      rejected = true;
      details.push(`rejected by ${key.name}${finding.reviewer ? ` (${finding.reviewer})` : ''}${note}`);
    } else {
      details.push(`rejection by ${finding.keyName ?? finding.keyId}, not a trusted officer key: not counted${note}`);
    }
  }
  if (!rejected) details.unshift('no rejection by a trusted officer');
  return rule('rejections', !rejected, details);
}

function maxAgeRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  const now = facts.now.getTime();
  const problems: string[] = [];
  const notes: string[] = [];
  const created = timeOf(facts.created);
  const expires = timeOf(facts.expires);
  if (facts.expires !== undefined && (expires === undefined || now > expires)) problems.push(`the bundle expired at ${facts.expires}`);
  if (policy.maxAge !== undefined) {
    if (created === undefined) problems.push('the bundle carries no readable creation time');
    else if (created > now + CLOCK_SKEW_MS) problems.push(`the bundle is dated in the future (${facts.created ?? ''})`);
    else if (now - created > policy.maxAge.ms) problems.push(`the bundle was created ${facts.created ?? ''}, longer ago than ${policy.maxAge.text}`);
    else notes.push(`created ${facts.created ?? ''}, within ${policy.maxAge.text}`);
  } else {
    notes.push('the policy sets no maximum age');
  }
  return rule('max-age', problems.length === 0, problems.length > 0 ? problems : notes);
}

function rollbackRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  // Export names a channel on every bundle, so under a policy a bundle without one cannot be placed on any channel's order.
  if (facts.channel === undefined || facts.sequence === undefined)
    return rule('rollback', false, ['the bundle names no channel: it predates channels, so a replay cannot be told apart; re-export it']);
  const where = `channel ${facts.channel}`;
  if (facts.highestSequence === undefined) return rule('rollback', true, [`sequence ${facts.sequence} is the first imported on ${where}`]);
  if (facts.sequence > facts.highestSequence) return rule('rollback', true, [`sequence ${facts.sequence} follows ${facts.highestSequence}, the highest imported on ${where}`]);
  const exporters = new Set(facts.signatures.filter((f) => f.ok && f.kind === 'export').map((f) => f.keyId));
  const allowing = facts.signatures
    .filter((f) => facts.pinned && f.ok && f.kind === 'approval' && f.allowRollback === true && !exporters.has(f.keyId) && staleApproval(policy, f, facts.now.getTime()) === undefined)
    .map((f) => trustedKey(policy, f))
    .filter((key): key is PolicyKey => key?.role === 'officer');
  const head = `sequence ${facts.sequence} is not above ${facts.highestSequence}, the highest imported on ${where}`;
  if (allowing.length > 0) return rule('rollback', true, [`${head}: allowed by ${allowing.map((k) => k.name).join(', ')} (allowRollback)`]);
  return rule('rollback', false, [`${head}: an older bundle replayed, and no officer approval allows a rollback`]);
}

function allowedSourcesRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  if (policy.allowedSources === undefined) return rule('allowed-sources', true, ['the policy allows any source']);
  const patterns = policy.allowedSources.map((pattern) => globExpression(normaliseRepositoryName(pattern)));
  const refused: string[] = [];
  let local = 0;
  for (const image of facts.images) {
    const source = sourceRepository(image);
    if (image.local) local += 1;
    else if (source === undefined) refused.push(`${image.name}: source ${image.source} is not a reference`);
    else if (!patterns.some((p) => p.test(source.repository))) refused.push(`${image.source}: ${source.repository} matches no allowed source`);
  }
  const notes = local > 0 ? [`${local} local artifact(s) came from no registry: allowedSources does not apply to them`] : [];
  if (refused.length > 0) return rule('allowed-sources', false, [...refused, ...notes]);
  return rule('allowed-sources', true, [`all ${facts.images.length - local} image(s) from allowed sources`, ...notes]);
}

/** A blockedImages entry compiled once per evaluation: a digest, or a normalised repository pattern with an optional tag pattern and digest. */
interface BlockedEntry {
  text: string;
  digest?: string;
  repository?: RegExp;
  tag?: RegExp;
}

function blockedEntry(text: string): BlockedEntry {
  if (text.startsWith('sha256:')) return { text, digest: text };
  const [name = '', digest] = text.split('@');
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const [repository, tag] = colon > slash ? [name.slice(0, colon), name.slice(colon + 1)] : [name, undefined];
  return {
    text,
    repository: globExpression(normaliseRepositoryName(repository)),
    ...(tag !== undefined ? { tag: globExpression(tag) } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** Whether a blockedImages entry matches an image: a digest anywhere in its graph, or its source repository (with tag or digest when the entry has one). */
function blocks(entry: BlockedEntry, image: PolicyImage, source: { repository: string; tag?: string } | undefined): boolean {
  const hasDigest = entry.digest === undefined || image.digest === entry.digest || image.manifests.includes(entry.digest);
  if (entry.repository === undefined) return hasDigest;
  if (source === undefined || !entry.repository.test(source.repository)) return false;
  if (entry.tag !== undefined && !entry.tag.test(source.tag ?? '')) return false;
  return hasDigest;
}

function blockedImagesRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  if (policy.blockedImages.length === 0) return rule('blocked-images', true, ['the policy blocks no image']);
  const entries = policy.blockedImages.map(blockedEntry);
  const found: string[] = [];
  for (const image of facts.images) {
    const source = sourceRepository(image);
    const entry = entries.find((e) => blocks(e, image, source));
    if (entry !== undefined) found.push(`${image.source} (${image.digest}) is blocked by "${entry.text}"`);
  }
  return rule('blocked-images', found.length === 0, found.length > 0 ? found : [`none of ${facts.images.length} image(s) is blocked`]);
}

/** What the target rules say when no target was given. */
const NO_TARGET = 'not checked: no import target was given (the import checks it)';

function allowedTargetsRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  if (facts.targetKnown === false) return rule('allowed-targets', true, [NO_TARGET]);
  if (policy.allowedTargets === undefined) return rule('allowed-targets', true, ['the policy allows any target']);
  const prefixes = policy.allowedTargets;
  const outside = new Set<string>();
  for (const landing of facts.landings) {
    const repository = landing.repository.toLowerCase();
    if (!prefixes.some((p) => repository === p || repository.startsWith(`${p}/`))) outside.add(`${landing.repository} (${landing.image}) is under no allowed target`);
  }
  if (outside.size > 0) return rule('allowed-targets', false, [...outside, `allowed: ${prefixes.join(', ') || 'none'}`]);
  return rule('allowed-targets', true, [`every write under ${prefixes.join(', ')}`]);
}

function overwriteTagsRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  if (facts.targetKnown === false) return rule('overwrite-tags', true, [NO_TARGET]);
  const moved = facts.tagChanges.filter((c) => c.status === 'moved').map((c) => `${c.repository}:${c.tag} moves from ${c.previous ?? 'an unknown digest'} to ${c.digest}`);
  if (policy.overwriteTags && facts.tagsCompared === false) return rule('overwrite-tags', true, ['the policy lets tags move: not compared']);
  if (policy.overwriteTags) return rule('overwrite-tags', true, [moved.length > 0 ? `${moved.length} tag(s) move; the policy allows it` : 'no tag moves', ...moved]);
  const unknown = (facts.tagProblems ?? []).map((p) => `could not read what a tag holds now: ${p}`);
  const bad = [...moved, ...unknown];
  return rule('overwrite-tags', bad.length === 0, bad.length > 0 ? bad : [`no existing tag moves (${facts.tagChanges.length} tag(s) checked)`]);
}

function imageSignaturesRule(policy: SitePolicy, facts: PolicyFacts): PolicyRuleResult {
  const required = policy.requireImageSignatures;
  if (required.length === 0) return rule('image-signatures', true, ['the policy requires no image signature']);
  const images = facts.images.filter((image) => !image.local && image.referrer === undefined);
  if (facts.imageSignatures === undefined) return rule('image-signatures', false, [`image signatures could not be checked: ${facts.imageSignaturesUnavailable ?? 'no checker available'}`]);
  const lacking: string[] = [];
  for (const image of images) {
    const fact = facts.imageSignatures.find((f) => f.digest === image.digest);
    const missing = required.filter((name) => !(fact?.signedBy ?? []).includes(name));
    if (missing.length > 0) lacking.push(`${image.source} (${image.digest}) lacks a valid signature by ${missing.join(', ')}${fact?.problems.length ? `: ${fact.problems.join('; ')}` : ''}`);
  }
  return rule('image-signatures', lacking.length === 0, lacking.length > 0 ? lacking : [`all ${images.length} image(s) signed by ${required.join(', ')}`]);
}

const RULES: Readonly<Record<PolicyRuleId, (policy: SitePolicy, facts: PolicyFacts) => PolicyRuleResult>> = {
  signatures: signaturesRule,
  approvals: approvalsRule,
  rejections: rejectionsRule,
  'max-age': maxAgeRule,
  rollback: rollbackRule,
  'allowed-sources': allowedSourcesRule,
  'blocked-images': blockedImagesRule,
  'allowed-targets': allowedTargetsRule,
  'overwrite-tags': overwriteTagsRule,
  'image-signatures': imageSignaturesRule,
};

/** Evaluates every rule of the policy, in POLICY_RULE_ORDER; the bundle passes only when each one does. */
export function evaluatePolicy(policy: SitePolicy, facts: PolicyFacts): PolicyVerdict {
  const rules = POLICY_RULE_ORDER.map((id) => RULES[id](policy, facts));
  return { path: policy.path, digest: policy.digest, ok: rules.every((r) => r.ok), rules };
}

/** The ids of the rules a verdict failed, for messages and the audit log. */
export function failedRules(verdict: PolicyVerdict): PolicyRuleId[] {
  return verdict.rules.filter((r) => !r.ok).map((r) => r.id);
}
