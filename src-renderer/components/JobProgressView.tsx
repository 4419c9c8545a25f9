/** A job's progress: bar, bytes, blobs, rate and time left, from `job:progress` events. */
import { jobPercent, useJobs } from '../stores/jobs-store.ts';
import { formatBytes, formatEta, formatRate } from '../format.ts';

/** Progress of one job, labelled so the bar has an accessible name. */
export function JobProgressView({ jobId, label }: { jobId: string | null; label: string }) {
  const job = useJobs((s) => (jobId ? s.jobs[jobId] : undefined));
  const progress = useJobs((s) => (jobId ? s.progress[jobId] : undefined));
  const done = job !== undefined && job.status !== 'running';
  const total = progress?.totalBytes ?? 0;
  const complete = done && job.status === 'succeeded' ? total : (progress?.completeBytes ?? 0);
  const percent = jobPercent(job, progress);
  return (
    <section className="progress" aria-label={label}>
      <progress max={100} value={percent} aria-label={`${label}: ${percent}%`} />
      <dl className="facts">
        <div><dt>Status</dt><dd>{job?.status ?? 'starting'}{progress ? ` · ${progress.phase}` : ''}</dd></div>
        <div><dt>Done</dt><dd>{percent}% · {formatBytes(complete)} of {formatBytes(total)}</dd></div>
        <div><dt>Blobs</dt><dd>{progress ? `${progress.blobsDone} of ${progress.blobsTotal}` : '—'}</dd></div>
        <div><dt>Rate</dt><dd>{progress ? formatRate(progress.bytesPerSecond) : '—'}</dd></div>
        <div><dt>Time left</dt><dd>{done ? '0 s' : formatEta(progress?.etaSeconds)}</dd></div>
      </dl>
    </section>
  );
}
