/**
 * ImageDigestMirrorSet, ImageTagMirrorSet and ImageContentSourcePolicy read
 * back as the rules a node ends up with: the Machine Config Operator writes
 * each source as a registries.conf `[[registry]]` whose mirrors carry
 * `pull-from-mirror = "digest-only"` (IDMS, ICSP) or `"tag-only"` (ITMS), so
 * resolution is registries.conf's longest-prefix match (resolve-registries-conf.ts).
 * Entries of one kind naming one source are merged, mirrors in reading order.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { readYaml } from '../base/yaml-read.ts';
import type { PullFromMirror, RegistryRule } from './resolve-registries-conf.ts';

/** The OpenShift mirror kinds, by the short names operators use. */
export type OpenShiftMirrorKind = 'IDMS' | 'ITMS' | 'ICSP';

/** kind → its short name, list field and which pulls its mirrors serve. */
const KINDS: Record<string, { short: OpenShiftMirrorKind; list: string; pull: PullFromMirror }> = {
  ImageDigestMirrorSet: { short: 'IDMS', list: 'imageDigestMirrors', pull: 'digest-only' },
  ImageTagMirrorSet: { short: 'ITMS', list: 'imageTagMirrors', pull: 'tag-only' },
  ImageContentSourcePolicy: { short: 'ICSP', list: 'repositoryDigestMirrors', pull: 'digest-only' },
};

function invalid(file: string, message: string): FerryError {
  return new FerryError('INVALID_CONTENT', `${file}: ${message}`, { file });
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The objects of one document: the object itself, or a `kind: List`'s items. */
function objectsOf(value: unknown): Array<Record<string, unknown>> {
  const object = record(value);
  if (object === undefined) return [];
  if (object.kind === 'List' && Array.isArray(object.items)) return object.items.map(record).filter((item) => item !== undefined);
  return [object];
}

/**
 * The mirror rules of one YAML file, per kind; a file holding none of the
 * three kinds (a CatalogSource, a ConfigMap) gives none. INVALID_CONTENT names
 * the file and the field for a malformed entry.
 */
export function parseOpenShiftMirrors(source: string, file: string): Map<OpenShiftMirrorKind, RegistryRule[]> {
  const found = new Map<OpenShiftMirrorKind, RegistryRule[]>();
  for (const object of objectsOf(readYaml(source, file).value)) {
    const kind = typeof object.kind === 'string' ? KINDS[object.kind] : undefined;
    if (kind === undefined) continue;
    const entries = record(object.spec)?.[kind.list] ?? [];
    if (!Array.isArray(entries)) throw invalid(file, `spec.${kind.list} must be a list`);
    const rules = found.get(kind.short) ?? [];
    entries.forEach((raw: unknown, i) => {
      const where = `spec.${kind.list}[${i}]`;
      const entry = record(raw);
      if (entry === undefined || typeof entry.source !== 'string' || entry.source === '') throw invalid(file, `${where}.source must be a repository name`);
      const mirrors = entry.mirrors ?? [];
      if (!Array.isArray(mirrors) || mirrors.some((m) => typeof m !== 'string' || m === '')) throw invalid(file, `${where}.mirrors must be a list of repository names`);
      const source = entry.source;
      const wildcard = source.startsWith('*.');
      // NeverContactSource: the node never asks the source, so only the mirrors are candidates; the check asks only mirrors anyway.
      rules.push({
        prefix: source,
        location: wildcard ? '' : source,
        blocked: false,
        mirrorByDigestOnly: false,
        mirrors: (mirrors as string[]).map((location) => ({ location, pullFromMirror: kind.pull })),
        file,
      });
    });
    found.set(kind.short, rules);
  }
  return found;
}

/** Merges the rules of one kind from several objects: one rule per source, mirrors concatenated without repeats. */
export function mergeOpenShiftRules(rules: readonly RegistryRule[]): RegistryRule[] {
  const bySource = new Map<string, RegistryRule>();
  for (const rule of rules) {
    const earlier = bySource.get(rule.prefix);
    if (earlier === undefined) bySource.set(rule.prefix, { ...rule, mirrors: [...rule.mirrors] });
    else for (const mirror of rule.mirrors) if (!earlier.mirrors.some((m) => m.location === mirror.location)) earlier.mirrors.push(mirror);
  }
  return [...bySource.values()];
}
