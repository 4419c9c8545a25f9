/**
 * What a front end hands a long use case: the cancel signal and the progress
 * tracker it shows. The tracker turns engine events into throttled snapshots
 * the same way for the CLI's progress line and the app's progress events.
 */
import { ProgressTracker, PROGRESS_INTERVAL_MS } from '../transfer/progress.ts';

/** The handles a long use case gets from its front end; both are optional for callers that show nothing. */
export interface JobContext {
  signal?: AbortSignal;
  tracker?: ProgressTracker;
}

// Front ends build trackers without reaching below the use-case layer.
export { ProgressTracker, PROGRESS_INTERVAL_MS };
