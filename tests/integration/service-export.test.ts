/**
 * The app's export through the service (what `export:plan` and `export:run`
 * do for the wizard): an image list read from a file, and an incremental
 * bundle for a site whose receipt is in the catalog, as `ferry export --site`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobOfKind, type ExportInput, type ExportJobResult } from '../../src-shared/api/contract.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { BlobProgress } from '../../src-shared/model/oci.ts';
import { Catalog } from '../../src-main/catalog/index.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let catalogPath: string;
let service: Service;

const ref = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
const ferryJson = async (dir: string) => JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
const input = (patch: Partial<ExportInput>): ExportInput => ({ references: [], target: '', registry: { plainHttp: true, authFile: emptyAuthFile }, ...patch });

async function run(args: ExportInput): Promise<ExportJobResult> {
  const { jobId } = await service['export:run'](args);
  const settled = await service.settled(jobId);
  const job = settled && jobOfKind(settled, 'export');
  expect(job?.status, JSON.stringify(settled?.error)).toBe('succeeded');
  if (job?.status !== 'succeeded') throw new Error(`export job ${jobId} did not succeed`);
  return job.result;
}

const teardown = new Teardown();

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['docker-schema2']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-service-export-'));
  catalogPath = join(work, 'catalog.sqlite');
  service = teardown.add(createService({ mode: 'browser', catalogPath }), (created) => created.close());
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('export through the service', () => {
  it('maps blobs to planned images and reports blob states in batched job:blobs events covering the plan', async () => {
    const plan = await service['export:plan'](input({ references: [ref('oci-single'), ref('docker-schema2')] }));
    expect(plan.problems).toEqual([]);
    for (const name of ['oci-single', 'docker-schema2'] as const) {
      const image = plan.images.find((i) => i.digest === fixtures[name].manifestDigest);
      expect(image?.blobs.sort()).toEqual(fixtures[name].blobs.map((b) => b.digest).sort());
    }
    const batches: Array<{ at: number; blobs: BlobProgress[] }> = [];
    const off = service.on('job:blobs', ({ blobs }) => batches.push({ at: Date.now(), blobs }));
    let jobId = '';
    try {
      ({ jobId } = await service['export:run'](input({ references: [ref('oci-single'), ref('docker-schema2')], target: join(work, 'bundle-blobs') })));
      const job = await service.settled(jobId);
      expect(job?.status, JSON.stringify(job?.error)).toBe('succeeded');
    } finally {
      off();
    }
    const latest = new Map<string, BlobProgress>();
    for (const batch of batches) {
      // Only what changed, once per batch.
      expect(new Set(batch.blobs.map((b) => b.digest)).size).toBe(batch.blobs.length);
      for (const b of batch.blobs) latest.set(b.digest, b);
    }
    const planned = new Set(plan.images.flatMap((i) => i.blobs));
    expect(planned.size).toBeGreaterThan(2);
    for (const digest of planned) expect(['finished', 'skipped', 'mounted'], digest).toContain(latest.get(digest)?.state);
    // A fresh export moves every blob through at least two states (started, then finished): batches are fewer than that.
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThan(2 * latest.size);
    // At most one batch per 250 ms (the last is flushed as the job ends, so it may come sooner).
    for (let i = 1; i < batches.length - 1; i += 1) expect((batches[i]?.at ?? 0) - (batches[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(240);
  });

  it('reads an image list file named by imageListFile, and names it in ferry.json', async () => {
    const list = join(work, 'images.txt');
    await writeFile(list, `# two fixtures\n${ref('oci-single')}\n\n${ref('docker-schema2')}\n`);
    const plan = await service['export:plan'](input({ imageListFile: list }));
    expect(plan.problems).toEqual([]);
    expect(plan.images.map((i) => i.digest).sort()).toEqual([fixtures['oci-single'].manifestDigest, fixtures['docker-schema2'].manifestDigest].sort());
    const missing = service['export:plan'](input({ imageListFile: join(work, 'no-such-list.txt') }));
    await expect(missing).rejects.toMatchObject({ code: expect.any(String) });
  });

  it('with site, leaves out what the site has and records the parent bundle', async () => {
    const first = join(work, 'bundle-1');
    await run(input({ references: [ref('oci-single')], target: first }));
    const one = await ferryJson(first);
    // The site imported bundle 1: its receipt, as `ferry receipt add` records it.
    const catalog = Catalog.open(catalogPath);
    try {
      catalog.ensureSite('plant-7', [source.host]);
      catalog.addReceipt(
        {
          receiptVersion: 1,
          site: 'plant-7',
          registry: source.host,
          bundleId: one.bundleId,
          importedAt: new Date().toISOString(),
          images: [],
          digests: [...one.blobs.map((b) => b.digest)],
        },
        'plant-7',
      );
    } finally {
      catalog.close();
    }

    const list = join(work, 'images.txt');
    const plan = await service['export:plan'](input({ imageListFile: list, site: 'plant-7' }));
    expect(plan.parent).toBe(one.bundleId);
    expect(plan.savedByIncremental).toBe(fixtures['oci-single'].blobs.reduce((n, b) => n + b.size, 0));
    // Per-image progress maps only what the bundle carries: the image the site has moves nothing and counts its bytes as left out.
    const siteHas = plan.images.find((i) => i.digest === fixtures['oci-single'].manifestDigest);
    const changed = plan.images.find((i) => i.digest === fixtures['docker-schema2'].manifestDigest);
    expect(siteHas).toMatchObject({ blobs: [], omittedBytes: plan.savedByIncremental });
    expect(changed?.blobs.sort()).toEqual(fixtures['docker-schema2'].blobs.map((b) => b.digest).sort());
    expect(changed?.omittedBytes).toBeUndefined();

    const second = join(work, 'bundle-2');
    await run(input({ imageListFile: list, site: 'plant-7', target: second }));
    const two = await ferryJson(second);
    expect(two.parent).toBe(one.bundleId);
    expect(two.sequence).toBe(one.sequence + 1);
    expect((two.omitted ?? []).map((b) => b.digest).sort()).toEqual(fixtures['oci-single'].blobs.map((b) => b.digest).sort());
    expect(two.imageSet.lists.map((l) => l.file)).toEqual(['images.txt']);
    const inspected = await service['import:inspect']({ bundle: second });
    expect(inspected.images.find((i) => i.digest === fixtures['oci-single'].manifestDigest)).toMatchObject({ blobs: [], omittedBytes: plan.savedByIncremental });
    // Compared with this catalog, the image the site has was carried before (by an earlier bundle, not this one); with an empty catalog, everything is new.
    const before = inspected.images.find((i) => i.digest === fixtures['oci-single'].manifestDigest)?.carriedBefore;
    expect(before?.bundleId).toBeTruthy();
    expect(before?.bundleId).not.toBe(two.bundleId);
    const fresh = createService({ mode: 'browser', catalogPath: join(work, 'fresh', 'catalog.sqlite') });
    try {
      expect((await fresh['import:inspect']({ bundle: second })).images.map((i) => i.carriedBefore)).toEqual([null, null]);
    } finally {
      await fresh.close();
    }
    const bundles = await service['catalog:bundles']({ limit: 10 });
    expect(bundles.map((b) => b.id)).toContain(two.bundleId);
  });

  it('an unknown site is refused before anything is written, saying what to do', async () => {
    const plan = service['export:plan'](input({ references: [ref('oci-single')], site: 'nowhere' }));
    await expect(plan).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/site.*nowhere.*receipt/) });
  });
});

describe('drives:eject', () => {
  it('refuses a path that is no listed drive, as an error envelope', async () => {
    await expect(service.call('drives:eject', { path: join(work, 'not-a-drive') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.call('drives:eject', {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('saved sets', () => {
  it('saves references as a named image set that plans the same images, and lists it', async () => {
    const saved = await service['sets:save']({ name: 'monthly plant-7', references: [ref('oci-single'), ` ${ref('docker-schema2')} `], platforms: ['linux/amd64'] });
    expect(saved.path).toBe(join(work, 'sets', 'monthly plant-7.yaml'));
    expect((await service['sets:list']({})).map((s) => s.name)).toEqual(['monthly plant-7']);
    const fromSet = await service['export:plan'](input({ setFile: saved.path }));
    expect(fromSet.problems).toEqual([]);
    expect(fromSet.images.map((i) => i.digest).sort()).toEqual([fixtures['oci-single'].manifestDigest, fixtures['docker-schema2'].manifestDigest].sort());
  });

  it('names a bad reference or a bad set name and writes nothing', async () => {
    await expect(service['sets:save']({ name: 'x', references: [ref('oci-single'), 'Not A Reference'] })).rejects.toMatchObject({
      code: 'INVALID_REFERENCE',
      message: expect.stringContaining('Not A Reference'),
    });
    await expect(service['sets:save']({ name: '../escape', references: [ref('oci-single')] })).rejects.toMatchObject({ details: { argument: 'name' } });
    expect((await service['sets:list']({})).map((s) => s.name)).toEqual(['monthly plant-7']);
  });
});
