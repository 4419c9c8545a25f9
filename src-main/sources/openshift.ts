/**
 * The `openshift:` section of an image set (issue 6): release payloads,
 * operator catalogs and additional images, resolved from registry reads alone
 * (no update-service call), as `oc adm release mirror` and
 * `oc adm catalog mirror` / oc-mirror would lay them out.
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { parseSemVer, compareSemVer, resolveCatalog } from './openshift-operators.ts';
import type { OperatorCatalogSelection, OperatorPackageSelection } from './openshift-operators.ts';
import { resolveReleases } from './openshift-release.ts';
import type { ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';

/** Section name of `additionalImages` entries. */
export const ADDITIONAL_SECTION = 'openshift.additional';

/** The validated `openshift:` section. */
export interface OpenShiftConfig {
  releases: Reference[];
  operators: OperatorCatalogSelection[];
  additionalImages: Reference[];
}

type Fail = (key: string, why: string) => never;

const fail: Fail = (key, why) => {
  throw new FerryError('INVALID_ARGUMENT', `${key} ${why}`, { key });
};

function object(value: unknown, key: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(key, 'must be a mapping');
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) if (!allowed.includes(k)) fail(`${key}.${k}`, `is not a known key (known: ${allowed.join(', ')})`);
  return record;
}

function list(value: unknown, key: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(key, 'must be a list');
  return value;
}

function text(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) return fail(key, 'must be a non-empty string');
  return value.trim();
}

function reference(value: unknown, key: string): Reference {
  const input = text(value, key);
  try {
    return parseReference(input);
  } catch (error) {
    return fail(key, `is not an image reference: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function version(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  const input = typeof value === 'number' ? String(value) : text(value, key);
  if (!parseSemVer(input)) fail(key, `must be a semantic version such as 4.2.0, got "${input}"`);
  return input;
}

function packageSelection(value: unknown, key: string): OperatorPackageSelection {
  const o = object(value, key, ['name', 'channels', 'minVersion', 'maxVersion']);
  const selection: OperatorPackageSelection = { name: text(o.name, `${key}.name`) };
  if (o.channels !== undefined) {
    const channels = list(o.channels, `${key}.channels`).map((c, i) => text(c, `${key}.channels[${i}]`));
    if (channels.length === 0) fail(`${key}.channels`, 'must name at least one channel (leave it out for the default channel)');
    selection.channels = [...new Set(channels)];
  }
  const min = version(o.minVersion, `${key}.minVersion`);
  const max = version(o.maxVersion, `${key}.maxVersion`);
  if (min !== undefined) selection.minVersion = min;
  if (max !== undefined) selection.maxVersion = max;
  const a = min ? parseSemVer(min) : undefined;
  const b = max ? parseSemVer(max) : undefined;
  if (a && b && compareSemVer(a, b) > 0) fail(`${key}.minVersion`, `(${min}) is above maxVersion (${max})`);
  return selection;
}

/** Checks the `openshift:` section; every error is INVALID_ARGUMENT naming the offending key. */
export function parseOpenShiftConfig(config: unknown): OpenShiftConfig {
  const root = object(config, 'openshift', ['releases', 'operators', 'additionalImages']);
  const releases = list(root.releases, 'openshift.releases').map((r, i) => reference(r, `openshift.releases[${i}]`));
  const operators = list(root.operators, 'openshift.operators').map((entry, i): OperatorCatalogSelection => {
    const key = `openshift.operators[${i}]`;
    const o = object(entry, key, ['catalog', 'packages']);
    const packages = list(o.packages, `${key}.packages`).map((p, j) => packageSelection(p, `${key}.packages[${j}]`));
    if (packages.length === 0) fail(`${key}.packages`, 'must list at least one package');
    const names = new Set<string>();
    packages.forEach((p, j) => {
      if (names.has(p.name)) fail(`${key}.packages[${j}].name`, `repeats package "${p.name}"`);
      names.add(p.name);
    });
    return { catalog: reference(o.catalog, `${key}.catalog`), packages };
  });
  const additionalImages = list(root.additionalImages, 'openshift.additionalImages').map((r, i) => reference(r, `openshift.additionalImages[${i}]`));
  if (releases.length + operators.length + additionalImages.length === 0) fail('openshift', 'needs at least one of releases, operators, additionalImages');
  return { releases, operators, additionalImages };
}

/** Resolves the `openshift:` section into exact images with their targets; the first occurrence of a source wins. */
export async function resolveOpenShift(config: unknown, context: ResolveContext): Promise<ResolvedSection> {
  const parsed = parseOpenShiftConfig(config);
  const parts: ResolvedSection[] = [await resolveReleases(context, parsed.releases)];
  for (const catalog of parsed.operators) parts.push(await resolveCatalog(context, catalog));
  parts.push({ images: parsed.additionalImages.map((source): ResolvedImage => ({ source, section: ADDITIONAL_SECTION })), notes: [] });

  const images: ResolvedImage[] = [];
  const seen = new Set<string>();
  for (const image of parts.flatMap((p) => p.images)) {
    const key = `${formatReference(image.source)} ${image.target?.path ?? ''}:${image.target?.tag ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    images.push(image);
  }
  return { images, notes: parts.flatMap((p) => p.notes) };
}
