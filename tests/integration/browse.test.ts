/**
 * Browsing a real registry (Distribution) as `crane ls` / `crane export … |
 * tar -Oxf -` do: repositories and tags with pagination, the file tree of an
 * image with its layers applied in order, one file out of it, and a layer
 * altered on the registry's disk refused by its digest — through the use
 * case and through `ferry ls` / `ferry cat`, against the registry and
 * against bundles Ferry exported from it (folder and archive form).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseFiles, browsePlatforms, browseReadFile, browseRepositories, browseStreamFile, browseTags } from '../../src-main/usecases/browse.ts';
import type { BrowseSource } from '../../src-shared/model/browse.ts';
import { parseReference } from '../../src-main/oci/reference.ts';
import { readImageFile } from '../../src-main/sources/image-files.ts';
import { registriesFor } from '../harness/ferry-access.ts';
import { BIG_FILE, NEW_VERSION, buildBrowseImage, pushBrowseImage, pushBrowseIndex, pushTags, registryBlobFile, type BrowseImage } from '../harness/browse-fixture.ts';
import { removeDir, trackDir } from '../harness/cleanup.ts';
import { seededBytes } from '../harness/fixture-content.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';

const RELEASE = 'deckhouse/ee/release-channel';
const MANY = 'deckhouse/ee/many';
/** 130 tags: more than one page of 100, the page size registries commonly default to. */
const TAGS = Array.from({ length: 130 }, (_, i) => `v1.${String(i).padStart(3, '0')}.0`);

const teardown = new Teardown();
let registry: RunningRegistry;
let proxy: FaultProxy;
let image: BrowseImage;
let source: BrowseSource;
let work: string;
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
  work = teardown.add(await mkdtemp(join(tmpdir(), 'ferry-browse-')), removeDir);
  trackDir(work);
}, 60_000);

afterAll(() => teardown.run());

/** Runs `run` with the system temp folder pointed at a fresh folder under `work`; returns its result and what was left in that folder. */
async function withOwnTmp<T>(work: string, run: (tmp: string) => Promise<T>): Promise<{ result: T; left: string[] }> {
  const tmp = await mkdtemp(join(work, 'tmp-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const result = await run(tmp);
    return { result, left: await readdir(tmp) };
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}

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

  it('gives the resolvers (readImageFile) the same answers: the upper version.json, nothing for a whited-out file', async () => {
    const registries = registriesFor(registry);
    try {
      const reference = (path: string): Promise<Buffer> => readImageFile(registries, parseReference(`${registry.host}/${RELEASE}:stable`), path);
      expect((await reference('version.json')).equals(NEW_VERSION)).toBe(true);
      expect((await failure(reference('gone.txt'))).code).toBe('NOT_FOUND');
      expect((await failure(reference('cache/old'))).code).toBe('NOT_FOUND');
    } finally {
      await registries.close();
    }
  });

  it('streams a file bigger than the hold in full, out of a private temporary file it then removes', async () => {
    const chunks: Uint8Array[] = [];
    const spools: string[] = [];
    const { result: read, left } = await withOwnTmp(work, (tmp) =>
      browseStreamFile(source, settings, { repository: RELEASE, tag: 'alpha' }, 'big.bin', { holdBytes: 1024 }, async (chunk) => {
        if (chunks.length === 0)
          spools.push(
            ...readdirSync(tmp)
              .map((name) => statSync(join(tmp, name)).mode & 0o777)
              .map((mode) => mode.toString(8)),
          );
        chunks.push(chunk);
      }),
    );
    expect(read.size).toBe(BIG_FILE.length);
    expect(Buffer.concat(chunks).equals(BIG_FILE)).toBe(true);
    // While the verified bytes were copied out, they sat in one folder only the user can enter; nothing is left after.
    expect(spools).toEqual(['700']);
    expect(left).toEqual([]);
  });
});

describe('a multi-platform image', () => {
  const MULTI = 'deckhouse/ee/multi';
  const ARM_VERSION = Buffer.from('{"version":"v1.70.2-arm64"}\n');
  let arm: BrowseImage;

  beforeAll(async () => {
    arm = await buildBrowseImage(ARM_VERSION, seededBytes('arm', 1000));
    await pushBrowseIndex(
      registry,
      MULTI,
      [
        { image, platform: { os: 'linux', architecture: 'amd64' } },
        { image: arm, platform: { os: 'linux', architecture: 'arm64' } },
      ],
      'both',
    );
    await pushBrowseIndex(registry, MULTI, [{ image: arm, platform: { os: 'linux', architecture: 'arm64' } }], 'arm-only');
  });

  it('lists every manifest of the index with its platform, attestations included', async () => {
    const manifest = await browsePlatforms(source, settings, { repository: MULTI, tag: 'both' });
    expect(manifest.platforms.map((p) => `${p.platform}:${p.digest === image.manifest.digest ? 'amd' : p.digest === arm.manifest.digest ? 'arm' : 'other'}`)).toEqual([
      'linux/amd64:amd',
      'linux/arm64:arm',
      'unknown/unknown:other',
    ]);
  });

  it('reads the platform asked for, else linux/amd64, else the only real one, and names the platforms when none fits', async () => {
    const read = async (tag: string, platform?: string): Promise<string> =>
      Buffer.from((await browseReadFile(source, settings, { repository: MULTI, tag }, 'version.json', { maxBytes: 1000, ...(platform ? { platform } : {}) })).bytes).toString();
    expect(await read('both')).toBe(NEW_VERSION.toString());
    expect(await read('both', 'linux/arm64')).toBe(ARM_VERSION.toString());
    expect(await read('arm-only')).toBe(ARM_VERSION.toString());
    const missing = await failure(read('both', 'linux/s390x'));
    expect(missing.code).toBe('PLATFORM_NOT_FOUND');
    expect(missing.message).toContain('linux/amd64, linux/arm64');
    const files = await browseFiles(source, settings, { repository: MULTI, tag: 'both' }, { platform: 'linux/arm64', path: 'version.json' });
    expect(files).toMatchObject({ digest: arm.manifest.digest, platform: 'linux/arm64', entries: [{ path: 'version.json', size: ARM_VERSION.length }] });
  });
});

describe('ferry ls and ferry cat against the registry', () => {
  it('lists the repositories, and all 130 tags of a repository in order', async () => {
    const repositories = await runFerry('ls', '--plain-http', registry.host);
    expect(repositories).toMatchObject({ code: 0, stderr: '' });
    // Every repository the registry holds by now (earlier tests push more), once each and in order.
    const lines = repositories.stdout.split('\n').slice(0, -1);
    expect(lines).toEqual([...new Set(lines)].sort());
    expect(lines).toEqual(expect.arrayContaining(['a/one', 'b/two', 'c/three', 'deckhouse/ee/multi', MANY, RELEASE]));
    const tags = await runFerry('ls', '--plain-http', `${registry.host}/${MANY}`);
    expect(tags.code).toBe(0);
    expect(tags.stdout).toBe(TAGS.map((tag) => `${tag}\n`).join(''));
    const digests = await runFerry('ls', '--plain-http', '--digests', '--json', `${registry.host}/${RELEASE}`);
    expect(JSON.parse(digests.stdout)).toEqual({
      repository: RELEASE,
      tags: [
        { tag: 'alpha', digest: image.manifest.digest },
        { tag: 'stable', digest: image.manifest.digest },
      ],
    });
  });

  it('lists the files like tar -tv, below a path when given', async () => {
    const listed = await runFerry('ls', '--plain-http', '--files', `${registry.host}/${RELEASE}:stable`, 'cache');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe('drwxr-xr-x 0 2020-01-01 00:00 cache/\n-rw-r--r-- 6 2020-01-01 00:00 cache/new\n');
  });

  it('writes version.json exactly as crane export | tar -Oxf - version.json would: the upper layer wins', async () => {
    const cat = await runFerry('cat', '--plain-http', `${registry.host}/${RELEASE}:stable`, 'version.json');
    expect(cat).toMatchObject({ code: 0, stderr: '' });
    expect(cat.stdoutBytes.equals(NEW_VERSION)).toBe(true);
    const gone = await runFerry('cat', '--plain-http', `${registry.host}/${RELEASE}:stable`, 'gone.txt');
    expect(gone.code).toBe(1);
    expect(gone.stdout).toBe('');
    expect(gone.stderr).toContain('gone.txt was deleted by a later layer');
  });

  it('ends quietly with 141, as a program killed by SIGPIPE does, when the reader closes the pipe early (| head)', async () => {
    // Bigger than the 16 MiB cat holds in memory, so it is copied out of the temporary file when the reader stops.
    await pushBrowseImage(registry, 'deckhouse/ee/big', await buildBrowseImage(NEW_VERSION, seededBytes('big-cat', 20_000_000)), ['v1']);
    const bin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');
    const child = spawn('bash', ['-c', `node "${bin}" cat --plain-http ${registry.host}/deckhouse/ee/big:v1 big.bin | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    expect({ status: stdout.trim(), stderr }).toEqual({ status: '141', stderr: '' });
  }, 60_000);
});

describe('the same through bundles Ferry exported', () => {
  let folder: string;
  let archive: string;
  const name = (): string => `${registry.host}/${RELEASE}`;

  beforeAll(async () => {
    folder = join(work, 'folder');
    archive = join(work, 'archive');
    expect((await runFerry('export', '--plain-http', '--to', folder, `${name()}:stable`, `${registry.host}/${MANY}:v1.007.0`)).code).toBe(0);
    expect((await runFerry('export', '--plain-http', '--archive', '--to', archive, `${name()}:stable`)).code).toBe(0);
  }, 60_000);

  it("lists the bundle's repositories and tags, and the same file tree as the registry", async () => {
    expect((await runFerry('ls', folder)).stdout).toBe(`${registry.host}/${MANY}\n${name()}\n`);
    expect((await runFerry('ls', `${folder}:${name()}`)).stdout).toBe('stable\n');
    const fromBundle = JSON.parse((await runFerry('ls', '--json', '--files', `${folder}:${name()}:stable`)).stdout) as unknown;
    const fromRegistry = JSON.parse((await runFerry('ls', '--json', '--plain-http', '--files', `${name()}:stable`)).stdout) as unknown;
    expect(fromBundle).toEqual(fromRegistry);
  });

  it('cats version.json out of the folder and out of the archive parts, oci: syntax too', async () => {
    for (const target of [`${folder}:${name()}:stable`, `oci:${archive}:${name()}:stable`]) {
      const cat = await runFerry('cat', target, 'current.json');
      expect(cat).toMatchObject({ code: 0, stderr: '' });
      expect(cat.stdoutBytes.equals(NEW_VERSION)).toBe(true);
    }
  });

  it('refuses a bundle whose blob was altered: nothing is read from it', async () => {
    const copy = join(work, 'altered');
    expect((await runFerry('export', '--plain-http', '--to', copy, `${name()}:stable`)).code).toBe(0);
    const upper = image.layers[1];
    if (!upper) throw new Error('fixture has two layers');
    const file = join(copy, 'blobs', 'sha256', upper.digest.slice('sha256:'.length));
    const bytes = await readFile(file);
    const at = bytes.indexOf(NEW_VERSION) + 3;
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    await writeFile(file, bytes);
    const cat = await runFerry('cat', `${copy}:${name()}:stable`, 'version.json');
    expect(cat.code).toBe(1);
    expect(cat.stdout).toBe('');
    expect(cat.stderr).toContain('failed verification');
    expect(await readdir(copy)).toContain('ferry.json');
  });
});

describe('a layer altered on the registry', () => {
  const UPPER = 'deckhouse/ee/altered-upper';
  const LOWER = 'deckhouse/ee/altered-lower';
  const HUGE = 'deckhouse/ee/altered-huge';
  let upperAltered: BrowseImage;

  /** Pushes an image with layers of its own (so altering them touches no other test's blobs) and returns it. */
  async function pushOwn(repository: string, seed: string, bigBytes = 300_000): Promise<BrowseImage> {
    const own = await buildBrowseImage(Buffer.from(`{"version":"${seed}"}\n`), seededBytes(seed, bigBytes));
    await pushBrowseImage(registry, repository, own, ['v1']);
    return own;
  }

  async function alter(digest: string | undefined, at: (bytes: Buffer) => number): Promise<void> {
    if (digest === undefined) throw new Error('fixture has two layers');
    const file = registryBlobFile(registry, digest);
    const bytes = await readFile(file);
    const index = at(bytes);
    bytes[index] = (bytes[index] ?? 0) ^ 0x01;
    await writeFile(file, bytes);
  }

  beforeAll(async () => {
    upperAltered = await pushOwn(UPPER, 'v9.9.9');
    await alter(upperAltered.layers[1]?.digest, (bytes) => bytes.indexOf('v9.9.9'));
    // The gzip trailer's CRC: gunzip hands out every byte of big.bin before it can tell.
    const lowerAltered = await pushOwn(LOWER, 'v8.8.8');
    await alter(lowerAltered.layers[0]?.digest, (bytes) => bytes.length - 6);
    // Past the 16 MiB ferry cat holds in memory.
    const hugeAltered = await pushOwn(HUGE, 'v7.7.7', 17_000_000);
    await alter(hugeAltered.layers[0]?.digest, (bytes) => bytes.length - 6);
  });

  it('makes ferry cat of a file past its memory hold print nothing when the layer fails its check at the end', async () => {
    const { result: cat, left } = await withOwnTmp(work, () => runFerry('cat', '--plain-http', `${registry.host}/${HUGE}:v1`, 'big.bin'));
    expect(cat.code).toBe(1);
    expect(cat.stdoutBytes.length).toBe(0);
    expect(cat.stderr).toContain('does not match');
    expect(left).toEqual([]);
  });

  it('makes ferry cat fail with the layer named, printing nothing of a small file', async () => {
    const cat = await runFerry('cat', '--plain-http', `${registry.host}/${UPPER}:v1`, 'version.json');
    expect(cat.code).toBe(1);
    expect(cat.stdoutBytes.length).toBe(0);
    expect(cat.stderr).toContain('does not match');
    expect(cat.stderr).toContain(upperAltered.layers[1]?.digest);
    const gzipped = await runFerry('cat', '--plain-http', `${registry.host}/${LOWER}:v1`, 'changelog.yaml');
    expect(gzipped.code).toBe(1);
    expect(gzipped.stdoutBytes.length).toBe(0);
    expect(gzipped.stderr).toContain('does not match');
  });

  it('writes nothing of a file bigger than the hold whose layer fails its check at the end, and leaves no temporary file', async () => {
    let written = 0;
    const { result: error, left } = await withOwnTmp(work, () =>
      failure(
        browseStreamFile(source, settings, { repository: LOWER, tag: 'v1' }, 'big.bin', { holdBytes: 1024 }, async (chunk) => {
          written += chunk.length;
        }),
      ),
    );
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(written).toBe(0);
    expect(left).toEqual([]);
    expect((await failure(browseFiles(source, settings, { repository: LOWER, tag: 'v1' }))).code).toBe('DIGEST_MISMATCH');
  });
});
