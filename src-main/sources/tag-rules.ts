/**
 * The `tags:` section of an image set: a repository plus a semver range or a
 * regular expression, resolved by listing the repository's tags (like skopeo
 * sync's images-by-semver and regsync's tags.allow).
 */
import { listTags } from '../oci/registry/tags.ts';
import type { TagRule } from './image-set-schema.ts';
import type { ResolveContext, ResolvedSection } from './types.ts';
import { anyVersion, compareVersions, satisfies, type Version } from './versions.ts';

/**
 * A tag as a version: `v1.2.3`, `1.2.3`, `1.3.0-rc.1`, or `1.2` read as `1.2.0`
 * (registries often tag minors only). A pre-release matches a range only when
 * the range names a pre-release of the same version, as node-semver decides.
 */
function tagVersion(tag: string): Version | undefined {
  return anyVersion(tag) ?? (/^v?\d+\.\d+$/.test(tag) ? anyVersion(`${tag}.0`) : undefined);
}

/** Resolves every (checked) tag rule to the matching tags, newest first when `latest` keeps only some. */
export async function resolveTagRules(rules: readonly TagRule[], context: ResolveContext): Promise<ResolvedSection> {
  const resolved: ResolvedSection = { images: [], notes: [] };
  for (const rule of rules) {
    const { reference, semver: range, regex: pattern } = rule;
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
    if (kept.length === 0) resolved.notes.push(`tags: no tag of ${rule.repository} matches ${[range?.raw, pattern?.source].filter(Boolean).join(' and ')}`);
    for (const tag of kept) resolved.images.push({ source: { ...reference, tag }, section: 'tags' });
  }
  return resolved;
}
