/** Rate-limit headers as registries send them, and as a hostile server might: read defensively, worded plainly. */
import { describe, expect, it } from 'vitest';
import { errorForStatus, parseRetryAfter, tooLongToWait } from '../../src-main/oci/registry/errors.ts';
import { durationWords, rateLimitWords, readRateLimitHeaders, requestedWaitMs } from '../../src-main/oci/registry/rate-limit-headers.ts';
import { ThrottlingLog, throttlingReport } from '../../src-main/oci/registry/throttling.ts';
import { errorHint } from '../../src-shared/errors.ts';

const NOW = Date.UTC(2026, 11, 3, 7, 0, 0);

describe('readRateLimitHeaders', () => {
  it('reads Docker Hub: limit and remaining with their window', () => {
    expect(readRateLimitHeaders({ 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600', 'docker-ratelimit-source': '203.0.113.7' }, NOW)).toEqual({
      limit: 100,
      windowSeconds: 21600,
      remaining: 0,
    });
  });

  it('reads the early IETF draft: limit, remaining, reset in seconds, policy', () => {
    expect(readRateLimitHeaders({ 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '30', 'ratelimit-policy': '10;w=1, 1000;w=3600' }, NOW)).toEqual({
      limit: 10,
      windowSeconds: 1,
      remaining: 0,
      resetMs: 30_000,
    });
  });

  it('reads the later IETF draft: RateLimit-Policy with q and w, RateLimit with r and t', () => {
    expect(readRateLimitHeaders({ 'ratelimit-policy': '"default";q=50;w=60', ratelimit: '"default";r=0;t=12' }, NOW)).toEqual({ limit: 50, windowSeconds: 60, remaining: 0, resetMs: 12_000 });
  });

  it('reads GitHub / GitLab style: X-RateLimit-Reset is a Unix time', () => {
    const reset = String(NOW / 1000 + 90);
    expect(readRateLimitHeaders({ 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, NOW)).toEqual({ limit: 600, remaining: 0, resetMs: 90_000 });
    // GitLab sends the Unix time under the IETF name too.
    expect(readRateLimitHeaders({ 'ratelimit-reset': reset }, NOW)).toEqual({ resetMs: 90_000 });
  });

  it('a reset in the past is now, not negative', () => {
    expect(readRateLimitHeaders({ 'x-ratelimit-reset': String(NOW / 1000 - 60) }, NOW)).toEqual({ resetMs: 0 });
  });

  it('none of them: undefined', () => {
    expect(readRateLimitHeaders({ 'content-type': 'application/json', 'retry-after': '5' }, NOW)).toBeUndefined();
  });

  it.each([
    ['negative', { 'ratelimit-limit': '-5', 'ratelimit-remaining': '-1' }],
    ['not a number', { 'ratelimit-limit': 'lots', 'ratelimit-reset': 'soon' }],
    ['exponent', { 'ratelimit-limit': '1e400', 'ratelimit-remaining': 'Infinity' }],
    ['too many digits', { 'ratelimit-limit': '9'.repeat(40) }],
    ['a reset years away', { 'ratelimit-reset': String(NOW / 1000 + 5 * 366 * 86400) }],
    ['a window years long', { 'ratelimit-policy': `;w=${400 * 86400}` }],
    ['a header kilobytes long', { 'ratelimit-limit': `100;w=60${' '.repeat(5000)}` }],
    ['not a structured field', { 'ratelimit-limit': '100;;w=60', 'ratelimit-remaining': '0;w=60 junk' }],
  ])('ignores hostile values: %s', (_name, headers) => {
    const info = readRateLimitHeaders(headers, NOW);
    for (const value of Object.values(info ?? {})) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1e12);
    }
    expect(info).toBeUndefined();
  });

  it('takes the first of a repeated header', () => {
    expect(readRateLimitHeaders({ 'ratelimit-limit': ['100;w=21600', '200;w=60'] }, NOW)).toEqual({ limit: 100, windowSeconds: 21600 });
  });
});

describe('words', () => {
  it('names the limit, its window, what is left and when it resets', () => {
    expect(rateLimitWords({ limit: 100, windowSeconds: 21600, remaining: 0 })).toBe('rate limit 100 per 6 h reached (0 left)');
    expect(rateLimitWords({ limit: 10, windowSeconds: 1, remaining: 0, resetMs: 1_000 })).toBe('rate limit 10 per second reached (0 left), resets in 1 s');
    expect(rateLimitWords({ remaining: 3 })).toBe('3 left');
    expect(rateLimitWords({})).toBeUndefined();
  });

  it('durations in plain words', () => {
    expect([durationWords(30_000), durationWords(300_000), durationWords(6 * 3600_000), durationWords(12_600_000), durationWords(3 * 86400_000)]).toEqual([
      '30 s',
      '5 min',
      '6 h',
      '3 h 30 min',
      '3 days',
    ]);
  });

  it('the wait asked: Retry-After first, else the reset when nothing is left', () => {
    expect(requestedWaitMs(5_000, { remaining: 0, resetMs: 60_000 })).toBe(5_000);
    expect(requestedWaitMs(undefined, { remaining: 0, resetMs: 60_000 })).toBe(60_000);
    expect(requestedWaitMs(undefined, { remaining: 4, resetMs: 60_000 })).toBeUndefined();
  });
});

describe('Retry-After', () => {
  it('a hostile value is capped at a year and stays finite', () => {
    expect(parseRetryAfter('9'.repeat(400))).toBe(366 * 86400 * 1000);
    expect(parseRetryAfter('x'.repeat(500))).toBeUndefined();
  });
});

describe('a 429 as an error', () => {
  const refused = (retryAfter?: string) =>
    errorForStatus({
      status: 429,
      method: 'GET',
      url: 'https://registry-1.docker.io/v2/library/nginx/manifests/1.27?token=secret',
      subject: 'docker.io/library/nginx:1.27',
      body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}',
      registry: 'docker.io',
      ...(retryAfter === undefined ? {} : { retryAfter }),
      rateLimit: { limit: 100, windowSeconds: 21600, remaining: 0 },
    });

  it('names the registry, the limit and the wait asked, and carries the rate-limit hint', () => {
    const error = refused('30');
    expect(error.message).toContain('docker.io refused more requests: rate limit 100 per 6 h reached (0 left); it asked to wait 30 s');
    expect(error.message).toContain('TOOMANYREQUESTS');
    expect(error.message).not.toContain('secret');
    expect(error.temporary).toBe(true);
    expect(errorHint(error.details)).toEqual({ kind: 'rate-limit', host: 'docker.io' });
  });

  it('too long to wait: final, and says Ferry stopped instead of sleeping', () => {
    const error = tooLongToWait(refused('21600'), 21_600_000, 60_000);
    expect(error.message).toContain('docker.io refused more requests: rate limit 100 per 6 h reached (0 left); it asked to wait 6 h, longer than Ferry waits for a registry (60 s), so it stopped');
    expect(error.temporary).toBe(false);
    expect(errorHint(error.details)).toEqual({ kind: 'rate-limit', host: 'docker.io' });
  });

  it('without headers it still says the registry refused more requests', () => {
    const error = errorForStatus({ status: 429, method: 'HEAD', url: 'https://quay.io/v2/x/blobs/sha256:1', subject: 'quay.io/x', body: '', registry: 'quay.io' });
    expect(error.message).toMatch(/^quay\.io\/x: quay\.io refused more requests \(too many requests\) \(HEAD https:\/\/quay\.io\/v2\/x\/blobs\/sha256:1 returned 429/);
  });
});

describe('ThrottlingLog', () => {
  it('counts 429s, keeps the last budget stated and the longest wait asked', () => {
    const log = new ThrottlingLog();
    log.observe(200, { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600' });
    log.observe(429, { 'ratelimit-remaining': '0;w=21600', 'retry-after': '30' });
    log.observe(429, { 'retry-after': '2' });
    expect(log.snapshot()).toEqual({ refusals: 2, goAways: 0, limit: 100, windowSeconds: 21600, remaining: 0, longestWaitMs: 30_000 });
    expect(throttlingReport({ ...log.snapshot(), rateLimit: 5 })).toEqual({
      tooManyRequests: 2,
      goaway: 0,
      retryAfterMs: 30_000,
      limit: '100;w=21600',
      detail: '2 requests refused (429); rate limit 100 per 6 h reached (0 left); it asked to wait up to 30 s; Ferry held itself to 5 requests a second',
    });
  });

  it('a budget stated with requests left is not "reached"; nothing stated and nothing refused is no report', () => {
    expect(throttlingReport({ refusals: 0, goAways: 0, limit: 100, windowSeconds: 21600, remaining: 76 })?.detail).toBe('rate limit 100 per 6 h (76 left)');
    expect(throttlingReport({ refusals: 0, goAways: 0, rateLimit: 5 })).toBeUndefined();
  });
});
