/**
 * Operator dependency resolution as OLM and oc-mirror do it: a selected bundle
 * may require a package in a version range (`olm.package.required`) or an API
 * (`olm.gvk.required`, satisfied by a package whose bundle provides that
 * group/version/kind). The closure is transitive; every dependency package
 * also brings its default channel head, and each added bundle says why it
 * came in. Ranges are blang/semver style (`>=1.2.0 <2.0.0`, `a || b`), read
 * with node-semver through versions.ts; `!=` exclusions are refused by name.
 * https://olm.operatorframework.io/docs/concepts/olm-architecture/dependency-resolution/
 */
import { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';
import { anyVersion, compareVersions, parseRange, satisfies, type Version } from './versions.ts';

/** An API a bundle provides or requires, written `group/version Kind` in reasons. */
export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** One bundle with the properties dependency resolution reads. */
export interface OlmBundle {
  name: string;
  package: string;
  version: Version | undefined;
  versionText: string | undefined;
  /** The bundle image (`image` of the FBC object, `bundlepath` of an index database); undefined when the catalog names none. */
  image: string | undefined;
  /** `relatedImages`: the operator and operand images the bundle runs (the bundle image may be among them). */
  relatedImages: string[];
  provides: Gvk[];
  requiresPackages: Array<{ packageName: string; versionRange: string }>;
  requiresGvks: Gvk[];
}

/** One channel entry: the upgrade edges that decide which entry is the head. */
export interface OlmChannelEntry {
  name: string;
  replaces?: string | undefined;
  skips?: string[] | undefined;
  skipRange?: string | undefined;
}

/** One package of a catalog: its default channel, channels and bundles by name. */
export interface OlmPackage {
  name: string;
  defaultChannel: string | undefined;
  channels: Map<string, OlmChannelEntry[]>;
  bundles: Map<string, OlmBundle>;
}

/** A catalog folded for dependency resolution: packages by name. */
export type OlmCatalog = Map<string, OlmPackage>;

/** A bundle the resolution added, with every reason it is needed. */
export interface AddedBundle {
  package: string;
  bundle: string;
  version: string;
  reasons: string[];
}

/** What dependency resolution adds to a selection, and what the plan should say about it. */
export interface DependencyResult {
  added: AddedBundle[];
  /** One line per added bundle (`B 1.3.0: required by A 2.1.0 (olm.package.required >=1.2.0 <2.0.0)`), then choices among providers. */
  notes: string[];
}

const gvkSchema = z.object({ group: z.string(), version: z.string().min(1), kind: z.string().min(1) });
const packageValue = z.object({ packageName: z.string().min(1), version: z.string().min(1) });
const packageRequired = z.object({ packageName: z.string().min(1), versionRange: z.string().min(1) });
const entrySchema = z.object({ name: z.string().min(1), replaces: z.string().optional(), skips: z.array(z.string()).optional(), skipRange: z.string().optional() });
const objectSchema = z.discriminatedUnion('schema', [
  z.object({ schema: z.literal('olm.package'), name: z.string().min(1), defaultChannel: z.string().optional() }),
  z.object({ schema: z.literal('olm.channel'), name: z.string().min(1), package: z.string().min(1), entries: z.array(entrySchema) }),
  z.object({
    schema: z.literal('olm.bundle'),
    name: z.string().min(1),
    package: z.string().min(1),
    image: z.string().optional(),
    properties: z.array(z.object({ type: z.string(), value: z.unknown() })).default([]),
    relatedImages: z.array(z.object({ name: z.string().optional(), image: z.string().min(1) })).default([]),
  }),
]);
const KNOWN_SCHEMAS = new Set(['olm.package', 'olm.channel', 'olm.bundle']);

function parseProperty<T>(schema: z.ZodType<T>, value: unknown, where: string, type: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new FerryError('INVALID_MANIFEST', `${where}: property ${type}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`, { type });
  return parsed.data;
}

/** Folds FBC objects (as `opm render` writes them) into packages; objects of other schemas (olm.deprecations, …) are skipped. */
export function readOlmCatalog(objects: readonly unknown[], where: string): OlmCatalog {
  const catalog: OlmCatalog = new Map();
  const get = (name: string): OlmPackage => {
    let pkg = catalog.get(name);
    if (!pkg) {
      pkg = { name, defaultChannel: undefined, channels: new Map(), bundles: new Map() };
      catalog.set(name, pkg);
    }
    return pkg;
  };
  for (const value of objects) {
    const schemaName = typeof value === 'object' && value !== null ? (value as { schema?: unknown }).schema : undefined;
    if (typeof schemaName !== 'string' || !KNOWN_SCHEMAS.has(schemaName)) continue;
    const parsed = objectSchema.safeParse(value);
    if (!parsed.success)
      throw new FerryError('INVALID_MANIFEST', `${where}: invalid ${schemaName} object: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`, { schema: schemaName });
    const o = parsed.data;
    if (o.schema === 'olm.package') get(o.name).defaultChannel = o.defaultChannel;
    else if (o.schema === 'olm.channel') get(o.package).channels.set(o.name, o.entries);
    else {
      const at = `${where}: bundle ${o.name}`;
      const bundle: OlmBundle = {
        name: o.name,
        package: o.package,
        version: undefined,
        versionText: undefined,
        image: o.image === undefined || o.image === '' ? undefined : o.image,
        relatedImages: [...new Set(o.relatedImages.map((r) => r.image))],
        provides: [],
        requiresPackages: [],
        requiresGvks: [],
      };
      for (const property of o.properties) {
        if (property.type === 'olm.package') {
          bundle.versionText = parseProperty(packageValue, property.value, at, property.type).version;
          bundle.version = anyVersion(bundle.versionText);
        } else if (property.type === 'olm.gvk') bundle.provides.push(parseProperty(gvkSchema, property.value, at, property.type));
        else if (property.type === 'olm.package.required') bundle.requiresPackages.push(parseProperty(packageRequired, property.value, at, property.type));
        else if (property.type === 'olm.gvk.required') bundle.requiresGvks.push(parseProperty(gvkSchema, property.value, at, property.type));
      }
      get(o.package).bundles.set(o.name, bundle);
    }
  }
  return catalog;
}

/** `cert-manager.io/v1 Certificate` (core APIs have an empty group: `v1 ConfigMap`). */
export function formatGvk(gvk: Gvk): string {
  return `${gvk.group ? `${gvk.group}/` : ''}${gvk.version} ${gvk.kind}`;
}

function sameGvk(a: Gvk, b: Gvk): boolean {
  return a.group === b.group && a.version === b.version && a.kind === b.kind;
}

function label(bundle: OlmBundle): string {
  return `${bundle.package} ${bundle.versionText ?? bundle.name}`;
}

/** The channel's head: the one entry no other entry replaces or skips (opm's rule); an error when there is none or several. */
export function channelHead(pkg: OlmPackage, channel: string): OlmBundle {
  const entries = pkg.channels.get(channel);
  if (!entries) throw new FerryError('INVALID_CONTENT', `package ${pkg.name} has no channel "${channel}"`, { package: pkg.name, channel });
  const superseded = new Set(entries.flatMap((e) => [...(e.replaces ? [e.replaces] : []), ...(e.skips ?? [])]));
  const heads = entries.filter((e) => !superseded.has(e.name)).map((e) => e.name);
  if (heads.length !== 1)
    throw new FerryError(
      'INVALID_MANIFEST',
      `channel ${channel} of ${pkg.name} has ${heads.length === 0 ? 'no head (its entries replace each other in a loop)' : `several heads (${heads.join(', ')})`}`,
      { package: pkg.name, channel },
    );
  const head = pkg.bundles.get(heads[0] ?? '');
  if (!head) throw new FerryError('INVALID_MANIFEST', `channel ${channel} of ${pkg.name} lists bundle ${heads[0] ?? ''}, which the catalog does not define`, { package: pkg.name, bundle: heads[0] });
  return head;
}

/** The default channel's head (the sole channel's when there is no default): what a dependency package always brings. */
function defaultHead(pkg: OlmPackage): OlmBundle {
  const channel = pkg.defaultChannel ?? (pkg.channels.size === 1 ? [...pkg.channels.keys()][0] : undefined);
  if (channel === undefined) throw new FerryError('INVALID_CONTENT', `package ${pkg.name} has no defaultChannel and several channels, so its channel head is not defined`, { package: pkg.name });
  return channelHead(pkg, channel);
}

/** Newest first; bundles without a semver version last, by name. */
function newestFirst(a: OlmBundle, b: OlmBundle): number {
  if (a.version && b.version) return compareVersions(b.version, a.version) || a.name.localeCompare(b.name);
  if (a.version || b.version) return a.version ? -1 : 1;
  return a.name.localeCompare(b.name);
}

/**
 * Adds what the selected bundles need, transitively. `selection` maps each
 * selected package to the names of its chosen bundles; selected bundles that
 * already satisfy a requirement add nothing. Each requirement nothing in the
 * catalog satisfies is an error naming the requiring bundle and requirement.
 */
export function resolveDependencies(catalog: OlmCatalog, selection: ReadonlyMap<string, readonly string[]>): DependencyResult {
  const chosen = new Map<string, OlmBundle>();
  const key = (b: OlmBundle): string => `${b.package}\u0000${b.name}`;
  const queue: OlmBundle[] = [];
  for (const [name, bundles] of selection) {
    const pkg = catalog.get(name);
    if (!pkg) throw new FerryError('INVALID_CONTENT', `selected package ${name} is not in the catalog`, { package: name });
    for (const bundleName of bundles) {
      const bundle = pkg.bundles.get(bundleName);
      if (!bundle) throw new FerryError('INVALID_CONTENT', `selected bundle ${bundleName} is not in package ${name}`, { package: name, bundle: bundleName });
      chosen.set(key(bundle), bundle);
      queue.push(bundle);
    }
  }
  const added = new Map<string, AddedBundle>();
  const notes: string[] = [];
  const include = (bundle: OlmBundle, reason: string): void => {
    const k = key(bundle);
    const existing = added.get(k);
    if (existing) {
      if (!existing.reasons.includes(reason)) existing.reasons.push(reason);
      return;
    }
    if (chosen.has(k)) return;
    chosen.set(k, bundle);
    added.set(k, { package: bundle.package, bundle: bundle.name, version: bundle.versionText ?? bundle.name, reasons: [reason] });
    queue.push(bundle);
  };
  /** A dependency package brings its default channel head, unless the user selected that package. */
  const includeHead = (pkg: OlmPackage, why: string): void => {
    if (selection.has(pkg.name)) return;
    include(defaultHead(pkg), `channel head of ${pkg.name}, which came in as a dependency of ${why}`);
  };

  for (let bundle = queue.shift(); bundle; bundle = queue.shift()) {
    const who = label(bundle);
    for (const req of bundle.requiresPackages) {
      const requirement = `olm.package.required ${req.packageName} ${req.versionRange}`;
      const range = parseRange(req.versionRange);
      if (!range)
        throw new FerryError('INVALID_MANIFEST', `${who}: ${requirement}: not a version range Ferry reads (blang/semver \`!=\` exclusions are not supported)`, { bundle: bundle.name, requirement });
      const pkg = catalog.get(req.packageName);
      if (!pkg) throw new FerryError('INVALID_CONTENT', `${who}: ${requirement}: the catalog has no package ${req.packageName}`, { bundle: bundle.name, requirement });
      const fits = (b: OlmBundle): boolean => b.version !== undefined && satisfies(b.version, range);
      const reason = `required by ${who} (olm.package.required ${req.versionRange})`;
      const have = [...chosen.values()].filter((b) => b.package === pkg.name && fits(b));
      if (have.length > 0) {
        for (const b of have) if (added.has(key(b))) include(b, reason);
        continue;
      }
      const head = defaultHead(pkg);
      const pick = fits(head) ? head : [...pkg.bundles.values()].filter(fits).sort(newestFirst)[0];
      if (!pick) {
        const versions = [...pkg.bundles.values()].sort(newestFirst).map((b) => b.versionText ?? b.name);
        throw new FerryError('INVALID_CONTENT', `${who}: ${requirement}: no bundle of ${pkg.name} satisfies it (versions: ${versions.join(', ')})`, { bundle: bundle.name, requirement });
      }
      include(pick, reason);
      includeHead(pkg, who);
    }
    for (const gvk of bundle.requiresGvks) {
      const api = formatGvk(gvk);
      const provides = (b: OlmBundle): boolean => b.provides.some((p) => sameGvk(p, gvk));
      const reason = `provides ${api} required by ${who}`;
      const have = [...chosen.values()].filter(provides);
      if (have.length > 0) {
        for (const b of have) if (added.has(key(b))) include(b, reason);
        continue;
      }
      const providers = [...catalog.values()].filter((p) => [...p.bundles.values()].some(provides));
      if (providers.length === 0) throw new FerryError('INVALID_CONTENT', `${who}: olm.gvk.required ${api}: no package in the catalog provides it`, { bundle: bundle.name, gvk: api });
      // Prefer a provider whose default channel head provides the API, then the package name: the same catalog always gives the same answer.
      const headProvides = (p: OlmPackage): boolean => {
        try {
          return provides(defaultHead(p));
        } catch {
          return false;
        }
      };
      providers.sort((a, b) => Number(headProvides(b)) - Number(headProvides(a)) || a.name.localeCompare(b.name));
      const [provider, ...others] = providers;
      if (!provider) continue;
      if (others.length > 0) notes.push(`${api} (required by ${who}) is provided by ${providers.map((p) => p.name).join(', ')}; chose ${provider.name}`);
      const pick = headProvides(provider) ? defaultHead(provider) : [...provider.bundles.values()].filter(provides).sort(newestFirst)[0];
      if (!pick) continue;
      include(pick, reason);
      includeHead(provider, who);
    }
  }
  const list = [...added.values()].sort((a, b) => a.package.localeCompare(b.package) || a.version.localeCompare(b.version));
  return { added: list, notes: [...list.map((a) => `${a.package} ${a.version}: ${a.reasons.join('; ')}`), ...notes] };
}
