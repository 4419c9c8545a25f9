/**
 * OpenShift operator catalogs: a file-based catalog (FBC) index image holds
 * `configs/<package>/catalog.json` (or `index.json`), a stream of JSON objects
 * of schema `olm.package`, `olm.channel` and `olm.bundle`. Selecting packages,
 * channels and a version range gives the bundles; each bundle's image and
 * `relatedImages` are what the cluster pulls.
 * https://olm.operatorframework.io/docs/reference/file-based-catalogs/
 *
 * Only JSON catalogs are read; a selected package stored as YAML (a stream
 * of `---` documents) is an error that says how to convert it.
 * Without a version range every bundle of the selected channels is carried.
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference, manifestIdentifier, parseReference, repositoryName, withDigest } from '../oci/reference.ts';
import { readBlobToBuffer } from '../oci/registry/blobs.ts';
import { getManifest, headManifest } from '../oci/registry/manifests.ts';
import { readImageFiles } from './image-files.ts';
import type { OperatorCatalogSelection, OperatorPackageSelection } from './image-set-schema.ts';
import type { ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';
import { anyVersion, compareVersions, type Version } from './versions.ts';

export type { OperatorCatalogSelection, OperatorPackageSelection } from './image-set-schema.ts';

/** Section name of catalog, bundle and related images in the plan. */
export const OPERATORS_SECTION = 'openshift.operators';
/** The image label opm sets to the catalog root (operator-registry `pkg/containertools`); `/configs` when absent. */
const CONFIGS_LABEL = 'operators.operatorframework.io.index.configs.v1';
const DEFAULT_CONFIGS_ROOT = 'configs';

/** Splits a stream of concatenated JSON values (what `opm render` writes) into parsed values. */
export function parseJsonStream(text: string, where: string): unknown[] {
  const values: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (i >= text.length) break;
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (depth === 0) {
        throw new FerryError('INVALID_MANIFEST', `${where}: expected a JSON object at offset ${start}`, { path: where });
      }
    }
    try {
      values.push(JSON.parse(text.slice(start, i)));
    } catch (error) {
      throw new FerryError('INVALID_MANIFEST', `${where}: invalid JSON at offset ${start}: ${error instanceof Error ? error.message : String(error)}`, { path: where });
    }
  }
  return values;
}

interface Bundle {
  name: string;
  image: string;
  version: Version | undefined;
  versionText: string | undefined;
  relatedImages: string[];
}

interface Package {
  name: string;
  defaultChannel: string | undefined;
  channels: Map<string, string[]>;
  bundles: Map<string, Bundle>;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Folds FBC objects into packages; objects of other schemas (olm.deprecations, …) are ignored. */
function foldCatalog(objects: readonly unknown[], into: Map<string, Package>): void {
  const get = (name: string): Package => {
    let pkg = into.get(name);
    if (!pkg) {
      pkg = { name, defaultChannel: undefined, channels: new Map(), bundles: new Map() };
      into.set(name, pkg);
    }
    return pkg;
  };
  for (const value of objects) {
    const o = record(value);
    if (!o) continue;
    const name = str(o.name);
    if (o.schema === 'olm.package' && name) {
      get(name).defaultChannel = str(o.defaultChannel);
    } else if (o.schema === 'olm.channel' && name && str(o.package)) {
      const entries = Array.isArray(o.entries) ? o.entries.map((e) => str(record(e)?.name)).filter((e): e is string => e !== undefined) : [];
      get(str(o.package) ?? '').channels.set(name, entries);
    } else if (o.schema === 'olm.bundle' && name && str(o.package)) {
      const properties = Array.isArray(o.properties) ? o.properties.map(record) : [];
      const versionText = str(record(properties.find((p) => p?.type === 'olm.package')?.value)?.version);
      const related = Array.isArray(o.relatedImages) ? o.relatedImages.map((r) => str(record(r)?.image)).filter((r): r is string => r !== undefined) : [];
      get(str(o.package) ?? '').bundles.set(name, {
        name,
        image: str(o.image) ?? '',
        versionText,
        version: versionText ? anyVersion(versionText) : undefined,
        relatedImages: related,
      });
    }
  }
}

/** Where the catalog's package folders live: the configs label opm sets, else `configs`. */
async function catalogRoot(context: ResolveContext, catalog: Reference): Promise<string> {
  const client = await context.registries.client(catalog.registry);
  let manifest = await getManifest(client, catalog.repository, manifestIdentifier(catalog), context.signal ? { signal: context.signal } : {});
  if (manifest.kind === 'index') {
    const first = manifest.index.manifests[0];
    if (!first) return DEFAULT_CONFIGS_ROOT;
    manifest = await getManifest(client, catalog.repository, first.digest, context.signal ? { signal: context.signal } : {});
  }
  if (manifest.kind !== 'image') return DEFAULT_CONFIGS_ROOT;
  const config = record(JSON.parse((await readBlobToBuffer(client, catalog.repository, manifest.manifest.config, context.signal)).toString('utf8')));
  const label = str(record(record(config?.config)?.Labels)?.[CONFIGS_LABEL]);
  return (label ?? DEFAULT_CONFIGS_ROOT).replace(/^\.?\/+/, '').replace(/\/+$/, '');
}

/** Reads the selected packages' catalog files; package folders not selected are listed but never read. */
async function readPackages(
  context: ResolveContext,
  catalog: Reference,
  wanted: ReadonlySet<string>,
): Promise<{ packages: Map<string, Package>; present: Set<string>; yamlOnly: Map<string, string> }> {
  const root = await catalogRoot(context, catalog);
  const present = new Set<string>();
  const packageOf = (path: string): string | undefined => {
    if (!path.startsWith(`${root}/`)) return undefined;
    const rest = path.slice(root.length + 1);
    const slash = rest.indexOf('/');
    return slash < 0 ? rest.replace(/\.(json|ya?ml)$/, '') : rest.slice(0, slash);
  };
  const files = await readImageFiles(
    context.registries,
    catalog,
    (path) => {
      const pkg = packageOf(path);
      if (pkg === undefined || !/\.(json|ya?ml)$/.test(path)) return false;
      present.add(pkg);
      return wanted.has(pkg);
    },
    context.signal ? { signal: context.signal } : {},
  );
  const packages = new Map<string, Package>();
  const yamlOnly = new Map<string, string>();
  for (const [path, bytes] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (path.endsWith('.json')) foldCatalog(parseJsonStream(bytes.toString('utf8'), `${formatReference(catalog)}: ${path}`), packages);
    else yamlOnly.set(packageOf(path) ?? path, path);
  }
  return { packages, present, yamlOnly };
}

function selectBundles(subject: string, pkg: Package, selection: OperatorPackageSelection): { channels: string[]; bundles: Bundle[] } {
  const known = [...pkg.channels.keys()].sort();
  let channels = selection.channels?.map((c) => c.name);
  if (channels === undefined || channels.length === 0) {
    const fallback = selection.defaultChannel ?? pkg.defaultChannel ?? (known.length === 1 ? known[0] : undefined);
    if (fallback === undefined)
      throw new FerryError('INVALID_CONTENT', `${subject}: package ${pkg.name} has no defaultChannel; name channels (known: ${known.join(', ')})`, { package: pkg.name, channels: known });
    channels = [fallback];
  }
  for (const channel of channels) {
    if (!pkg.channels.has(channel)) {
      throw new FerryError('INVALID_CONTENT', `${subject}: package ${pkg.name} has no channel "${channel}" (known: ${known.join(', ')})`, { package: pkg.name, channel, channels: known });
    }
  }
  const min = selection.minVersion ? anyVersion(selection.minVersion) : undefined;
  const max = selection.maxVersion ? anyVersion(selection.maxVersion) : undefined;
  const chosen = new Map<string, Bundle>();
  for (const channel of channels) {
    for (const entry of pkg.channels.get(channel) ?? []) {
      const bundle = pkg.bundles.get(entry);
      if (!bundle || bundle.image === '')
        throw new FerryError('INVALID_MANIFEST', `${subject}: channel ${channel} of ${pkg.name} lists bundle ${entry}, which the catalog does not define with an image`, {
          package: pkg.name,
          bundle: entry,
        });
      if (min || max) {
        if (!bundle.version) throw new FerryError('INVALID_MANIFEST', `${subject}: bundle ${entry} has no semver olm.package version (${bundle.versionText ?? 'none'})`, { bundle: entry });
        if (min && compareVersions(bundle.version, min) < 0) continue;
        if (max && compareVersions(bundle.version, max) > 0) continue;
      }
      chosen.set(entry, bundle);
    }
  }
  if (chosen.size === 0) {
    const versions = channels.flatMap((c) => pkg.channels.get(c) ?? []).map((e) => pkg.bundles.get(e)?.versionText ?? e);
    throw new FerryError(
      'INVALID_CONTENT',
      `${subject}: no bundle of ${pkg.name} in ${channels.join(', ')} lies within ${selection.minVersion ?? '*'}..${selection.maxVersion ?? '*'} (versions: ${[...new Set(versions)].join(', ')})`,
      { package: pkg.name },
    );
  }
  return { channels, bundles: [...chosen.values()].sort((a, b) => (a.version && b.version ? compareVersions(a.version, b.version) : 0) || a.name.localeCompare(b.name)) };
}

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

/** Resolves one catalog: the catalog image itself, each selected bundle and its related images. */
export async function resolveCatalog(context: ResolveContext, selection: OperatorCatalogSelection): Promise<ResolvedSection> {
  const subject = formatReference(selection.catalog);
  const client = await context.registries.client(selection.catalog.registry);
  const top = await getManifest(client, selection.catalog.repository, manifestIdentifier(selection.catalog), context.signal ? { signal: context.signal } : {});
  const pinned = withDigest(selection.catalog, top.digest);
  const wanted = new Set(selection.packages.map((p) => p.name));
  const { packages, present, yamlOnly } = await readPackages(context, pinned, wanted);

  const images = new Map<string, ResolvedImage>();
  images.set(formatReference(pinned), { source: pinned, target: { path: pinned.repository, ...(selection.catalog.tag ? { tag: selection.catalog.tag } : {}) }, section: OPERATORS_SECTION });
  const notes: string[] = [];
  const sources = new Set<string>([repositoryName(pinned)]);
  for (const want of selection.packages) {
    const pkg = packages.get(want.name);
    if (!pkg || pkg.channels.size === 0) {
      const yaml = yamlOnly.get(want.name);
      if (yaml)
        throw new FerryError('INVALID_CONTENT', `${subject}: package ${want.name} is stored as YAML (${yaml}); Ferry reads JSON file-based catalogs only (convert with \`opm render --output json\`)`, {
          package: want.name,
          path: yaml,
        });
      const known = [...present].sort();
      throw new FerryError('INVALID_CONTENT', `${subject}: unknown package "${want.name}" (known: ${known.join(', ')})`, { package: want.name, packages: known });
    }
    const { channels, bundles } = selectBundles(subject, pkg, want);
    for (const bundle of bundles) {
      for (const image of [bundle.image, ...bundle.relatedImages]) {
        const resolved = await operandImage(context, image, `${subject} ${bundle.name}`);
        images.set(formatReference(resolved.source), resolved);
        sources.add(repositoryName(resolved.source));
      }
    }
    notes.push(`operator ${pkg.name} from ${subject}: channels ${channels.join(', ')}; bundles ${bundles.map((b) => b.versionText ?? b.name).join(', ')}`);
  }
  notes.push(`operator sources of ${subject}: ${[...sources].sort().join(', ')}`);
  return { images: [...images.values()], notes };
}
