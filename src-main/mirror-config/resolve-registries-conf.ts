/**
 * containers-registries.conf(5) v2 read back the way containers/image reads it
 * (Podman, CRI-O, Skopeo): the `[[registry]]` with the longest matching
 * `prefix` (a `*.example.com` wildcard matches subdomains), its
 * `[[registry.mirror]]` entries in file order, filtered by
 * `mirror-by-digest-only` and each mirror's `pull-from-mirror`, then the
 * registry's own `location`. The prefix is replaced by each location, so the
 * check asks exactly the repository a runtime would. Drop-ins merge by prefix:
 * a later file's registry replaces an earlier one with the same prefix.
 * The OpenShift objects are turned into the same rules (resolve-openshift.ts),
 * as the Machine Config Operator turns them into registries.conf on each node.
 */
import { parse as parseToml } from 'smol-toml';
import { FerryError } from '../../src-shared/errors.ts';

/** When a mirror is used: containers/image's `pull-from-mirror` values ('all' is the default). */
export type PullFromMirror = 'all' | 'digest-only' | 'tag-only';

/** One `[[registry.mirror]]`. */
export interface MirrorEndpoint {
  location: string;
  pullFromMirror: PullFromMirror;
}

/** One `[[registry]]` (or one OpenShift mirror entry), with the file it came from so a report can name it. */
export interface RegistryRule {
  /** What it matches: a registry, namespace or repository, or `*.example.com`. */
  prefix: string;
  /** Where the prefix is pulled from when no mirror answers; empty for a wildcard without a location (the reference unchanged). */
  location: string;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: MirrorEndpoint[];
  /** The file (relative to the checked folder) that holds the rule. */
  file: string;
}

/** One place a runtime would ask for the image, in the order it asks. */
export interface PullCandidate {
  /** `mirror` for a mirror entry, `primary` for the rule's own location (or the source itself when no rule matched). */
  role: 'mirror' | 'primary';
  /** The location as the file spells it (a mirror's `location`, a hosts.toml URL). */
  location: string;
  /** The repository (`host/path`) the runtime asks for the digest, once the rule is applied; undefined when none can be formed. */
  repository?: string;
  /** Why no repository can be formed from this location (a malformed name, a URL path outside /v2/). */
  unusable?: string;
}

/** Largest configuration file read: registries.conf and hosts.toml are a few kilobytes. */
export const CONFIG_MAX_BYTES = 1024 * 1024;

function invalid(file: string, message: string): FerryError {
  return new FerryError('INVALID_CONTENT', `${file}: ${message}`, { file });
}

function text(value: unknown, file: string, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(file, `${where} must be a string`);
  return value;
}

function flag(value: unknown, file: string, where: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalid(file, `${where} must be true or false`);
  return value;
}

/** containers/image's parseLocation: a trailing "/" dropped, a URL scheme refused. */
function location(value: string, file: string, where: string): string {
  if (/^https?:\/\//.test(value)) throw invalid(file, `${where} "${value}" must be a registry name, not a URL`);
  return value.replace(/\/+$/, '');
}

/** Parses one registries.conf (v2) text into its `[[registry]]` rules; INVALID_CONTENT names the file and the field. */
export function parseRegistriesConf(source: string, file: string): RegistryRule[] {
  let document: Record<string, unknown>;
  try {
    document = parseToml(source);
  } catch (error) {
    throw new FerryError('INVALID_CONTENT', `${file}: not valid TOML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { file }, { cause: error });
  }
  const registries = document.registry;
  if (registries === undefined) return [];
  if (!Array.isArray(registries)) throw invalid(file, 'registry must be an array of tables ([[registry]])');
  return registries.map((entry: unknown, i) => {
    const where = `registry[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(file, `${where} must be a table`);
    const table = entry as Record<string, unknown>;
    const loc = location(text(table.location, file, `${where}.location`) ?? '', file, `${where}.location`);
    const rawPrefix = text(table.prefix, file, `${where}.prefix`);
    const prefix = rawPrefix === undefined || rawPrefix === '' ? loc : location(rawPrefix, file, `${where}.prefix`);
    if (prefix === '') throw invalid(file, `${where} has neither prefix nor location`);
    if (loc === '' && !prefix.startsWith('*.')) throw invalid(file, `${where} (prefix "${prefix}") has no location, which only a *.example.com prefix may omit`);
    const mirrorByDigestOnly = flag(table['mirror-by-digest-only'], file, `${where}.mirror-by-digest-only`);
    const rawMirrors = table.mirror ?? [];
    if (!Array.isArray(rawMirrors)) throw invalid(file, `${where}.mirror must be an array of tables ([[registry.mirror]])`);
    const mirrors = rawMirrors.map((m: unknown, j): MirrorEndpoint => {
      const at = `${where}.mirror[${j}]`;
      if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalid(file, `${at} must be a table`);
      const mirror = m as Record<string, unknown>;
      const mirrorLocation = location(text(mirror.location, file, `${at}.location`) ?? '', file, `${at}.location`);
      if (mirrorLocation === '') throw invalid(file, `${at} has no location`);
      const pull = text(mirror['pull-from-mirror'], file, `${at}.pull-from-mirror`) ?? '';
      if (pull !== '' && pull !== 'all' && pull !== 'digest-only' && pull !== 'tag-only') throw invalid(file, `${at}.pull-from-mirror "${pull}" is not all, digest-only or tag-only`);
      if (pull !== '' && mirrorByDigestOnly) throw invalid(file, `${at} sets pull-from-mirror while its registry sets mirror-by-digest-only (containers/image refuses both)`);
      return { location: mirrorLocation, pullFromMirror: pull === '' ? 'all' : pull };
    });
    return { prefix, location: loc, blocked: flag(table.blocked, file, `${where}.blocked`), mirrorByDigestOnly, mirrors, file };
  });
}

/** Merges rule lists in reading order: a later rule replaces an earlier one with the same prefix (containers/image's drop-in merge). */
export function mergeRules(lists: ReadonlyArray<readonly RegistryRule[]>): RegistryRule[] {
  const byPrefix = new Map<string, RegistryRule>();
  for (const list of lists) for (const rule of list) byPrefix.set(rule.prefix, rule);
  return [...byPrefix.values()];
}

/**
 * The length of `reference` a prefix matches, or -1: an exact prefix must be
 * followed by the end, "/", ":" or "@"; `*.example.com` matches a host ending
 * in `.example.com` (containers/image's refMatchingPrefix).
 */
export function prefixMatch(reference: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    const suffix = prefix.slice(1);
    const index = reference.indexOf(suffix);
    if (index === -1 || reference.slice(0, index).includes('/')) return -1;
    const end = index + suffix.length;
    return end === reference.length || ':/@'.includes(reference[end] ?? '') ? end : -1;
  }
  if (!reference.startsWith(prefix)) return -1;
  if (reference.length === prefix.length) return prefix.length;
  return ':/@'.includes(reference[prefix.length] ?? '') ? prefix.length : -1;
}

/** The rule with the longest prefix matching `reference` (`host/path@digest`), as FindRegistry picks it; undefined when none does. */
export function findRule(rules: readonly RegistryRule[], reference: string): RegistryRule | undefined {
  let best: RegistryRule | undefined;
  for (const rule of rules) if (prefixMatch(reference, rule.prefix) !== -1 && rule.prefix.length > (best?.prefix.length ?? 0)) best = rule;
  return best;
}

/** `location` + what follows the prefix, split back into the repository a runtime asks. */
function rewrite(reference: string, rule: RegistryRule, target: string, role: PullCandidate['role']): PullCandidate {
  const matched = prefixMatch(reference, rule.prefix);
  const rewritten = target === '' ? reference : target + reference.slice(matched);
  const at = rewritten.indexOf('@');
  const named = at === -1 ? rewritten : rewritten.slice(0, at);
  // A tag follows the last ":" after the last "/" (a ":" before it is a port).
  const colon = named.lastIndexOf(':');
  const repository = colon > named.lastIndexOf('/') ? named.slice(0, colon) : named;
  const slash = repository.indexOf('/');
  const host = slash === -1 ? '' : repository.slice(0, slash);
  // containers/image parses the result as a fully qualified name: a host with a "." or ":" (or localhost) and a path.
  if (slash === -1 || !(host.includes('.') || host.includes(':') || host === 'localhost') || repository !== repository.toLowerCase())
    return { role, location: target || repository, unusable: `"${repository}" is not a fully qualified repository name` };
  return { role, location: target || repository, repository };
}

/**
 * Where a runtime pulls `reference` (`host/path@digest`, or `host/path:tag`)
 * from under one rule, in order: the mirrors that apply to a digest (or tag)
 * pull, then the rule's own location (PullSourcesFromReference).
 */
export function pullCandidates(rule: RegistryRule, reference: string): PullCandidate[] {
  const byDigest = reference.includes('@');
  const mirrors = rule.mirrorByDigestOnly
    ? byDigest
      ? rule.mirrors
      : []
    : rule.mirrors.filter((m) => (m.pullFromMirror === 'digest-only' ? byDigest : m.pullFromMirror === 'tag-only' ? !byDigest : true));
  return [...mirrors.map((m) => rewrite(reference, rule, m.location, 'mirror')), rewrite(reference, rule, rule.location, 'primary')];
}
