/**
 * The app's browse:* calls over many clicks, against a real registry behind
 * the fault proxy (which counts requests and slows blobs): listing a folder
 * or listing again downloads no layer the last listing read (headers are
 * kept per image), a preview reads only the layer that holds the file, and a
 * call stops (CANCELLED) when its caller goes away or its time limit passes,
 * without waiting for a slow layer to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowseSourceInput } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { browseMethods } from '../../src-main/service/browse.ts';
import { VerifiedBundles } from '../../src-main/usecases/verify.ts';
import { buildBrowseUiFixture, CHANNEL_REPOSITORY, seedBrowseUiFixture, type BrowseUiFixture } from '../harness/browse-ui-fixture.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

let registry: RunningRegistry;
let proxy: FaultProxy;
let fixture: BrowseUiFixture;
let source: BrowseSourceInput;
const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = await buildBrowseUiFixture();
  await seedBrowseUiFixture(registry, fixture);
  proxy = teardown.add(await startFaultProxy({ upstream: registry.url }), (started) => started.stop());
  source = { kind: 'registry', registry: proxy.host, access: { plainHttp: true, authFile: emptyAuthFile } };
}, 180_000);

afterAll(async () => {
  await teardown.run();
});

const BLOB_GET = /\/v2\/.+\/blobs\/sha256:[0-9a-f]{64}$/;
/** Layer and config downloads the proxy has forwarded so far. */
const blobGets = (): number => proxy.requests.filter((request) => request.method === 'GET' && BLOB_GET.test(request.path)).length;

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return error instanceof FerryError ? error.code : String(error);
  }
  return 'no error';
}

describe('browse:* calls of one service', () => {
  it('list folders and preview a file without downloading the layers again', async () => {
    const methods = browseMethods({ verified: new VerifiedBundles() });
    const image = { source, repository: CHANNEL_REPOSITORY, tag: 'stable', platform: 'linux/amd64' };
    const before = blobGets();
    const root = await methods['browse:files']({ ...image });
    expect(root.entries.map((entry) => entry.path)).toContain('version.json');
    const firstListing = blobGets() - before;
    expect(firstListing).toBeGreaterThan(0);

    const folder = await methods['browse:files']({ ...image, path: 'deckhouse' });
    expect(folder.entries.map((entry) => entry.path)).toContain('deckhouse/candi/images_digests.json');
    await methods['browse:files']({ ...image });
    expect(blobGets() - before).toBe(firstListing);

    // The preview needs the file's bytes: the one layer that holds it, no other.
    const preview = await methods['browse:read']({ ...image, path: 'version.json' });
    expect(preview.binary).toBe(false);
    expect(blobGets() - before).toBe(firstListing + 1);

    // Another service (a new app session) keeps nothing.
    await browseMethods({ verified: new VerifiedBundles() })['browse:files']({ ...image });
    expect(blobGets() - before).toBe(2 * firstListing + 1);
  });

  it('stops a call whose caller went away, while a layer is still coming slowly', async () => {
    const methods = browseMethods({ verified: new VerifiedBundles() });
    proxy.addFault({ method: 'GET', path: BLOB_GET, times: 1, fault: { kind: 'slow-body', bytesPerSecond: 8 } });
    const caller = new AbortController();
    const started = Date.now();
    const call = methods['browse:files']({ source, repository: CHANNEL_REPOSITORY, tag: 'stable', platform: 'linux/arm64' }, { signal: caller.signal });
    setTimeout(() => caller.abort(), 500);
    expect(await codeOf(call)).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(10_000);
    proxy.clearFaults();
  });

  it('stops a call that runs past its time limit', async () => {
    const methods = browseMethods({ verified: new VerifiedBundles(), timeLimitMs: 700 });
    proxy.addFault({ method: 'GET', path: BLOB_GET, times: 1, fault: { kind: 'slow-body', bytesPerSecond: 8 } });
    const started = Date.now();
    expect(await codeOf(methods['browse:files']({ source, repository: 'deckhouse/ee', tag: 'v1.60.1' }))).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(10_000);
    proxy.clearFaults();
  });
});
