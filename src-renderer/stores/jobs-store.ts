/** Long jobs as the engine reports them: state and progress by job id, fed only by events. */
import { create } from 'zustand';
import type { ApiClient, JobState } from '../../src-shared/api/contract.ts';
import type { JobProgress } from '../../src-shared/model/progress.ts';

/** The jobs store: every job seen this session, updated by `job:state` and `job:progress`. */
export interface JobsStore {
  jobs: Record<string, JobState>;
  progress: Record<string, JobProgress>;
  /** Subscribes to job events once; returns the unsubscribe for tests. */
  init(client: ApiClient): () => void;
}

let unsubscribe: (() => void) | null = null;

/** Hook and store of jobs. */
export const useJobs = create<JobsStore>()((set) => ({
  jobs: {},
  progress: {},
  init(client) {
    if (unsubscribe) return unsubscribe;
    const offState = client.on('job:state', (job) => {
      set((s) => ({
        jobs: { ...s.jobs, [job.id]: job },
        progress: job.progress ? { ...s.progress, [job.id]: job.progress } : s.progress,
      }));
    });
    const offProgress = client.on('job:progress', ({ jobId, progress }) => {
      set((s) => ({ progress: { ...s.progress, [jobId]: progress } }));
    });
    // One read of jobs already running (for example after a reload); events keep it current, no polling.
    void client['job:list']({}).then(
      (list) => set((s) => ({ jobs: { ...Object.fromEntries(list.map((j) => [j.id, j])), ...s.jobs } })),
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
