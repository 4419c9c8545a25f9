/**
 * The app's browser methods (`browse:*`) through browser mode's HTTP server
 * and the renderer's own client, against a real registry and a bundle the
 * service exported from it: repositories and tags paged, digests on demand,
 * the platforms of an index, an image's file tree, version.json previewed as
 * text, a binary file flagged, a big file cut at the preview cap, the
 * renderer's bad arguments refused before they reach the engine, and a
 * registry behind a password read with the login the desktop app saved.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSE_PREVIEW_BYTES, type ApiClient, type BrowseSourceInput } from '../../src-shared/api/contract.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { ApiError, clientOver, httpTransport } from '../../src-renderer/api/client.ts';
import {
  BIDI_NAME,
  bigText,
  buildBrowseUiFixture,
  CHANNEL_REPOSITORY,
  CHANNEL_TAGS,
  channelVersionJson,
  extraRepositories,
  extraTags,
  PLAIN_REPOSITORIES,
  seedBrowseUiFixture,
  type BrowseUiFixture,
} from '../harness/browse-ui-fixture.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { testCipher } from '../harness/test-cipher.ts';

let work: string;
let registry: RunningRegistry;
let fixture: BrowseUiFixture;
let service: Service;
let server: BrowserServer;
let client: ApiClient;
let source: BrowseSourceInput;
const teardown = new Teardown();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-browse-service-'));
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = await buildBrowseUiFixture();
  await seedBrowseUiFixture(registry, fixture);
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (created) => created.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', rendererDir: work }), (started) => started.close());
  client = clientOver(httpTransport({ baseUrl: new URL('/', server.url).toString(), token: server.token }));
  source = { kind: 'registry', registry: registry.host, access: { plainHttp: true, authFile: emptyAuthFile } };
}, 180_000);

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The error a call fails with (an ApiError carrying the engine's code). */
async function failure(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

const ALL_REPOSITORIES = [CHANNEL_REPOSITORY, ...PLAIN_REPOSITORIES, ...extraRepositories()].sort();
const ALL_TAGS = [...CHANNEL_TAGS, ...extraTags()].sort();

describe('browse:* against a registry, through browser mode', () => {
  it('pages through the repositories with last/next', async () => {
    const seen: string[] = [];
    let last: string | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await client['browse:repositories']({ source, n: 50, ...(last !== undefined ? { last } : {}) });
      expect(page.repositories.length).toBeLessThanOrEqual(50);
      seen.push(...page.repositories);
      if (page.next === undefined) break;
      last = page.next;
    }
    expect(seen).toEqual(ALL_REPOSITORIES);
  });

  it('lists every tag across its pages, and gives each tag its digest when asked', async () => {
    // Distribution 2.8 ignores `n` for tags and answers them all at once; a registry that pages gives `next` until the end.
    const seen: string[] = [];
    let last: string | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await client['browse:tags']({ source, repository: CHANNEL_REPOSITORY, n: 100, ...(last !== undefined ? { last } : {}) });
      expect(page.tags.every((t) => t.digest === undefined)).toBe(true);
      seen.push(...page.tags.map((t) => t.tag));
      if (page.next === undefined) break;
      last = page.next;
    }
    expect(seen).toEqual(ALL_TAGS);
    const withDigests = await client['browse:tags']({ source, repository: CHANNEL_REPOSITORY, n: 100, digests: true });
    expect(withDigests.tags.length).toBeGreaterThan(0);
    for (const tag of withDigests.tags) expect(tag.digest).toBe(fixture.channel.digest);
  });

  it("shows an index's platforms, an image's file tree, and version.json as text", async () => {
    const image = { source, repository: CHANNEL_REPOSITORY, tag: 'stable' };
    const manifest = await client['browse:platforms'](image);
    expect(manifest).toMatchObject({ digest: fixture.channel.digest, mediaType: 'application/vnd.oci.image.index.v1+json' });
    expect(manifest.platforms.map((p) => ({ platform: p.platform, digest: p.digest }))).toEqual(fixture.platforms);

    const { entries } = await client['browse:files']({ ...image, platform: 'linux/arm64' });
    const files = entries.filter((e) => e.type === 'file').map((e) => e.path.replace(/^\.?\//, ''));
    expect(files).toEqual(expect.arrayContaining(['version.json', 'changelog.yaml', 'deckhouse/candi/images_digests.json', 'bin/tool', BIDI_NAME, 'docs/big.txt']));

    const version = await client['browse:read']({ ...image, platform: 'linux/arm64', path: 'version.json' });
    expect(version).toEqual({ path: 'version.json', size: channelVersionJson().length, truncated: false, binary: false, text: channelVersionJson().toString('utf8') });
    const changelog = await client['browse:read']({ ...image, platform: 'linux/amd64', path: 'changelog.yaml' });
    expect(changelog.text).toContain('built for amd64');
  });

  it('flags a binary file and cuts a big one at the preview cap', async () => {
    const image = { source, repository: CHANNEL_REPOSITORY, tag: 'v1.60.1', platform: 'linux/amd64' };
    expect(await client['browse:read']({ ...image, path: 'bin/tool' })).toMatchObject({ binary: true, text: '', truncated: false, size: 10 });
    const big = await client['browse:read']({ ...image, path: 'docs/big.txt' });
    expect(big).toMatchObject({ binary: false, truncated: true, size: bigText().length });
    expect(Buffer.byteLength(big.text)).toBe(BROWSE_PREVIEW_BYTES);
    expect(big.text).toBe(bigText().subarray(0, BROWSE_PREVIEW_BYTES).toString('utf8'));
  });

  it('offers a single-platform image as itself, and lists its files without a platform', async () => {
    const image = { source, repository: 'deckhouse/ee', tag: 'v1.60.1' };
    const manifest = await client['browse:platforms'](image);
    expect(manifest.platforms.map((p) => ({ platform: p.platform, digest: p.digest }))).toEqual([{ platform: 'linux/amd64', digest: fixture.plain.digest }]);
    expect(manifest.digest).toBe(fixture.plain.digest);
    const { entries } = await client['browse:files'](image);
    expect(entries.map((e) => e.path.replace(/^\.?\//, ''))).toContain('deckhouse/version');
  });

  it('reaches the registry only with the access it was given (no plain HTTP: refused)', async () => {
    const error = await failure(client['browse:repositories']({ source: { kind: 'registry', registry: registry.host, access: { authFile: emptyAuthFile } } }));
    expect(['NETWORK_ERROR', 'TLS_ERROR']).toContain(error.code);
  });
});

describe("browse:* refuses the renderer's bad arguments", () => {
  const image = { repository: CHANNEL_REPOSITORY, tag: 'stable' };
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    ['a login inside the registry address', () => client['browse:repositories']({ source: { kind: 'registry', registry: 'user:s3cret-pw@127.0.0.1:5000' } }), 'INVALID_REFERENCE'],
    ['a registry with a path', () => client['browse:repositories']({ source: { kind: 'registry', registry: '127.0.0.1:5000/team' } }), 'INVALID_ARGUMENT'],
    ['an unknown source kind', () => client['browse:repositories']({ source: { kind: 'file', path: '/' } as never }), 'INVALID_ARGUMENT'],
    ['a page size of 0', () => client['browse:repositories']({ source, n: 0 }), 'INVALID_ARGUMENT'],
    ['a repository carrying a tag', () => client['browse:tags']({ source, repository: 'deckhouse/ee:evil' }), 'INVALID_ARGUMENT'],
    ['a repository with upper case', () => client['browse:tags']({ source, repository: 'Deckhouse' }), 'INVALID_ARGUMENT'],
    ['a tag with a slash', () => client['browse:platforms']({ source, repository: CHANNEL_REPOSITORY, tag: 'a/b' }), 'INVALID_ARGUMENT'],
    ['no tag and no digest', () => client['browse:platforms']({ source, repository: CHANNEL_REPOSITORY }), 'INVALID_ARGUMENT'],
    ['a malformed digest', () => client['browse:platforms']({ source, repository: CHANNEL_REPOSITORY, digest: 'sha256:xyz' }), 'INVALID_DIGEST'],
    ['a malformed platform', () => client['browse:files']({ source, ...image, platform: 'linux' }), 'INVALID_ARGUMENT'],
    ['a path holding NUL', () => client['browse:read']({ source, ...image, platform: 'linux/amd64', path: 'version.json\0' }), 'INVALID_ARGUMENT'],
    ['no path to read', () => client['browse:read']({ source, ...image, platform: 'linux/amd64', path: '' }), 'INVALID_ARGUMENT'],
  ];
  for (const [what, call, code] of cases) {
    it(`refuses ${what}`, async () => {
      const error = await failure(call());
      expect(error.code).toBe(code);
      expect(error.message).not.toContain('s3cret-pw');
    });
  }
});

describe('browse:* against a bundle the service exported', () => {
  it('shows the same repositories, tags, files and version.json as the registry', async () => {
    const bundle = join(work, 'bundle');
    const { jobId } = await client['export:run']({ references: [`${registry.host}/${CHANNEL_REPOSITORY}:stable`], target: bundle, registry: { plainHttp: true, authFile: emptyAuthFile } });
    const job = await service.settled(jobId);
    expect(job?.status).toBe('succeeded');
    const fromBundle: BrowseSourceInput = { kind: 'bundle', path: bundle };
    const { repositories } = await client['browse:repositories']({ source: fromBundle });
    const repository = repositories.find((r) => r.endsWith(CHANNEL_REPOSITORY));
    expect(repository, repositories.join(', ')).toBeDefined();
    if (repository === undefined) return;
    const { tags } = await client['browse:tags']({ source: fromBundle, repository, digests: true });
    expect(tags).toEqual([{ tag: 'stable', digest: fixture.channel.digest }]);
    const image = { source: fromBundle, repository, tag: 'stable' };
    expect((await client['browse:platforms'](image)).platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    const version = await client['browse:read']({ ...image, platform: 'linux/amd64', path: 'version.json' });
    expect(version).toMatchObject({ binary: false, truncated: false, text: channelVersionJson().toString('utf8') });
  }, 120_000);
});

describe('browse:* with a login saved in the desktop app', () => {
  it('reads a TLS + htpasswd registry with the saved login, and is refused before it is saved', async () => {
    const secured = teardown.add(await startRegistry({ mode: 'tls-basic' }), (started) => started.stop());
    const image = (await buildFixtures())['oci-single'];
    await seedFixtures(secured, [image]);
    const app = teardown.add(createService({ mode: 'electron', catalogPath: join(work, 'app', 'catalog.sqlite'), cipher: testCipher() }), (created) => created.close());
    const securedSource: BrowseSourceInput = { kind: 'registry', registry: secured.host, access: { caCertFiles: [secured.caFile ?? ''], authFile: emptyAuthFile } };
    // Through `call`, as the IPC adapter hands the renderer's untrusted arguments over.
    const refused = await app.call('browse:repositories', { source: securedSource }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'UNAUTHORIZED' });
    await app['credentials:save']({ registry: secured.host, username: secured.username ?? '', password: secured.password ?? '' });
    expect(await app.call('browse:repositories', { source: securedSource })).toEqual({ repositories: [image.repository] });
    expect(await app.call('browse:tags', { source: securedSource, repository: image.repository, digests: true })).toEqual({ tags: [{ tag: image.tag, digest: image.manifestDigest }] });
  }, 120_000);
});
