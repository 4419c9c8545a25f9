/**
 * The app's own registry as the renderer sees it (issue 15): its state,
 * pushed by the engine as `serve:state` (never polled), and the form that
 * starts it from the import wizard ("I have no registry — run one here") or
 * the start screen. The password typed stays in this form for the import
 * that follows; the engine keeps only a bcrypt hash.
 */
import { create } from 'zustand';
import type { ApiClient, ServeRunning, ServeStartInput, ServeStatus } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { ApiError } from '../api/client.ts';
import { envelopeOf } from '../api/explain.ts';

/** The port `ferry serve` and Distribution use by default: what the form proposes. */
export const DEFAULT_SERVE_PORT = '5000';

/** The fields of the "run a registry here" form, as typed. */
export interface ServeForm {
  storage: string;
  port: string;
  /** `0.0.0.0` (every interface) or one address. */
  listen: string;
  /** The host name clients use (in the certificate and in references). */
  name: string;
  tls: boolean;
  user: string;
  password: string;
}

/** The registry store. */
export interface ServeStore {
  status: ServeStatus | null;
  form: ServeForm;
  busy: boolean;
  error: ErrorEnvelope | null;
  init: (client: ApiClient) => void;
  setForm: (patch: Partial<ServeForm>) => void;
  /** Starts the registry from the form; answers where it runs (null when it failed, with `error` set). */
  start: () => Promise<ServeRunning | null>;
  stop: () => Promise<void>;
  /** Reads the state again (and what the store holds now), e.g. after an import into it. */
  refresh: () => Promise<void>;
}

let client: ApiClient | null = null;

function requireClient(): ApiClient {
  if (!client) throw new Error('the registry store was used before init(client)');
  return client;
}

const EMPTY_FORM: ServeForm = { storage: '', port: DEFAULT_SERVE_PORT, listen: '0.0.0.0', name: '', tls: true, user: '', password: '' };

/** The contract's input from the form; a field that cannot work is refused here, naming it. */
export function serveInput(form: ServeForm): ServeStartInput {
  if (!form.storage.trim()) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Choose the folder where the registry keeps its images.', details: { argument: 'storage' } });
  const port = Number(form.port.trim());
  if (!/^\d+$/.test(form.port.trim()) || port > 65535)
    throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'The port must be a number from 1 to 65535 (0 lets the system choose).', details: { argument: 'port' } });
  const input: ServeStartInput = { storage: form.storage.trim(), port, tls: form.tls };
  if (form.listen.trim()) input.listen = form.listen.trim();
  if (form.name.trim()) input.name = form.name.trim();
  if (form.user.trim()) {
    if (!form.password) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Type a password for the registry user.', details: { argument: 'user.password' } });
    input.user = { name: form.user.trim(), password: form.password };
  }
  return input;
}

/** Hook and store of the app's registry. */
export const useServe = create<ServeStore>()((set, get) => ({
  status: null,
  form: EMPTY_FORM,
  busy: false,
  error: null,
  init(api) {
    if (client) return;
    client = api;
    api.on('serve:state', (status) => set({ status }));
    void Promise.all([api['serve:status']({}), api['settings:get']({})]).then(
      ([status, settings]) => {
        const saved = settings.serve;
        // The last registry started here fills the form, so starting it again is one click.
        const form: ServeForm = saved
          ? { ...EMPTY_FORM, storage: saved.storage, port: String(saved.port), listen: saved.listen ?? EMPTY_FORM.listen, name: saved.name ?? status.hostName, tls: saved.tls, user: saved.user ?? '' }
          : { ...EMPTY_FORM, name: status.hostName };
        set((s) => ({ status: s.status ?? status, form: s.form === EMPTY_FORM ? form : s.form }));
      },
      (error: unknown) => set({ error: envelopeOf(error) }),
    );
  },
  setForm(patch) {
    set((s) => ({ form: { ...s.form, ...patch } }));
  },
  async start() {
    set({ busy: true, error: null });
    try {
      const running = await requireClient()['serve:start'](serveInput(get().form));
      set({ busy: false, status: await requireClient()['serve:status']({}) });
      return running;
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
      return null;
    }
  },
  async stop() {
    set({ busy: true, error: null });
    try {
      await requireClient()['serve:stop']({});
      set({ busy: false, status: await requireClient()['serve:status']({}) });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  async refresh() {
    try {
      set({ status: await requireClient()['serve:status']({}) });
    } catch (error) {
      set({ error: envelopeOf(error) });
    }
  },
}));
