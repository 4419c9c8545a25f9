/**
 * The sample flow as the renderer sees it (issue 17): "Try Ferry with sample
 * images" starts two local registries in the engine, then opens the export
 * wizard filled in with the sample references, their registry's access and
 * the folder standing in for the USB drive; once the bundle is written and
 * verified, "Continue on the disconnected side" opens the import wizard
 * filled in with that bundle and the target registry. The wizards are the
 * real ones: the user clicks through every step.
 */
import { create } from 'zustand';
import type { ApiClient, DemoState } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';
import { DEFAULT_ACCESS, useExport } from './export-store.ts';
import { useImport } from './import-store.ts';
import { useNav } from './nav-store.ts';

/** The sample flow's store. */
export interface DemoStore {
  /** The running sample flow; null when none runs. */
  demo: DemoState | null;
  busy: boolean;
  error: ErrorEnvelope | null;
  init: (client: ApiClient) => void;
  /** Starts the sample registries and opens the export wizard, prefilled. */
  start: () => Promise<void>;
  /** Opens the import wizard with the sample bundle and the target registry filled in. */
  continueToImport: () => void;
  /** Stops both sample registries. */
  stop: () => Promise<void>;
}

let client: ApiClient | null = null;

function requireClient(): ApiClient {
  if (!client) throw new Error('the sample flow store was used before init(client)');
  return client;
}

/** The sample registries speak plain HTTP on 127.0.0.1, with no login. */
const DEMO_ACCESS = { ...DEFAULT_ACCESS, plainHttp: true };

/** Hook and store of the sample flow. */
export const useDemo = create<DemoStore>()((set, get) => ({
  demo: null,
  busy: false,
  error: null,
  init(api) {
    client = api;
    // A page opened again while the sample registries still run shows the banner again.
    api['demo:status']({}).then(
      (status) => set({ demo: status.demo ?? null }),
      () => undefined,
    );
  },
  async start() {
    set({ busy: true, error: null });
    try {
      const status = await requireClient()['demo:start']({});
      const demo = status.demo ?? null;
      set({ demo, busy: false });
      if (!demo) return;
      useExport.getState().prefill({ referencesText: demo.images.map((image) => image.reference).join('\n'), access: DEMO_ACCESS, target: demo.drive, archive: false });
      useNav.getState().go('export');
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  continueToImport() {
    const demo = get().demo;
    if (!demo) return;
    useImport.getState().prefill({ bundle: demo.drive, searchFolder: demo.drive, target: demo.target.address, access: DEMO_ACCESS, mirrorFolder: demo.mirrorFolder });
    useNav.getState().go('import');
  },
  async stop() {
    set({ busy: true, error: null });
    try {
      await requireClient()['demo:stop']({});
      set({ demo: null, busy: false });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
}));
