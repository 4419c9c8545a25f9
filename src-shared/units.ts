/**
 * Byte sizes as people type them (`--part-size 700MB`, `4GiB`), and the one
 * way Ferry prints sizes, rates and time left, in the CLI and in the app.
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

/** What every formatter prints for a quantity not known yet (no plan, no rate, no size on record). */
const UNKNOWN_QUANTITY = 'unknown';

/**
 * Formats a byte count in binary units with one decimal, a trailing `.0`
 * dropped (`512 B`, `1.5 KiB`, `2.1 GiB`, `4 GiB`), so the CLI and the app
 * print sizes alike and as file managers on every OS show them. It never
 * throws: it also renders fractional rates, and a missing or non-finite
 * count prints `unknown` instead of crashing a progress line.
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return UNKNOWN_QUANTITY;
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
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

/** Formats a transfer rate as formatBytes per second (`38.1 MiB/s`), `unknown` until a rate is measured. */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond)) return UNKNOWN_QUANTITY;
  return `${formatBytes(bytesPerSecond)}/s`;
}

/**
 * Formats the time left in words with at most two units (`45 s`,
 * `1 min 5 s`, `2 h 3 min`): unlike a clock (`1:05`), it cannot be misread
 * as hours or minutes. `unknown` until a rate gives an estimate; a negative
 * estimate (the job ran past it) prints `0 s`.
 */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return UNKNOWN_QUANTITY;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
