/**
 * HTTP/2 GOAWAY ENHANCE_YOUR_CALM, as nginx and envoy in front of Docker Hub
 * and Harbor send it to a client they throttle: through a real HTTP/2 TLS
 * proxy (tests/harness/h2-proxy.ts) in front of the real Distribution
 * registry, a job that meets one mid-way backs off, retries what the server
 * did not process and finishes with every digest intact; a registry that
 * keeps sending it gets a message that says so and how to slow down.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getManifest } from '../../src-main/oci/registry/manifests.ts';
import { Registries } from '../../src-main/oci/registry/registries.ts';
import { RegistryError } from '../../src-main/oci/registry/errors.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, makeImageSet, seedFixtures, seedImageSet, type FixtureImage, type FixtureName, type ImageSet } from '../harness/fixtures.ts';
import { startH2Proxy, type H2Proxy, type H2Request } from '../harness/h2-proxy.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure, runFerry as ferry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let target: RunningRegistry;
let sourceProxy: H2Proxy;
let targetProxy: H2Proxy;
let fixtures: Record<FixtureName, FixtureImage>;
let imageSet: ImageSet;
let workDir: string;

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  imageSet = await makeImageSet(6, 256 * 1024, { repositoryPrefix: 'goaway' });
  await Promise.all([seedFixtures(source, [fixtures['oci-index'], fixtures['big-layers'], fixtures['empty-layer']]), seedImageSet(source, imageSet)]);
  sourceProxy = teardown.add(await startH2Proxy({ upstream: source.url }), (started) => started.stop());
  targetProxy = teardown.add(await startH2Proxy({ upstream: target.url }), (started) => started.stop());
  workDir = await mkdtemp(join(tmpdir(), 'ferry-goaway-test-'));
});

afterAll(() => teardown.run());

/** The references of the test's images as the source proxy serves them. */
function sourceReferences(): string[] {
  return [
    ...imageSet.images.map((image) => `${sourceProxy.host}/${image.repository}:${image.tag}`),
    // empty-layer has a zero-length blob: undici's HTTP/2 path would never end its upload stream if it were sent as a body.
    ...[fixtures['oci-index'], fixtures['big-layers'], fixtures['empty-layer']].map((fixture) => `${sourceProxy.host}/${fixture.repository}:${fixture.tag}`),
  ];
}

/** What a request is for: the blob an upload's final PUT names (a retried upload may use a new session), else its path. */
function requestTarget(request: H2Request): string {
  const url = new URL(request.path, 'https://proxy');
  const digest = url.searchParams.get('digest');
  return `${request.method} ${digest !== null && request.method === 'PUT' ? `upload of ${digest}` : url.pathname}`;
}

/** Every request the proxy refused with a GOAWAY was sent again afterwards and answered (it was not processed, so that is safe). */
function expectRefusedRequestsRetried(proxy: H2Proxy): void {
  const refused = proxy.requests.filter((request) => request.goAway);
  expect(refused.length).toBeGreaterThan(0);
  for (const request of refused) {
    const answered = proxy.requests.filter((later) => later.at >= request.at && !later.goAway && later.status < 300 && requestTarget(later) === requestTarget(request));
    expect(answered.length, requestTarget(request)).toBeGreaterThan(0);
  }
}

describe('GOAWAY ENHANCE_YOUR_CALM mid-job', () => {
  it('a copy over HTTP/2 meets one on a blob read and one on a blob upload, backs off, and lands every image digest for digest', async () => {
    sourceProxy.addGoAway({ method: 'GET', path: /\/blobs\/sha256:/, afterRequests: 3, times: 1 });
    targetProxy.addGoAway({ method: 'PUT', path: /\/blobs\/uploads\//, afterRequests: 2, times: 1, refuseMs: 300 });
    const list = join(workDir, 'copy.txt');
    await writeFile(list, `${sourceReferences().join('\n')}\n`);
    const result = await ferry(
      'copy',
      '--images',
      list,
      '--to',
      `${targetProxy.host}/mirror`,
      '--http2',
      '--src-ca-cert',
      sourceProxy.caFile,
      '--dest-ca-cert',
      targetProxy.caFile,
      '--authfile',
      emptyAuthFile,
      '--json',
    );
    expect(result.stderr).not.toMatch(/error|fail/i);
    expect(result.code).toBe(0);
    expect(sourceProxy.goAways.filter((sent) => sent.reason === 'request')).toHaveLength(1);
    expect(targetProxy.goAways.filter((sent) => sent.reason === 'request')).toHaveLength(1);
    expectRefusedRequestsRetried(sourceProxy);
    expectRefusedRequestsRetried(targetProxy);
    for (const image of imageSet.images) {
      expect(await skopeoInspectRawDigest(`docker://${target.host}/mirror/${image.repository}:${image.tag}`, target)).toBe(image.manifestDigest);
    }
    for (const fixture of [fixtures['oci-index'], fixtures['big-layers'], fixtures['empty-layer']]) {
      expect(await skopeoInspectRawDigest(`docker://${target.host}/mirror/${fixture.repository}:${fixture.tag}`, target)).toBe(fixture.manifestDigest);
    }
  });

  it('an export over HTTP/2 meets one on a manifest read, and its bundle verifies', async () => {
    sourceProxy.clearGoAways();
    const goAwaysBefore = sourceProxy.goAways.length;
    sourceProxy.addGoAway({ method: 'GET', path: /\/manifests\//, afterRequests: 2, times: 1 });
    const bundle = join(workDir, 'bundle');
    const result = await ferry('export', '--to', bundle, ...sourceReferences(), '--http2', '--ca-cert', sourceProxy.caFile, '--authfile', emptyAuthFile);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(sourceProxy.goAways.length - goAwaysBefore).toBe(1);
    const verified = await ferry('verify', bundle, '--json');
    expect(verified.code).toBe(0);
  });
});

describe('a registry that keeps sending GOAWAY ENHANCE_YOUR_CALM', () => {
  it('fails with a message that names it, marked as throttling, with the rate-limit hint, after backing off', async () => {
    sourceProxy.clearGoAways();
    sourceProxy.addGoAway({ times: Number.POSITIVE_INFINITY });
    const registries = new Registries({
      http2: true,
      plainHttp: false,
      tls: { verify: true, caCertFiles: [sourceProxy.caFile], certDirs: [] },
      authFile: emptyAuthFile,
      retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 },
    });
    try {
      const client = await registries.client(sourceProxy.host);
      const started = Date.now();
      const error = await failure(getManifest(client, imageSet.images[0]?.repository ?? '', 'v1'));
      if (!(error instanceof RegistryError)) throw error;
      expect(error.message).toMatch(/sent HTTP\/2 GOAWAY ENHANCE_YOUR_CALM: the registry asked Ferry to slow down/);
      expect(error.throttled).toBe(true);
      expect(error.details).toMatchObject({ goAway: 'ENHANCE_YOUR_CALM', hint: { kind: 'rate-limit', host: sourceProxy.host } });
      // Three attempts, two throttled backoffs of 4 × 50 ms and 4 × 100 ms (at least half of each, with jitter): longer than a plain reset's.
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    } finally {
      await registries.close();
      sourceProxy.clearGoAways();
    }
  });

  it('the command line says so, and how to slow down', async () => {
    sourceProxy.addGoAway({ times: Number.POSITIVE_INFINITY });
    try {
      const image = imageSet.images[0];
      const result = await ferry('inspect', `${sourceProxy.host}/${image?.repository ?? ''}:${image?.tag ?? ''}`, '--http2', '--ca-cert', sourceProxy.caFile, '--authfile', emptyAuthFile);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/GOAWAY ENHANCE_YOUR_CALM: the registry asked Ferry to slow down/);
      expect(result.stderr).toMatch(/hint: .*throttles Ferry.*--rate-limit N\/s/);
    } finally {
      sourceProxy.clearGoAways();
    }
  }, 60_000);
});

describe('ferry registry check through a registry that sends GOAWAY ENHANCE_YOUR_CALM', () => {
  it('finishes the check and reports the throttling it met', async () => {
    targetProxy.clearGoAways();
    const before = targetProxy.goAways.length;
    targetProxy.addGoAway({ afterRequests: 3, times: 1 });
    const result = await ferry('registry', 'check', '--json', '--http2', '--ca-cert', targetProxy.caFile, '--authfile', emptyAuthFile, `${targetProxy.host}/checked`);
    expect(targetProxy.goAways.length - before).toBe(1);
    const report = JSON.parse(result.stdout) as { reachable: boolean; write: boolean; throttling?: { goaway: number; detail: string }; rows: Array<{ id: string; state: string; detail: string }> };
    expect(report.reachable).toBe(true);
    expect(report.write).toBe(true);
    // One GOAWAY fails every request in flight on its connection; each counts, so at least one.
    expect(report.throttling?.goaway).toBeGreaterThanOrEqual(1);
    expect(report.rows.find((row) => row.id === 'throttling')).toMatchObject({ state: 'yes', detail: expect.stringMatching(/GOAWAY ENHANCE_YOUR_CALM/) as unknown });
  }, 60_000);
});
