/**
 * `--rate-limit` holds at the registry when the connection pool is full
 * (review of issue 18, item 6): a paced request takes a connection slot before
 * its turn, so turns taken while every connection is busy cannot pile up in
 * undici's queue and reach the registry together; and a client opened right
 * after the last one of the host closed starts from its last turn.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapped, RegistryClient } from '../../src-main/oci/registry/client.ts';
import { maxInAnyWindow, startFaultProxy, type FaultProxy, type RecordedRequest } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

const RATE = 10;
const teardown = new Teardown();
let proxy: FaultProxy;
let image: FixtureImage;

beforeAll(async () => {
  const registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  image = (await buildFixtures())['oci-single'];
  await seedFixtures(registry, [image]);
  proxy = teardown.add(await startFaultProxy({ upstream: registry.url }), (started) => started.stop());
});

afterAll(() => teardown.run());

function pacedClient(): RegistryClient {
  return new RegistryClient({ registry: proxy.host, plainHttp: true, tls: { rejectUnauthorized: true }, credential: () => Promise.resolve(undefined), maxConnections: 2, rateLimit: RATE });
}

const manifestPath = () => `/v2/${image.repository}/manifests/${image.tag}`;

describe('--rate-limit with every connection busy', () => {
  it('two slow blob bodies hold both connections: the requests behind them still reach the registry at most N in any second', async () => {
    const blob = [...image.blobs].sort((a, b) => b.size - a.size)[0];
    if (blob === undefined) throw new Error('the fixture has no blob');
    const blobPath = `/v2/${image.repository}/blobs/${blob.digest}`;
    // Each slow body takes about 2 s, while turns would otherwise go on being handed out every ~0.1 s.
    proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${blob.digest}$`), times: 2, fault: { kind: 'slow-body', bytesPerSecond: Math.max(1, Math.floor(blob.size / 2)) } });
    const client = pacedClient();
    const from = proxy.requests.length;
    try {
      const read = async (path: string, method: 'GET' | 'HEAD'): Promise<void> => {
        const response = await client.send({ method, path, scopes: [], expect: [200], subject: path, headers: { accept: image.mediaType } });
        await readCapped(response.body, 64 * 1024 * 1024, path);
      };
      const slow = [read(blobPath, 'GET'), read(blobPath, 'GET')];
      const fast = Array.from({ length: 24 }, () => read(manifestPath(), 'HEAD'));
      await Promise.all([...slow, ...fast]);
    } finally {
      await client.close();
    }
    expect(proxy.pendingFaults()).toBe(0);
    const requests: RecordedRequest[] = proxy.requests.slice(from);
    expect(requests.length).toBeGreaterThanOrEqual(26);
    const most = maxInAnyWindow(requests);
    console.log(`rate-limit pool: ${requests.length} requests at ${RATE}/s over 2 connections, max ${most} in any 1 s window`);
    expect(most).toBeLessThanOrEqual(RATE);
  });

  it('a client opened right after the last one closed starts paced from its last turn', async () => {
    const first = pacedClient();
    const from = proxy.requests.length;
    await (await first.send({ method: 'HEAD', path: manifestPath(), scopes: [], expect: [200], subject: 'first', headers: { accept: image.mediaType } })).body.dump();
    await first.close();
    const second = pacedClient();
    try {
      await (await second.send({ method: 'HEAD', path: manifestPath(), scopes: [], expect: [200], subject: 'second', headers: { accept: image.mediaType } })).body.dump();
    } finally {
      await second.close();
    }
    // Each client pings /v2/ first: the second's ping must still wait a full interval after the first's HEAD.
    const requests = proxy.requests.slice(from);
    expect(requests.map((r) => r.method)).toEqual(['GET', 'HEAD', 'GET', 'HEAD']);
    const gaps = requests.slice(1).map((r, i) => r.at - (requests[i] as RecordedRequest).at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / RATE - 5);
  });
});
