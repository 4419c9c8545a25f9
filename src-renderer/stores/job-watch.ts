/** Waiting for a job to end, through the jobs store (which the events feed), so wizards never poll. */
import { jobOfKind, type JobKind, type JobStateOf } from '../../src-shared/api/contract.ts';
import { ApiError } from '../api/client.ts';
import { useJobs } from './jobs-store.ts';

/**
 * Resolves with the job's final state, typed for the kind the wizard started
 * (so a succeeded job's `result` is that kind's), once `job:state` reports it
 * ended, even if that event came first. Rejects if the id names a job of
 * another kind.
 */
export function whenJobEnds<K extends JobKind>(jobId: string, kind: K): Promise<JobStateOf<K>> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const job = useJobs.getState().jobs[jobId];
      if (!job || job.status === 'running') return false;
      const typed = jobOfKind(job, kind);
      if (typed) resolve(typed);
      else reject(new ApiError({ code: 'INTERNAL', message: `job ${jobId} is a ${job.kind} job, not the ${kind} job that was started` }));
      return true;
    };
    if (check()) return;
    const off = useJobs.subscribe(() => {
      if (check()) off();
    });
  });
}
