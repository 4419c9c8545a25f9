/**
 * Version tags and npm-style ranges through node-semver (the `semver`
 * package), with the few stricter rules image sets keep: a release tag has no
 * pre-release or build part, and a range is never empty (node-semver reads ""
 * and an empty `||` alternative as "any version", which in a set is a typo).
 */
import semver, { type Range, type SemVer } from 'semver';

/** A parsed version: node-semver's class, named here so resolvers need one import. */
export type Version = SemVer;

/** A parsed range: node-semver's class (`raw` is the text as written). */
export type VersionRange = Range;

/** A release version such as `v1.69.3` or `1.69.3` (no pre-release or build part); undefined for anything else, so tag lists can be filtered. */
export function releaseVersion(text: string): Version | undefined {
  const version = semver.parse(text.trim());
  return version && version.prerelease.length === 0 && version.build.length === 0 ? version : undefined;
}

/** Any semantic version, pre-releases included (`1.7.0-rc.1`); undefined when the text is none. */
export function anyVersion(text: string): Version | undefined {
  return semver.parse(text) ?? undefined;
}

/** Orders versions by precedence (semver.org §11): negative, zero or positive like a sort comparator. */
export function compareVersions(a: Version, b: Version): number {
  return semver.compare(a, b);
}

/** The tag form Deckhouse uses: `v1.69.3`. */
export function formatVersion(version: Version, prefix = 'v'): string {
  return `${prefix}${version.version}`;
}

/** `1.69` for v1.69.3: the key of a minor release line. */
export function minorKey(version: Version): string {
  return `${version.major}.${version.minor}`;
}

/**
 * Parses an npm-style range (`~1.35`, `^1.2`, `>=1.3 <1.5`, `1.2.x`, `a || b`);
 * undefined when node-semver refuses it, it is blank, or one of its `||`
 * alternatives is blank.
 */
export function parseRange(text: string): VersionRange | undefined {
  if (text.split('||').some((alternative) => alternative.trim() === '')) return undefined;
  try {
    return new semver.Range(text);
  } catch {
    return undefined;
  }
}

/** Whether a version lies in the range (pre-releases only where the range names one of the same release, as node-semver decides). */
export function satisfies(version: Version, range: VersionRange): boolean {
  return range.test(version);
}

/**
 * The lowest version the range admits, or undefined when that is 0.0.0 (the
 * range has no lower bound, such as `<1.5`). Deckhouse modules start their
 * sequential-minor walk here.
 */
export function rangeFloor(range: VersionRange): Version | undefined {
  const floor = semver.minVersion(range);
  return floor && semver.gt(floor, '0.0.0') ? floor : undefined;
}
