import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { readBack } from '../../src-main/bundle/read-back.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { mountFat32, mountTmpfs } from '../harness/mounts.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;

const teardown = new Teardown();

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['big-layers'], fixtures['oci-index']]);
});

afterAll(() => teardown.run());

const refOf = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;

it('refuses before writing when the drive is too small, saying how much is needed and free', async () => {
  const drive = await mountTmpfs(4 * 1024 * 1024);
  try {
    const result = await runFerry('export', '--to', join(drive.dir, 'bundle'), refOf('big-layers'), '--plain-http', '--authfile', emptyAuthFile);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not enough space on .* \(tmpfs\): the bundle needs 12(\.\d+)? MiB, 4(\.\d+)? MiB is free/);
    expect(await readdir(drive.dir)).toEqual([]);
  } finally {
    await drive.unmount();
  }
});

it('on a FAT32 drive chooses the archive form with 4 GiB - 1 byte parts by itself', async () => {
  const drive = await mountFat32(64 * 1024 * 1024);
  try {
    const dir = join(drive.dir, 'bundle');
    const result = await runFerry('export', '--to', dir, refOf('oci-index'), refOf('big-layers'), '--plain-http', '--authfile', emptyAuthFile, '--json');
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ form: 'archive' });
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
    expect(manifest.form).toBe('archive');
    expect(manifest.parts.map((p) => p.name)).toEqual(['part-000000.tar']);
    expect((await readdir(dir)).sort()).toEqual(['ferry.json', 'part-000000.tar']);
    expect((await readBack(dir)).blobs).toBe(manifest.blobs.length);
    const directory = await runFerry('export', '--to', join(drive.dir, 'other'), refOf('oci-index'), '--plain-http', '--authfile', emptyAuthFile, '--part-size', '5GiB');
    expect(directory.code).toBe(2);
    expect(directory.stderr).toMatch(/4294967295|4 GiB/);
  } finally {
    await drive.unmount();
  }
});
