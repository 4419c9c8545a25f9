/** A job's progress: bar, bytes, blobs, rate and time left, from `job:progress` events; one bar per image from `job:blobs`. */
import { useMemo } from 'react';
import { imagePercent, jobPercent, useJobs } from '../stores/jobs-store.ts';
import { formatBytes, formatEta, formatRate } from '../../src-shared/units.ts';

/** One image of the job, as the plan or the inspection lists it. */
export interface ProgressImage {
  name: string;
  /** Config and layer digests the job moves. */
  blobs: readonly string[];
  size: number;
  /** Bytes of the image an incremental bundle left out: never moved, so not part of its bar. */
  omittedBytes?: number;
}

/** The status line in words: a job that ended says only how it ended; a running one says what it is doing. */
export function statusWords(status: string | undefined, phase: string | undefined): string {
  switch (status) {
    case 'succeeded':
      return 'Finished';
    case 'failed':
      return 'Stopped by an error';
    case 'cancelled':
      return 'Cancelled';
    case undefined:
      return 'Starting';
    default:
      return phase === 'planning' ? 'Planning' : phase === 'verifying' ? 'Checking' : phase === 'checking-registry' ? 'Checking the registry' : phase === 'done' ? 'Finishing' : 'Copying';
  }
}

/** Per-image bars shown at most; the rest is summed up in a note, so a huge set stays cheap to render. */
export const MAX_IMAGE_BARS = 200;

/** Progress of one job, labelled so the bar has an accessible name; with `images`, a labelled bar per image under it. */
export function JobProgressView({ jobId, label, images }: { jobId: string | null; label: string; images?: readonly ProgressImage[] }) {
  const job = useJobs((s) => (jobId ? s.jobs[jobId] : undefined));
  const progress = useJobs((s) => (jobId ? s.progress[jobId] : undefined));
  const states = useJobs((s) => (jobId ? s.blobs[jobId] : undefined));
  const succeeded = job?.status === 'succeeded';
  const shown = useMemo(
    () =>
      (images ?? []).slice(0, MAX_IMAGE_BARS).map((image) => ({
        name: image.name,
        percent: succeeded ? 100 : imagePercent(image.blobs, states, image.size, image.omittedBytes),
        size: image.size - (image.omittedBytes ?? 0),
      })),
    [images, states, succeeded],
  );
  const done = job !== undefined && job.status !== 'running';
  const total = progress?.totalBytes ?? 0;
  const complete = done && job.status === 'succeeded' ? total : (progress?.completeBytes ?? 0);
  const percent = jobPercent(job, progress);
  return (
    <section className="progress" aria-label={label}>
      <progress max={100} value={percent} aria-label={`${label}: ${percent}%`} />
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>{statusWords(job?.status, progress?.phase)}</dd>
        </div>
        <div>
          <dt>Done</dt>
          <dd>
            {percent}% · {formatBytes(complete)} of {formatBytes(total)}
          </dd>
        </div>
        <div>
          <dt>Blobs</dt>
          {/* Before the plan counts them (a verification pass, the planning), there is no total to show. */}
          <dd>{progress && progress.blobsTotal > 0 ? `${progress.blobsDone} of ${progress.blobsTotal}` : '—'}</dd>
        </div>
        <div>
          <dt>Rate</dt>
          <dd>{progress && !done ? formatRate(progress.bytesPerSecond) : '—'}</dd>
        </div>
        <div>
          <dt>Time left</dt>
          <dd>{done ? formatEta(0) : progress ? formatEta(progress.etaSeconds) : '—'}</dd>
        </div>
      </dl>
      {shown.length > 0 && (
        // A scroll box of its own, so a 200-image job keeps the totals and the cancel button in view; focusable for keyboard scrolling.
        <div className="image-progress-scroll" role="region" aria-label={`${label} by image, scrollable`} tabIndex={0}>
          <ul className="image-progress" aria-label={`${label} by image`}>
            {shown.map((image) => (
              <li key={image.name}>
                <span className="mono">{image.name}</span>
                <progress max={100} value={image.percent} aria-label={`${image.name}: ${image.percent}%`} />
                <span className="num">
                  {image.percent}% · {formatBytes(Math.round((image.size * image.percent) / 100))} of {formatBytes(image.size)}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {images && images.length > MAX_IMAGE_BARS && (
        <p className="hint">
          Showing the first {MAX_IMAGE_BARS} of {images.length} images; the overall bar counts them all.
        </p>
      )}
    </section>
  );
}
