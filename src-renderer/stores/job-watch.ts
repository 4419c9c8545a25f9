/** Waiting for a job to end, through the jobs store (which the events feed), so wizards never poll. */
import type { JobState } from '../../src-shared/api/contract.ts';
import { useJobs } from './jobs-store.ts';

/** Resolves with the job's final state once `job:state` reports it ended, even if that event came first. */
export function whenJobEnds(jobId: string): Promise<JobState> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const job = useJobs.getState().jobs[jobId];
      if (job && job.status !== 'running') {
        resolve(job);
        return true;
      }
      return false;
    };
    if (check()) return;
    const off = useJobs.subscribe(() => {
      if (check()) off();
    });
  });
}
