/**
 * Browsing a real registry (Distribution) as `crane ls` / `crane export … |
 * tar -Oxf -` do: repositories and tags with pagination, the file tree of an
 * image with its layers applied in order, one file out of it, and a layer
 * altered on the registry's disk refused by its digest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseFiles, browsePlatforms, browseReadFile, browseRepositories, browseStreamFile, browseTags } from '../../src-main/usecases/browse.ts';
import type { BrowseSource } from '../../src-shared/model/browse.ts';
import { BIG_FILE, NEW_VERSION, buildBrowseImage, pushBrowseImage, pushTags, type BrowseImage } from '../harness/browse-fixture.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure } from '../harness/test-helpers.ts';

const RELEASE = 'deckhouse/ee/release-channel';
const MANY = 'deckhouse/ee/many';
/** 130 tags: more than one page of 100, the page size registries commonly default to. */
const TAGS = Array.from({ length: 130 }, (_, i) => `v1.${String(i).padStart(3, '0')}.0`);

const teardown = new Teardown();
let registry: RunningRegistry;
let proxy: FaultProxy;
let image: BrowseImage;
let source: BrowseSource;
const settings = { plainHttp: true };

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  proxy = teardown.add(await startFaultProxy({ upstream: registry.url }), (started) => started.stop());
  image = await buildBrowseImage();
  await pushBrowseImage(registry, RELEASE, image, ['stable', 'alpha']);
  await pushBrowseImage(registry, MANY, image, TAGS.slice(0, 1));
  await pushTags(registry, MANY, image.manifest, TAGS.slice(1));
  for (const name of ['a/one', 'b/two', 'c/three']) await pushBrowseImage(registry, name, image, ['latest']);
  source = { kind: 'registry', registry: registry.host };
}, 60_000);

afterAll(() => teardown.run());

describe('listing a registry', () => {
  it('pages through the catalog with n and last, following the Link header', async () => {
    const seen: string[] = [];
    let last: string | undefined;
    let pages = 0;
    do {
      const page = await browseRepositories(source, settings, { n: 2, ...(last ? { last } : {}) });
      seen.push(...page.repositories);
      last = page.next;
      pages += 1;
    } while (last !== undefined);
    expect(seen).toEqual(['a/one', 'b/two', 'c/three', MANY, RELEASE]);
    expect(pages).toBe(3);
  });

  it('lists all 130 tags in order, in pages through a registry that paginates with Link', async () => {
    const all = await browseTags(source, settings, MANY);
    expect(all.tags.map((t) => t.tag)).toEqual(TAGS);
    const paged: BrowseSource = { kind: 'registry', registry: proxy.host };
    proxy.addFault({ method: 'GET', path: /\/tags\/list/, times: 100, fault: { kind: 'paginate-tags', pageSize: 50 } });
    const seen: string[] = [];
    let last: string | undefined;
    do {
      const page = await browseTags(paged, settings, MANY, last ? { last } : {});
      seen.push(...page.tags.map((t) => t.tag));
      last = page.next;
    } while (last !== undefined);
    proxy.clearFaults();
    expect(seen).toEqual(TAGS);
    expect(proxy.requests.filter((r) => r.fault === 'paginate-tags')).toHaveLength(3);
  });

  it('gives each tag its digest when asked', async () => {
    const page = await browseTags(source, settings, RELEASE, {}, { digests: true });
    expect(page.tags).toEqual([
      { tag: 'alpha', digest: image.manifest.digest },
      { tag: 'stable', digest: image.manifest.digest },
    ]);
  });

  it('names the platform of a single image from its config', async () => {
    const manifest = await browsePlatforms(source, settings, { repository: RELEASE, tag: 'stable' });
    expect(manifest).toEqual({
      digest: image.manifest.digest,
      mediaType: image.manifest.mediaType,
      platforms: [{ platform: 'linux/amd64', digest: image.manifest.digest, mediaType: image.manifest.mediaType, size: image.manifest.size }],
    });
  });
});

describe('the files of an image', () => {
  it('lists the tree the layers make: replaced, whited-out and opaque paths as a runtime would unpack them', async () => {
    const files = await browseFiles(source, settings, { repository: RELEASE, tag: 'stable' });
    expect(files.entries.map((e) => `${e.type} ${e.path} ${e.size}${e.linkTarget ? ` -> ${e.linkTarget}` : ''} @${e.layer}`)).toEqual([
      `file big.bin ${BIG_FILE.length} @0`,
      'dir cache 0 @1',
      'file cache/new 6 @1',
      'file changelog.yaml 15 @0',
      'symlink current.json 0 -> version.json @1',
      `file version.json ${NEW_VERSION.length} @1`,
    ]);
  });

  it('reads version.json from the upper layer, through a symlink too, and refuses what a later layer deleted', async () => {
    const read = await browseReadFile(source, settings, { repository: RELEASE, tag: 'stable' }, '/version.json', { maxBytes: 1 << 20 });
    expect(Buffer.from(read.bytes).equals(NEW_VERSION)).toBe(true);
    const linked = await browseReadFile(source, settings, { repository: RELEASE, tag: 'stable' }, 'current.json', { maxBytes: 10 });
    expect(linked).toMatchObject({ path: 'version.json', size: NEW_VERSION.length, truncated: true });
    expect(Buffer.from(linked.bytes).equals(NEW_VERSION.subarray(0, 10))).toBe(true);
    expect((await failure(browseReadFile(source, settings, { repository: RELEASE, tag: 'stable' }, 'gone.txt', { maxBytes: 100 }))).code).toBe('NOT_FOUND');
    expect((await failure(browseReadFile(source, settings, { repository: RELEASE, tag: 'stable' }, 'cache/old', { maxBytes: 100 }))).code).toBe('NOT_FOUND');
  });

  it('streams a file bigger than the hold unbounded', async () => {
    const chunks: Uint8Array[] = [];
    const read = await browseStreamFile(source, settings, { repository: RELEASE, tag: 'alpha' }, 'big.bin', { holdBytes: 1024 }, async (chunk) => {
      chunks.push(chunk);
    });
    expect(read.size).toBe(BIG_FILE.length);
    expect(Buffer.concat(chunks).equals(BIG_FILE)).toBe(true);
  });
});
