/**
 * The catalog: bundles carried (searchable by what the screen shows: a digest's
 * first characters, a bundle id, an image's name; each row opens), which site
 * has what, the receipts, the audit log and charts, as tabs.
 */
import { useEffect, useRef, type KeyboardEvent, type SubmitEvent } from 'react';
import { BundlesTable } from '../components/BundlesTable.tsx';
import { ImagesChart, MonthChart, SiteChart } from '../components/CatalogCharts.tsx';
import { AuditView, BundleDetailView, ReceiptsView, SitesView } from '../components/CatalogViews.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { FieldHelp } from '../components/FieldHelp.tsx';
import { useCatalog, type CatalogTab } from '../stores/catalog-store.ts';

const TABS: Array<{ id: CatalogTab; label: string }> = [
  { id: 'bundles', label: 'Bundles' },
  { id: 'sites', label: 'Sites' },
  { id: 'receipts', label: 'Receipts' },
  { id: 'audit', label: 'Audit log' },
  { id: 'charts', label: 'Charts' },
];

/** The tab strip (WAI-ARIA tabs: arrow keys, Home and End move between tabs, one tab stop). */
function Tabs({ tab, setTab }: { tab: CatalogTab; setTab: (tab: CatalogTab) => void }) {
  const onKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = TABS.findIndex((t) => t.id === tab);
    const next = event.key === 'ArrowRight' ? index + 1 : event.key === 'ArrowLeft' ? index - 1 : event.key === 'Home' ? 0 : event.key === 'End' ? TABS.length - 1 : null;
    if (next === null) return;
    event.preventDefault();
    const target = TABS[(next + TABS.length) % TABS.length];
    if (!target) return;
    setTab(target.id);
    document.getElementById(`catalog-tab-${target.id}`)?.focus();
  };
  return (
    <div role="tablist" aria-label="Catalog views" className="tabs" onKeyDown={onKey}>
      {TABS.map((t) => (
        <button
          key={t.id}
          id={`catalog-tab-${t.id}`}
          type="button"
          role="tab"
          aria-selected={tab === t.id}
          aria-controls={`catalog-panel-${t.id}`}
          tabIndex={tab === t.id ? 0 : -1}
          onClick={() => setTab(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** The bundles tab: search, the list (one row per export and per import) and the opened bundle. */
function BundlesPanel() {
  const { bundles, searched, search, loading, detail, setSearch, load, openBundle, closeBundle } = useCatalog();
  const detailRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // The opened bundle's heading takes focus, so a keyboard or screen reader user lands on what they opened.
    if (detail) detailRef.current?.querySelector<HTMLElement>('h3')?.focus();
  }, [detail]);
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    void load();
  };
  return (
    <>
      <form role="search" onSubmit={submit} className="row">
        <div className="field grow">
          <label htmlFor="catalog-search">Search by image reference or digest</label>
          <input id="catalog-search" type="search" value={search} aria-describedby="catalog-search-help" onChange={(e) => setSearch(e.target.value)} />
          <p id="catalog-search-help" className="field-help">
            An image name (nginx, team/app), a full reference, a digest or its first characters as shown here (sha256:0123abcd…), or a bundle id.
          </p>
        </div>
        <button type="submit" disabled={loading}>
          Search
        </button>
      </form>
      <FieldHelp term="bundle" />
      <BundlesTable
        bundles={bundles}
        caption={searched ? `Bundles holding “${searched}”` : 'All bundles, newest first'}
        onOpen={(id) => void openBundle(id)}
        empty={searched ? `No bundle holds “${searched}”.` : 'No bundles yet.'}
      />
      <div ref={detailRef}>{detail && <BundleDetailView detail={detail} onClose={closeBundle} />}</div>
    </>
  );
}

/** The catalog screen. */
export function CatalogScreen() {
  const { tab, setTab, recent, totals, sites, receipts, audit, error, openBundle } = useCatalog();
  return (
    <section aria-labelledby="catalog-title">
      <h2 id="catalog-title">Catalog</h2>
      <FieldHelp term="catalog" />
      <Tabs tab={tab} setTab={setTab} />
      <ErrorNotice error={error} />
      <div role="tabpanel" id={`catalog-panel-${tab}`} aria-labelledby={`catalog-tab-${tab}`} className="tabpanel">
        {tab === 'bundles' && <BundlesPanel />}
        {tab === 'sites' && <SitesView sites={sites} />}
        {tab === 'receipts' && (
          <ReceiptsView
            receipts={receipts}
            onOpen={(id) => {
              setTab('bundles');
              void openBundle(id);
            }}
          />
        )}
        {tab === 'audit' && <AuditView audit={audit} />}
        {tab === 'charts' && (
          <>
            <MonthChart totals={totals} />
            <SiteChart sites={sites} />
            <ImagesChart bundles={recent} />
          </>
        )}
      </div>
    </section>
  );
}
