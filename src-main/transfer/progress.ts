/**
 * Turns the stream of per-blob events into throttled job snapshots with a rate
 * and an ETA, so every front end shows the same numbers without doing maths.
 */
import type { BlobProgress } from '../../src-shared/model/oci.ts';
import type { JobProgress, TransferEvent } from '../../src-shared/model/progress.ts';

/** Snapshots at most this often: smooth for people, cheap for IPC. */
export const PROGRESS_INTERVAL_MS = 250;
/** The rate is averaged over this window, so a stall shows quickly but one slow blob does not swing it. */
const RATE_WINDOW_MS = 5_000;

/** Aggregates blob events and emits `progress` events no more often than PROGRESS_INTERVAL_MS. */
export class ProgressTracker {
  private readonly perBlob = new Map<string, number>();
  private doneBytes = 0;
  private blobsDone = 0;
  private totalBytes = 0;
  private blobsTotal = 0;
  private phase: JobProgress['phase'] = 'planning';
  /** Bytes a verification pass has read, while one runs before any blob moves; undefined otherwise. */
  private verifiedBytes: number | undefined;
  private lastEmit = 0;
  /**
   * Bytes this run did not move: blobs already at the destination (skipped,
   * mounted) and the part of a resumed blob written before. The rate counts
   * only bytes moved in this run, so a resume does not show the bytes it found.
   */
  private foundBytes = 0;
  /** Bytes each blob had when it first showed up (a resumed partial write starts above 0). */
  private readonly startedAt = new Map<string, number>();
  private readonly samples: Array<{ at: number; bytes: number }> = [];

  /** `onBlob` sees every blob event, `active` ones included (the service batches them into `job:blobs`). */
  constructor(
    private readonly emit: (event: TransferEvent) => void,
    private readonly now: () => number = Date.now,
    private readonly onBlobEvent?: (progress: BlobProgress) => void,
  ) {}

  /** Feeds an engine event; passes it on and adds a throttled snapshot when due. */
  readonly onEvent = (event: TransferEvent): void => {
    if (event.type === 'planned') {
      // A keep-going export that dropped images plans again and reports every blob it still holds: count afresh.
      this.perBlob.clear();
      this.startedAt.clear();
      this.samples.length = 0;
      this.doneBytes = 0;
      this.blobsDone = 0;
      this.foundBytes = 0;
      this.verifiedBytes = undefined;
      this.totalBytes = event.bytes;
      this.blobsTotal = event.blobs;
      this.phase = 'transferring';
    } else if (event.type === 'blob') {
      this.onBlob(event.progress);
      this.onBlobEvent?.(event.progress);
    }
    if (event.type !== 'blob' || event.progress.state !== 'active') this.emit(event);
    this.maybeSnapshot(false);
  };

  /** Marks a new phase (verifying, done) and emits a snapshot at once. */
  setPhase(phase: JobProgress['phase']): void {
    this.phase = phase;
    this.maybeSnapshot(true);
  }

  /**
   * Progress of a verification pass that runs before anything moves (verify
   * jobs, the check an import makes first): bytes read of bytes to read, with
   * the same throttle, rate and ETA as transfers. The next `planned` event ends it.
   */
  verifying(read: number, total: number): void {
    this.phase = 'verifying';
    this.verifiedBytes = read;
    this.totalBytes = total;
    this.maybeSnapshot(false);
  }

  /** The current numbers. */
  snapshot(): JobProgress {
    let complete = this.verifiedBytes ?? this.doneBytes;
    if (this.verifiedBytes === undefined) for (const bytes of this.perBlob.values()) complete += bytes;
    const at = this.now();
    this.samples.push({ at, bytes: complete - (this.verifiedBytes === undefined ? this.foundBytes : 0) });
    while (this.samples.length > 2 && (this.samples[0]?.at ?? at) < at - RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const elapsed = first ? (at - first.at) / 1000 : 0;
    const last = this.samples[this.samples.length - 1];
    const bytesPerSecond = first && last && elapsed > 0 ? Math.max(0, last.bytes - first.bytes) / elapsed : 0;
    const remaining = Math.max(0, this.totalBytes - complete);
    return {
      phase: this.phase,
      completeBytes: complete,
      totalBytes: this.totalBytes,
      blobsDone: this.blobsDone,
      blobsTotal: this.blobsTotal,
      bytesPerSecond,
      etaSeconds: bytesPerSecond > 0 ? remaining / bytesPerSecond : undefined,
    };
  }

  private onBlob(progress: BlobProgress): void {
    if (progress.state === 'started' || progress.state === 'active') {
      if (!this.startedAt.has(progress.digest)) {
        this.startedAt.set(progress.digest, progress.complete);
        this.foundBytes += progress.complete;
      }
      this.perBlob.set(progress.digest, progress.complete);
      return;
    }
    this.perBlob.delete(progress.digest);
    const before = this.startedAt.get(progress.digest) ?? 0;
    this.startedAt.delete(progress.digest);
    if (progress.state === 'failed') {
      this.foundBytes -= before;
      return;
    }
    if (progress.state === 'skipped' || progress.state === 'mounted') this.foundBytes += progress.total - before;
    this.blobsDone += 1;
    this.doneBytes += progress.total;
  }

  private maybeSnapshot(force: boolean): void {
    const at = this.now();
    if (!force && at - this.lastEmit < PROGRESS_INTERVAL_MS) return;
    this.lastEmit = at;
    this.emit({ type: 'progress', progress: this.snapshot() });
  }
}
