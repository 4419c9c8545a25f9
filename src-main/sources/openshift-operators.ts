/**
 * OpenShift operator catalogs, as oc-mirror v2 mirrors them: the catalog
 * image (file-based in JSON or YAML, or an SQLite index image: read by
 * olm-catalog-read.ts into one model), the bundles the selection chooses
 * (olm-selection.ts: packages, channels, version ranges, `full`,
 * `defaultChannel`, channel heads; every package when none is listed), the
 * bundles they depend on (olm-dependencies.ts, unless `skipDependencies`),
 * and every bundle's related images, all by digest. The plan says which
 * packages came in as dependencies and why.
 * https://olm.operatorframework.io/docs/reference/file-based-catalogs/
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { CATALOG_SECTION } from '../oci/openshift-artifacts.ts';
import { formatReference, manifestIdentifier, parseReference, repositoryName, withDigest } from '../oci/reference.ts';
import { getManifest, headManifest } from '../oci/registry/manifests.ts';
import { readCatalogImage } from './olm-catalog-read.ts';
import { resolveDependencies, type OlmBundle, type OlmCatalog } from './olm-dependencies.ts';
import { byVersion, selectPackage } from './olm-selection.ts';
import type { OperatorCatalogSelection, OperatorPackageSelection } from './openshift-schema.ts';
import type { ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';

export type { OperatorCatalogSelection, OperatorPackageSelection } from './openshift-schema.ts';
export { parseJsonStream } from './olm-fbc.ts';

/** Section name of bundle and related images in the plan (the catalog image itself is CATALOG_SECTION). */
export const OPERATORS_SECTION = 'openshift.operators';

/** An operand or bundle image: carried by digest to its own path; a tag-only reference is pinned and keeps its tag. */
async function operandImage(context: ResolveContext, input: string, subject: string): Promise<ResolvedImage> {
  let reference: Reference;
  try {
    reference = parseReference(input);
  } catch (error) {
    throw new FerryError('INVALID_MANIFEST', `${subject}: related image ${input}: ${error instanceof Error ? error.message : String(error)}`, { image: input });
  }
  if (reference.digest !== undefined) return { source: withDigest(reference, reference.digest), target: { path: reference.repository }, section: OPERATORS_SECTION };
  const client = await context.registries.client(reference.registry);
  const head = await headManifest(client, reference.repository, manifestIdentifier(reference), context.signal);
  if (!head?.digest) throw new FerryError('NOT_FOUND', `${subject}: related image ${input} does not exist`, { image: input });
  return { source: { ...reference, digest: head.digest }, target: { path: reference.repository, ...(reference.tag ? { tag: reference.tag } : {}) }, section: OPERATORS_SECTION };
}

/** The package selections to apply: the ones listed, or every package of the catalog (each channel's head, or every bundle with `full`). */
function packagesToSelect(selection: OperatorCatalogSelection, catalog: OlmCatalog): OperatorPackageSelection[] {
  if (selection.packages.length > 0) return selection.packages;
  return [...catalog.values()]
    .filter((pkg) => pkg.channels.size > 0)
    .map((pkg) => ({ name: pkg.name }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Prefixes a catalog-level error with the catalog it is about. */
function about<T>(subject: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof FerryError && !error.message.startsWith(subject)) throw new FerryError(error.code, `${subject}: ${error.message}`, error.details);
    throw error;
  }
}

/** Resolves one catalog: the catalog image itself, each selected bundle, the bundles they depend on, and all their related images. */
export async function resolveCatalog(context: ResolveContext, selection: OperatorCatalogSelection): Promise<ResolvedSection> {
  const subject = formatReference(selection.catalog);
  const client = await context.registries.client(selection.catalog.registry);
  const top = await getManifest(client, selection.catalog.repository, manifestIdentifier(selection.catalog), context.signal ? { signal: context.signal } : {});
  const pinned = withDigest(selection.catalog, top.digest);
  // The dependency closure needs the whole catalog; without it only the listed packages' folders are read.
  const wanted = selection.skipDependencies && selection.packages.length > 0 ? new Set(selection.packages.map((p) => p.name)) : undefined;
  let read = await readCatalogImage(context, pinned, subject, wanted);
  // Folders need not be named after packages (one configs/index.json, say): a listed package missing from the narrow read sends the reader over the whole catalog.
  const missing = wanted ? [...wanted].filter((name) => !read.catalog.get(name)?.channels.size) : [];
  if (missing.length > 0) read = await readCatalogImage(context, pinned, subject, undefined);
  const notes: string[] = [
    `catalog ${subject}: ${read.format === 'sqlite' ? 'SQLite index database' : 'file-based catalog'} at ${read.location}, ${read.catalog.size} packages read${missing.length > 0 ? ` (whole catalog: no folder named ${missing.join(', ')})` : ''}`,
    `catalog ${subject} is carried as is, not rebuilt from the selection as oc-mirror rebuilds it: OperatorHub on the cluster lists every package it holds, mirrored or not, and no defaultChannel set here reaches the cluster`,
  ];

  const chosen = new Map<string, OlmBundle[]>();
  for (const want of packagesToSelect(selection, read.catalog)) {
    const pkg = read.catalog.get(want.name);
    if (!pkg || pkg.channels.size === 0) {
      // A listed package missing from a narrow read sent the reader over the whole catalog, so its own package names are the known ones (not folder names).
      const known = [...read.catalog.keys()].sort();
      throw new FerryError('INVALID_CONTENT', `${subject}: unknown package "${want.name}" (known: ${known.join(', ')})`, { package: want.name, packages: known });
    }
    const choice = selectPackage(subject, pkg, want, selection.full);
    chosen.set(pkg.name, choice.bundles);
    const outside = choice.outsideRange.length > 0 ? ` (kept outside the range so each channel's upgrade chain reaches its head: ${choice.outsideRange.join(', ')})` : '';
    const empty = choice.emptyChannels.length > 0 ? `; channels left out, nothing in the range: ${choice.emptyChannels.join(', ')}` : '';
    notes.push(`operator ${pkg.name} from ${subject}: channels ${choice.channels.join(', ')}; bundles ${choice.bundles.map((b) => b.versionText ?? b.name).join(', ')}${outside}${empty}`);
  }

  const bundles: OlmBundle[] = [...chosen.values()].flat();
  if (!selection.skipDependencies) {
    const deps = about(subject, () => resolveDependencies(read.catalog, new Map([...chosen].map(([name, list]) => [name, list.map((b) => b.name)]))));
    for (const added of deps.added) {
      const bundle = read.catalog.get(added.package)?.bundles.get(added.bundle);
      if (bundle) bundles.push(bundle);
    }
    const packages = [...new Set(deps.added.map((a) => a.package))].filter((name) => !chosen.has(name)).sort();
    if (packages.length > 0) notes.push(`operator packages of ${subject} that came in as dependencies: ${packages.join(', ')}`);
    notes.push(...deps.notes.map((n) => `dependency from ${subject}: ${n}`));
  } else if (selection.packages.length > 0) {
    notes.push(`dependencies of ${subject} not resolved (skipDependencies): required packages must be listed`);
  }

  const images = new Map<string, ResolvedImage>();
  images.set(formatReference(pinned), { source: pinned, target: { path: pinned.repository, ...(selection.catalog.tag ? { tag: selection.catalog.tag } : {}) }, section: CATALOG_SECTION });
  const sources = new Set<string>([repositoryName(pinned)]);
  const pinnedByInput = new Map<string, ResolvedImage>();
  for (const bundle of [...bundles].sort((a, b) => a.package.localeCompare(b.package) || byVersion(a, b))) {
    if (bundle.image === undefined) throw new FerryError('INVALID_MANIFEST', `${subject}: bundle ${bundle.name} of ${bundle.package} has no image`, { bundle: bundle.name });
    for (const image of [bundle.image, ...bundle.relatedImages]) {
      // Bundles share operands; a tag-only one is looked up once.
      const resolved = pinnedByInput.get(image) ?? (await operandImage(context, image, `${subject} ${bundle.name}`));
      pinnedByInput.set(image, resolved);
      const key = formatReference(resolved.source);
      if (!images.has(key)) images.set(key, resolved);
      sources.add(repositoryName(resolved.source));
    }
  }
  notes.push(`operator sources of ${subject}: ${[...sources].sort().join(', ')}`);
  return { images: [...images.values()], notes };
}
