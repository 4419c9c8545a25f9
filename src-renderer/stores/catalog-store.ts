/** The catalog screen and the start screen's last bundles: what was carried, and when. */
import { create } from 'zustand';
import type { ApiClient, ApiMethods } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';

/** One bundle row as `catalog:bundles` answers it. */
export type CatalogBundle = ApiMethods['catalog:bundles']['result'][number];
/** One month of `catalog:totals`. */
export type MonthTotal = ApiMethods['catalog:totals']['result'][number];

/** The catalog store: loaded on demand and after every finished job (a `job:state` event), never polled. */
export interface CatalogStore {
  bundles: CatalogBundle[];
  totals: MonthTotal[];
  search: string;
  loading: boolean;
  error: ErrorEnvelope | null;
  init: (client: ApiClient) => () => void;
  setSearch: (search: string) => void;
  load: () => Promise<void>;
}

let client: ApiClient | null = null;
let unsubscribe: (() => void) | null = null;
/** How many bundles a list shows; the catalog is a history, not an archive browser. */
const BUNDLE_LIMIT = 50;

/** Hook and store of the catalog. */
export const useCatalog = create<CatalogStore>()((set, get) => ({
  bundles: [],
  totals: [],
  search: '',
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
  async load() {
    if (!client) return;
    set({ loading: true });
    try {
      const contains = get().search.trim();
      const [bundles, totals] = await Promise.all([client['catalog:bundles'](contains ? { contains, limit: BUNDLE_LIMIT } : { limit: BUNDLE_LIMIT }), client['catalog:totals']({})]);
      set({ bundles, totals, error: null, loading: false });
    } catch (error) {
      set({ error: envelopeOf(error), loading: false });
    }
  },
}));
