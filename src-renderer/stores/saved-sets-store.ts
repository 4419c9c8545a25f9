/** Saved image sets for the export wizard's first step: list them, and save the pasted references as one. */
import { create } from 'zustand';
import type { ApiClient, SavedSet } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';

/** The saved-sets store. */
export interface SavedSetsStore {
  sets: SavedSet[];
  /** The name being typed for "Save as set". */
  name: string;
  busy: boolean;
  error: ErrorEnvelope | null;
  /** The set just saved, for the confirmation line. */
  saved: SavedSet | null;
  init: (client: ApiClient) => void;
  load: () => Promise<void>;
  setName: (name: string) => void;
  save: (references: string[], platforms: string[]) => Promise<void>;
}

let client: ApiClient | null = null;

function requireClient(): ApiClient {
  if (!client) throw new Error('the saved-sets store was used before init(client)');
  return client;
}

/** Hook and store of saved sets. */
export const useSavedSets = create<SavedSetsStore>()((set, get) => ({
  sets: [],
  name: '',
  busy: false,
  error: null,
  saved: null,
  init(api) {
    if (client) return;
    client = api;
    void get().load();
  },
  async load() {
    try {
      set({ sets: await requireClient()['sets:list']({}) });
    } catch (error) {
      set({ error: envelopeOf(error) });
    }
  },
  setName(name) {
    set({ name, saved: null, error: null });
  },
  async save(references, platforms) {
    set({ busy: true, error: null, saved: null });
    try {
      const saved = await requireClient()['sets:save']({ name: get().name, references, platforms });
      set({ busy: false, saved, sets: await requireClient()['sets:list']({}) });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
}));
