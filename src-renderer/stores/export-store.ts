/** The export wizard: what to carry, the plan, where to write it, the run and its verification. */
import { create } from 'zustand';
import type { ApiClient, ExportInput, ExportPlanResult, JobState, RegistryAccessInput, VerifyResult } from '../../src-shared/api/contract.ts';
import type { ErrorEnvelope } from '../../src-shared/errors.ts';
import { envelopeOf } from '../api/explain.ts';
import { parseReferences } from '../format.ts';
import { whenJobEnds } from './job-watch.ts';

/** The wizard's steps, in order. */
export const EXPORT_STEPS = ['what', 'plan', 'where', 'run', 'done'] as const;
/** One step of the export wizard. */
export type ExportStep = (typeof EXPORT_STEPS)[number];

/** Access to the source registries, as the "what" step collects it. */
export interface AccessForm {
  plainHttp: boolean;
  tlsVerify: boolean;
  username: string;
  password: string;
}

/** The fields the user edits. */
export interface ExportForm {
  referencesText: string;
  access: AccessForm;
  target: string;
  archive: boolean;
  partSize: string;
}

/** The export wizard's store. */
export interface ExportStore extends ExportForm {
  step: ExportStep;
  busy: boolean;
  error: ErrorEnvelope | null;
  plan: ExportPlanResult | null;
  jobId: string | null;
  job: JobState | null;
  verifyJobId: string | null;
  verify: VerifyResult | null;
  verifyError: ErrorEnvelope | null;
  init(client: ApiClient): void;
  set(patch: Partial<ExportForm>): void;
  setAccess(patch: Partial<AccessForm>): void;
  goTo(step: ExportStep): void;
  planExport(): Promise<void>;
  run(): Promise<void>;
  cancel(): Promise<void>;
  reset(): void;
}

let client: ApiClient | null = null;

/** Registry access as the contract takes it; empty credentials are left out. */
export function accessInput(form: AccessForm): RegistryAccessInput {
  const access: RegistryAccessInput = { plainHttp: form.plainHttp, tlsVerify: form.tlsVerify };
  if (form.username) access.username = form.username;
  if (form.password) access.password = form.password;
  return access;
}

function input(s: ExportForm): ExportInput {
  const value: ExportInput = { references: parseReferences(s.referencesText), target: s.target.trim(), archive: s.archive, registry: accessInput(s.access) };
  if (s.archive && s.partSize.trim()) value.partSize = s.partSize.trim();
  return value;
}

const initial = {
  step: 'what' as ExportStep,
  referencesText: '',
  access: { plainHttp: false, tlsVerify: true, username: '', password: '' },
  target: '',
  archive: false,
  partSize: '',
  busy: false,
  error: null,
  plan: null,
  jobId: null,
  job: null,
  verifyJobId: null,
  verify: null,
  verifyError: null,
};

function requireClient(): ApiClient {
  if (!client) throw new Error('the export store was used before init(client)');
  return client;
}

/** Hook and store of the export wizard. */
export const useExport = create<ExportStore>()((set, get) => ({
  ...initial,
  init(api) {
    client = api;
  },
  set(patch) {
    set(patch);
  },
  setAccess(patch) {
    set((s) => ({ access: { ...s.access, ...patch } }));
  },
  goTo(step) {
    set({ step, error: null });
  },
  async planExport() {
    const api = requireClient();
    if (parseReferences(get().referencesText).length === 0) {
      set({ error: { code: 'INVALID_ARGUMENT', message: 'Enter at least one image reference, one per line.' } });
      return;
    }
    set({ busy: true, error: null });
    try {
      const plan = await api['export:plan'](input(get()));
      set({ plan, busy: false, step: 'plan' });
    } catch (error) {
      set({ busy: false, error: envelopeOf(error) });
    }
  },
  async run() {
    const api = requireClient();
    if (!get().target.trim()) {
      set({ error: { code: 'INVALID_ARGUMENT', message: 'Choose a drive or type the folder to write the bundle to.' } });
      return;
    }
    set({ busy: true, error: null, job: null, verify: null, verifyError: null });
    try {
      const { jobId } = await api['export:run'](input(get()));
      set({ jobId, busy: false, step: 'run' });
      const job = await whenJobEnds(jobId);
      set({ job });
      if (job.status !== 'succeeded') return;
      // The run step stays on screen at 100% until the user moves on; verification starts meanwhile.
      const verify = await api['bundle:verify']({ bundle: get().target.trim() });
      set({ verifyJobId: verify.jobId });
      const verified = await whenJobEnds(verify.jobId);
      if (verified.status === 'succeeded') set({ verify: verified.result as VerifyResult });
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
  reset() {
    set(initial);
  },
}));
