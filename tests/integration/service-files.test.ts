/**
 * The app's file picker (`files:list`) and bundle finder (`bundles:find`) on a
 * real folder tree holding a real Ferry bundle, a skopeo-written OCI layout,
 * a damaged ferry.json and places the finder must not look.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src-main/service.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { dockerRef, skopeoCopy } from '../harness/skopeo.ts';

let registry: RunningRegistry;
let fixture: FixtureImage;
let multi: FixtureImage;
let work: string;
let drive: string;
let service: Service;

const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  const fixtures = await buildFixtures();
  fixture = fixtures['oci-single'];
  multi = fixtures['oci-index'];
  await seedFixtures(registry, [fixture, multi]);
  work = await mkdtemp(join(tmpdir(), 'ferry-service-files-'));
  drive = join(work, 'drive');
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (created) => created.close());
  // A real bundle two folders down, as a field engineer files them: drive/2026/november.
  const bundle = join(drive, '2026', 'november');
  const { jobId } = await service['export:run']({ references: [`${registry.host}/${fixture.repository}:${fixture.tag}`], target: bundle, registry: { plainHttp: true, authFile: emptyAuthFile } });
  const job = await service.settled(jobId);
  expect(job?.status, JSON.stringify(job?.error)).toBe('succeeded');
  // A plain OCI layout written by skopeo, one folder down.
  await skopeoCopy({ ref: dockerRef(registry, fixture.repository, fixture.tag), registry }, { ref: `oci:${join(drive, 'layout')}:app` });
  await skopeoCopy({ ref: dockerRef(registry, multi.repository, multi.tag), registry }, { ref: `oci:${join(drive, 'layout')}:multi` });
  // Too deep, hidden, and damaged.
  await cp(bundle, join(drive, 'a', 'b', 'too-deep'), { recursive: true });
  await cp(bundle, join(drive, '.trash', 'old'), { recursive: true });
  await mkdir(join(drive, 'broken'), { recursive: true });
  await writeFile(join(drive, 'broken', 'ferry.json'), '{"formatVersion": 1}');
  await writeFile(join(drive, 'notes.txt'), 'twelve bytes');
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('bundles:find', () => {
  it('finds the bundle and the layout within two folders, reports the damaged one, skips hidden and deeper folders', async () => {
    const found = await service['bundles:find']({ roots: [drive] });
    expect(found.map((f) => f.path)).toEqual([join(drive, '2026', 'november'), join(drive, 'broken'), join(drive, 'layout')]);
    const [bundle, broken, layout] = found;
    expect(bundle).toMatchObject({ kind: 'ferry', form: 'directory', images: 1, sequence: 1, problem: null, drive: null });
    expect(bundle?.bundleId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bundle?.bytes).toBe(fixture.totalSize);
    expect(broken?.problem).toMatch(/ferry\.json cannot be read/);
    expect(layout).toMatchObject({ kind: 'oci-layout', problem: null });
  });

  it('refuses a roots argument that is not a list of strings', async () => {
    await expect(service.call('bundles:find', { roots: 'nope' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { argument: 'roots' } });
  });
});

describe('import:inspect of a plain OCI layout', () => {
  it('sizes each image from its own manifests and lists the platforms its index names', async () => {
    const inspection = await service['import:inspect']({ bundle: join(drive, 'layout') });
    expect(inspection.form).toBe('oci-layout');
    const byDigest = new Map(inspection.images.map((i) => [i.digest, i]));
    expect(byDigest.get(fixture.manifestDigest)).toMatchObject({ size: fixture.totalSize, platforms: [] });
    expect(byDigest.get(multi.manifestDigest)).toMatchObject({ size: multi.totalSize, platforms: multi.platforms.map((p) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`) });
  });
});

describe('files:list', () => {
  it('lists folders first, then files with sizes, without hidden names, and knows the parent', async () => {
    const listing = await service['files:list']({ path: drive });
    expect(listing.path).toBe(drive);
    expect(listing.parent).toBe(work);
    expect(listing.truncated).toBe(false);
    expect(listing.entries.map((e) => `${e.kind}:${e.name}`)).toEqual(['folder:2026', 'folder:a', 'folder:broken', 'folder:layout', 'file:notes.txt']);
    expect(listing.entries.at(-1)).toEqual({ name: 'notes.txt', path: join(drive, 'notes.txt'), kind: 'file', size: 12 });
  });

  it('names a missing folder and a file given as a folder', async () => {
    await expect(service['files:list']({ path: join(drive, 'missing') })).rejects.toThrow(`the folder ${join(drive, 'missing')} does not exist`);
    await expect(service['files:list']({ path: join(drive, 'notes.txt') })).rejects.toThrow(/is not a folder/);
  });
});
