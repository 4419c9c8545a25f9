/**
 * The officer's inspector (issue 17), shared by the import wizard's Inspect
 * step and the Review screen: the bundle's images with their platforms and
 * layers (`bundle:images`, no config read), each image's config labels once
 * its detail is opened, and the report the officer saves (`report:save`, into
 * the folder picked with the app's picker) or downloads in browser mode.
 */
import { create } from 'zustand';
import type { ApiClient, ImageDetail } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { ApiError } from '../api/client.ts';
import { envelopeOf } from '../api/explain.ts';

/** The inspector's store. */
export interface InspectorStore {
  /** The bundle the images were read for (a new bundle reads them again). */
  bundle: string | null;
  /** Every image with its platforms and layers, without labels; null while loading. */
  images: ImageDetail[] | null;
  /** Images beyond the engine's cap, not listed. */
  more: number;
  /** Opened images read with their labels, by image name. */
  details: Record<string, ImageDetail>;
  /** An image whose detail could not be read, by name. */
  detailErrors: Record<string, ErrorEnvelope>;
  error: ErrorEnvelope | null;
  /** The folder the report is saved in, as typed or picked. */
  reportFolder: string;
  /** Where the last report was written. */
  savedReport: string | null;
  reportError: ErrorEnvelope | null;
  saving: boolean;
  mode: 'electron' | 'browser' | null;
  init: (client: ApiClient) => void;
  /** Reads the images of `bundle` unless they are the ones shown. */
  loadImages: (bundle: string) => Promise<void>;
  /** Reads one image again with its config labels (when its detail is opened). */
  loadDetail: (name: string) => Promise<void>;
  setReportFolder: (folder: string) => void;
  /** Writes the report into the report folder as `name`. */
  saveReport: (name: string, text: string) => Promise<void>;
  /** The images with their labels where read, in the bundle's order: what a report lists. */
  imagesForReport: () => ImageDetail[];
}

let client: ApiClient | null = null;

function requireClient(): ApiClient {
  if (!client) throw new Error('the inspector store was used before init(client)');
  return client;
}

/** Hook and store of the inspector. */
export const useInspector = create<InspectorStore>()((set, get) => ({
  bundle: null,
  images: null,
  more: 0,
  details: {},
  detailErrors: {},
  error: null,
  reportFolder: '',
  savedReport: null,
  reportError: null,
  saving: false,
  mode: null,
  init(api) {
    client = api;
    void api['app:info']({}).then(
      (info) => set({ mode: info.mode }),
      () => undefined,
    );
  },
  async loadImages(bundle) {
    if (get().bundle === bundle && (get().images !== null || get().error !== null)) return;
    set({ bundle, images: null, more: 0, details: {}, detailErrors: {}, error: null, savedReport: null, reportError: null });
    try {
      const answer = await requireClient()['bundle:images']({ bundle, labels: false });
      if (get().bundle === bundle) set({ images: answer.images, more: answer.more });
    } catch (error) {
      if (get().bundle === bundle) set({ error: envelopeOf(error) });
    }
  },
  async loadDetail(name) {
    const bundle = get().bundle;
    if (bundle === null || name in get().details) return;
    try {
      const answer = await requireClient()['bundle:images']({ bundle, images: [name] });
      const detail = answer.images[0];
      if (detail && get().bundle === bundle) set((s) => ({ details: { ...s.details, [name]: detail } }));
    } catch (error) {
      if (get().bundle === bundle) set((s) => ({ detailErrors: { ...s.detailErrors, [name]: envelopeOf(error) } }));
    }
  },
  setReportFolder(reportFolder) {
    set({ reportFolder });
  },
  async saveReport(name, text) {
    set({ saving: true, reportError: null, savedReport: null });
    try {
      const folder = get().reportFolder.trim();
      if (!folder) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Choose the folder to save the report in.', details: { argument: 'folder' } });
      const { path } = await requireClient()['report:save']({ folder, name, text });
      set({ saving: false, savedReport: path });
    } catch (error) {
      set({ saving: false, reportError: envelopeOf(error) });
    }
  },
  imagesForReport() {
    const { images, details } = get();
    return (images ?? []).map((image) => details[image.name] ?? image);
  },
}));
