/**
 * Text helpers of the renderer: every time, size, duration, count and digest a
 * screen shows goes through here, so the app speaks one language (local times
 * without milliseconds, sizes in KiB/MiB/GiB, durations in words) instead of
 * the engine's ISO strings and byte counts. Sizes, rates and time left come
 * from src-shared/units.ts, as in the CLI, and are re-exported here so a
 * screen imports one module.
 */
export { formatBytes, formatEta, formatRate } from '../src-shared/units.ts';

/** The short digest shown in tables; the full one stays in the title attribute. */
export function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? `sha256:${digest.slice(7, 19)}` : digest;
}

/** References from the "what" textarea: one per line, `#` starts a comment, blanks ignored. */
export function parseReferences(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.length > 0);
}

/** What a formatter shows for a time or duration it was not given or cannot read. */
const UNKNOWN = 'unknown';

function toDate(value: string | number | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

// One formatter each, built once: Intl formatters are slow to construct and tables format many rows.
const DATE_TIME = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const DATE_ONLY = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const MONTH_ONLY = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short' });
const FULL = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

/**
 * A moment in the operator's own time zone and locale, to the minute
 * (`3 Dec 2026, 04:12`): the engine hands out ISO-8601 UTC strings with
 * milliseconds, which nobody reads at a glance. Unreadable input prints
 * `unknown` rather than "Invalid Date".
 */
export function formatLocalTime(value: string | number | Date | null | undefined): string {
  const date = toDate(value);
  return date === null ? UNKNOWN : DATE_TIME.format(date);
}

/** The day alone, local (`3 Dec 2026`), for columns where the minute does not matter. */
export function formatLocalDate(value: string | number | Date | null | undefined): string {
  const date = toDate(value);
  return date === null ? UNKNOWN : DATE_ONLY.format(date);
}

/** The full local moment with its time zone, for a title attribute beside formatLocalTime (`Thursday, 3 December 2026 at 04:12:09 UTC`). */
export function formatFullTime(value: string | number | Date | null | undefined): string {
  const date = toDate(value);
  return date === null ? UNKNOWN : FULL.format(date);
}

/** A `YYYY-MM` month key (the catalog's totals) in words (`Dec 2026`); anything else is returned as it came. */
export function formatMonth(month: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  if (match === null) return month;
  return MONTH_ONLY.format(new Date(Number(match[1]), Number(match[2]) - 1, 1));
}

/**
 * How long something took, in words with at most two units (`850 ms`,
 * `12 s`, `1 min 5 s`, `2 h 3 min`, `3 d 4 h`), from seconds: job results
 * count seconds. Never a clock (`1:05`), which reads as hours or minutes.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return UNKNOWN;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${(Math.round(seconds * 10) / 10).toString()} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** How long ago a moment was, in words (`just now`, `5 min ago`, `3 h ago`, `2 days ago`), past a week its local date. */
export function formatAgo(value: string | number | Date | null | undefined, now: number = Date.now()): string {
  const date = toDate(value);
  if (date === null) return UNKNOWN;
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  const days = Math.round(seconds / 86_400);
  if (days <= 7) return `${days} ${days === 1 ? 'day' : 'days'} ago`;
  return formatLocalDate(date);
}

/** A count with its noun, singular or plural (`1 image`, `3 images`, `0 problems`); `plural` for irregular nouns. */
export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? singular : plural}`;
}
