/** `job:blobs` batching (service side) and per-image percentages (renderer side), with fake time. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BlobProgress } from '../../src-shared/model/oci.ts';
import { BlobBatcher } from '../../src-main/service/jobs.ts';
import { imagePercent } from '../../src-renderer/stores/jobs-store.ts';

const blob = (digest: string, state: BlobProgress['state'], complete: number, total = 100): BlobProgress => ({ digest, state, complete, total });

afterEach(() => {
  vi.useRealTimers();
});

describe('BlobBatcher', () => {
  it('sends at most one batch per 250 ms, holding only the latest state of the blobs that changed', () => {
    vi.useFakeTimers();
    const sent: BlobProgress[][] = [];
    const batcher = new BlobBatcher((blobs) => sent.push(blobs));
    batcher.add(blob('a', 'started', 0));
    expect(sent).toEqual([[blob('a', 'started', 0)]]);
    for (let i = 1; i <= 1_000; i += 1) batcher.add(blob(`b${i % 10}`, 'active', i));
    batcher.add(blob('a', 'finished', 100));
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(249);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toHaveLength(11);
    expect(sent[1]?.find((b) => b.digest === 'a')?.state).toBe('finished');
    expect(sent[1]?.find((b) => b.digest === 'b0')?.complete).toBe(1_000);
    // Nothing changed: nothing is sent; a flush at the job's end sends what is pending at once.
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(2);
    batcher.add(blob('c', 'skipped', 5, 5));
    batcher.add(blob('d', 'started', 0));
    batcher.flush();
    expect(sent.slice(2)).toEqual([[blob('c', 'skipped', 5, 5)], [blob('d', 'started', 0)]]);
  });
});

describe('imagePercent', () => {
  it('counts done and already-there blobs in full, running ones by bytes, and 100% only when every blob is done', () => {
    const states = new Map([
      ['a', blob('a', 'finished', 100)],
      ['b', blob('b', 'skipped', 300, 300)],
      ['c', blob('c', 'active', 50)],
    ]);
    expect(imagePercent(['a', 'b', 'c'], states, 500)).toBe(90);
    expect(imagePercent(['a', 'b'], states, 420)).toBe(100);
    expect(imagePercent(['a', 'x'], states, 400)).toBe(25);
    expect(imagePercent(['x'], undefined, 10)).toBe(0);
    expect(
      imagePercent(
        ['a', 'c'],
        new Map([
          ['a', blob('a', 'mounted', 0, 100)],
          ['c', blob('c', 'active', 100)],
        ]),
        0,
      ),
    ).toBe(99);
  });
  it('leaves bytes an incremental bundle omitted out of the total, and an image with nothing to move is done', () => {
    const states = new Map([['a', blob('a', 'finished', 100)]]);
    // 100 of the 400 carried bytes moved: 25%, not the 10% a 1,000-byte image total would give.
    expect(imagePercent(['a', 'x'], states, 1000, 600)).toBe(25);
    expect(imagePercent([], undefined, 1000, 1000)).toBe(100);
    expect(imagePercent([], undefined, 0)).toBe(0);
  });
});
