/**
 * Long jobs (export, import, verify) as tasks, the way Podman Desktop runs
 * them: an id, a title, a status, a cancel (AbortController) and throttled
 * progress (ProgressTracker), announced through `job:state` and `job:progress`,
 * and batched per-blob states (BlobBatcher) through `job:blobs`.
 */
import { randomUUID } from 'node:crypto';
import { anyJobState, type JobKind, type JobResults, type JobState, type JobStateOf } from '../../src-shared/api/jobs.ts';
import { FerryError, toErrorEnvelope } from '../../src-shared/errors.ts';
import type { BlobProgress } from '../../src-shared/model/oci.ts';
import { PROGRESS_INTERVAL_MS, ProgressTracker } from '../usecases/job-context.ts';
import type { EventHub } from './events.ts';

/** What a job body gets. */
export interface JobContext {
  signal: AbortSignal;
  tracker: ProgressTracker;
}

/**
 * Batches a job's blob events into `job:blobs`: at most one event per
 * PROGRESS_INTERVAL_MS, carrying only the latest state of each blob that
 * changed since the previous one, so a 10,000-blob job cannot flood the UI.
 */
export class BlobBatcher {
  private readonly pending = new Map<string, BlobProgress>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly send: (blobs: BlobProgress[]) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  /** Records a blob's state; sends when the interval allows, else schedules one send. */
  readonly add = (progress: BlobProgress): void => {
    this.pending.set(progress.digest, { digest: progress.digest, state: progress.state, complete: progress.complete, total: progress.total });
    if (this.timer !== undefined) return;
    const wait = this.lastFlush + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  };

  /** Sends what is pending now (also at the job's end, before its final state). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    this.lastFlush = Date.now();
    const blobs = [...this.pending.values()];
    this.pending.clear();
    this.send(blobs);
  }
}

/** Finished jobs kept for `job:list`; older ones are dropped so a long session stays small. */
const KEEP_FINISHED = 100;

/** The jobs of one service. */
export class JobRunner {
  private readonly jobs = new Map<string, { state: () => JobState; controller: AbortController; done: Promise<void> }>();

  constructor(private readonly events: EventHub) {}

  /** Starts `body` in the background and returns its id at once; the body must end with the result of its kind (JobResults). */
  start<K extends JobKind>(kind: K, title: string, body: (context: JobContext) => Promise<JobResults[K]>): string {
    const id = randomUUID();
    const controller = new AbortController();
    let state: JobStateOf<K> = { id, kind, title, status: 'running', progress: null };
    const batcher = new BlobBatcher((blobs) => this.events.emit('job:blobs', { jobId: id, blobs }));
    const tracker = new ProgressTracker(
      (event) => {
        if (event.type !== 'progress') return;
        state.progress = event.progress;
        this.events.emit('job:progress', { jobId: id, progress: event.progress });
      },
      Date.now,
      kind === 'verify' ? undefined : batcher.add,
    );
    const entry = { state: (): JobState => anyJobState<K>({ ...state }), controller, done: Promise.resolve() };
    this.jobs.set(id, entry);
    this.events.emit('job:state', entry.state());
    entry.done = (async () => {
      try {
        // Yield once, so the caller has the id before the first event of the body.
        await Promise.resolve();
        const result = await body({ signal: controller.signal, tracker });
        tracker.setPhase('done');
        state = { id, kind, title, progress: state.progress, status: 'succeeded', result };
      } catch (error) {
        const envelope = toErrorEnvelope(error);
        const status = controller.signal.aborted || envelope.code === 'CANCELLED' ? 'cancelled' : 'failed';
        state = { id, kind, title, progress: state.progress, status, error: envelope };
      }
      batcher.flush();
      this.events.emit('job:state', entry.state());
      this.prune();
    })();
    return id;
  }

  /** Asks a running job to stop; the work it did stays resumable. */
  cancel(id: string): boolean {
    const entry = this.jobs.get(id);
    const state = entry?.state();
    if (!entry || state?.status !== 'running') return false;
    entry.controller.abort(new FerryError('CANCELLED', `${state.kind} cancelled; run it again to resume`));
    return true;
  }

  /** Every job of this session, newest first. */
  list(): JobState[] {
    return [...this.jobs.values()].map((entry) => entry.state()).reverse();
  }

  /** Resolves when the job has ended (tests, shutdown). */
  async settled(id: string): Promise<JobState | undefined> {
    const entry = this.jobs.get(id);
    if (!entry) return undefined;
    await entry.done;
    return entry.state();
  }

  /** Cancels every running job and waits for each to end. */
  async stopAll(): Promise<void> {
    for (const id of this.jobs.keys()) this.cancel(id);
    await Promise.all([...this.jobs.values()].map((entry) => entry.done));
  }

  private prune(): void {
    const finished = [...this.jobs.entries()].filter(([, entry]) => entry.state().status !== 'running');
    for (const [id] of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(id);
  }
}
