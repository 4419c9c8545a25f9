/**
 * The `tags:` section of an image set: a repository plus a semver range or a
 * regular expression, resolved by listing the repository's tags (like skopeo
 * sync's images-by-semver and regsync's tags.allow).
 */
import { FerryError } from '../../src-shared/errors.ts';
import { parseReference } from '../oci/reference.ts';
import { listTags } from '../oci/registry/tags.ts';
import { compareVersions, parseRange, parseVersion, satisfies, type Version } from './semver.ts';
import type { ResolveContext, ResolvedSection } from './types.ts';
import type { YamlValue } from './yaml-lite.ts';

/** One rule: which repository, and which of its tags. */
interface TagRule {
  repository: string;
  semver?: string;
  regex?: string;
  latest?: number;
}

/** A tag as a version: `v1.2.3`, `1.2.3`, or `1.2` read as `1.2.0` (registries often tag minors only). */
function tagVersion(tag: string): Version | undefined {
  return parseVersion(tag) ?? parseVersion(/^v?\d+\.\d+$/.test(tag) ? `${tag}.0` : '');
}

function readRule(value: YamlValue, index: number, file: string): TagRule {
  const where = `${file}: tags[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FerryError('INVALID_ARGUMENT', `${where} must be a mapping with repository and semver or regex`, { file });
  const { repository, semver, regex, latest, ...rest } = value;
  if (Object.keys(rest).length > 0) throw new FerryError('INVALID_ARGUMENT', `${where}: unknown key(s) ${Object.keys(rest).join(', ')}`, { file });
  if (typeof repository !== 'string') throw new FerryError('INVALID_ARGUMENT', `${where}: repository is required`, { file });
  if (semver === undefined && regex === undefined) throw new FerryError('INVALID_ARGUMENT', `${where}: give semver (a range) or regex`, { file });
  if (latest !== undefined && (typeof latest !== 'number' || !Number.isInteger(latest) || latest < 1)) throw new FerryError('INVALID_ARGUMENT', `${where}: latest must be a positive integer`, { file });
  const rule: TagRule = { repository };
  if (semver !== undefined) rule.semver = String(semver);
  if (regex !== undefined) rule.regex = String(regex);
  if (typeof latest === 'number') rule.latest = latest;
  return rule;
}

/** Resolves every tag rule to the matching tags, newest first when `latest` keeps only some. */
export async function resolveTagRules(value: YamlValue, context: ResolveContext, file: string): Promise<ResolvedSection> {
  if (!Array.isArray(value)) throw new FerryError('INVALID_ARGUMENT', `${file}: tags must be a list of rules`, { file });
  const resolved: ResolvedSection = { images: [], notes: [] };
  for (const [index, item] of value.entries()) {
    const rule = readRule(item, index, file);
    const reference = parseReference(rule.repository);
    if (reference.digest !== undefined || (reference.tag !== undefined && rule.repository.lastIndexOf(':') > rule.repository.lastIndexOf('/'))) {
      throw new FerryError('INVALID_ARGUMENT', `${file}: tags[${index}].repository "${rule.repository}" must name a repository without a tag or digest`, { file });
    }
    let pattern: RegExp | undefined;
    try {
      pattern = rule.regex === undefined ? undefined : new RegExp(rule.regex);
    } catch (error) {
      throw new FerryError('INVALID_ARGUMENT', `${file}: tags[${index}].regex is not a valid regular expression (${error instanceof Error ? error.message : String(error)})`, { file });
    }
    const range = rule.semver === undefined ? undefined : parseRange(rule.semver);
    const client = await context.registries.client(reference.registry);
    const tags = (await listTags(client, reference.repository, context.signal ? { signal: context.signal } : {})).filter((tag) => {
      if (pattern && !pattern.test(tag)) return false;
      if (!range) return true;
      const version = tagVersion(tag);
      return version !== undefined && satisfies(version, range);
    });
    const ordered = tags.sort((a, b) => {
      const va = tagVersion(a);
      const vb = tagVersion(b);
      return va && vb ? compareVersions(vb, va) : b.localeCompare(a, 'en');
    });
    const kept = rule.latest === undefined ? ordered : ordered.slice(0, rule.latest);
    if (kept.length === 0) resolved.notes.push(`tags: no tag of ${rule.repository} matches ${[rule.semver, rule.regex].filter(Boolean).join(' and ')}`);
    for (const tag of kept) resolved.images.push({ source: { ...reference, tag }, section: 'tags' });
  }
  return resolved;
}
