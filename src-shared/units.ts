/**
 * Byte sizes as people type them (`--part-size 700MB`, `4GiB`) and as Ferry
 * prints them.
 *
 * The one rule for units, case-insensitive, with an optional space:
 * - no unit or `B`: bytes;
 * - `kB`, `MB`, `GB`, `TB`: decimal (10^3, 10^6, 10^9, 10^12), as drive
 *   vendors label capacity;
 * - `KiB`, `MiB`, `GiB`, `TiB`: binary (2^10, 2^20, 2^30, 2^40), IEC 80000-13;
 * - bare `K`, `M`, `G`, `T`: binary too, as `dd`, `truncate` and `split` read
 *   them, so a size copied from those tools means the same here.
 *
 * Fractions are allowed when the result is a whole number of bytes
 * (`1.5GiB`, `0.5K`), and the result must be a positive safe integer.
 */
import { FerryError } from './errors.ts';

const KIB = 1024n;

/** Multipliers by lower-cased unit; see the module comment for the rule. */
const UNIT_BYTES: ReadonlyMap<string, bigint> = new Map([
  ['', 1n],
  ['b', 1n],
  ['kb', 10n ** 3n],
  ['mb', 10n ** 6n],
  ['gb', 10n ** 9n],
  ['tb', 10n ** 12n],
  ['k', KIB],
  ['m', KIB ** 2n],
  ['g', KIB ** 3n],
  ['t', KIB ** 4n],
  ['kib', KIB],
  ['mib', KIB ** 2n],
  ['gib', KIB ** 3n],
  ['tib', KIB ** 4n],
]);

const SIZE_PATTERN = /^(\d+)(?:\.(\d+))?\s*([a-z]*)$/i;

const ACCEPTED = 'expected a positive number of bytes with an optional unit: B, kB/MB/GB/TB (decimal) or K/M/G/T, KiB/MiB/GiB/TiB (binary)';

function invalid(text: string, why: string): FerryError {
  return new FerryError('INVALID_ARGUMENT', `invalid size "${text}": ${why}`, { text });
}

/** Parses a user-typed size such as `4294967295`, `700MB` or `1.5GiB` into bytes, so every size flag follows one documented rule. */
export function parseSize(text: string): number {
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) throw invalid(text, 'a size cannot be negative');
  const match = SIZE_PATTERN.exec(trimmed);
  if (match === null) throw invalid(text, ACCEPTED);
  const [, whole = '', fraction = '', unit = ''] = match;
  const multiplier = UNIT_BYTES.get(unit.toLowerCase());
  if (multiplier === undefined) throw invalid(text, `unknown unit "${unit}"; ${ACCEPTED}`);

  // Exact arithmetic: `whole.fraction × multiplier` must land on a whole byte.
  const scale = 10n ** BigInt(fraction.length);
  const scaled = (BigInt(whole) * scale + BigInt(fraction === '' ? '0' : fraction)) * multiplier;
  if (scaled % scale !== 0n) throw invalid(text, 'it is not a whole number of bytes');
  const bytes = scaled / scale;
  if (bytes === 0n) throw invalid(text, 'a size must be greater than zero');
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(text, `it is larger than ${Number.MAX_SAFE_INTEGER} bytes`);
  return Number(bytes);
}

const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Formats a byte count in binary units with one decimal (`2.1 GiB`), so
 * messages match what file managers on every OS show. It never throws: it
 * also renders rates (fractional bytes per second) in progress lines, where a
 * NaN must print, not crash the bar.
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return '? B';
  if (bytes < 0) return `-${formatSize(-bytes)}`;
  if (Math.round(bytes) < 1024) return `${Math.round(bytes)} B`;
  let value = bytes / 1024;
  let index = 0;
  // Move up a unit when rounding to one decimal would print "1024 KiB".
  while (Math.round(value * 10) / 10 >= 1024 && index < BINARY_UNITS.length - 1) {
    value /= 1024;
    index += 1;
  }
  const rounded = (Math.round(value * 10) / 10).toFixed(1).replace(/\.0$/, '');
  return `${rounded} ${BINARY_UNITS[index] ?? 'PiB'}`;
}
