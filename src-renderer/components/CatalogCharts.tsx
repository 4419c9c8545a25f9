/**
 * The catalog's charts (issue 17: more than one): bytes carried per month,
 * bytes per site and images per bundle. One inline SVG bar chart (no library,
 * no network), each with a text alternative naming every bar's value.
 */
import type { CatalogBundle, MonthTotal, SiteHoldings } from '../stores/catalog-store.ts';
import { formatBytes, formatMonth } from '../format.ts';
import { shortBundleId } from './BundlesTable.tsx';

/** Chart geometry in SVG user units; the chart scales to its container. */
const CHART = { width: 600, height: 200, pad: 30, maxSlot: 90 } as const;
/** Bars a chart shows at most: the newest ones; more would not be readable at this width. */
const MAX_BARS = 12;

/** One bar: its label under the axis, its value, and the value in words above it. */
export interface Bar {
  key: string;
  label: string;
  value: number;
  text: string;
}

/** A bar chart with a caption and a text alternative (`title. label: text; …`), so the numbers reach screen readers too. */
export function BarChart({ title, caption, bars, empty }: { title: string; caption: string; bars: Bar[]; empty: string }) {
  if (bars.length === 0)
    return (
      <>
        <h3>{title}</h3>
        <p>{empty}</p>
      </>
    );
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = Math.min(CHART.maxSlot, (CHART.width - CHART.pad) / bars.length);
  const summary = bars.map((b) => `${b.label}: ${b.text}`).join('; ');
  return (
    <figure className="chart">
      <h3>{title}</h3>
      <svg viewBox={`0 0 ${CHART.width} ${CHART.height + CHART.pad}`} role="img" aria-label={`${title}. ${summary}`}>
        {bars.map((b, i) => {
          const h = (b.value / max) * (CHART.height - CHART.pad);
          const x = CHART.pad + i * slot + slot * 0.15;
          return (
            <g key={b.key}>
              <rect x={x} y={CHART.height - h} width={slot * 0.7} height={h} className="bar" />
              <text x={x + slot * 0.35} y={CHART.height + 18} textAnchor="middle">
                {b.label}
              </text>
              <text x={x + slot * 0.35} y={CHART.height - h - 6} textAnchor="middle">
                {b.text}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

/** Bytes carried per month, oldest of the last twelve first. */
export function MonthChart({ totals }: { totals: MonthTotal[] }) {
  const bars = totals
    .slice(0, MAX_BARS)
    .reverse()
    .map((t) => ({ key: t.month, label: formatMonth(t.month), value: t.bytes, text: formatBytes(t.bytes) }));
  return <BarChart title="Bytes carried per month" caption="Bytes carried per month (each bundle once, exported or imported)." bars={bars} empty="Nothing carried yet." />;
}

/** What each site holds according to its receipts, in bytes. */
export function SiteChart({ sites }: { sites: SiteHoldings[] }) {
  const bars = [...sites]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, MAX_BARS)
    .map((s) => ({ key: s.name, label: s.name, value: s.bytes, text: formatBytes(s.bytes) }));
  return <BarChart title="Bytes per site" caption="Bytes each site holds, according to its receipts." bars={bars} empty="No site has sent back a receipt yet." />;
}

/** How many images each of the newest bundles carried, oldest first. */
export function ImagesChart({ bundles }: { bundles: CatalogBundle[] }) {
  const seen = new Set<string>();
  const unique = bundles.filter((b) => !seen.has(b.id) && seen.add(b.id));
  const bars = unique
    .slice(0, MAX_BARS)
    .reverse()
    .map((b) => ({ key: b.id, label: shortBundleId(b.id).slice(0, 8), value: b.images, text: String(b.images) }));
  return <BarChart title="Images per bundle" caption="Images in each of the newest bundles." bars={bars} empty="No bundles yet." />;
}
