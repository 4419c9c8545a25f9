/** The export wizard: what to carry, the plan, where to write it, the run and its verification. */
import { create } from 'zustand';
import type {
  ApiClient,
  ExportInput,
  ExportPlanResult,
  ExportTargetCheck,
  FerrySettings,
  JobStateOf,
  RegistryAccessInput,
  RegistrySetting,
  SavedSet,
  SiteOverview,
  VerifyJobResult,
} from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';
import { parseReferences } from '../format.ts';
import { savedRegistryFor } from '../registry-match.ts';
import { partSizeProblem, rememberAccess, rememberedAccess } from './export-checks.ts';
import { ejectDriveInto, type EjectState } from './eject.ts';
import { whenJobEnds } from './job-watch.ts';
import { useSettings } from './settings-store.ts';

/** The wizard's steps, in order. */
export const EXPORT_STEPS = ['what', 'plan', 'where', 'run', 'done'] as const;
/** One step of the export wizard. */
export type ExportStep = (typeof EXPORT_STEPS)[number];

/** Access to the source registries, as the "what" step collects it. */
export interface AccessForm {
  plainHttp: boolean;
  tlsVerify: boolean;
  caCertFile: string;
  authFile: string;
  username: string;
  password: string;
}

/** Access before the user or Settings said anything: TLS, verified. */
export const DEFAULT_ACCESS: AccessForm = { plainHttp: false, tlsVerify: true, caCertFile: '', authFile: '', username: '', password: '' };

/**
 * The saved entry for `typed` (a reference or an import target) when it
 * differs from the one already applied: its plain HTTP, TLS verify, CA and
 * auth file replace the form's, typed credentials stay. With no saved entry
 * the form keeps its values and only loses the "filled in from" note.
 */
export function prefillFromSettings(typed: string, access: AccessForm, appliedFrom: string | null): { access?: AccessForm; prefilledFrom: string | null } {
  const entry: RegistrySetting | undefined = savedRegistryFor(useSettings.getState().saved?.registries ?? [], typed) ?? rememberedAccess(typed);
  if (!entry) return { prefilledFrom: null };
  if (entry.address === appliedFrom) return { prefilledFrom: appliedFrom };
  return {
    access: { ...access, plainHttp: entry.plainHttp, tlsVerify: entry.tlsVerify, caCertFile: entry.caCertFile ?? '', authFile: entry.authFile ?? '' },
    prefilledFrom: entry.address,
  };
}

/** The fields the user edits. */
export interface ExportForm {
  referencesText: string;
  /** An image list file on the engine's machine (one reference per line). */
  imageListFile: string;
  /** An image set file (YAML) on the engine's machine. */
  setFile: string;
  /** OpenShift update service graph URL for release channels; empty for the public one. */
  updateService: string;
  /** OpenShift release signature store URL; empty for Red Hat's. */
  signatureStore: string;
  access: AccessForm;
  target: string;
  archive: boolean;
  partSize: string;
  /** Platforms to keep (`os/arch`); empty keeps every platform. */
  platforms: string[];
  /** Incremental for this site (from its receipts in the catalog); empty for a full bundle. */
  site: string;
  /** Carry the images' signatures, attestations and SBOMs (the default; off is `--no-referrers`). */
  referrers: boolean;
  /** A Deckhouse license key for an image set with a Deckhouse section; kept in memory only, never saved. */
  deckhouseLicense: string;
}

/** The export wizard's store. */
export interface ExportStore extends ExportForm {
  step: ExportStep;
  /** The Settings entry the access options were filled from, if any. */
  prefilledFrom: string | null;
  /** True once the user changed archive or part size, so saved defaults no longer overwrite them. */
  optionsTouched: boolean;
  busy: boolean;
  error: ErrorEnvelope | null;
  plan: ExportPlanResult | null;
  /** True once the user chose "Continue without these" for a plan with references it cannot carry: the run skips them. */
  keepGoing: boolean;
  jobId: string | null;
  job: JobStateOf<'export'> | null;
  verifyJobId: string | null;
  verify: VerifyJobResult | null;
  verifyError: ErrorEnvelope | null;
  eject: EjectState;
  /** The "where" step's check of the folder typed (writable, free space), or null before one. */
  targetCheck: ExportTargetCheck | null;
  /** What the catalog knows the chosen site holds, or null with no site typed. */
  siteSummary: SiteOverview | null;
  /** The last receipt added from the "where" step, in words, for its status line. */
  receiptNote: string | null;
  receiptError: ErrorEnvelope | null;
  init: (client: ApiClient) => void;
  /** Uses a saved set: its references fill the reference box (with the access remembered for their registry), or its file is the image set. */
  chooseSet: (set: SavedSet) => void;
  /** Checks the folder typed on the "where" step; true when it can be written. */
  checkTarget: () => Promise<boolean>;
  /** Reads what the catalog knows the typed site holds. */
  loadSite: () => Promise<void>;
  /** Records a receipt file carried back from the site, then refreshes the site's summary. */
  addReceipt: (file: string) => Promise<void>;
  set: (patch: Partial<ExportForm>) => void;
  setAccess: (patch: Partial<AccessForm>) => void;
  goTo: (step: ExportStep) => void;
  planExport: () => Promise<void>;
  /** "Continue without these": the plan's unresolvable references are left out (listed in the bundle as skipped) and the wizard moves on. */
  continueWithout: () => void;
  run: () => Promise<void>;
  cancel: () => Promise<void>;
  /** "Safely remove drive" for the drive mounted at `path`. */
  ejectDrive: (path: string) => Promise<void>;
  reset: () => void;
  /** A fresh wizard with these fields filled in (the sample flow's references, access and folder); Settings' saved access is not applied over them. */
  prefill: (form: Partial<ExportForm>) => void;
}

let client: ApiClient | null = null;

/** Registry access as the contract takes it; empty credentials are left out. */
export function accessInput(form: AccessForm): RegistryAccessInput {
  const access: RegistryAccessInput = { plainHttp: form.plainHttp, tlsVerify: form.tlsVerify };
  if (form.caCertFile.trim()) access.caCertFiles = [form.caCertFile.trim()];
  if (form.authFile.trim()) access.authFile = form.authFile.trim();
  if (form.username) access.username = form.username;
  if (form.password) access.password = form.password;
  return access;
}

function input(s: ExportForm): ExportInput {
  const value: ExportInput = { references: parseReferences(s.referencesText), target: s.target.trim(), archive: s.archive, registry: accessInput(s.access) };
  if (s.imageListFile.trim()) value.imageListFile = s.imageListFile.trim();
  if (s.setFile.trim()) value.setFile = s.setFile.trim();
  if (s.updateService.trim()) value.updateService = s.updateService.trim();
  if (s.signatureStore.trim()) value.signatureStore = s.signatureStore.trim();
  if (s.archive && s.partSize.trim()) value.partSize = s.partSize.trim();
  if (s.platforms.length > 0) value.platforms = [...s.platforms];
  if (s.site.trim()) value.site = s.site.trim();
  if (!s.referrers) value.referrers = false;
  if (s.setFile.trim() && s.deckhouseLicense.trim()) value.deckhouseLicense = s.deckhouseLicense.trim();
  return value;
}

const initial = {
  step: 'what' as ExportStep,
  referencesText: '',
  imageListFile: '',
  setFile: '',
  updateService: '',
  signatureStore: '',
  access: DEFAULT_ACCESS,
  prefilledFrom: null as string | null,
  optionsTouched: false,
  target: '',
  archive: false,
  partSize: '',
  platforms: [] as string[],
  site: '',
  referrers: true,
  deckhouseLicense: '',
  targetCheck: null as ExportTargetCheck | null,
  siteSummary: null as SiteOverview | null,
  receiptNote: null as string | null,
  receiptError: null as ErrorEnvelope | null,
  busy: false,
  error: null,
  plan: null,
  keepGoing: false,
  jobId: null,
  job: null,
  verifyJobId: null,
  verify: null,
  verifyError: null,
  eject: { state: 'idle' } as EjectState,
};

function requireClient(): ApiClient {
  if (!client) throw new Error('the export store was used before init(client)');
  return client;
}

/** The export options Settings' defaults give a fresh wizard. */
function defaultsOf(settings: FerrySettings | null): Pick<ExportForm, 'archive' | 'partSize'> {
  return { archive: settings?.defaults.archive ?? false, partSize: settings?.defaults.partSize ?? '' };
}

let offSettings: (() => void) | null = null;

/** Hook and store of the export wizard. */
export const useExport = create<ExportStore>()((set, get) => ({
  ...initial,
  init(api) {
    client = api;
    // Saved defaults (loaded or saved later) apply until the user sets the options by hand.
    offSettings ??= useSettings.subscribe((s, previous) => {
      if (s.saved !== previous.saved && !get().optionsTouched) set(defaultsOf(s.saved));
    });
  },
  set(patch) {
    const touched = 'archive' in patch || 'partSize' in patch ? { optionsTouched: true } : {};
    // The first reference names the source registry whose saved access applies.
    const prefill = patch.referencesText === undefined ? {} : prefillFromSettings(parseReferences(patch.referencesText)[0] ?? '', get().access, get().prefilledFrom);
    const target = 'target' in patch ? { targetCheck: null } : {};
    const site = 'site' in patch ? { siteSummary: null, receiptNote: null, receiptError: null } : {};
    set({ ...patch, ...touched, ...prefill, ...target, ...site });
  },
  chooseSet(chosen) {
    if (chosen.references && chosen.references.length > 0) {
      get().set({ referencesText: [`# saved set ${chosen.name}`, ...chosen.references].join('\n'), setFile: '', platforms: chosen.platforms ?? [] });
    } else get().set({ setFile: chosen.path });
  },
  async checkTarget() {
    const target = get().target.trim();
    if (!target) {
      set({ targetCheck: { writable: false, problem: 'Choose a drive or type the folder to write the bundle to.' } });
      return false;
    }
    try {
      const check = await requireClient()['export:target']({ target });
      if (get().target.trim() === target) set({ targetCheck: check });
      return check.writable;
    } catch (error) {
      set({ error: envelopeOf(error) });
      return false;
    }
  },
  async loadSite() {
    const site = get().site.trim();
    if (!site) {
      set({ siteSummary: null });
      return;
    }
    try {
      const summary = await requireClient()['site:summary']({ site });
      if (get().site.trim() === site) set({ siteSummary: summary });
    } catch (error) {
      set({ receiptError: envelopeOf(error) });
    }
  },
  async addReceipt(file) {
    const site = get().site.trim();
    set({ receiptNote: null, receiptError: null });
    try {
      const added = await requireClient()['receipt:add']({ file: file.trim(), ...(site ? { site } : {}) });
      set({ site: added.site, receiptNote: `Receipt added for site ${added.site}: ${added.digests} items its registry ${added.registry} holds.` });
      await get().loadSite();
    } catch (error) {
      set({ receiptError: envelopeOf(error) });
    }
  },
  setAccess(patch) {
    set((s) => ({ access: { ...s.access, ...patch } }));
  },
  goTo(step) {
    set({ step, error: null });
  },
  async planExport() {
    const api = requireClient();
    const { referencesText, imageListFile, setFile } = get();
    if (parseReferences(referencesText).length === 0 && !imageListFile.trim() && !setFile.trim()) {
      set({ error: { code: 'INVALID_ARGUMENT', message: 'Enter at least one image reference, one per line, or the path of an image list or image set file.' } });
      return;
    }
    set({ busy: true, error: null, plan: null, keepGoing: false });
    try {
      const plan = await api['export:plan'](input(get()));
      // The access that planned cleanly is remembered for each registry host, for the next export.
      if (plan.problems.length === 0) rememberAccess(parseReferences(get().referencesText), get().access);
      // A plan with problems stays on this step, where the fields that fix them are.
      set({ plan, busy: false, step: plan.problems.length > 0 ? 'what' : 'plan' });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  continueWithout() {
    set({ keepGoing: true, step: 'plan', error: null });
  },
  async run() {
    const api = requireClient();
    if (!get().target.trim()) {
      set({ error: { code: 'INVALID_ARGUMENT', message: 'Choose a drive or type the folder to write the bundle to.' } });
      return;
    }
    // Values are checked on this step, beside their fields, before any job starts.
    if (get().step === 'where') {
      if (partSizeProblem(get().archive, get().partSize) !== undefined) return;
      if (!(await get().checkTarget())) return;
    }
    set({ busy: true, error: null, job: null, verify: null, verifyError: null, eject: { state: 'idle' } });
    try {
      const { jobId } = await api['export:run']({ ...input(get()), ...(get().keepGoing ? { keepGoing: true } : {}) });
      set({ jobId, busy: false, step: 'run' });
      const job = await whenJobEnds(jobId, 'export');
      set({ job });
      if (job.status !== 'succeeded') return;
      // The run step stays on screen at 100% until the user moves on; verification starts meanwhile.
      const verify = await api['bundle:verify']({ bundle: get().target.trim() });
      set({ verifyJobId: verify.jobId });
      const verified = await whenJobEnds(verify.jobId, 'verify');
      if (verified.status === 'succeeded') set({ verify: verified.result });
      else set({ verifyError: verified.error ?? { code: 'INTERNAL', message: `verification ${verified.status}` } });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  async cancel() {
    const { jobId } = get();
    if (!jobId) return;
    try {
      await requireClient()['job:cancel']({ jobId });
    } catch (error) {
      set({ error: envelopeOf(error) });
    }
  },
  ejectDrive(path) {
    return ejectDriveInto(path, get, set, requireClient);
  },
  reset() {
    set({ ...initial, ...defaultsOf(useSettings.getState().saved) });
  },
  prefill(form) {
    set({ ...initial, ...defaultsOf(useSettings.getState().saved), ...form, ...('archive' in form || 'partSize' in form ? { optionsTouched: true } : {}) });
  },
}));
