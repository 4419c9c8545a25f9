/**
 * The modules of a `deckhouse:` section, as `d8 mirror pull` carries them:
 * every module the source lists (the tags of `<root>/modules`), narrowed by
 * `modules:` (`--include-module`, with version constraints) and reduced by
 * `excludeModules:` (`--exclude-module`); per module its release channels
 * (`modules/<name>/release:<channel>`), the versions the sequential-minor rule
 * requires, each version's image and release image, the component images its
 * `images_digests.json` lists and the extra images of its `extra_images.json`,
 * and the listing tag `modules:<name>` that lets a cluster discover it.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { carryComponents, moduleComponents } from './deckhouse-components.ts';
import { mapBounded, type DeckhouseReads } from './deckhouse-reads.ts';
import { sequentialMinors, withChannelVersions } from './deckhouse-release.ts';
import { DEFAULT_CHANNELS, type DeckhouseModule } from './image-set-schema.ts';
import { compareVersions, formatVersion, rangeFloor, satisfies, type Version } from './versions.ts';

/** The repository whose tags list the modules, relative to the root. */
const LISTING = 'modules';
/** A module name as a repository path component (the listing may hold other tags, which are ignored). */
const MODULE_NAME = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;

/** A module's long-term-support channel: d8 carries `release:lts` where a module has one, beside the five channels. */
const LTS = 'lts';

/** Whether the section keeps Deckhouse's five channels (then a module's lts comes along too, as d8 carries it). */
function defaultChannels(channels: readonly string[]): boolean {
  return channels.length === DEFAULT_CHANNELS.length && DEFAULT_CHANNELS.every((c) => channels.includes(c));
}

/** Resolves one module; `explicit` modules (named under `modules:`) must have channels, discovered ones without any are noted and skipped. */
async function resolveModule(reads: DeckhouseReads, spec: DeckhouseModule, explicit: boolean, listed: boolean): Promise<boolean> {
  const { plan } = reads;
  const path = `${LISTING}/${spec.name}`;
  const label = `module ${spec.name}`;
  const channels = await reads.channels(`${path}/release`, label, false, defaultChannels(reads.config.channels) ? [LTS] : []);
  if (!channels) {
    if (explicit)
      throw new FerryError('NOT_FOUND', `${reads.registry}/${reads.root}/${path}/release: none of the channels ${reads.config.channels.join(', ')} exists`, {
        repository: `${reads.root}/${path}/release`,
      });
    plan.notes.push(`${label}: no release channel exists, module not carried`);
    return false;
  }
  if (listed) plan.addTag(LISTING, spec.name);
  const channelVersions = [...channels.values()].map((i) => i.version).sort(compareVersions);
  const tags = await reads.versionTags(path);
  const to = channelVersions.at(-1);
  const floor = spec.constraint ? rangeFloor(spec.constraint) : undefined;
  const oldestTag = tags.length > 0 ? [...tags].sort(compareVersions)[0] : undefined;
  const from = floor && oldestTag ? (compareVersions(floor, oldestTag) > 0 ? floor : oldestTag) : channelVersions[0];
  const constraint = spec.constraint;
  const accept = constraint ? (v: Version): boolean => satisfies(v, constraint) : undefined;
  const versions =
    !to || !from || compareVersions(from, to) > 0
      ? []
      : withChannelVersions(sequentialMinors(tags, from, to, `${reads.registry}/${reads.root}/${path}`, accept), channelVersions, from, tags, accept).map((v) => formatVersion(v));
  if (versions.length === 0) plan.notes.push(`${label}: no version${constraint ? ` satisfies ${constraint.raw}` : ''} up to ${to ? formatVersion(to) : 'the channels'}`);
  for (const [channel, info] of channels) {
    if (!versions.includes(formatVersion(info.version))) plan.notes.push(`${label}: channel ${channel} points at ${formatVersion(info.version)}, which is not carried`);
  }
  const known = new Map([...channels.values()].map((i) => [formatVersion(i.version), i]));
  await reads.carryVersions(versions, { image: path, release: `${path}/release`, extras: [] }, `${spec.name} `, known, false);
  const lists = await mapBounded(versions, (version) => moduleComponents(reads, path, version));
  const added = await carryComponents(reads, path, lists, label, true);
  if (added > 0) plan.notes.push(`${label}: ${added} component image(s) from ${versions.length} version(s), extra images included`);
  return true;
}

/** Adds the modules a section asks for: the source's listing narrowed by `modules:` and reduced by `excludeModules:`. */
export async function resolveModules(reads: DeckhouseReads): Promise<void> {
  const { config, plan } = reads;
  const listing = await reads.tags(LISTING);
  const listed = new Set((listing ?? []).filter((name) => MODULE_NAME.test(name)));
  const where = `${reads.registry}/${reads.root}/${LISTING}`;
  let specs: DeckhouseModule[];
  if (config.modules.length > 0) {
    if (listing === undefined) plan.notes.push(`deckhouse: the source has no modules listing (${where}); the named modules are read directly`);
    const unknown = config.modules.filter((m) => listing !== undefined && !listed.has(m.name)).map((m) => m.name);
    if (unknown.length > 0) {
      throw new FerryError('NOT_FOUND', `${where} does not list module(s) ${unknown.join(', ')} (deckhouse.modules); it lists ${[...listed].sort().join(', ') || 'none'}`, { modules: unknown });
    }
    specs = config.modules;
  } else {
    if (listed.size === 0) {
      plan.notes.push(`deckhouse: the source lists no modules (${where}), none carried`);
      return;
    }
    specs = [...listed].sort().map((name) => ({ name }));
  }
  const excluded = new Set(config.excludeModules);
  for (const name of config.excludeModules) if (listing !== undefined && !listed.has(name)) plan.notes.push(`deckhouse: excludeModules names ${name}, which ${where} does not list`);
  const carried: string[] = [];
  for (const spec of specs) {
    if (excluded.has(spec.name)) continue;
    if (await resolveModule(reads, spec, config.modules.length > 0, listed.has(spec.name))) carried.push(spec.name);
  }
  const left = specs.filter((s) => excluded.has(s.name)).map((s) => s.name);
  plan.notes.push(`deckhouse modules: ${carried.length > 0 ? carried.join(', ') : 'none'}${left.length > 0 ? ` (excluded: ${left.join(', ')})` : ''}`);
}
