/**
 * Which bundles of a package an image set selects, as oc-mirror v2 filters a
 * catalog (internal/pkg/operator, its catalog filter, docs/features/filtering.md):
 * - channels: the ones listed, else the package's default channel
 *   (`defaultChannel` of the selection overrides it), else every channel
 *   with `full`;
 * - in each channel: the head only; every bundle with `full`; with a version
 *   range (the channel's own, else the package's) the bundles within it, and
 *   the head still, so an upgrade across channels has somewhere to go;
 * - `full` with a version range is refused, as oc-mirror refuses it.
 * A range that matches nothing is an error that lists the versions there are.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { channelHead, type OlmBundle, type OlmPackage } from './olm-dependencies.ts';
import type { OperatorPackageSelection } from './openshift-schema.ts';
import { anyVersion, compareVersions, type Version } from './versions.ts';

/** The bundles chosen in one package, and what the plan should say about them. */
export interface PackageChoice {
  channels: string[];
  bundles: OlmBundle[];
  /** Channel heads carried though outside the asked range. */
  headsOutsideRange: string[];
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

/** The channels a selection reads, checked against the package. */
function channelsOf(subject: string, pkg: OlmPackage, want: OperatorPackageSelection, full: boolean): string[] {
  const known = [...pkg.channels.keys()].sort();
  const unknown = (channel: string, key: string): FerryError =>
    new FerryError('INVALID_CONTENT', `${subject}: package ${pkg.name} has no channel "${channel}"${key} (known: ${known.join(', ')})`, { package: pkg.name, channel, channels: known });
  if (want.defaultChannel !== undefined && !pkg.channels.has(want.defaultChannel)) throw unknown(want.defaultChannel, ' (its defaultChannel)');
  const listed = want.channels?.map((c) => c.name);
  if (listed && listed.length > 0) {
    for (const channel of listed) if (!pkg.channels.has(channel)) throw unknown(channel, '');
    if (want.defaultChannel !== undefined && !listed.includes(want.defaultChannel))
      throw new FerryError('INVALID_CONTENT', `${subject}: package ${pkg.name}: defaultChannel "${want.defaultChannel}" is not among its channels (${listed.join(', ')})`, {
        package: pkg.name,
        channel: want.defaultChannel,
      });
    return listed;
  }
  if (full) return known;
  const fallback = want.defaultChannel ?? pkg.defaultChannel ?? (known.length === 1 ? known[0] : undefined);
  if (fallback === undefined)
    throw new FerryError('INVALID_CONTENT', `${subject}: package ${pkg.name} has no defaultChannel; name channels (known: ${known.join(', ')})`, { package: pkg.name, channels: known });
  if (!pkg.channels.has(fallback)) throw unknown(fallback, " (the package's defaultChannel)");
  return [fallback];
}

/** Chooses a package's bundles from a checked selection; `full` is the catalog's flag. */
export function selectPackage(subject: string, pkg: OlmPackage, want: OperatorPackageSelection, full: boolean): PackageChoice {
  const packageRange = rangeOf(want.minVersion, want.maxVersion);
  const channelRanges = new Map((want.channels ?? []).map((c) => [c.name, 'minVersion' in c || 'maxVersion' in c ? rangeOf(c.minVersion, c.maxVersion) : undefined]));
  if (full && (packageRange || [...channelRanges.values()].some((r) => r !== undefined)))
    throw new FerryError('INVALID_CONTENT', `${subject}: package ${pkg.name}: full: true carries every bundle, so minVersion/maxVersion cannot narrow it (oc-mirror refuses the same)`, {
      package: pkg.name,
    });
  const channels = channelsOf(subject, pkg, want, full);
  const chosen = new Map<string, OlmBundle>();
  const headsOutsideRange: string[] = [];
  let packageRangeMatched = false;
  for (const channel of channels) {
    const entries = (pkg.channels.get(channel) ?? []).map((entry) => {
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
    if (full) {
      for (const bundle of entries) chosen.set(bundle.name, bundle);
      continue;
    }
    if (range) {
      const inRange = entries.filter((b) => within(subject, b, range));
      if (inRange.length === 0 && channelRanges.get(channel)) {
        const versions = [...entries].sort(byVersion).map((b) => b.versionText ?? b.name);
        throw new FerryError('INVALID_CONTENT', `${subject}: no bundle of ${pkg.name} in channel ${channel} lies within ${range.text} (versions: ${[...new Set(versions)].join(', ')})`, {
          package: pkg.name,
          channel,
        });
      }
      if (inRange.length > 0) packageRangeMatched = true;
      for (const bundle of inRange) chosen.set(bundle.name, bundle);
      if (!inRange.includes(head)) headsOutsideRange.push(`${channel} ${head.versionText ?? head.name}`);
    }
    chosen.set(head.name, head);
  }
  if (!full && packageRange && !packageRangeMatched && [...channelRanges.values()].every((r) => r === undefined)) {
    const bundles = new Set(channels.flatMap((c) => pkg.channels.get(c) ?? []).flatMap((e) => pkg.bundles.get(e.name) ?? []));
    const versions = [...bundles].sort(byVersion).map((b) => b.versionText ?? b.name);
    throw new FerryError('INVALID_CONTENT', `${subject}: no bundle of ${pkg.name} in ${channels.join(', ')} lies within ${packageRange.text} (versions: ${[...new Set(versions)].join(', ')})`, {
      package: pkg.name,
    });
  }
  return { channels, bundles: [...chosen.values()].sort(byVersion), headsOutsideRange };
}
