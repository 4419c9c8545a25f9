/** The catalog screen and the start screen's last bundles: what was carried, when, to which sites, and the audit log. */
import { create } from 'zustand';
import type { ApiClient, ApiMethods } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';

/** One bundle row as `catalog:bundles` answers it (one per export and per import). */
export type CatalogBundle = ApiMethods['catalog:bundles']['result'][number];
/** One month of `catalog:totals`. */
export type MonthTotal = ApiMethods['catalog:totals']['result'][number];
/** A bundle opened from the catalog. */
export type BundleDetail = ApiMethods['catalog:bundle']['result'];
/** One site of `catalog:sites`. */
export type SiteHoldings = ApiMethods['catalog:sites']['result'][number];
/** One receipt of `catalog:receipts`. */
export type ReceiptSummary = ApiMethods['catalog:receipts']['result'][number];
/** The audit log and its check, as `catalog:audit` answers. */
export type AuditView = ApiMethods['catalog:audit']['result'];

/** The catalog screen's tabs. */
export type CatalogTab = 'bundles' | 'sites' | 'receipts' | 'audit' | 'charts';

/** The catalog store: loaded on demand and after every finished job (a `job:state` event), never polled. */
export interface CatalogStore {
  bundles: CatalogBundle[];
  /** The newest bundles regardless of the search, for the start screen and the charts. */
  recent: CatalogBundle[];
  totals: MonthTotal[];
  sites: SiteHoldings[];
  receipts: ReceiptSummary[];
  audit: AuditView | null;
  /** The search the bundles list answers (what was submitted, not what is being typed). */
  searched: string;
  search: string;
  tab: CatalogTab;
  detail: BundleDetail | null;
  loading: boolean;
  error: ErrorEnvelope | null;
  init: (client: ApiClient) => () => void;
  setSearch: (search: string) => void;
  setTab: (tab: CatalogTab) => void;
  load: () => Promise<void>;
  openBundle: (id: string) => Promise<void>;
  closeBundle: () => void;
}

let client: ApiClient | null = null;
let unsubscribe: (() => void) | null = null;
/** How many bundles a list shows; the catalog is a history, not an archive browser. */
const BUNDLE_LIMIT = 50;
/** Receipts and audit rows shown. */
const LIST_LIMIT = 100;

/** Hook and store of the catalog. */
export const useCatalog = create<CatalogStore>()((set, get) => ({
  bundles: [],
  recent: [],
  totals: [],
  sites: [],
  receipts: [],
  audit: null,
  searched: '',
  search: '',
  tab: 'bundles',
  detail: null,
  loading: false,
  error: null,
  init(api) {
    if (unsubscribe) return unsubscribe;
    client = api;
    const off = api.on('job:state', (job) => {
      if (job.status !== 'running') void get().load();
    });
    void get().load();
    unsubscribe = () => {
      off();
      client = null;
      unsubscribe = null;
    };
    return unsubscribe;
  },
  setSearch(search) {
    set({ search });
  },
  setTab(tab) {
    set({ tab });
  },
  async load() {
    if (!client) return;
    set({ loading: true });
    try {
      const contains = get().search.trim();
      const [recent, found, totals, sites, receipts, audit] = await Promise.all([
        client['catalog:bundles']({ limit: BUNDLE_LIMIT }),
        contains ? client['catalog:bundles']({ contains, limit: BUNDLE_LIMIT }) : null,
        client['catalog:totals']({}),
        client['catalog:sites']({}),
        client['catalog:receipts']({ limit: LIST_LIMIT }),
        client['catalog:audit']({ limit: LIST_LIMIT }),
      ]);
      set({ recent, bundles: found ?? recent, searched: contains, totals, sites, receipts, audit, error: null, loading: false });
    } catch (error) {
      set({ error: envelopeOf(error), loading: false });
    }
  },
  async openBundle(id) {
    if (!client) return;
    try {
      set({ detail: await client['catalog:bundle']({ id }), error: null });
    } catch (error) {
      set({ error: envelopeOf(error) });
    }
  },
  closeBundle() {
    set({ detail: null });
  },
}));
