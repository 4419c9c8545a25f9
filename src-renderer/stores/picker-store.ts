/**
 * The app's file picker (one at a time): which field asked, the folder being
 * shown, and the choice handed back. Folders are listed (`files:list`) and
 * made (`files:mkdir`) by the engine, because a browser page can never learn
 * a file's path.
 */
import { create } from 'zustand';
import type { ApiClient, FolderListing } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';
import { startFolder } from '../picker-start.ts';

/** What a field asks the picker for. */
export interface PickerRequest {
  /** The field's label, shown as the dialog's title. */
  title: string;
  kind: 'file' | 'folder';
  /** The field's current value; the picker starts in it (a folder) or beside it (a file). */
  start: string;
  choose: (path: string) => void;
}

/** The picker store. */
export interface PickerStore {
  request: PickerRequest | null;
  listing: FolderListing | null;
  busy: boolean;
  error: ErrorEnvelope | null;
  init: (client: ApiClient) => void;
  open: (request: PickerRequest) => Promise<void>;
  browse: (path?: string) => Promise<void>;
  /** "New folder": makes `name` in the folder shown and opens it; false (with `error` set) when it could not be made. */
  makeFolder: (name: string) => Promise<boolean>;
  choose: (path: string) => void;
  close: () => void;
}

let client: ApiClient | null = null;

/** Hook and store of the file picker. */
export const usePicker = create<PickerStore>()((set, get) => ({
  request: null,
  listing: null,
  busy: false,
  error: null,
  init(api) {
    client ??= api;
  },
  async open(request) {
    set({ request, listing: null, error: null });
    const start = startFolder(request.start, request.kind);
    await get().browse(start);
    // A start that is gone (a typo, a removed drive) falls back to the home folder rather than an empty dialog.
    if (get().listing === null && start !== undefined) await get().browse(undefined);
  },
  async browse(path) {
    if (!client) throw new Error('the picker store was used before init(client)');
    set({ busy: true });
    try {
      const listing = await client['files:list'](path === undefined ? {} : { path });
      set({ listing, busy: false, error: null });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  async makeFolder(name) {
    const parent = get().listing?.path;
    if (!client || parent === undefined) return false;
    set({ busy: true });
    try {
      const made = await client['files:mkdir']({ parent, name });
      set({ busy: false });
      await get().browse(made.path);
      return true;
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
      return false;
    }
  },
  choose(path) {
    get().request?.choose(path);
    set({ request: null, listing: null, error: null });
  },
  close() {
    set({ request: null, listing: null, error: null });
  },
}));
