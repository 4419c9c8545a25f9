/** Long jobs as the engine reports them: state and progress by job id, fed only by events. */
import { create } from 'zustand';
import type { ApiClient, JobState } from '../../src-shared/api/contract.ts';
import type { BlobProgress } from '../../src-shared/model/oci.ts';
import type { JobProgress } from '../../src-shared/model/progress.ts';

/** Blob states are kept for this many jobs at most (the newest); older jobs keep only their overall progress. */
export const BLOB_JOBS_KEPT = 4;

/** The jobs store: every job seen this session, updated by `job:state` and `job:progress`. */
export interface JobsStore {
  jobs: Record<string, JobState>;
  progress: Record<string, JobProgress>;
  /** The latest state of each blob, by job id then digest, from `job:blobs` (bounded: one Map per job, BLOB_JOBS_KEPT jobs). */
  blobs: Record<string, ReadonlyMap<string, BlobProgress>>;
  /** Job ids, newest first, for lists (the Start screen). */
  order: string[];
  /** Subscribes to job events once; returns the unsubscribe for tests. */
  init: (client: ApiClient) => () => void;
}

let unsubscribe: (() => void) | null = null;

/** How far a job is, in whole percent: a finished job is 100%, an unknown total 0%. */
export function jobPercent(job: JobState | undefined, progress: JobProgress | undefined): number {
  const done = job !== undefined && job.status !== 'running';
  const total = progress?.totalBytes ?? 0;
  const complete = done && job.status === 'succeeded' ? total : (progress?.completeBytes ?? 0);
  if (total > 0) return Math.min(100, Math.round((complete / total) * 100));
  return done && job.status === 'succeeded' ? 100 : 0;
}

/** A blob that is on the other side: copied, or already there (skipped, mounted). */
export function blobDone(state: BlobProgress['state'] | undefined): boolean {
  return state === 'finished' || state === 'skipped' || state === 'mounted';
}

/**
 * How far one image is, in whole percent, from the states of its blobs:
 * done blobs (already there included) count in full, running ones by their
 * bytes. Blobs not reported yet count with their size unknown, so `size`
 * (the image's bytes from the plan) less `omittedBytes` (what an incremental
 * bundle leaves out and never moves) is the floor of the total. An image
 * whose blobs were all left out is complete from the start.
 */
export function imagePercent(blobs: readonly string[], states: ReadonlyMap<string, BlobProgress> | undefined, size: number, omittedBytes = 0): number {
  if (blobs.length === 0) return omittedBytes > 0 ? 100 : 0;
  let complete = 0;
  let known = 0;
  let done = 0;
  for (const digest of blobs) {
    const state = states?.get(digest);
    if (!state) continue;
    known += state.total;
    if (blobDone(state.state)) {
      complete += state.total;
      done += 1;
    } else if (state.state !== 'failed') {
      complete += state.complete;
    }
  }
  if (done === blobs.length) return 100;
  const total = Math.max(known, size - omittedBytes);
  return total > 0 ? Math.min(99, Math.floor((complete / total) * 100)) : 0;
}

/** Merges a `job:blobs` batch into the job's Map (a new Map, so subscribers see the change), dropping the oldest jobs' Maps. */
function mergeBlobs(all: JobsStore['blobs'], jobId: string, batch: readonly BlobProgress[]): JobsStore['blobs'] {
  const states = new Map(all[jobId]);
  for (const blob of batch) states.set(blob.digest, blob);
  const { [jobId]: _previous, ...others } = all;
  const kept = Object.entries(others).slice(-(BLOB_JOBS_KEPT - 1));
  return { ...Object.fromEntries(kept), [jobId]: states };
}

/** Hook and store of jobs. */
export const useJobs = create<JobsStore>()((set) => ({
  jobs: {},
  progress: {},
  blobs: {},
  order: [],
  init(client) {
    if (unsubscribe) return unsubscribe;
    const offState = client.on('job:state', (job) => {
      set((s) => ({
        jobs: { ...s.jobs, [job.id]: job },
        progress: job.progress ? { ...s.progress, [job.id]: job.progress } : s.progress,
        order: s.order.includes(job.id) ? s.order : [job.id, ...s.order],
      }));
    });
    const offProgress = client.on('job:progress', ({ jobId, progress }) => {
      set((s) => ({ progress: { ...s.progress, [jobId]: progress } }));
    });
    const offBlobs = client.on('job:blobs', ({ jobId, blobs }) => {
      set((s) => ({ blobs: mergeBlobs(s.blobs, jobId, blobs) }));
    });
    // One read of jobs already running (for example after a reload); events keep it current, no polling.
    void client['job:list']({}).then(
      (list) =>
        set((s) => ({
          jobs: { ...Object.fromEntries(list.map((j) => [j.id, j])), ...s.jobs },
          progress: { ...Object.fromEntries(list.flatMap((j) => (j.progress ? [[j.id, j.progress]] : []))), ...s.progress },
          // Jobs announced by events while the list was on its way are newer than every listed one.
          order: [...s.order, ...list.map((j) => j.id).filter((id) => !s.order.includes(id))],
        })),
      () => undefined,
    );
    unsubscribe = () => {
      offState();
      offProgress();
      offBlobs();
      unsubscribe = null;
    };
    return unsubscribe;
  },
}));
