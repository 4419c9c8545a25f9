import { describe, expect, it } from 'vitest';
import type { TransferEvent } from '../../src-shared/model/progress.ts';
import { ProgressTracker, PROGRESS_INTERVAL_MS } from '../../src-main/transfer/progress.ts';
import { progressLine } from '../../src-main/cli/progress.ts';

describe('ProgressTracker', () => {
  it('throttles snapshots, and reports bytes, blobs, rate and ETA', () => {
    let now = 1_000;
    const events: TransferEvent[] = [];
    const tracker = new ProgressTracker(
      (event) => events.push(event),
      () => now,
    );
    tracker.onEvent({ type: 'planned', images: 1, blobs: 2, bytes: 1000 });
    tracker.onEvent({ type: 'blob', progress: { digest: 'a', state: 'started', complete: 0, total: 600 } });
    for (let i = 1; i <= 10; i += 1) {
      now += 50;
      tracker.onEvent({ type: 'blob', progress: { digest: 'a', state: 'active', complete: i * 30, total: 600 } });
    }
    const snapshots = events.filter((e): e is Extract<TransferEvent, { type: 'progress' }> => e.type === 'progress');
    // 500 ms of events at most one snapshot per interval, plus the first.
    expect(snapshots.length).toBeLessThanOrEqual(500 / PROGRESS_INTERVAL_MS + 1);
    expect(events.filter((e) => e.type === 'blob' && e.progress.state === 'active')).toHaveLength(0);
    tracker.onEvent({ type: 'blob', progress: { digest: 'a', state: 'finished', complete: 600, total: 600 } });
    const last = tracker.snapshot();
    expect(last).toMatchObject({ completeBytes: 600, totalBytes: 1000, blobsDone: 1, blobsTotal: 2, phase: 'transferring' });
    expect(last.bytesPerSecond).toBeGreaterThan(0);
    expect(last.etaSeconds).toBeCloseTo(400 / last.bytesPerSecond, 5);
    expect(progressLine(last)).toMatch(/60%.*ETA \d+ s.*blobs 1\/2/);
  });

  it('after a resume, counts in the rate only the bytes this run moves, not the blobs and the parts it found (issue 17)', () => {
    let now = 1_000;
    const tracker = new ProgressTracker(
      () => undefined,
      () => now,
    );
    tracker.onEvent({ type: 'planned', images: 1, blobs: 3, bytes: 100_000_000 });
    tracker.snapshot();
    // 60 MB already written by the cancelled run: one blob whole, one half.
    tracker.onEvent({ type: 'blob', progress: { digest: 'a', state: 'skipped', complete: 40_000_000, total: 40_000_000 } });
    tracker.onEvent({ type: 'blob', progress: { digest: 'b', state: 'started', complete: 20_000_000, total: 40_000_000 } });
    now += 1_000;
    // One second moves 1 MB.
    tracker.onEvent({ type: 'blob', progress: { digest: 'b', state: 'active', complete: 21_000_000, total: 40_000_000 } });
    const snapshot = tracker.snapshot();
    expect(snapshot.completeBytes).toBe(61_000_000);
    expect(snapshot.bytesPerSecond).toBeCloseTo(1_000_000, -3);
  });

  it('reports a verification pass before the transfer, then the transfer alone once planned', () => {
    let now = 1_000;
    const tracker = new ProgressTracker(
      () => undefined,
      () => now,
    );
    tracker.verifying(0, 4_000);
    now += 300;
    tracker.verifying(1_000, 4_000);
    expect(tracker.snapshot()).toMatchObject({ phase: 'verifying', completeBytes: 1_000, totalBytes: 4_000 });
    tracker.onEvent({ type: 'planned', images: 1, blobs: 1, bytes: 500 });
    tracker.onEvent({ type: 'blob', progress: { digest: 'a', state: 'active', complete: 100, total: 500 } });
    expect(tracker.snapshot()).toMatchObject({ phase: 'transferring', completeBytes: 100, totalBytes: 500 });
  });
});

describe('progressLine', () => {
  it('prints sizes, rate and time left with the shared formatters (src-shared/units.ts)', () => {
    const line = progressLine({ phase: 'transferring', completeBytes: 1.2 * 1024 ** 3, totalBytes: 2.9 * 1024 ** 3, blobsDone: 12, blobsTotal: 30, bytesPerSecond: 38.1 * 1024 ** 2, etaSeconds: 65 });
    expect(line).toBe(`[${'#'.repeat(10)}${'.'.repeat(14)}]  41%  1.2 GiB/2.9 GiB  38.1 MiB/s  ETA 1 min 5 s  blobs 12/30`);
  });

  it('says unknown until the rate gives an estimate', () => {
    const line = progressLine({ phase: 'verifying', completeBytes: 0, totalBytes: 0, blobsDone: 0, blobsTotal: 3, bytesPerSecond: 0, etaSeconds: undefined });
    expect(line).toContain('verifying   0%  0 B/0 B  0 B/s  ETA unknown  blobs 0/3');
  });
});
