/** Long jobs as the engine reports them: state and progress by job id, fed only by events. */
import { create } from 'zustand';
import type { ApiClient, JobState } from '../../src-shared/api/contract.ts';
import type { JobProgress } from '../../src-shared/model/progress.ts';

/** The jobs store: every job seen this session, updated by `job:state` and `job:progress`. */
export interface JobsStore {
  jobs: Record<string, JobState>;
  progress: Record<string, JobProgress>;
  /** Job ids, newest first, for lists (the Start screen). */
  order: string[];
  /** Subscribes to job events once; returns the unsubscribe for tests. */
  init(client: ApiClient): () => void;
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

/** Hook and store of jobs. */
export const useJobs = create<JobsStore>()((set) => ({
  jobs: {},
  progress: {},
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
      unsubscribe = null;
    };
    return unsubscribe;
  },
}));
