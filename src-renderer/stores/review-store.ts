/**
 * The officer's Review step: the engine's review of one bundle for one target
 * (signers, approvals, the policy's verdict, tag changes), the local signing
 * keys to decide with, and the Approve / Reject form. The passphrase lives in
 * this store only while typed: it is sent once with `bundle:decide` and
 * cleared whether the decision succeeded or not, so it never outlives the call.
 */
import { create } from 'zustand';
import type { ApiClient, ReviewInput, ReviewReport, SignatureFinding, SigningKeyInfo } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { ApiError } from '../api/client.ts';
import { envelopeOf } from '../api/explain.ts';

/** The Approve / Reject form as typed. */
export interface DecisionForm {
  /** A key name from the keys folder, or the path of a `.key` file. */
  key: string;
  passphrase: string;
  note: string;
  allowRollback: boolean;
}

/** An empty decision form. */
export const EMPTY_DECISION: DecisionForm = { key: '', passphrase: '', note: '', allowRollback: false };

/** The Review step's store. */
export interface ReviewStore {
  /** What was reviewed last, so a decision reloads the same review. */
  input: ReviewInput | null;
  report: ReviewReport | null;
  /** Keys in the local keys folder; null until loaded. */
  keys: SigningKeyInfo[] | null;
  form: DecisionForm;
  /** The statement the last decision wrote, as the engine checked it. */
  decided: SignatureFinding | null;
  busy: boolean;
  error: ErrorEnvelope | null;
  init: (client: ApiClient) => void;
  /** Reviews a bundle for a target; the report replaces the last one. */
  load: (input: ReviewInput) => Promise<void>;
  loadKeys: () => Promise<void>;
  setForm: (patch: Partial<DecisionForm>) => void;
  /** Signs an approval or a rejection with the form's key, then reviews again. */
  decide: (decision: 'approve' | 'reject') => Promise<void>;
  /** Forgets the review (another bundle or target). */
  clear: () => void;
}

let client: ApiClient | null = null;

function requireClient(): ApiClient {
  if (!client) throw new Error('the review store was used before init(client)');
  return client;
}

const initial = { input: null, report: null, form: EMPTY_DECISION, decided: null, busy: false, error: null };

/** Hook and store of the Review step. */
export const useReview = create<ReviewStore>()((set, get) => ({
  ...initial,
  keys: null,
  init(api) {
    client = api;
  },
  async load(input) {
    set({ busy: true, error: null, input });
    try {
      const report = await requireClient()['bundle:review'](input);
      set({ report, busy: false });
    } catch (error) {
      set({ report: null, busy: false, error: envelopeOf(error) });
    }
  },
  async loadKeys() {
    try {
      set({ keys: await requireClient()['keys:list']({}) });
    } catch (error) {
      set({ keys: [], error: envelopeOf(error) });
    }
  },
  setForm(patch) {
    set((s) => ({ form: { ...s.form, ...patch } }));
  },
  async decide(decision) {
    const { input, form } = get();
    set({ busy: true, error: null, decided: null });
    try {
      if (!input) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Review a bundle before deciding on it.' });
      if (!form.key.trim()) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Choose the key to sign the decision with: a key name or the path of a .key file.' });
      if (!form.passphrase) throw new ApiError({ code: 'INVALID_ARGUMENT', message: "Type the key's passphrase." });
      if (decision === 'reject' && !form.note.trim()) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'A rejection needs a note saying why.' });
      const note = form.note.trim();
      const decided = await requireClient()['bundle:decide']({
        bundle: input.bundle,
        decision,
        key: form.key.trim(),
        passphrase: form.passphrase,
        ...(note ? { note } : {}),
        ...(form.allowRollback ? { allowRollback: true } : {}),
      });
      set({ decided, form: { ...get().form, passphrase: '', note: '', allowRollback: false } });
      const report = await requireClient()['bundle:review'](input);
      set({ report, busy: false });
    } catch (error) {
      set((s) => ({ busy: false, error: envelopeOf(error), form: { ...s.form, passphrase: '' } }));
    }
  },
  clear() {
    set(initial);
  },
}));
