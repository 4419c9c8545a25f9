/** The jobs of this session as a table: what each is, how it ended (a verify's verdict, not only its run), and how far it got. */
import type { JobState } from '../../src-shared/api/contract.ts';
import { nextStepFor } from '../api/explain.ts';
import { formatBytes, formatCount, formatDuration } from '../format.ts';
import { jobPercent, useJobs } from '../stores/jobs-store.ts';

/** A job's kind as a person says it. */
const KIND_WORDS: Record<JobState['kind'], string> = { export: 'Export', import: 'Import', verify: 'Verify' };

/** Problems a verify report found, over all its checks (at least one when it failed). */
function problemCount(checks: ReadonlyArray<{ ok: boolean; problems: string[] }>): number {
  const listed = checks.reduce((sum, check) => sum + check.problems.length, 0);
  return Math.max(listed, checks.filter((check) => !check.ok).length, 1);
}

/**
 * How a job stands, in words: a verify that ran to the end is "Verified" or
 * "Failed verification: N problems" (the job's outcome and the bundle's
 * verdict are different things), an export or import says what it did, a
 * failure says what to do next. `tone` colours the cell.
 */
export function jobOutcome(job: JobState): { text: string; detail?: string; tone: 'ok' | 'bad' | 'neutral' } {
  switch (job.status) {
    case 'running':
      return { text: 'Running', tone: 'neutral' };
    case 'cancelled':
      return { text: 'Cancelled', tone: 'neutral' };
    case 'failed':
      return { text: 'Failed', detail: `${job.error.message} ${nextStepFor(job.error)}`, tone: 'bad' };
    case 'succeeded':
      break;
  }
  switch (job.kind) {
    case 'verify':
      return job.result.ok
        ? { text: 'Verified', detail: `${formatCount(job.result.images, 'image')}, ${formatBytes(job.result.bytes)}`, tone: 'ok' }
        : { text: `Failed verification: ${formatCount(problemCount(job.result.checks), 'problem')}`, detail: 'Do not import this bundle; export it again on the connected side.', tone: 'bad' };
    case 'export':
      return {
        text: job.result.alreadyComplete ? 'Exported (already complete)' : 'Exported',
        detail: `${formatCount(job.result.images, 'image')}, ${formatBytes(job.result.bytes)} in ${formatDuration(job.result.seconds)}`,
        tone: 'ok',
      };
    case 'import':
      return { text: 'Imported', detail: `${formatCount(job.result.images.length, 'image')}, ${formatBytes(job.result.bytesPushed)} sent in ${formatDuration(job.result.seconds)}`, tone: 'ok' };
  }
}

/** Jobs newest first, live from the jobs store (events only); each bar is named after its job. */
export function JobsTable({ caption, limit }: { caption: string; limit?: number }) {
  const order = useJobs((s) => s.order);
  const jobs = useJobs((s) => s.jobs);
  const progress = useJobs((s) => s.progress);
  const ids = limit === undefined ? order : order.slice(0, limit);
  if (ids.length === 0) return <p>No jobs yet in this session.</p>;
  return (
    <table className="jobs">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Kind</th>
          <th scope="col">Outcome</th>
          <th scope="col">Progress</th>
        </tr>
      </thead>
      <tbody>
        {ids.map((id) => {
          const job = jobs[id];
          if (!job) return null;
          const percent = jobPercent(job, progress[id]);
          const outcome = jobOutcome(job);
          return (
            <tr key={id}>
              <td className="mono">{job.title}</td>
              <td>{KIND_WORDS[job.kind]}</td>
              <td className={`outcome outcome-${outcome.tone}`}>
                <strong>{outcome.text}</strong>
                {outcome.detail && <span className="outcome-detail">{outcome.detail}</span>}
              </td>
              <td className="num">
                <progress max={100} value={percent} aria-label={`${job.title}: ${percent}%`} /> {percent}%
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
