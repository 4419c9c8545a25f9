/**
 * A small semantic-versioning helper for release tags such as `v1.69.3`:
 * parse, compare, and match npm-style ranges (`~1.35`, `^1.2`, `>=1.3 <1.5`,
 * `1.2.x`, `a || b`). Release tags carry no pre-release or build parts, so
 * this implements only the release part of https://semver.org/ (§2, §11) and
 * the range desugaring of node-semver's README ("Advanced Range Syntax").
 */
import { FerryError } from '../../src-shared/errors.ts';

/** A release version: MAJOR.MINOR.PATCH (semver §2). */
export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** One bound of a range, already desugared to a full version. */
interface Comparator {
  op: '<' | '<=' | '>' | '>=' | '=';
  version: Version;
}

/** A parsed range: alternatives joined by `||`, each a set of comparators that must all hold. */
export interface Range {
  text: string;
  alternatives: Comparator[][];
}

/** `v` is optional; no leading zeros (semver §2); no pre-release or build suffix. */
const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
/** A partial version in a range: `1`, `1.2`, `1.2.3`, with `x`/`X`/`*` wildcards. */
const PARTIAL = /^v?(0|[1-9]\d*|[xX*])(?:\.(0|[1-9]\d*|[xX*]))?(?:\.(0|[1-9]\d*|[xX*]))?$/;
/** A range token: optional operator then a partial version. */
const TOKEN = /^(<=|>=|<|>|=|~|\^)?(.+)$/;

/** Parses a full release version such as `v1.69.3` or `1.69.3`; undefined for anything else (so tag lists can be filtered). */
export function parseVersion(text: string): Version | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** The tag form Deckhouse uses: `v1.69.3`. */
export function formatVersion(version: Version, prefix = 'v'): string {
  return `${prefix}${version.major}.${version.minor}.${version.patch}`;
}

/** Orders versions by precedence (semver §11): negative, zero or positive like a sort comparator. */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** `1.69` for v1.69.3: the key of a minor release line. */
export function minorKey(version: Version): string {
  return `${version.major}.${version.minor}`;
}

interface PartialVersion {
  major?: number;
  minor?: number;
  patch?: number;
}

/** Parses `1`, `1.2`, `v1.2.3`, `1.x`; wildcards and missing parts are undefined. Undefined when not a version at all. */
export function parsePartialVersion(text: string): PartialVersion | undefined {
  const match = PARTIAL.exec(text.trim());
  if (!match) return undefined;
  const part = (s: string | undefined): number | undefined => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s));
  const major = part(match[1]);
  const minor = major === undefined ? undefined : part(match[2]);
  const patch = minor === undefined ? undefined : part(match[3]);
  const out: PartialVersion = {};
  if (major !== undefined) out.major = major;
  if (minor !== undefined) out.minor = minor;
  if (patch !== undefined) out.patch = patch;
  return out;
}

function v(major: number, minor: number, patch: number): Version {
  return { major, minor, patch };
}

/** The half-open interval an x-range (`1.2`, `1.x`, `*`) covers: [lower, upper), upper undefined when unbounded. */
function xRange(p: PartialVersion): { lower: Version; upper: Version | undefined } {
  if (p.major === undefined) return { lower: v(0, 0, 0), upper: undefined };
  if (p.minor === undefined) return { lower: v(p.major, 0, 0), upper: v(p.major + 1, 0, 0) };
  if (p.patch === undefined) return { lower: v(p.major, p.minor, 0), upper: v(p.major, p.minor + 1, 0) };
  return { lower: v(p.major, p.minor, p.patch), upper: v(p.major, p.minor, p.patch + 1) };
}

/** Desugars one token into comparators (node-semver README: tilde, caret, x-ranges, primitive operators). */
function desugar(token: string, whole: string): Comparator[] {
  const match = TOKEN.exec(token);
  const partial = match?.[2] === undefined ? undefined : parsePartialVersion(match[2]);
  if (!match || !partial) throw new FerryError('INVALID_ARGUMENT', `invalid version range "${whole}": "${token}" is not a version or comparator`, { range: whole, token });
  const op = match[1];
  const { lower, upper } = xRange(partial);
  const between = (hi: Version | undefined): Comparator[] => [{ op: '>=', version: lower }, ...(hi ? [{ op: '<' as const, version: hi }] : [])];
  switch (op) {
    case '~':
      // ~1.2.3 and ~1.2 allow patch changes; ~1 allows minor changes.
      return between(partial.minor === undefined ? upper : v(lower.major, lower.minor + 1, 0));
    case '^': {
      // ^ allows changes that keep the left-most non-zero part.
      if (partial.major === undefined) return between(undefined);
      if (lower.major > 0 || partial.minor === undefined) return between(v(lower.major + 1, 0, 0));
      if (lower.minor > 0 || partial.patch === undefined) return between(v(0, lower.minor + 1, 0));
      return between(v(0, 0, lower.patch + 1));
    }
    case '>=':
      return [{ op: '>=', version: lower }];
    case '>':
      // >1.2 means "above every 1.2.x": the exclusive upper end of the x-range becomes the inclusive lower bound.
      return upper ? [{ op: '>=', version: upper }] : [{ op: '<', version: v(0, 0, 0) }];
    case '<':
      return [{ op: '<', version: lower }];
    case '<=':
      return upper ? [{ op: '<', version: upper }] : [];
    default:
      // `=1.2.3`, `1.2.3`, `1.2`, `*`: an x-range, exact when the version is complete.
      return between(upper);
  }
}

/** Parses an npm-style range; throws INVALID_ARGUMENT naming the bad token. */
export function parseRange(text: string): Range {
  const trimmed = text.trim();
  if (trimmed === '') throw new FerryError('INVALID_ARGUMENT', 'invalid version range "": it is empty', { range: text });
  const alternatives = trimmed.split('||').map((alternative) => {
    // `>= 1.3` is written with a space as often as without: glue operators to their version.
    const tokens = alternative.trim().replace(/(<=|>=|<|>|=|~|\^)\s+/g, '$1').split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) throw new FerryError('INVALID_ARGUMENT', `invalid version range "${text}": an alternative is empty`, { range: text });
    return tokens.flatMap((token) => desugar(token, text));
  });
  return { text: trimmed, alternatives };
}

function holds(version: Version, comparator: Comparator): boolean {
  const c = compareVersions(version, comparator.version);
  switch (comparator.op) {
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '>=': return c >= 0;
    case '=': return c === 0;
  }
}

/** Whether a version lies in the range. */
export function satisfies(version: Version, range: Range): boolean {
  return range.alternatives.some((set) => set.every((comparator) => holds(version, comparator)));
}

/**
 * The lowest version the range can admit (the greatest lower bound of each
 * alternative, the least across alternatives), or undefined when some
 * alternative has no lower bound (`<1.5`). Deckhouse modules start their
 * sequential-minor walk here.
 */
export function rangeFloor(range: Range): Version | undefined {
  let floor: Version | undefined;
  for (const set of range.alternatives) {
    let low: Version | undefined;
    for (const comparator of set) {
      if (comparator.op !== '>=' && comparator.op !== '=' && comparator.op !== '>') continue;
      const bound = comparator.op === '>' ? v(comparator.version.major, comparator.version.minor, comparator.version.patch + 1) : comparator.version;
      if (!low || compareVersions(bound, low) > 0) low = bound;
    }
    if (!low || (low.major === 0 && low.minor === 0 && low.patch === 0)) return undefined;
    if (!floor || compareVersions(low, floor) < 0) floor = low;
  }
  return floor;
}
