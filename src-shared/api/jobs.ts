/**
 * Long jobs in the contract (export, import, verify): what each kind ends
 * with, and a job's state typed per kind, so a front end reads a finished
 * export's bundle or a verify report without a cast.
 */
import type { ErrorEnvelope } from '../errors.ts';
import type { BundleManifest, BundleSkipped } from '../model/bundle.ts';
import type { ListedContent } from '../model/content-kind.ts';
import type { JobProgress } from '../model/progress.ts';
import type { TrustReport } from '../model/trust.ts';
import type { ExportSkippedResult } from './wizards.ts';

/** The verify report, as `ferry verify --json` prints it. */
export interface VerifyResult {
  ok: boolean;
  checks: Array<{ id: string; title: string; ok: boolean; problems: string[] }>;
  images: number;
  blobs: number;
  bytes: number;
  /** When it passed: images, files, charts and package repositories, with their sizes. */
  contents?: ListedContent[];
  /** When it passed: who signed, approved or rejected the bundle (and the policy's verdict when the site has one). */
  trust?: TrustReport;
  /** A partial bundle: the references its export skipped, with their reasons (it does not carry them). */
  skipped?: BundleSkipped[];
}

/** What a verify job answers when it ends: the report, for the bundle (or plain OCI layout) it read. */
export interface VerifyJobResult extends VerifyResult {
  /** The folder verified, absolute. */
  bundle: string;
  /** Absent for a plain OCI layout or a bundle whose ferry.json could not be read. */
  bundleId?: string;
  form?: BundleManifest['form'] | 'oci-layout';
}

/** What an export job answers when it ends (`skipped` and `carried`: what a keep-going export left out). */
export interface ExportJobResult extends Partial<ExportSkippedResult> {
  /** Absent only when the export wrote no ferry.json (it always does unless it failed). */
  bundleId?: string;
  /** The bundle folder, absolute. */
  bundle: string;
  form?: BundleManifest['form'];
  /** Why that form was chosen (the file system of the target, or the user's choice). */
  formReason?: string;
  images: number;
  blobs: number;
  bytes: number;
  parts: number;
  /** True when the target already held this exact bundle, so nothing was written. */
  alreadyComplete: boolean;
  seconds: number;
}

/** One image an import pushed: its name in the bundle, where it came from and where it went. */
export interface ImportedImage {
  name: string;
  source: string;
  destination: string;
  digest: string;
}

/** How an import's blobs reached the target: copied, already there, or mounted from another repository. */
export interface BlobCounts {
  copied: number;
  skipped: number;
  mounted: number;
}

/** What an import job answers when it ends. */
export interface ImportJobResult {
  bundleId?: string;
  /** The target registry (and prefix) as pushed to. */
  target: string;
  images: ImportedImage[];
  blobs: BlobCounts;
  bytesPushed: number;
  manifestsPushed: number;
  /** The receipt file written beside the bundle, to carry back to the connected side. */
  receipt: string;
  seconds: number;
  /** The site the import was recorded for, with what its receipts now say it holds (issue 17: which site has what). */
  site?: ImportedSite;
  /** A partial bundle: the references its export skipped, with their reasons (not carried, so not imported). */
  skippedAtExport?: BundleSkipped[];
}

/** One site's totals after an import, from its receipts in the catalog. */
export interface ImportedSite {
  name: string;
  /** Distinct images (source reference and digest) the site's registry holds. */
  images: number;
  /** Distinct blob and manifest digests, and the bytes of those the catalog knows the size of. */
  blobs: number;
  bytes: number;
  /** Imports recorded for the site, this one included. */
  imports: number;
}

/** Each kind of long job and the result it ends with: the one table the job types below derive from. */
export interface JobResults {
  export: ExportJobResult;
  import: ImportJobResult;
  verify: VerifyJobResult;
}

/** A long job's kind. */
export type JobKind = keyof JobResults;

/** Where a job stands. */
export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What every job state has, whatever its kind and status. */
interface JobBase<K extends JobKind> {
  id: string;
  kind: K;
  title: string;
  progress: JobProgress | null;
}

/**
 * A job's state for kind K: the result is there exactly when the job
 * succeeded, the error exactly when it failed or was cancelled (the
 * `?: undefined` members let a screen read `job.error` without first
 * narrowing the status). Written as a mapped type indexed by K, so that for
 * a generic K it is one object type (what a job runner builds) and for the
 * union of kinds it is the union of each kind's states.
 */
export type JobStateOf<K extends JobKind> = {
  [P in K]: JobBase<P> &
    (
      | { status: 'running'; result?: undefined; error?: undefined }
      | { status: 'succeeded'; result: JobResults[P]; error?: undefined }
      | { status: 'failed' | 'cancelled'; result?: undefined; error: ErrorEnvelope }
    );
}[K];

/** A long job's state, as `job:state` events and `job:list` report it; narrow `kind` and `status` to read `result`. */
export type JobState = JobStateOf<JobKind>;

/**
 * Per kind, the two ways between a generic kind's state and the union:
 * TypeScript relates a `JobStateOf<K>` to `JobState` only through a table
 * keyed by kind (microsoft/TypeScript#47109), which keeps both cast-free.
 */
const BY_KIND: { [K in JobKind]: { widen(state: JobStateOf<K>): JobState; narrow(state: JobState): JobStateOf<K> | undefined } } = {
  export: { widen: (state) => state, narrow: (state) => (state.kind === 'export' ? state : undefined) },
  import: { widen: (state) => state, narrow: (state) => (state.kind === 'import' ? state : undefined) },
  verify: { widen: (state) => state, narrow: (state) => (state.kind === 'verify' ? state : undefined) },
};

/** A job state of a known kind as the contract's `JobState` (what events carry). */
export function anyJobState<K extends JobKind>(state: JobStateOf<K>): JobState {
  return BY_KIND[state.kind].widen(state);
}

/** The job's state typed for `kind` (its `result` then is that kind's), or undefined when the job is of another kind. */
export function jobOfKind<K extends JobKind>(state: JobState, kind: K): JobStateOf<K> | undefined {
  return BY_KIND[kind].narrow(state);
}
