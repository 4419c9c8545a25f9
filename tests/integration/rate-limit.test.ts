/**
 * Rate limits against the real Distribution registry behind the fault proxy
 * (issue 18): `--rate-limit` holds as measured where the registry sees the
 * requests, a 429 with Retry-After and Docker Hub's rate-limit headers is
 * waited out, one asking for hours fails at once naming the limit, and the
 * app's saved rate for a registry applies to its jobs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportInput } from '../../src-shared/api/contract.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { checkRegistry } from '../../src-main/usecases/registry-check.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { maxInAnyWindow, startFaultProxy, type FaultProxy, type RecordedRequest } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let registry: RunningRegistry;
let proxy: FaultProxy;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let copies = 0;

const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(registry, [fixtures['oci-index'], fixtures['oci-single']]);
  proxy = teardown.add(await startFaultProxy({ upstream: registry.url }), (started) => started.stop());
  work = await mkdtemp(join(tmpdir(), 'ferry-rate-limit-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

const source = (name: FixtureName) => `${proxy.host}/${fixtures[name].repository}:${fixtures[name].tag}`;

/** `ferry copy` from the proxy into a fresh repository behind the same proxy: both sides' requests reach one host. */
async function copy(name: FixtureName, ...flags: string[]): Promise<{ code: number; stderr: string; requests: RecordedRequest[]; seconds: number }> {
  copies += 1;
  const from = proxy.requests.length;
  const started = performance.now();
  const result = await runFerry('copy', source(name), `${proxy.host}/copies/${copies}:v1`, '--plain-http', '--authfile', emptyAuthFile, '--all-platforms', ...flags);
  return { code: result.code, stderr: result.stderr, requests: proxy.requests.slice(from), seconds: (performance.now() - started) / 1000 };
}

describe('--rate-limit', () => {
  it('holds: at most N requests in any 1 s window at the proxy, retries included; without it the same copy goes faster', async () => {
    const unthrottled = await copy('oci-index');
    expect(unthrottled.code, unthrottled.stderr).toBe(0);
    // The test can fail: unpaced, this copy puts more than 5 requests into one second.
    expect(maxInAnyWindow(unthrottled.requests)).toBeGreaterThan(5);

    // Two 503s make retries, which must wait their turn like any request.
    proxy.addFault({ method: 'GET', path: /\/manifests\/sha256:/, times: 2, fault: { kind: 'status', status: 503 } });
    const five = await copy('oci-index', '--rate-limit', '5/s');
    expect(five.code, five.stderr).toBe(0);
    expect(proxy.pendingFaults()).toBe(0);
    expect(five.requests.length).toBeGreaterThan(unthrottled.requests.length);
    expect(maxInAnyWindow(five.requests)).toBeLessThanOrEqual(5);
    // Paced, not merely lucky: the copy took as long as its requests at 5 a second need.
    expect(five.seconds).toBeGreaterThanOrEqual(((five.requests.length - 1) * 1.02) / 5 - 0.05);

    const twenty = await copy('oci-index', '--rate-limit', '20');
    expect(twenty.code, twenty.stderr).toBe(0);
    expect(maxInAnyWindow(twenty.requests)).toBeLessThanOrEqual(20);
    // This copy needs fewer than 20 requests, so the guarantee is checked on shorter windows: any T seconds hold at most ⌈N·T⌉.
    expect(maxInAnyWindow(twenty.requests, 250)).toBeLessThanOrEqual(5);
    console.log(
      `rate-limit: unthrottled ${unthrottled.requests.length} requests, max ${maxInAnyWindow(unthrottled.requests)} in 1 s, ${unthrottled.seconds.toFixed(2)} s; ` +
        `5/s: ${five.requests.length} requests, max ${maxInAnyWindow(five.requests)}, ${five.seconds.toFixed(2)} s; ` +
        `20/s: ${twenty.requests.length} requests, max ${maxInAnyWindow(twenty.requests)}, ${twenty.seconds.toFixed(2)} s`,
    );
  });

  it('a value that is not a rate is refused naming the flag', async () => {
    const result = await runFerry('copy', source('oci-single'), `${proxy.host}/copies/refused:v1`, '--plain-http', '--authfile', emptyAuthFile, '--dest-rate-limit', 'fast');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--dest-rate-limit must be requests per second, such as 5/s or 0.5/s');
  });
});

/** Docker Hub's answer when the pull quota is spent. */
const DOCKER_HUB_SPENT = { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600', 'docker-ratelimit-source': '203.0.113.7' };

describe('429', () => {
  it('with Retry-After and Docker Hub rate-limit headers: waits as asked, holding the other requests too, and succeeds', async () => {
    const manifest = new RegExp(`/v2/${fixtures['oci-single'].repository}/manifests/`);
    proxy.addFault({ method: 'GET', path: manifest, times: 1, fault: { kind: 'status', status: 429, retryAfter: '2', headers: DOCKER_HUB_SPENT } });
    const result = await copy('oci-single');
    expect(result.code, result.stderr).toBe(0);
    expect(proxy.pendingFaults()).toBe(0);
    const refused = result.requests.find((r) => r.status === 429);
    if (!refused) throw new Error('the 429 was not sent');
    const after = result.requests.filter((r) => r.at > refused.at);
    expect(after.length).toBeGreaterThan(0);
    // Nothing reached the registry before the two seconds it asked for were up.
    expect(Math.min(...after.map((r) => r.at)) - refused.at).toBeGreaterThanOrEqual(1950);
  });

  it('asking for hours: fails at once, naming the registry, the limit and the wait, with the rate-limit advice', async () => {
    const manifest = new RegExp(`/v2/${fixtures['oci-single'].repository}/manifests/`);
    proxy.addFault({ method: 'GET', path: manifest, times: 1, fault: { kind: 'status', status: 429, retryAfter: '7200', headers: DOCKER_HUB_SPENT } });
    const result = await copy('oci-single');
    proxy.clearFaults();
    expect(result.code).toBe(1);
    expect(result.seconds).toBeLessThan(10);
    expect(result.stderr).toContain(`${proxy.host} refused more requests: rate limit 100 per 6 h reached (0 left); it asked to wait 2 h, longer than Ferry waits for a registry (60 s), so it stopped`);
    expect(result.stderr).toMatch(/hint: .*--rate-limit N\/s/);
    expect(result.requests.filter((r) => r.status === 429)).toHaveLength(1);
  });

  it('no Retry-After, but nothing left until a reset hours away (X-RateLimit-Reset): fails at once too', async () => {
    const manifest = new RegExp(`/v2/${fixtures['oci-single'].repository}/manifests/`);
    const reset = String(Math.floor(Date.now() / 1000) + 3 * 3600);
    proxy.addFault({
      method: 'GET',
      path: manifest,
      times: 1,
      fault: { kind: 'status', status: 429, headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } },
    });
    const result = await copy('oci-single');
    proxy.clearFaults();
    expect(result.code).toBe(1);
    expect(result.seconds).toBeLessThan(10);
    expect(result.stderr).toMatch(/refused more requests: rate limit 5000 reached \(0 left\), resets in 3 h; it asked to wait 3 h, longer than Ferry waits/);
  });
});

describe('ferry registry check', () => {
  it('reports the throttling it met: the 429s, the limit the registry stated, the wait it asked for', async () => {
    // Every request after the ping is refused once, with Docker Hub's headers.
    proxy.addFault({ path: /^\/v2\/.+/, times: 1, fault: { kind: 'status', status: 429, retryAfter: '1', headers: DOCKER_HUB_SPENT } });
    const report = await checkRegistry(`${proxy.host}/checked`, { plainHttp: true, authFile: emptyAuthFile, rateLimit: 20 });
    proxy.clearFaults();
    expect(report.reachable).toBe(true);
    expect(report.throttling).toMatchObject({ tooManyRequests: 1, goaway: 0, retryAfterMs: 1000, limit: '100;w=21600' });
    const row = report.rows.find((r) => r.id === 'throttling');
    expect(row?.state).toBe('yes');
    expect(row?.detail).toBe('1 request refused (429); rate limit 100 per 6 h reached (0 left); it asked to wait up to 1 s; Ferry held itself to 20 requests a second');
  });
});

describe('the app', () => {
  let service: Service;

  beforeAll(async () => {
    service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite'), autoStartRegistry: false }), (created) => created.close());
  });

  it("a registry's saved request rate applies to every job that talks to it", async () => {
    await service['settings:save']({ registries: [{ address: proxy.host, plainHttp: true, tlsVerify: true, rateLimit: 2 }], defaults: {} });
    const input: ExportInput = { references: [source('oci-index')], target: '', registry: { plainHttp: true, authFile: emptyAuthFile } };
    const from = proxy.requests.length;
    const plan = await service['export:plan'](input);
    expect(plan.problems).toEqual([]);
    const requests = proxy.requests.slice(from);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(maxInAnyWindow(requests)).toBeLessThanOrEqual(2);
    const gaps = requests.slice(1).map((r, i) => r.at - (requests[i] as RecordedRequest).at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(490);
  });
});
