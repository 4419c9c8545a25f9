/** The import wizard: find, verify and inspect a bundle, choose the target registry, review it (signers, policy, tag changes), push, then mirror configuration. */
import { create } from 'zustand';
import type {
  MirrorSaveResult,
  ApiClient,
  BundleInspection,
  FoundBundle,
  ImportInput,
  JobStateOf,
  LastImportTarget,
  MirrorConfigInput,
  MirrorFile,
  RegistryTestResult,
  ServeRunning,
  VerifyJobResult,
} from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { ApiError } from '../api/client.ts';
import { ejectDriveInto, type EjectState } from './eject.ts';
import { envelopeOf } from '../api/explain.ts';
import { accessInput, DEFAULT_ACCESS, prefillFromSettings, type AccessForm } from './export-store.ts';
import { whenJobEnds } from './job-watch.ts';
import { useReview } from './review-store.ts';
import { checkBlocks, checkKey, chosenFixes, useRegistryCheck } from './registry-check-store.ts';

/** The wizard's steps, in order. */
export const IMPORT_STEPS = ['bundle', 'verify', 'inspect', 'target', 'review', 'push', 'mirror'] as const;
/** One step of the import wizard. */
export type ImportStep = (typeof IMPORT_STEPS)[number];

/** The import wizard's store. */
export interface ImportStore {
  step: ImportStep;
  bundle: string;
  /** A folder the user asked to search for bundles (empty: the removable drives). */
  searchFolder: string;
  /** Bundles found on the drives or in searchFolder; null before the first search. */
  found: FoundBundle[] | null;
  target: string;
  /** The site this registry belongs to, recorded in the receipt and the catalog (empty: none). */
  site: string;
  access: AccessForm;
  /** The Settings entry the access options were filled from, if any. */
  prefilledFrom: string | null;
  busy: boolean;
  error: ErrorEnvelope | null;
  verifyJobId: string | null;
  verifyJob: JobStateOf<'verify'> | null;
  verify: VerifyJobResult | null;
  inspection: BundleInspection | null;
  test: RegistryTestResult | null;
  importJobId: string | null;
  importJob: JobStateOf<'import'> | null;
  mirror: MirrorFile[] | null;
  /** The mirror's CA for the mirror configuration (a PEM file path): Ferry's registry's CA when the import goes there. */
  mirrorCa: string;
  /** The folder "Save all files" writes the mirror configuration into. */
  mirrorFolder: string;
  /** What the last "Save all files" wrote. */
  mirrorSaved: MirrorSaveResult | null;
  /** Which confirmation is open: before the push writes anything, before a running push is cancelled. */
  confirming: 'push' | 'cancel' | null;
  /** "Safely remove drive" after the import, for the drive the bundle (and its receipt) lies on. */
  eject: EjectState;
  /** The pull-secret merge of the mirror step: the cluster's file, where to save the merged copy, the login the cluster pulls with. */
  pullSecret: PullSecretForm;
  /** What the last merge saved (never the password). */
  pullSecretSaved: { saved: string; registry: string; registries: string[] } | null;
  init: (client: ApiClient) => void;
  set: (patch: Partial<Pick<ImportStore, 'bundle' | 'target' | 'site' | 'searchFolder' | 'mirrorFolder'>>) => void;
  /** Asks the engine where the last import went and starts the target step there (when the operator has not typed one yet). */
  recall: () => Promise<void>;
  /** The open confirmation's answer: yes runs the push or the cancel, no closes it. */
  answerConfirm: (yes: boolean) => Promise<void>;
  /** "Start over": a fresh wizard at the first step, keeping the remembered target and its access choices. */
  startOver: () => void;
  ejectDrive: (path: string) => Promise<void>;
  setPullSecret: (patch: Partial<PullSecretForm>) => void;
  /** Merges the mirror's login into a copy of the pull secret and saves it (`pullsecret:merge`). */
  mergePullSecret: () => Promise<void>;
  /** Imports into Ferry's own registry: its address as the target, its CA trusted for the push and passed as the mirror CA, its user. */
  targetAppRegistry: (registry: ServeRunning, login: { username: string; password: string }) => void;
  /** Looks for bundles in searchFolder, or on the removable drives when it is empty. */
  findBundles: () => Promise<void>;
  setAccess: (patch: Partial<AccessForm>) => void;
  goTo: (step: ImportStep) => void;
  startVerify: () => Promise<void>;
  inspect: () => Promise<void>;
  testConnection: () => Promise<void>;
  /** "Check registry": what the registry can take, and what of this bundle it cannot (`registry:check`). */
  checkRegistry: () => Promise<void>;
  /** Reviews the bundle for the target (the Review step): signers, approvals, the policy's verdict, tag changes. */
  review: () => Promise<void>;
  /** The start screen's "Review a bundle": a fresh wizard opened at the Review step, which then asks for the bundle and target. */
  startReview: () => void;
  push: () => Promise<void>;
  cancel: () => Promise<void>;
  loadMirror: () => Promise<void>;
  /** Writes every mirror configuration file into mirrorFolder, keeping their folders. */
  saveMirror: () => Promise<void>;
  reset: () => void;
  /** A fresh wizard with the bundle, where to look for it, the target and its access filled in (the sample flow); Settings' saved access is not applied over them. */
  prefill: (form: Partial<Pick<ImportStore, 'bundle' | 'searchFolder' | 'target' | 'access' | 'mirrorFolder'>>) => void;
}

/** The mirror step's pull-secret fields. */
export interface PullSecretForm {
  file: string;
  saveAs: string;
  username: string;
  password: string;
}

const EMPTY_PULL_SECRET: PullSecretForm = { file: '', saveAs: '', username: '', password: '' };

/** `/a/b/pull-secret.json` → `/a/b/pull-secret-with-mirror.json`: beside the original, which stays as the cluster gave it. */
export function mergedSecretPath(file: string): string {
  const value = file.trim();
  if (value === '') return '';
  const cut = Math.max(value.lastIndexOf('/'), value.lastIndexOf('\\')) + 1;
  const name = value.slice(cut).replace(/\.json$/i, '');
  return `${value.slice(0, cut)}${name || 'pull-secret'}-with-mirror.json`;
}

let client: ApiClient | null = null;

function requireClient(): ApiClient {
  if (!client) throw new Error('the import store was used before init(client)');
  return client;
}

const initial = {
  step: 'bundle' as ImportStep,
  bundle: '',
  searchFolder: '',
  found: null as FoundBundle[] | null,
  target: '',
  site: '',
  access: DEFAULT_ACCESS,
  prefilledFrom: null as string | null,
  busy: false,
  error: null,
  verifyJobId: null,
  verifyJob: null,
  verify: null,
  inspection: null,
  test: null,
  importJobId: null,
  importJob: null,
  mirror: null,
  mirrorCa: '',
  mirrorFolder: '',
  mirrorSaved: null as MirrorSaveResult | null,
  confirming: null as 'push' | 'cancel' | null,
  eject: { state: 'idle' } as EjectState,
  pullSecret: EMPTY_PULL_SECRET,
  pullSecretSaved: null as { saved: string; registry: string; registries: string[] } | null,
};

/** The target step's fields from the engine's memory of the last import (never a login). */
function rememberedFields(last: LastImportTarget): Pick<typeof initial, 'target' | 'site' | 'access'> {
  return {
    target: last.target,
    site: last.site ?? '',
    access: { ...DEFAULT_ACCESS, plainHttp: last.plainHttp, tlsVerify: last.tlsVerify, caCertFile: last.caCertFile ?? '', authFile: last.authFile ?? '' },
  };
}

/** `<home>/ferry-mirror-config`, with the home folder's own separator. */
async function proposedMirrorFolder(api: ApiClient): Promise<string> {
  const home = (await api['files:list']({})).path;
  const separator = home.includes('\\') && !home.includes('/') ? '\\' : '/';
  return `${home.replace(/[\\/]+$/, '')}${separator}ferry-mirror-config`;
}

/** Hook and store of the import wizard. */
export const useImport = create<ImportStore>()((set, get) => {
  /** Runs one call with the busy flag and the error envelope handled alike for every step. */
  async function guarded(work: (api: ApiClient) => Promise<void>): Promise<void> {
    set({ busy: true, error: null });
    try {
      await work(requireClient());
      set({ busy: false });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  }
  const importInput = (): ImportInput => {
    const site = get().site.trim();
    // The fixes chosen after "Check registry" (keep paths shallow, create repositories) go with the push.
    return { bundle: get().bundle.trim(), target: get().target.trim(), ...(site ? { site } : {}), registry: accessInput(get().access), ...chosenFixes(useRegistryCheck.getState()) };
  };
  /** The mirror configuration's input: the target as pushed to, its real access (the login only for the file that carries one) and the mirror's CA. */
  const mirrorInput = (): MirrorConfigInput => {
    const mirrorCa = get().mirrorCa.trim();
    const { maxNestedPaths } = chosenFixes(useRegistryCheck.getState());
    return {
      bundle: get().bundle.trim(),
      target: get().target.trim(),
      registry: accessInput(get().access),
      ...(mirrorCa ? { mirrorCa } : {}),
      ...(maxNestedPaths !== undefined ? { maxNestedPaths } : {}),
    };
  };

  /** The push itself, once confirmed. */
  const startPush = (): Promise<void> =>
    guarded(async (api) => {
      set({ importJob: null, mirror: null, eject: { state: 'idle' } });
      const { jobId } = await api['import:run'](importInput());
      set({ importJobId: jobId, step: 'push' });
      const job = await whenJobEnds(jobId, 'import');
      set({ importJob: job });
    });
  async function cancelJob(jobId: string | null): Promise<void> {
    if (!jobId) return;
    try {
      await requireClient()['job:cancel']({ jobId });
    } catch (error) {
      set({ error: envelopeOf(error) });
    }
  }

  return {
    ...initial,
    init(api) {
      client = api;
      void get().recall();
    },
    async recall() {
      try {
        const last = await requireClient()['import:last']({});
        // Only into an untouched target step: what the operator typed wins over the memory.
        if (last && !get().target.trim()) set({ ...rememberedFields(last), prefilledFrom: null, test: null });
      } catch {
        // A memory that cannot be read is no error worth showing: the operator types the target.
      }
    },
    set(patch) {
      const prefill: Partial<ReturnType<typeof prefillFromSettings>> = patch.target === undefined ? {} : prefillFromSettings(patch.target, get().access, get().prefilledFrom);
      // A check answers for one bundle, target and access: any change makes it stale.
      if (patch.target !== undefined || patch.bundle !== undefined) useRegistryCheck.getState().clear();
      set({ ...patch, ...prefill, ...(prefill.access ? { test: null } : {}) });
    },
    targetAppRegistry(registry, login) {
      set((s) => ({
        target: registry.address,
        access: { ...s.access, plainHttp: !registry.tls, tlsVerify: true, caCertFile: registry.caFile ?? '', authFile: '', username: login.username, password: login.password },
        prefilledFrom: null,
        mirrorCa: registry.caFile ?? '',
        test: null,
        error: null,
      }));
    },
    setAccess(patch) {
      useRegistryCheck.getState().clear();
      set((s) => ({ access: { ...s.access, ...patch }, test: null }));
    },
    goTo(step) {
      set({ step, error: null });
    },
    findBundles: () =>
      guarded(async (api) => {
        const folder = get().searchFolder.trim();
        set({ found: await api['bundles:find'](folder ? { roots: [folder] } : {}) });
      }),
    startVerify: () =>
      guarded(async (api) => {
        if (!get().bundle.trim()) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Type the folder that holds the bundle (the one with ferry.json).', details: { argument: 'bundle' } });
        set({ verify: null, verifyJob: null, inspection: null });
        const { jobId } = await api['bundle:verify']({ bundle: get().bundle.trim() });
        set({ verifyJobId: jobId, step: 'verify' });
        const job = await whenJobEnds(jobId, 'verify');
        set({ verifyJob: job, verify: job.status === 'succeeded' ? job.result : null });
      }),
    inspect: () =>
      guarded(async (api) => {
        const args: { bundle: string; target?: string } = { bundle: get().bundle.trim() };
        if (get().target.trim()) args.target = get().target.trim();
        const inspection = await api['import:inspect'](args);
        set({ inspection, step: 'inspect' });
      }),
    review: () =>
      guarded(async () => {
        if (!get().bundle.trim()) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Type the folder that holds the bundle (the one with ferry.json).', details: { argument: 'bundle' } });
        if (!get().target.trim())
          throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Type the target registry address, for example registry.local:5000/mirror.', details: { argument: 'target' } });
        const blocked = checkBlocks(useRegistryCheck.getState());
        if (blocked) throw new ApiError({ code: 'INVALID_ARGUMENT', message: blocked });
        set({ step: 'review' });
        const { bundle, target, registry, maxNestedPaths } = importInput();
        await useReview.getState().load({ bundle, target, ...(registry ? { registry } : {}), ...(maxNestedPaths !== undefined ? { maxNestedPaths } : {}) });
      }),
    startReview() {
      set({ ...initial, step: 'review' });
      useReview.getState().clear();
    },
    testConnection: () =>
      guarded(async (api) => {
        set({ test: null });
        const test = await api['registry:test']({ registry: get().target.trim(), access: accessInput(get().access) });
        set({ test });
      }),
    checkRegistry: () =>
      guarded(async (api) => {
        const { bundle, target, registry } = importInput();
        useRegistryCheck.getState().clear();
        const answer = await api['registry:check']({ target, ...(bundle ? { bundle } : {}), ...(registry ? { access: registry } : {}) });
        useRegistryCheck.getState().remember(answer, checkKey(bundle, target));
      }),
    push: () =>
      guarded(async () => {
        if (!get().target.trim())
          throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Type the target registry address, for example registry.local:5000/mirror.', details: { argument: 'target' } });
        // The engine enforces the policy again before its first write; this only keeps the wizard honest.
        const report = useReview.getState().report;
        if (!report?.pushAllowed) throw new ApiError({ code: 'INVALID_ARGUMENT', message: report?.blockedReason ?? 'Review the bundle for this target before pushing it.' });
        const blocked = checkBlocks(useRegistryCheck.getState());
        if (blocked) throw new ApiError({ code: 'INVALID_ARGUMENT', message: blocked });
        set({ confirming: 'push' });
      }),
    async answerConfirm(yes) {
      const asked = get().confirming;
      set({ confirming: null });
      if (!yes) return;
      if (asked === 'push') await startPush();
      if (asked === 'cancel') await cancelJob(get().importJobId);
    },
    async cancel() {
      // A running push asks first: what it pushed stays, but the operator should not lose it by a slip.
      if (get().step === 'push') set({ confirming: 'cancel' });
      else await cancelJob(get().verifyJobId);
    },
    loadMirror: () =>
      guarded(async (api) => {
        const { files } = await api['mirror:config'](mirrorInput());
        // One action for every import: a folder is proposed (in the home folder, not on the drive that may be removed by now).
        const mirrorFolder = get().mirrorFolder.trim() || (await proposedMirrorFolder(api));
        const { username, password } = get().access;
        set((s) => ({
          mirror: files,
          mirrorSaved: null,
          mirrorFolder,
          step: 'mirror',
          pullSecret: { ...s.pullSecret, username: s.pullSecret.username || username, password: s.pullSecret.password || password },
        }));
      }),
    saveMirror: () =>
      guarded(async (api) => {
        const folder = get().mirrorFolder.trim();
        if (!folder) throw new ApiError({ code: 'INVALID_ARGUMENT', message: 'Choose the folder to save the mirror configuration in.', details: { argument: 'folder' } });
        set({ mirrorSaved: null });
        set({ mirrorSaved: await api['mirror:save']({ ...mirrorInput(), folder }) });
      }),
    reset() {
      get().startOver();
    },
    startOver() {
      if (get().importJob === null && get().importJobId !== null) return; // a push still runs: its page keeps the cancel button
      const { target, site, access } = get();
      set({ ...initial, target, site, access: { ...access, username: '', password: '' }, found: null });
      useReview.getState().clear();
      useRegistryCheck.getState().clear();
    },
    ejectDrive(path) {
      return ejectDriveInto(path, get, set, requireClient);
    },
    setPullSecret(patch) {
      set((s) => {
        const next = { ...s.pullSecret, ...patch };
        // The save-as path follows the file until the operator types one of their own.
        if (patch.file !== undefined && (s.pullSecret.saveAs === '' || s.pullSecret.saveAs === mergedSecretPath(s.pullSecret.file))) next.saveAs = mergedSecretPath(patch.file);
        return { pullSecret: next, pullSecretSaved: null };
      });
    },
    mergePullSecret: () =>
      guarded(async (api) => {
        const { file, saveAs, username, password } = get().pullSecret;
        set({ pullSecretSaved: null });
        set({ pullSecretSaved: await api['pullsecret:merge']({ file: file.trim(), saveAs: saveAs.trim(), target: get().target.trim(), username: username.trim(), password }) });
      }),
    prefill(form) {
      set({ ...initial, ...form });
      useReview.getState().clear();
      useRegistryCheck.getState().clear();
    },
  };
});
