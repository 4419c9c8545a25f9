/**
 * What every long CLI job needs around its use case: progress on stderr, and
 * Ctrl-C turned into a cancel that leaves the work resumable.
 */
import { setMaxListeners } from 'node:events';
import { FerryError } from '../../src-shared/errors.ts';
import { ProgressTracker } from '../usecases/job-context.ts';
import { ProgressRenderer } from './progress.ts';

/** The handles a job body gets. */
export interface CliJob {
  signal: AbortSignal;
  tracker: ProgressTracker;
  /** Clears the progress line before the body prints its summary. */
  endProgress: () => void;
}

/** Runs `body` as a cancellable job named `name` (used in the cancel message). */
export async function runJob<T>(name: string, err: NodeJS.WritableStream, body: (job: CliJob) => Promise<T>): Promise<T> {
  const progress = new ProgressRenderer(err);
  const tracker = new ProgressTracker(progress.onEvent);
  const controller = new AbortController();
  // One signal is shared by every request and backoff of the job: hundreds of listeners are expected, not a leak.
  setMaxListeners(0, controller.signal);
  const stop = (): void => controller.abort(new FerryError('CANCELLED', `${name} cancelled; run the same command again to resume`));
  process.once('SIGINT', stop);
  try {
    return await body({
      signal: controller.signal,
      tracker,
      endProgress: () => {
        tracker.setPhase('done');
        progress.close();
      },
    });
  } finally {
    process.removeListener('SIGINT', stop);
    progress.close();
  }
}
