/**
 * The Settings screen's site policy editor: the policy file's text as the
 * engine read it (`policy:get`), the draft being edited, and the engine's
 * verdict on a save (`policy:save` checks the text with the policy schema
 * before writing; a problem names its line).
 */
import { create } from 'zustand';
import type { ApiClient, PolicyDocument } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';

/** The policy editor's store. */
export interface PolicyStore {
  /** What the engine last read or saved; null until loaded. */
  saved: PolicyDocument | null;
  draft: string;
  busy: boolean;
  error: ErrorEnvelope | null;
  /** "Saved" note after a save, cleared on the next edit. */
  savedNote: boolean;
  init: (client: ApiClient) => void;
  load: () => Promise<void>;
  edit: (text: string) => void;
  save: () => Promise<void>;
}

let client: ApiClient | null = null;

function requireClient(): ApiClient {
  if (!client) throw new Error('the policy store was used before init(client)');
  return client;
}

/** The line a refusal names (the YAML reader and the schema check put it in the details), or null. */
export function problemLine(error: ErrorEnvelope | null): number | null {
  const line = error?.details?.line;
  return typeof line === 'number' && Number.isInteger(line) && line > 0 ? line : null;
}

/** Hook and store of the policy editor. */
export const usePolicy = create<PolicyStore>()((set, get) => ({
  saved: null,
  draft: '',
  busy: false,
  error: null,
  savedNote: false,
  init(api) {
    client = api;
  },
  async load() {
    set({ busy: true, error: null });
    try {
      const saved = await requireClient()['policy:get']({});
      set({ saved, draft: saved.text ?? '', busy: false });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  edit(text) {
    set({ draft: text, savedNote: false });
  },
  async save() {
    set({ busy: true, error: null, savedNote: false });
    try {
      const saved = await requireClient()['policy:save']({ text: get().draft });
      set({ saved, draft: saved.text ?? '', busy: false, savedNote: true });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
}));
