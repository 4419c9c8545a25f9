/**
 * Versions and ranges through node-semver (sources/versions.ts): release tags,
 * ordering, npm-style ranges with the stricter rules image sets keep, the
 * floor Deckhouse modules start from, and pre-releases. Table-driven, good
 * and bad inputs.
 */
import { describe, expect, it } from 'vitest';
import { anyVersion, compareVersions, formatVersion, minorKey, parseRange, rangeFloor, releaseVersion, satisfies, type Version, type VersionRange } from '../../src-main/sources/versions.ts';

function ver(text: string): Version {
  const v = anyVersion(text);
  if (!v) throw new Error(`bad test version ${text}`);
  return v;
}

function range(text: string): VersionRange {
  const r = parseRange(text);
  if (!r) throw new Error(`bad test range ${text}`);
  return r;
}

describe('releaseVersion', () => {
  it.each([
    ['v1.69.3', { major: 1, minor: 69, patch: 3 }],
    ['1.69.3', { major: 1, minor: 69, patch: 3 }],
    ['v0.0.0', { major: 0, minor: 0, patch: 0 }],
    [' v10.200.3000 ', { major: 10, minor: 200, patch: 3000 }],
  ])('parses %s', (text, expected) => {
    expect(releaseVersion(text)).toMatchObject(expected);
  });

  it.each(['', 'v1.69', '1', 'v01.2.3', '1.02.3', 'v1.2.3-rc.1', 'v1.2.3+build', 'latest', 'release-1.2.3', 'V1.2.3', '1.2.3.4'])('rejects %j', (text) => {
    expect(releaseVersion(text)).toBeUndefined();
  });

  it('formats and keys minors', () => {
    expect(formatVersion(ver('1.69.3'))).toBe('v1.69.3');
    expect(formatVersion(ver('v1.69.3'), '')).toBe('1.69.3');
    expect(minorKey(ver('v1.69.3'))).toBe('1.69');
  });
});

describe('compareVersions', () => {
  it('orders numerically, not lexically', () => {
    const sorted = ['v1.10.0', 'v1.9.9', 'v2.0.0', 'v1.9.10', 'v0.99.99']
      .map(ver)
      .sort(compareVersions)
      .map((v) => formatVersion(v));
    expect(sorted).toEqual(['v0.99.99', 'v1.9.9', 'v1.9.10', 'v1.10.0', 'v2.0.0']);
    expect(compareVersions(ver('1.2.3'), ver('v1.2.3'))).toBe(0);
  });

  it('orders pre-releases below their release by semver.org §11, ignoring build metadata', () => {
    const sorted = ['1.7.0', '1.7.0-rc.10', '1.7.0-rc.2', '1.7.0-beta', '1.7.0-alpha.1', '1.7.0-alpha', '1.7.0-1', '1.6.9']
      .map(ver)
      .sort(compareVersions)
      .map((v) => v.version);
    expect(sorted).toEqual(['1.6.9', '1.7.0-1', '1.7.0-alpha', '1.7.0-alpha.1', '1.7.0-beta', '1.7.0-rc.2', '1.7.0-rc.10', '1.7.0']);
    expect(compareVersions(ver('1.2.3+build.1'), ver('1.2.3+build.2'))).toBe(0);
  });
});

describe('ranges', () => {
  // [range, versions inside, versions outside]
  const table: [string, string[], string[]][] = [
    ['~1.35', ['1.35.0', '1.35.9'], ['1.34.9', '1.36.0']],
    ['~1.35.2', ['1.35.2', '1.35.7'], ['1.35.1', '1.36.0']],
    ['~1', ['1.0.0', '1.99.0'], ['0.9.0', '2.0.0']],
    ['^1.2', ['1.2.0', '1.99.3'], ['1.1.9', '2.0.0']],
    ['^1.2.3', ['1.2.3', '1.9.0'], ['1.2.2', '2.0.0']],
    ['^0.2.3', ['0.2.3', '0.2.9'], ['0.2.2', '0.3.0']],
    ['^0.0.3', ['0.0.3'], ['0.0.2', '0.0.4']],
    ['^0', ['0.0.0', '0.9.9'], ['1.0.0']],
    ['>=1.3 <1.5', ['1.3.0', '1.4.9'], ['1.2.9', '1.5.0']],
    ['>= 1.3 < 1.5', ['1.3.0', '1.4.9'], ['1.2.9', '1.5.0']],
    ['>1.2', ['1.3.0'], ['1.2.9', '1.2.0']],
    ['>1.2.3', ['1.2.4'], ['1.2.3']],
    ['<=1.2', ['1.2.9', '0.1.0'], ['1.3.0']],
    ['<1.2', ['1.1.9'], ['1.2.0']],
    ['1.2.3', ['1.2.3'], ['1.2.4', '1.2.2']],
    ['=v1.2.3', ['1.2.3'], ['1.2.4']],
    ['1.2', ['1.2.0', '1.2.8'], ['1.3.0']],
    ['1.2.x', ['1.2.0', '1.2.8'], ['1.3.0']],
    ['*', ['0.0.0', '9.9.9'], []],
    ['~1.2 || ^2.1', ['1.2.5', '2.7.0'], ['1.3.0', '2.0.9', '3.0.0']],
    // Pre-releases: outside every plain range, inside one that names a pre-release of the same version.
    ['>=1.2.3 <2', ['1.3.0'], ['1.3.0-rc.1', '2.0.0-rc.1']],
    ['^1.7.0-rc.0', ['1.7.0-rc.0', '1.7.0-rc.2', '1.7.0', '1.8.0'], ['1.6.0', '1.8.0-rc.1', '2.0.0']],
    ['>=1.3.0-rc.0 <2', ['1.3.0-rc.1', '1.4.0'], ['1.4.0-rc.1', '1.3.0-alpha']],
  ];
  it.each(table)('%s', (text, inside, outside) => {
    const r = range(text);
    for (const v of inside) expect(satisfies(ver(v), r), `${v} in ${text}`).toBe(true);
    for (const v of outside) expect(satisfies(ver(v), r), `${v} not in ${text}`).toBe(false);
  });

  // node-semver reads "" and an empty alternative as "any version"; in an image set that is a typo.
  it.each(['', '   ', '~one', '>=', '1.2.3.4', 'v1.x.2y', '1.2 ||', '|| 1.2', '!1.2', 'latest'])('refuses %j', (text) => {
    expect(parseRange(text)).toBeUndefined();
  });

  it.each([
    ['~1.35', 'v1.35.0'],
    ['^1.2.3', 'v1.2.3'],
    ['>=1.3 <1.5', 'v1.3.0'],
    ['>1.2.3', 'v1.2.4'],
    ['>1.2', 'v1.3.0'],
    ['~1.2 || ^1.1', 'v1.1.0'],
    ['1.4.2', 'v1.4.2'],
    ['>=1.35.0-rc.1', 'v1.35.0-rc.1'],
  ])('the floor of %s is %s', (text, floor) => {
    const found = rangeFloor(range(text));
    expect(found && formatVersion(found)).toBe(floor);
  });

  it.each(['<1.5', '*', '~1.2 || <1.0', '^0'])('%s has no floor', (text) => {
    expect(rangeFloor(range(text))).toBeUndefined();
  });
});
