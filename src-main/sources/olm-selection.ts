/**
 * Which bundles of a package an image set selects, as oc-mirror v2 filters a
 * catalog (its catalog filter, sherine-k/catalog-filter mirror-config/v1alpha1,
 * and docs/features/filtering.md):
 * - channels: the ones listed, else every channel of the package;
 * - in each channel: the head only; every bundle with `full`; with a version
 *   range (the channel's own, or the package's, which applies to every
 *   selected channel) the bundles within it and the upgrade chain that joins
 *   them to the channel head, bundles outside the range included, so the
 *   channel stays connected. The head is always kept (issue 13), where
 *   oc-mirror stops at the highest bundle the range needs;
 * - a package range that leaves a channel empty drops that channel, unless it
 *   is the default channel (an error, as in oc-mirror);
 * - refused as oc-mirror refuses them: a range on both the package and a
 *   channel, `full` with a range, and listed channels that leave out the
 *   catalog's default channel without `defaultChannel` naming one of them.
 * A range that matches nothing is an error that lists the versions there are.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { channelHead, type OlmBundle, type OlmChannelEntry, type OlmPackage } from './olm-dependencies.ts';
import type { OperatorPackageSelection } from './openshift-schema.ts';
import { anyVersion, compareVersions, type Version } from './versions.ts';

/** The bundles chosen in one package, and what the plan should say about them. */
export interface PackageChoice {
  /** The channels carried, in the order selected (channels a package range emptied are left out). */
  channels: string[];
  bundles: OlmBundle[];
  /** Bundles carried though outside the asked range, to keep a channel's upgrade chain whole from its head: `channel version`. */
  outsideRange: string[];
  /** Channels a package-level range left without a bundle, dropped as oc-mirror drops them. */
  emptyChannels: string[];
}

interface Range {
  min: Version | undefined;
  max: Version | undefined;
  text: string;
}

function rangeOf(minVersion: string | undefined, maxVersion: string | undefined): Range | undefined {
  if (minVersion === undefined && maxVersion === undefined) return undefined;
  return { min: minVersion ? anyVersion(minVersion) : undefined, max: maxVersion ? anyVersion(maxVersion) : undefined, text: `${minVersion ?? '*'}..${maxVersion ?? '*'}` };
}

function within(subject: string, bundle: OlmBundle, range: Range): boolean {
  if (!bundle.version) throw new FerryError('INVALID_MANIFEST', `${subject}: bundle ${bundle.name} has no semver olm.package version (${bundle.versionText ?? 'none'})`, { bundle: bundle.name });
  if (range.min && compareVersions(bundle.version, range.min) < 0) return false;
  return !(range.max && compareVersions(bundle.version, range.max) > 0);
}

/** Oldest first by version, then by name: the order the plan lists bundles in. */
export function byVersion(a: OlmBundle, b: OlmBundle): number {
  return (a.version && b.version ? compareVersions(a.version, b.version) : 0) || a.name.localeCompare(b.name);
}

/** The channels a selection reads, checked against the package and its default channel. */
function channelsOf(subject: string, pkg: OlmPackage, want: OperatorPackageSelection): string[] {
  const known = [...pkg.channels.keys()].sort();
  const unknown = (channel: string, key: string): FerryError =>
    new FerryError('INVALID_CONTENT', `${subject}: package ${pkg.name} has no channel "${channel}"${key} (known: ${known.join(', ')})`, { package: pkg.name, channel, channels: known });
  const listed = want.channels?.map((c) => c.name);
  if (!listed || listed.length === 0) {
    if (want.defaultChannel !== undefined && !pkg.channels.has(want.defaultChannel)) throw unknown(want.defaultChannel, ' (its defaultChannel)');
    return known;
  }
  for (const channel of listed) if (!pkg.channels.has(channel)) throw unknown(channel, '');
  if (want.defaultChannel !== undefined && !listed.includes(want.defaultChannel)) {
    if (!pkg.channels.has(want.defaultChannel)) throw unknown(want.defaultChannel, ' (its defaultChannel)');
    throw new FerryError('INVALID_CONTENT', `${subject}: package ${pkg.name}: defaultChannel "${want.defaultChannel}" is not among its channels (${listed.join(', ')})`, {
      package: pkg.name,
      channel: want.defaultChannel,
    });
  }
  if (want.defaultChannel === undefined && pkg.defaultChannel !== undefined && !listed.includes(pkg.defaultChannel))
    throw new FerryError(
      'INVALID_CONTENT',
      `${subject}: package ${pkg.name}: the channels chosen (${listed.join(', ')}) leave out the catalog's default channel "${pkg.defaultChannel}"; set defaultChannel to one of them, as oc-mirror requires`,
      { package: pkg.name, channel: pkg.defaultChannel, channels: listed },
    );
  return listed;
}

/** The versions a channel offers, oldest first, for messages about a range that matches nothing. */
function versionsOf(pkg: OlmPackage, channels: readonly string[]): string {
  const bundles = new Set(channels.flatMap((c) => pkg.channels.get(c) ?? []).flatMap((e) => pkg.bundles.get(e.name) ?? []));
  return [...new Set([...bundles].sort(byVersion).map((b) => b.versionText ?? b.name))].join(', ');
}

/**
 * The bundles a range keeps in one channel, as catalog-filter's
 * filterByVersionRange does: walking the replaces chain down from the head,
 * each bundle counts the in-range bundles at or below it (itself, the ones it
 * skips, and its replaces chain), each counted once; the chain is cut at the
 * first bundle whose count is 0. Every chain bundle above the cut is kept, in
 * range or not, with the in-range bundles they skip. Empty when nothing is in range.
 */
function chainWithin(subject: string, pkg: OlmPackage, entries: readonly OlmChannelEntry[], head: OlmBundle, range: Range): OlmBundle[] {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const chain: OlmChannelEntry[] = [];
  const onChain = new Set<string>();
  for (let entry = byName.get(head.name); entry && !onChain.has(entry.name); entry = entry.replaces === undefined ? undefined : byName.get(entry.replaces)) {
    chain.push(entry);
    onChain.add(entry.name);
  }
  const bundleOf = (name: string): OlmBundle | undefined => (byName.has(name) ? pkg.bundles.get(name) : undefined);
  const inRange = (name: string): boolean => {
    const bundle = bundleOf(name);
    return bundle !== undefined && within(subject, bundle, range);
  };
  const seen = new Set<string>();
  const counts: number[] = new Array<number>(chain.length).fill(0);
  for (let i = chain.length - 1; i >= 0; i--) {
    const entry = chain[i];
    if (!entry) continue;
    let count = counts[i + 1] ?? 0;
    for (const name of [entry.name, ...(entry.skips ?? [])]) {
      if (!seen.has(name) && inRange(name)) {
        seen.add(name);
        count++;
      }
    }
    counts[i] = count;
  }
  const kept = new Map<string, OlmBundle>();
  for (let i = 0; i < chain.length && (counts[i] ?? 0) > 0; i++) {
    const entry = chain[i];
    const bundle = entry ? bundleOf(entry.name) : undefined;
    if (!entry || !bundle) continue;
    kept.set(bundle.name, bundle);
    for (const skipped of entry.skips ?? []) {
      const skippedBundle = bundleOf(skipped);
      if (skippedBundle && inRange(skipped)) kept.set(skippedBundle.name, skippedBundle);
    }
  }
  return [...kept.values()];
}

/** Chooses a package's bundles from a checked selection; `full` is the catalog's flag. */
export function selectPackage(subject: string, pkg: OlmPackage, want: OperatorPackageSelection, full: boolean): PackageChoice {
  const packageRange = rangeOf(want.minVersion, want.maxVersion);
  const channelRanges = new Map((want.channels ?? []).map((c) => [c.name, 'minVersion' in c || 'maxVersion' in c ? rangeOf(c.minVersion, c.maxVersion) : undefined]));
  const rangedChannels = [...channelRanges].filter(([, r]) => r !== undefined).map(([name]) => name);
  if (full && (packageRange || rangedChannels.length > 0))
    throw new FerryError('INVALID_CONTENT', `${subject}: package ${pkg.name}: full: true carries every bundle, so minVersion/maxVersion cannot narrow it (oc-mirror refuses the same)`, {
      package: pkg.name,
    });
  if (packageRange && rangedChannels.length > 0)
    throw new FerryError(
      'INVALID_CONTENT',
      `${subject}: package ${pkg.name}: minVersion/maxVersion is set on the package and on channel ${rangedChannels.join(', ')}; oc-mirror refuses both at once, so set the range on one of them`,
      { package: pkg.name, channels: rangedChannels },
    );
  const selected = channelsOf(subject, pkg, want);
  const defaultChannel = want.defaultChannel ?? pkg.defaultChannel;
  const chosen = new Map<string, OlmBundle>();
  const outsideRange: string[] = [];
  const emptyChannels: string[] = [];
  const channels: string[] = [];
  for (const channel of selected) {
    const entries = pkg.channels.get(channel) ?? [];
    const bundles = entries.map((entry) => {
      const bundle = pkg.bundles.get(entry.name);
      if (!bundle || bundle.image === undefined)
        throw new FerryError('INVALID_MANIFEST', `${subject}: channel ${channel} of ${pkg.name} lists bundle ${entry.name}, which the catalog does not define with an image`, {
          package: pkg.name,
          bundle: entry.name,
        });
      return bundle;
    });
    let head: OlmBundle;
    try {
      head = channelHead(pkg, channel);
    } catch (error) {
      throw error instanceof FerryError ? new FerryError(error.code, `${subject}: ${error.message}`, error.details) : error;
    }
    const range = channelRanges.get(channel) ?? packageRange;
    let keep: OlmBundle[] = [head];
    if (full) keep = bundles;
    else if (range) {
      keep = chainWithin(subject, pkg, entries, head, range);
      if (keep.length === 0) {
        if (channelRanges.get(channel) !== undefined)
          throw new FerryError('INVALID_CONTENT', `${subject}: no bundle of ${pkg.name} in channel ${channel} lies within ${range.text} (versions: ${versionsOf(pkg, [channel])})`, {
            package: pkg.name,
            channel,
          });
        emptyChannels.push(channel);
        continue;
      }
      for (const bundle of keep) if (!within(subject, bundle, range)) outsideRange.push(`${channel} ${bundle.versionText ?? bundle.name}${bundle === head ? ' (head)' : ''}`);
    }
    channels.push(channel);
    for (const bundle of keep) chosen.set(bundle.name, bundle);
  }
  if (packageRange && channels.length === 0)
    throw new FerryError('INVALID_CONTENT', `${subject}: no bundle of ${pkg.name} in ${selected.join(', ')} lies within ${packageRange.text} (versions: ${versionsOf(pkg, selected)})`, {
      package: pkg.name,
    });
  if (packageRange && defaultChannel !== undefined && emptyChannels.includes(defaultChannel))
    throw new FerryError(
      'INVALID_CONTENT',
      `${subject}: package ${pkg.name}: no bundle of its default channel ${defaultChannel} lies within ${packageRange.text} (versions: ${versionsOf(pkg, [defaultChannel])}); oc-mirror refuses a range that empties the default channel: set defaultChannel to a channel the range keeps (${channels.join(', ')})`,
      { package: pkg.name, channel: defaultChannel },
    );
  return { channels, bundles: [...chosen.values()].sort(byVersion), outsideRange, emptyChannels };
}
