import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildDeckhouseFixture, DECKHOUSE_ROOT, seedDeckhouseFixture } from '../harness/deckhouse-fixture.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let site: RunningRegistry;
let work: string;
const flags = ['--plain-http', '--authfile', emptyAuthFile];

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, site] = await Promise.all([anonymous(), anonymous()]);
  await seedDeckhouseFixture(source, await buildDeckhouseFixture());
  work = await mkdtemp(join(tmpdir(), 'ferry-deckhouse-set-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

// A whole Deckhouse edition exported and imported: 16 s with the machine at load 6, over 60 s at load 17 (a mid-session full run timed out).
it('export --set (Deckhouse) → import lands every image under its path and tag, digests intact', async () => {
  const set = join(work, 'deckhouse.yaml');
  await writeFile(set, ['deckhouse:', `  source: ${source.host}/${DECKHOUSE_ROOT}`, '  sinceVersion: v1.69', '  modules: [console@~1.37]', '  securityDatabases: true', ''].join('\n'));
  const plan = await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run');
  expect(plan.code, plan.stderr).toBe(0);
  expect(plan.stdout).toMatch(/note: v1\.70\.\d+ requires/);
  const bundle = join(work, 'bundle');
  const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags);
  expect(exported.code, exported.stderr).toBe(0);
  const manifest = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as BundleManifest;
  expect(manifest.images.every((i) => i.section === 'deckhouse' && (i.targets?.length ?? 0) > 0)).toBe(true);
  expect(manifest.imageSet.set).toBe('deckhouse.yaml');
  const imported = await runFerry('import', bundle, '--to', `${site.host}/mirror`, ...flags, '--receipt', join(work, 'receipt.json'));
  expect(imported.code, imported.stderr).toBe(0);
  expect(manifest.images.length).toBeGreaterThan(10);
  for (const image of manifest.images) {
    for (const target of image.targets ?? []) {
      const landed = `docker://${site.host}/mirror${target.path === '' ? '' : `/${target.path}`}${target.tag ? `:${target.tag}` : `@${image.digest}`}`;
      expect(await skopeoInspectRawDigest(landed, site), landed).toBe(image.digest);
    }
  }
  // d8 mirror push's layout: the edition root lands at the import path itself (<prefix>:<version>), everything else below it, no edition level kept.
  expect(manifest.images.filter((i) => i.source === `${source.host}/${DECKHOUSE_ROOT}:v1.70.3`).map((i) => i.targets)).toEqual([[{ path: '', tag: 'v1.70.3' }]]);
  expect(manifest.images.some((i) => i.targets?.[0]?.path === 'release-channel')).toBe(true);
  expect(manifest.images.some((i) => i.targets?.some((t) => t.path.startsWith('deckhouse/')))).toBe(false);
}, 180_000);

it('the license from the set authenticates to the Deckhouse registry and is never written to the bundle', async () => {
  const licensed = await startRegistry({ mode: 'tls-basic', users: [{ username: 'license-token', password: 'LICENSE-KEY-42' }] });
  try {
    await seedDeckhouseFixture(licensed, await buildDeckhouseFixture(), { creds: { username: 'license-token', password: 'LICENSE-KEY-42' } });
    const set = join(work, 'licensed.yaml');
    await writeFile(set, ['deckhouse:', `  source: ${licensed.host}/${DECKHOUSE_ROOT}`, '  license: env:FERRY_TEST_DECKHOUSE_LICENSE', '  tag: v1.70.3', '  noModules: true', ''].join('\n'));
    const bundle = join(work, 'licensed-bundle');
    const args = ['export', '--to', bundle, '--set', set, '--authfile', emptyAuthFile, '--ca-cert', licensed.caFile ?? ''];
    const missing = await runFerry(...args);
    expect(missing.stderr).toContain('the Deckhouse license "env:FERRY_TEST_DECKHOUSE_LICENSE" is empty or missing');
    process.env.FERRY_TEST_DECKHOUSE_LICENSE = 'LICENSE-KEY-42';
    try {
      const result = await runFerry(...args);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).not.toContain('LICENSE-KEY-42');
      const { readdir } = await import('node:fs/promises');
      for (const name of ['ferry.json', 'index.json']) expect(await readFile(join(bundle, name), 'utf8')).not.toContain('LICENSE-KEY-42');
      expect((await readdir(bundle)).sort()).toEqual(['blobs', 'ferry.json', 'index.json', 'oci-layout']);
    } finally {
      delete process.env.FERRY_TEST_DECKHOUSE_LICENSE;
    }
  } finally {
    await licensed.stop();
  }
});
