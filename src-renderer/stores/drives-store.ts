/** Removable drives and mounted volumes, for the export wizard's "where" step. */
import { create } from 'zustand';
import type { ApiClient, DriveInfo } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';

/** The drives store: listed once at init, then kept current by `drives:changed`. */
export interface DrivesStore {
  drives: DriveInfo[];
  error: ErrorEnvelope | null;
  init: (client: ApiClient) => () => void;
}

let unsubscribe: (() => void) | null = null;

/** Hook and store of drives. */
export const useDrives = create<DrivesStore>()((set) => ({
  drives: [],
  error: null,
  init(client) {
    if (unsubscribe) return unsubscribe;
    const off = client.on('drives:changed', ({ drives }) => set({ drives, error: null }));
    void client['drives:list']({}).then(
      (drives) => set({ drives }),
      (error: unknown) => set({ error: envelopeOf(error) }),
    );
    unsubscribe = () => {
      off();
      unsubscribe = null;
    };
    return unsubscribe;
  },
}));
