/**
 * The drive watch, driven by an injected lister (no OS involved): one
 * callback per real change of the drive set, none for the baseline, none
 * for free space moving within 1%, none after stop().
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DriveInfo } from '../../src-shared/api/contract.ts';
import { driveSetKey, watchDrives } from '../../src-main/media/drive-watch.ts';

const GiB = 1024 ** 3;
const stick = (freeBytes: number | null, fsType = 'fat32'): DriveInfo => ({
  path: '/media/field/FERRY',
  label: 'FERRY',
  fsType,
  freeBytes,
  sizeBytes: 32 * GiB,
  removable: true,
  advice: null,
});
const root: DriveInfo = { path: '/', label: 'nvme0n1p2', fsType: 'ext4', freeBytes: 100 * GiB, sizeBytes: 500 * GiB, removable: false, advice: null };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('driveSetKey', () => {
  it('ignores order and free space within the same 1% of the size', () => {
    expect(driveSetKey([root, stick(20 * GiB)])).toBe(driveSetKey([stick(20 * GiB + 100 * 1024 ** 2), root]));
    expect(driveSetKey([stick(20 * GiB)])).not.toBe(driveSetKey([stick(19 * GiB)]));
    expect(driveSetKey([stick(20 * GiB)])).not.toBe(driveSetKey([stick(20 * GiB, 'exfat')]));
    expect(driveSetKey([stick(null)])).not.toBe(driveSetKey([stick(0)]));
  });
});

describe('watchDrives', () => {
  it('calls back once per real change, with the new list', async () => {
    const answers: DriveInfo[][] = [
      [root], // baseline
      [root], // same
      [root, stick(20 * GiB)], // plugged in
      [stick(20 * GiB), root], // same set, other order
      [root, stick(20 * GiB + 50 * 1024 ** 2)], // +50 MiB: within 1% of 32 GiB
      [root, stick(12 * GiB)], // written to
      [root], // removed
    ];
    let calls = 0;
    const list = async (): Promise<DriveInfo[]> => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (!answer) throw new Error('no answers to list');
      return answer;
    };
    const seen: DriveInfo[][] = [];
    const stop = watchDrives((drives) => seen.push(drives), { intervalMs: 1000, list, watchPaths: [] });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(6000);
    expect(calls).toBe(7);
    expect(seen.map((drives) => drives.map((d) => (d.freeBytes === null ? d.path : `${d.path} ${Math.round(d.freeBytes / GiB)}`)))).toEqual([
      ['/ 100', '/media/field/FERRY 20'],
      ['/ 100', '/media/field/FERRY 12'],
      ['/ 100'],
    ]);
    stop();
  });

  it('never overlaps polls, survives a failing lister and a throwing callback, and stops', async () => {
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const list = async (): Promise<DriveInfo[]> => {
      calls += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2500)); // slower than the interval
      inFlight -= 1;
      if (calls === 2) throw new Error('lsblk: timed out');
      return calls % 2 === 0 ? [root] : [root, stick(calls * GiB)];
    };
    let seen = 0;
    const stop = watchDrives(
      () => {
        seen += 1;
        throw new Error('a closed SSE stream');
      },
      { intervalMs: 1000, list, watchPaths: [] },
    );
    await vi.advanceTimersByTimeAsync(3500 * 4 - 1); // each cycle: 2.5 s listing + 1 s interval
    expect(maxInFlight).toBe(1);
    expect(calls).toBe(4);
    // 1: baseline; 2: failed (skipped); 3: stick at 3 GiB (change); 4: stick gone (change).
    expect(seen).toBe(2);
    stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBeLessThanOrEqual(5);
    expect(seen).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('polls early when a watched path changes', async () => {
    vi.useRealTimers();
    const dir = await mkdtemp(join(tmpdir(), 'ferry-drive-watch-'));
    let calls = 0;
    const stop = watchDrives(() => undefined, { intervalMs: 60_000, list: async () => (calls++, []), watchPaths: [dir] });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(calls).toBe(1);
      await writeFile(join(dir, 'sdc'), '');
      await vi.waitFor(() => expect(calls).toBe(2), { timeout: 3000, interval: 50 });
    } finally {
      stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
