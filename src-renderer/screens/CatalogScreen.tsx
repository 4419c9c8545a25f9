/** The catalog: bundles carried, searchable by reference or digest, and bytes carried per month. */
import type { SubmitEvent } from 'react';
import { BundlesTable } from '../components/BundlesTable.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { formatBytes } from '../../src-shared/units.ts';
import { useCatalog, type MonthTotal } from '../stores/catalog-store.ts';

/** Chart geometry in SVG user units; the chart scales to its container. */
const CHART = { width: 600, height: 200, pad: 30, maxSlot: 90 } as const;

/** Bytes carried per month as an inline SVG bar chart (no library, no network), with a text alternative. */
export function MonthChart({ totals }: { totals: MonthTotal[] }) {
  if (totals.length === 0) return <p>Nothing carried yet.</p>;
  const max = Math.max(1, ...totals.map((t) => t.bytes));
  const slot = Math.min(CHART.maxSlot, (CHART.width - CHART.pad) / totals.length);
  const summary = totals.map((t) => `${t.month}: ${formatBytes(t.bytes)}`).join('; ');
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${CHART.width} ${CHART.height + CHART.pad}`} role="img" aria-label={`Bytes carried per month. ${summary}`}>
        {totals.map((t, i) => {
          const h = (t.bytes / max) * (CHART.height - CHART.pad);
          const x = CHART.pad + i * slot + slot * 0.15;
          return (
            <g key={t.month}>
              <rect x={x} y={CHART.height - h} width={slot * 0.7} height={h} className="bar" />
              <text x={x + slot * 0.35} y={CHART.height + 18} textAnchor="middle">
                {t.month}
              </text>
              <text x={x + slot * 0.35} y={CHART.height - h - 6} textAnchor="middle">
                {formatBytes(t.bytes)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>Bytes carried per month (exports and imports).</figcaption>
    </figure>
  );
}

/** The catalog screen. */
export function CatalogScreen() {
  const { bundles, totals, search, loading, error, setSearch, load } = useCatalog();
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    void load();
  };
  return (
    <section aria-labelledby="catalog-title">
      <h2 id="catalog-title">Catalog</h2>
      <form role="search" onSubmit={submit} className="row">
        <div className="field grow">
          <label htmlFor="catalog-search">Search by image reference or digest</label>
          <input id="catalog-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <button type="submit" disabled={loading}>
          Search
        </button>
      </form>
      <ErrorNotice error={error} />
      <BundlesTable bundles={bundles} caption={search.trim() ? `Bundles holding “${search.trim()}”` : 'All bundles, newest first'} />
      <h2>Bytes per month</h2>
      <MonthChart totals={totals} />
    </section>
  );
}
