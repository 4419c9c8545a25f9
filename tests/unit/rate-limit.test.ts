/** The request pacer on a fake clock, the `--rate-limit` flag and the settings field. */
import { describe, expect, it, vi } from 'vitest';
import { parseRateLimit } from '../../src-main/cli/registry-flags.ts';
import { PACING_SLACK_MS, RequestPacer } from '../../src-main/oci/registry/rate-limit.ts';
import { RegistrySettingSchema } from '../../src-shared/schemas/settings.ts';

/** Runs `count` requests through a pacer on vitest's fake timers and returns when each got its turn. */
async function turns(pacer: RequestPacer, count: number, clock: () => number): Promise<number[]> {
  const started: number[] = [];
  const all = Array.from({ length: count }, () => pacer.turn().then(() => started.push(clock())));
  await vi.runAllTimersAsync();
  await Promise.all(all);
  return started;
}

describe('RequestPacer', () => {
  it('spaces requests (1000 + slack) / N ms apart, with no burst: at most N in any 1 s window', async () => {
    vi.useFakeTimers();
    try {
      const pacer = new RequestPacer(5, () => Date.now());
      const started = await turns(pacer, 12, () => Date.now());
      const gaps = started.slice(1).map((at, i) => at - (started[i] as number));
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual((1000 + PACING_SLACK_MS) / 5 - 1);
      for (const at of started) expect(started.filter((other) => other >= at && other < at + 1000).length).toBeLessThanOrEqual(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it('0.5/s is one request every two seconds', async () => {
    vi.useFakeTimers();
    try {
      const pacer = new RequestPacer(0.5, () => Date.now());
      const started = await turns(pacer, 3, () => Date.now());
      expect((started[2] as number) - (started[0] as number)).toBeGreaterThanOrEqual(4000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('no rate and no hold: every turn at once', async () => {
    const pacer = new RequestPacer(undefined);
    const before = performance.now();
    await Promise.all(Array.from({ length: 100 }, () => pacer.turn()));
    expect(performance.now() - before).toBeLessThan(50);
  });

  it('a hold stops every request until it ends', async () => {
    vi.useFakeTimers();
    try {
      const pacer = new RequestPacer(undefined, () => Date.now());
      const from = Date.now();
      pacer.hold(3000);
      const started = await turns(pacer, 3, () => Date.now());
      for (const at of started) expect(at - from).toBeGreaterThanOrEqual(3000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an aborted request leaves the queue at once, without waiting for its turn', async () => {
    const pacer = new RequestPacer(0.5);
    await pacer.turn(); // the first turn is immediate; the next is 2 s away
    const controller = new AbortController();
    const cancelled = pacer.turn(controller.signal);
    const next = pacer.turn();
    expect(pacer.queued).toBe(2);
    const at = performance.now();
    controller.abort(new Error('stopped by the user'));
    await expect(cancelled).rejects.toThrow('stopped by the user');
    // Well before the turn it queued for (2 s away), even on a loaded machine.
    expect(performance.now() - at).toBeLessThan(1000);
    expect(pacer.queued).toBe(1);
    pacer.close();
    await expect(next).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('close() fails waiting requests instead of leaving them hanging', async () => {
    const pacer = new RequestPacer(1);
    await pacer.turn();
    const waiting = pacer.turn();
    pacer.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('refuses a rate of zero or less', () => {
    expect(() => new RequestPacer(0)).toThrow(/between one a day/);
  });
});

describe('--rate-limit', () => {
  it.each([
    ['5/s', 5],
    ['5', 5],
    ['0.5/s', 0.5],
    ['.5/s', 0.5],
    ['20 / s', 20],
    ['2.5/sec', 2.5],
  ])('reads %s', (text, value) => {
    expect(parseRateLimit(text)).toBe(value);
  });

  it.each(['0', '0/s', '-1/s', 'fast', '5/m', '5/s/s', '1e3', '', '200000/s'])('refuses %j naming the flag', (text) => {
    expect(() => parseRateLimit(text, 'dest-rate-limit')).toThrow(/^--dest-rate-limit must be requests per second, such as 5\/s or 0\.5\/s/);
  });
});

describe('the settings field', () => {
  it('a registry may save a request rate; blank or null is none', () => {
    expect(RegistrySettingSchema.parse({ address: 'docker.io', rateLimit: 0.5 })).toEqual({ address: 'docker.io', plainHttp: false, tlsVerify: true, rateLimit: 0.5 });
    expect(RegistrySettingSchema.parse({ address: 'docker.io', rateLimit: null })).toEqual({ address: 'docker.io', plainHttp: false, tlsVerify: true });
  });

  it.each([
    [0, 'more than 0'],
    [-2, 'more than 0'],
    ['5/s', 'number of requests per second'],
    [1e9, 'at most 100000'],
  ])('refuses %j', (rateLimit, words) => {
    const result = RegistrySettingSchema.safeParse({ address: 'docker.io', rateLimit });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(words);
  });
});
