/**
 * Export channels and per-channel sequences (issue 14), against a real
 * registry and a real catalog: each export on a channel numbers one above the
 * highest the catalog recorded there, `--channel` picks another, and import
 * records the channel on the disconnected side.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/catalog/index.ts';
import { exportChannel } from '../../src-main/usecases/export.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let mirror: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
const teardown = new Teardown();
const registryFlags = ['--plain-http', '--authfile', emptyAuthFile];
const refOf = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
const ferryJson = async (dir: string) => JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, mirror] = await Promise.all([anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-channel-'));
});
afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('export channels', () => {
  it('the default channel is this host and the set name; odd characters become -', () => {
    expect(exportChannel({}, 'build-1')).toBe('build-1/images');
    expect(exportChannel({ setFile: '/sets/Deck house.yaml' }, 'build-1')).toBe('build-1/Deck-house');
    expect(exportChannel({ channel: 'plant-7/ocp@4.16' }, 'build-1')).toBe('plant-7/ocp@4.16');
    expect(() => exportChannel({ channel: '../evil channel' })).toThrow(/channel "..\/evil channel" is not allowed/);
  });

  it('sequences count per channel in the catalog; import records the channel', async () => {
    const catalog = join(work, 'connected.sqlite');
    const exportTo = (name: string, ...rest: string[]) => runFerry('export', '--to', join(work, name), refOf('oci-single'), ...registryFlags, '--catalog', catalog, ...rest);
    for (const name of ['b1', 'b2']) expect((await exportTo(name)).code).toBe(0);
    const other = await exportTo('b3', '--channel', 'lab/test');
    expect(other.code, other.stderr).toBe(0);
    const third = await exportTo('b4');
    expect(third.code).toBe(0);
    const channel = `${hostname()}/images`.replace(/[^A-Za-z0-9._:/@-]/g, '-');
    expect((await Promise.all(['b1', 'b2', 'b3', 'b4'].map(async (name) => ferryJson(join(work, name))))).map((m) => [m.channel, m.sequence])).toEqual([
      [channel, 1],
      [channel, 2],
      ['lab/test', 1],
      [channel, 3],
    ]);
    const bad = await exportTo('b5', '--channel', 'no spaces');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not allowed');

    const siteCatalog = join(work, 'site.sqlite');
    const imported = await runFerry('import', join(work, 'b2'), '--to', mirror.host, ...registryFlags, '--catalog', siteCatalog);
    expect(imported.code, imported.stderr).toBe(0);
    const site = Catalog.open(siteCatalog);
    try {
      expect(site.highestSequence(channel, 'import')).toBe(2);
      expect(site.highestSequence(channel, 'export')).toBeUndefined();
    } finally {
      site.close();
    }
  });
});
