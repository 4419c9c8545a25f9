import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoCopy, skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let site: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let catalog: string;

const registryFlags = ['--plain-http', '--authfile', emptyAuthFile];
/** Points `to` in the source registry at a fixture's image, with skopeo (the way an upstream release moves a tag). */
async function retag(from: FixtureName, to: string): Promise<void> {
  const image = fixtures[from];
  await skopeoCopy({ ref: `docker://${source.host}/${image.repository}:${image.tag}`, registry: source }, { ref: `docker://${source.host}/${to}`, registry: source });
}
const ferryJson = async (dir: string) => JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, site] = await Promise.all([anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['docker-schema2'], fixtures['big-layers']]);
  await retag('oci-single', 'app/one:v1');
  await retag('docker-schema2', 'app/two:v1');
  work = await mkdtemp(join(tmpdir(), 'ferry-incremental-'));
  catalog = join(work, 'catalog.sqlite');
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('incremental bundles', () => {
  const first = () => join(work, 'bundle-1');
  const second = () => join(work, 'bundle-2');
  const refs = () => [`${source.host}/app/one:v1`, `${source.host}/app/two:v1`];

  it('a second bundle for a site carries only what changed, and imports on top of the first', async () => {
    expect((await runFerry('export', '--to', first(), ...refs(), ...registryFlags, '--catalog', catalog)).code).toBe(0);
    const receipt = join(work, 'receipt-1.json');
    const imported = await runFerry('import', first(), '--to', site.host, ...registryFlags, '--site', 'plant-7', '--receipt', receipt, '--catalog', join(work, 'site-catalog.sqlite'));
    expect(imported.code, imported.stderr).toBe(0);
    // Back on the connected side: the receipt tells the catalog what plant-7 has.
    const added = await runFerry('receipt', 'add', receipt, '--site', 'plant-7', '--catalog', catalog);
    expect(added.code, added.stderr).toBe(0);
    // One image changes upstream.
    await retag('big-layers', 'app/two:v1');
    const plan = await runFerry('export', '--to', second(), ...refs(), ...registryFlags, '--catalog', catalog, '--site', 'plant-7', '--dry-run');
    expect(plan.stdout).toMatch(/incremental on top of bundle [0-9a-f-]{36}: [\d.]+ \w*B left out/);
    const exported = await runFerry('export', '--to', second(), ...refs(), ...registryFlags, '--catalog', catalog, '--site', 'plant-7', '--json');
    expect(exported.code, exported.stderr).toBe(0);
    const one = await ferryJson(first());
    const two = await ferryJson(second());
    expect(two.parent).toBe(one.bundleId);
    expect(two.sequence).toBe(2);
    // Checked by bytes: the non-manifest blobs of bundle 2 are exactly the changed image's config and layers.
    const manifests = new Set(fixtures['big-layers'].manifests.map((m) => m.digest).concat(fixtures['oci-single'].manifests.map((m) => m.digest)));
    const carried = two.blobs.filter((b) => !manifests.has(b.digest));
    expect(carried.map((b) => b.digest).sort()).toEqual(fixtures['big-layers'].blobs.map((b) => b.digest).sort());
    expect(carried.reduce((n, b) => n + b.size, 0)).toBe(fixtures['big-layers'].blobs.reduce((n, b) => n + b.size, 0));
    expect((two.omitted ?? []).map((b) => b.digest).sort()).toEqual(fixtures['oci-single'].blobs.map((b) => b.digest).sort());
    expect((await runFerry('verify', second())).code).toBe(0);
    const second_import = await runFerry(
      'import',
      second(),
      '--to',
      site.host,
      ...registryFlags,
      '--site',
      'plant-7',
      '--receipt',
      join(work, 'receipt-2.json'),
      '--catalog',
      join(work, 'site-catalog.sqlite'),
    );
    expect(second_import.code, second_import.stderr).toBe(0);
    expect(await skopeoInspectRawDigest(`docker://${site.host}/app/one:v1`, site)).toBe(fixtures['oci-single'].manifestDigest);
    expect(await skopeoInspectRawDigest(`docker://${site.host}/app/two:v1`, site)).toBe(fixtures['big-layers'].manifestDigest);
  });

  it('without its base the incremental bundle fails before any write, naming the parent bundle', async () => {
    const empty = await startRegistry({ mode: 'anonymous' });
    const proxy: FaultProxy = await startFaultProxy({ upstream: empty.url });
    try {
      const result = await runFerry('import', second(), '--to', proxy.host, ...registryFlags, '--receipt', join(work, 'receipt-x.json'));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`import bundle ${(await ferryJson(first())).bundleId} first`);
      expect(proxy.requests.filter((r) => !['GET', 'HEAD'].includes(r.method))).toEqual([]);
    } finally {
      await proxy.stop();
      await empty.stop();
    }
  });

  it('the catalog answers what was recorded, and a tampered audit row is detected', async () => {
    const bundles = JSON.parse((await runFerry('catalog', 'bundles', '--json', '--catalog', catalog)).stdout) as Array<{ id: string; sequence: number }>;
    expect(bundles.map((b) => b.sequence)).toEqual([2, 1]);
    const history = JSON.parse((await runFerry('catalog', 'history', `${source.host}/app/two`, '--json', '--catalog', catalog)).stdout) as Array<{ digest: string }>;
    expect(history.map((h) => h.digest)).toEqual([fixtures['big-layers'].manifestDigest, fixtures['docker-schema2'].manifestDigest]);
    const containing = JSON.parse((await runFerry('catalog', 'bundles', '--contains', fixtures['big-layers'].blobs[1]?.digest ?? '', '--json', '--catalog', catalog)).stdout) as Array<{ id: string }>;
    expect(containing.map((b) => b.id)).toEqual([(await ferryJson(second())).bundleId]);
    expect((await runFerry('catalog', 'audit', '--catalog', catalog)).code).toBe(0);
    const raw = new Database(catalog);
    const triggers = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as Array<{ name: string }>;
    for (const { name } of triggers) raw.exec(`DROP TRIGGER ${name}`);
    const table = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%audit%'").get() as { name: string }).name;
    raw.prepare(`UPDATE ${table} SET subject = 'someone-else' WHERE rowid = (SELECT MIN(rowid) FROM ${table})`).run();
    raw.close();
    const check = await runFerry('catalog', 'audit', '--json', '--catalog', catalog);
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: false, brokenAt: 1 });
  });
});
