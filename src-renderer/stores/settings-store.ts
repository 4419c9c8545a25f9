/**
 * The Settings screen's store: the saved settings (what wizards prefill from)
 * and the draft being edited. A draft entry also holds a user name and a
 * password for "Test connection" or for sealing in the keychain
 * (`credentials:save`, desktop app only); they are never part of what
 * `settings:save` sends, and the password is dropped once sealed.
 */
import { create } from 'zustand';
import type { ApiClient, CredentialsStatus, FerrySettings, RegistrySetting, RegistryTestResult } from '../../src-shared/api/contract.ts';
import { FerryError, type ErrorEnvelope } from '../../src-shared/errors.ts';
import { RATE_LIMIT_RANGE } from '../../src-shared/model/throttling.ts';
import { envelopeOf } from '../api/explain.ts';
import { RATE_LIMIT_LABEL } from '../field-labels.ts';
import type { AccessForm } from './export-store.ts';

/** One registry as the form edits it: every field a string or a flag, credentials for the test only. */
export interface RegistryDraft extends AccessForm {
  address: string;
  /** Requests per second at most, as typed (empty: no limit). */
  rateLimit: string;
}

/** The settings form. */
export interface SettingsDraft {
  registries: RegistryDraft[];
  archive: boolean;
  partSize: string;
  /** Start Ferry's registry (as last started) when the app opens. */
  startRegistryWithApp: boolean;
}

/** The Settings store. */
export interface SettingsStore {
  /** What the engine last confirmed; null until the first load answers. */
  saved: FerrySettings | null;
  draft: SettingsDraft;
  busy: boolean;
  error: ErrorEnvelope | null;
  /** "Saved" note after a save, cleared on the next edit. */
  savedNote: boolean;
  /** Connection test result per entry index. */
  tests: Record<number, RegistryTestResult>;
  /** Whether logins can be kept in the system keychain (desktop app) and which are; null until loaded. */
  logins: CredentialsStatus | null;
  init: (client: ApiClient) => void;
  load: () => Promise<void>;
  save: () => Promise<void>;
  addRegistry: () => void;
  updateRegistry: (index: number, patch: Partial<RegistryDraft>) => void;
  removeRegistry: (index: number) => void;
  setDefaults: (patch: Partial<Pick<SettingsDraft, 'archive' | 'partSize' | 'startRegistryWithApp'>>) => void;
  testRegistry: (index: number) => Promise<void>;
  /** Seals the entry's user name and password in the keychain, then forgets the password typed. */
  saveLogin: (index: number) => Promise<void>;
  forgetLogin: (index: number) => Promise<void>;
}

let client: ApiClient | null = null;

function requireClient(): ApiClient {
  if (!client) throw new Error('the settings store was used before init(client)');
  return client;
}

/** A new, empty registry row: TLS verified unless the user says otherwise. */
export function emptyRegistry(): RegistryDraft {
  return { address: '', plainHttp: false, tlsVerify: true, caCertFile: '', authFile: '', username: '', password: '', rateLimit: '' };
}

function draftOf(settings: FerrySettings): SettingsDraft {
  return {
    registries: settings.registries.map((r) => ({
      ...emptyRegistry(),
      ...r,
      caCertFile: r.caCertFile ?? '',
      authFile: r.authFile ?? '',
      rateLimit: r.rateLimit === undefined ? '' : String(r.rateLimit),
    })),
    archive: settings.defaults.archive ?? false,
    partSize: settings.defaults.partSize ?? '',
    startRegistryWithApp: settings.serve?.startWithApp === true,
  };
}

/** The contract's shape of one entry: user name and password are left out by construction. */
export function registrySetting(draft: RegistryDraft): RegistrySetting {
  const entry: RegistrySetting = { address: draft.address.trim(), plainHttp: draft.plainHttp, tlsVerify: draft.tlsVerify };
  if (draft.caCertFile.trim()) entry.caCertFile = draft.caCertFile.trim();
  if (draft.authFile.trim()) entry.authFile = draft.authFile.trim();
  const rate = draft.rateLimit.trim();
  if (rate !== '') {
    const value = /^\d*\.?\d+$/.test(rate) ? Number(rate) : Number.NaN;
    if (!(value >= RATE_LIMIT_RANGE.min && value <= RATE_LIMIT_RANGE.max)) {
      throw new FerryError(
        'INVALID_ARGUMENT',
        `${entry.address || 'A registry'}: “${RATE_LIMIT_LABEL}” must be a number above 0, such as 5 or 0.5 (one request every two seconds), or empty for no limit`,
        { argument: 'rateLimit' },
      );
    }
    entry.rateLimit = value;
  }
  return entry;
}

/** The settings to save; `current` is what the engine holds now, whose registry block (written by each start) is kept but for the "with the app" choice. */
function settingsOf(draft: SettingsDraft, current: FerrySettings): FerrySettings {
  const defaults: FerrySettings['defaults'] = {};
  if (draft.archive) defaults.archive = true;
  if (draft.partSize.trim()) defaults.partSize = draft.partSize.trim();
  const settings: FerrySettings = { registries: draft.registries.filter((r) => r.address.trim() !== '').map(registrySetting), defaults };
  if (current.serve) settings.serve = { ...current.serve, startWithApp: draft.startRegistryWithApp };
  return settings;
}

/** Hook and store of Settings. */
export const useSettings = create<SettingsStore>()((set, get) => ({
  saved: null,
  draft: { registries: [], archive: false, partSize: '', startRegistryWithApp: false },
  busy: false,
  error: null,
  savedNote: false,
  tests: {},
  logins: null,
  init(api) {
    if (client) return;
    client = api;
    void get().load();
  },
  async load() {
    try {
      const [saved, logins] = await Promise.all([requireClient()['settings:get']({}), requireClient()['credentials:status']({})]);
      set({ saved, logins, draft: draftOf(saved), error: null });
    } catch (error) {
      set({ error: envelopeOf(error) });
    }
  },
  async save() {
    set({ busy: true, error: null, savedNote: false });
    try {
      // Read again first: starting Ferry's registry rewrites its block of the settings while this screen is open.
      const settings = settingsOf(get().draft, await requireClient()['settings:get']({}));
      await requireClient()['settings:save'](settings);
      const saved = await requireClient()['settings:get']({});
      set((s) => ({
        saved,
        busy: false,
        savedNote: true,
        // Keep the test-only credentials the user typed beside the entries they belong to.
        draft: { ...draftOf(saved), registries: draftOf(saved).registries.map((r) => ({ ...r, ...credentialsFor(s.draft, r.address) })) },
        tests: {},
      }));
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  addRegistry() {
    set((s) => ({ draft: { ...s.draft, registries: [...s.draft.registries, emptyRegistry()] }, savedNote: false }));
  },
  updateRegistry(index, patch) {
    set((s) => {
      // The entry changed, so its last connection test no longer says anything about it.
      const { [index]: _stale, ...tests } = s.tests;
      return { draft: { ...s.draft, registries: s.draft.registries.map((r, i) => (i === index ? { ...r, ...patch } : r)) }, savedNote: false, tests };
    });
  },
  removeRegistry(index) {
    set((s) => ({ draft: { ...s.draft, registries: s.draft.registries.filter((_, i) => i !== index) }, savedNote: false, tests: {} }));
  },
  setDefaults(patch) {
    set((s) => ({ draft: { ...s.draft, ...patch }, savedNote: false }));
  },
  async saveLogin(index) {
    const entry = get().draft.registries[index];
    if (!entry || !entry.address.trim()) return;
    set({ busy: true, error: null });
    try {
      await requireClient()['credentials:save']({ registry: entry.address.trim(), username: entry.username, password: entry.password });
      const logins = await requireClient()['credentials:status']({});
      set((s) => ({ busy: false, logins, draft: { ...s.draft, registries: s.draft.registries.map((r, i) => (i === index ? { ...r, password: '' } : r)) } }));
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  async forgetLogin(index) {
    const entry = get().draft.registries[index];
    if (!entry) return;
    set({ busy: true, error: null });
    try {
      await requireClient()['credentials:delete']({ registry: entry.address.trim() });
      set({ busy: false, logins: await requireClient()['credentials:status']({}) });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  async testRegistry(index) {
    const entry = get().draft.registries[index];
    if (!entry || !entry.address.trim()) return;
    set({ busy: true, error: null });
    try {
      const access = {
        plainHttp: entry.plainHttp,
        tlsVerify: entry.tlsVerify,
        ...(entry.caCertFile.trim() ? { caCertFiles: [entry.caCertFile.trim()] } : {}),
        ...(entry.authFile.trim() ? { authFile: entry.authFile.trim() } : {}),
        ...(entry.username ? { username: entry.username } : {}),
        ...(entry.password ? { password: entry.password } : {}),
      };
      const result = await requireClient()['registry:test']({ registry: entry.address.trim(), access });
      set((s) => ({ busy: false, tests: { ...s.tests, [index]: result } }));
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
}));

function credentialsFor(draft: SettingsDraft, address: string): Pick<RegistryDraft, 'username' | 'password'> {
  const entry = draft.registries.find((r) => r.address.trim().replace(/\/+$/, '') === address);
  return { username: entry?.username ?? '', password: entry?.password ?? '' };
}

/** The login kept in the keychain for an entry's registry host, if any. */
export function savedLoginFor(logins: CredentialsStatus | null, address: string): { registry: string; username: string } | undefined {
  const host = address.trim().split('/')[0]?.toLowerCase() ?? '';
  return logins?.registries.find((login) => login.registry === host);
}
