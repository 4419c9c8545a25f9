/**
 * A `deckhouse:` set round-trips with the layout `d8 mirror push` produces:
 * exported from a registry with the real Deckhouse layout
 * (tests/harness/deckhouse-fixture.ts), imported under REGISTRY/PATH, and then
 * the expected subset of the source and the target are compared repository by
 * repository, tag by tag, digest by digest (as deckhouse-cli's mirror e2e test
 * does) and found identical. `excludeModules` and a module constraint remove
 * exactly what they should.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { formatReference } from '../../src-main/oci/reference.ts';
import { planExport } from '../../src-main/service/export.ts';
import { resolveDeckhouse } from '../../src-main/sources/deckhouse.ts';
import type { ResolveContext } from '../../src-main/sources/types.ts';
import { buildDeckhouseFixture, DECKHOUSE_ROOT, MODULE_NAMES, seedDeckhouseFixture, type DeckhouseFixture } from '../harness/deckhouse-fixture.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { readTree, treeLines, type RegistryTree } from '../harness/registry-tree.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';

const teardown = new Teardown();
let source: RunningRegistry;
let site: RunningRegistry;
let fixture: DeckhouseFixture;
let sourceTree: RegistryTree;
let work: string;
let context: ResolveContext;
const flags = ['--plain-http', '--authfile', emptyAuthFile];
const CHANNELS = ['alpha', 'beta', 'early-access', 'stable', 'rock-solid'];
/** What `sinceVersion: v1.69` carries of the platform: the newest patch of 1.69 and 1.70 and the channel versions at or after 1.69. */
const PLATFORM = ['v1.69.2', 'v1.69.4', 'v1.70.1', 'v1.70.3'];
/** What every module carries by default: every minor from its oldest channel to its newest at the newest patch, and the channel versions. */
const MODULE_VERSIONS: Record<string, string[]> = {
  console: ['v1.34.1', 'v1.35.2', 'v1.35.3', 'v1.36.0', 'v1.36.1', 'v1.37.1'],
  'commander-agent': ['v1.2.4', 'v1.3.0'],
  'csi-nfs': ['v1.4.1', 'v1.5.0'],
  stronghold: ['v1.16.2', 'v1.17.0'],
  virtualization: ['v0.15.3', 'v0.16.0'],
};
const MODULE_CHANNELS: Record<string, string[]> = {
  console: CHANNELS,
  'commander-agent': ['alpha', 'stable'],
  'csi-nfs': ['alpha', 'stable'],
  stronghold: ['alpha', 'stable'],
  virtualization: ['alpha', 'stable', 'lts'],
};
const EXTRAS = ['modules/commander-agent/extra/scanner:3', 'modules/csi-nfs/extra/nfs-utils:v2.6', 'modules/virtualization/extra/dvcr:v0.16.0'];

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, site] = await Promise.all([anonymous(), anonymous()]);
  fixture = await buildDeckhouseFixture();
  await seedDeckhouseFixture(source, fixture);
  sourceTree = await readTree(source);
  work = await mkdtemp(join(tmpdir(), 'ferry-deckhouse-layout-'));
  context = { registries: teardown.add(registriesFor(source), (opened) => opened.close()), platforms: ALL_PLATFORMS, baseDir: work };
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The source tag's digest; the test fails if the fixture does not have it. */
function sourceDigest(path: string, tag: string): string {
  const digest = sourceTree.get(path === '' ? DECKHOUSE_ROOT : `${DECKHOUSE_ROOT}/${path}`)?.get(tag);
  if (!digest) throw new Error(`the source has no ${DECKHOUSE_ROOT}/${path}:${tag}`);
  return digest;
}

/** The component digests a listing image names, from the fixture's own record. */
function listed(path: string, tag: string): string[] {
  return fixture.lists.get(`${DECKHOUSE_ROOT}/${path}:${tag}`.replace(`${DECKHOUSE_ROOT}/:`, `${DECKHOUSE_ROOT}:`)) ?? [];
}

/** `path:tag@digest` lines of the expected target, relative to the import path, for the given platform versions and modules. */
function expectedLines(platform: string[], modules: Record<string, string[]>): string[] {
  const lines = new Set<string>();
  const tagged = (path: string, tag: string): void => {
    lines.add(`${path}:${tag}@${sourceDigest(path, tag)}`);
  };
  const components = (path: string, digests: string[]): void => {
    for (const digest of digests) {
      const hex = digest.slice('sha256:'.length);
      lines.add(`${path}:${hex}@${digest}`);
      const vex = `sha256-${hex}.att`;
      if (sourceTree.get(path === '' ? DECKHOUSE_ROOT : `${DECKHOUSE_ROOT}/${path}`)?.has(vex)) tagged(path, vex);
    }
  };
  for (const channel of CHANNELS) tagged('release-channel', channel);
  for (const v of platform) {
    tagged('', v);
    tagged('release-channel', v);
    tagged('install', v);
    components('', listed('install', v));
  }
  tagged('install-standalone', 'v1.70.3');
  for (const [name, versions] of Object.entries(modules)) {
    const path = `modules/${name}`;
    tagged('modules', name);
    for (const channel of MODULE_CHANNELS[name] ?? []) tagged(`${path}/release`, channel);
    for (const v of versions) {
      tagged(path, v);
      tagged(`${path}/release`, v);
      components(path, listed(path, v));
    }
    for (const extra of EXTRAS.filter((e) => e.startsWith(`${path}/`))) {
      const [where = '', tag = ''] = extra.split(':');
      if (name !== 'virtualization' || versions.includes(tag)) tagged(where, tag);
    }
  }
  for (const [db, tag] of [
    ['trivy-db', '2'],
    ['trivy-java-db', '1'],
    ['trivy-checks', '0'],
    ['trivy-bdu', '1'],
  ] as const)
    tagged(`security/${db}`, tag);
  return [...lines].sort();
}

/** The plan of a resolve as the same `path:tag@digest` lines (digest of a tag from the source tree). */
async function planLines(config: Record<string, unknown>): Promise<string[]> {
  const section = await resolveDeckhouse({ source: `${source.host}/${DECKHOUSE_ROOT}`, sinceVersion: 'v1.69', ...config }, context);
  return section.images
    .map((image) => {
      const path = image.target?.path ?? '(none)';
      const tag = image.target?.tag ?? '(none)';
      return `${path}:${tag}@${image.source.digest ?? sourceDigest(path, tag)}`;
    })
    .sort();
}

it('export → import under REGISTRY/PATH: the target equals the expected source subset, repository by repository, tag by tag, digest by digest', async () => {
  const set = join(work, 'dkp.yaml');
  await writeFile(set, ['deckhouse:', `  source: ${source.host}/${DECKHOUSE_ROOT}`, '  sinceVersion: v1.69', ''].join('\n'));
  const plan = await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run');
  expect(plan.code, plan.stderr).toBe(0);
  // The plan carries every component digest every carried installer and module image lists.
  const planned = [...PLATFORM.flatMap((v) => listed('install', v)), ...Object.entries(MODULE_VERSIONS).flatMap(([name, vs]) => vs.flatMap((v) => listed(`modules/${name}`, v)))];
  expect(new Set(planned).size).toBeGreaterThan(40);
  for (const digest of planned) expect(plan.stdout).toContain(digest);
  expect(plan.stdout).toContain('note: v1.70.3 canary: alpha 2 waves every 5m, stable 6 waves every 30m');
  expect(plan.stdout).toContain('note: v1.70.3 changelog: 1 feature(s), 1 fix(es) in candi, ingress-nginx');
  expect(plan.stdout).toContain('note: v1.70.3 impact (ingress-nginx): ingress controllers restart');
  expect(plan.stdout).toContain(`note: deckhouse modules: ${[...MODULE_NAMES].sort().join(', ')}`);

  // The app's plan (the export wizard's export:plan) carries the same notes the CLI prints.
  const appPlan = await planExport({ references: [], target: '', setFile: set, registry: { plainHttp: true, authFile: emptyAuthFile } }, () => {
    throw new Error('a plan without a site needs no catalog');
  });
  const cliNotes = plan.stdout
    .split('\n')
    .filter((line) => line.startsWith('note: '))
    .map((line) => line.slice('note: '.length));
  expect(appPlan.notes).toEqual(cliNotes);
  expect(appPlan.notes).toContain('v1.70.3 changelog: 1 feature(s), 1 fix(es) in candi, ingress-nginx');
  expect(appPlan.images.filter((i) => i.section === 'deckhouse').length).toBe(expectedLines(PLATFORM, MODULE_VERSIONS).length);

  const bundle = join(work, 'bundle');
  const catalog = join(work, 'catalog.sqlite');
  const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags, '--catalog', catalog);
  expect(exported.code, exported.stderr).toBe(0);
  const refused = await runFerry('import', bundle, '--to', site.host, ...flags);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('needs a path after the registry: REGISTRY/PATH');
  const receipt = join(work, 'receipt.json');
  const mirrorConfig = join(work, 'mirror-config');
  const imported = await runFerry(
    'import',
    bundle,
    '--to',
    `${site.host}/dkp`,
    ...flags,
    '--receipt',
    receipt,
    '--site',
    'dkp-1',
    '--catalog',
    join(work, 'site.sqlite'),
    '--mirror-config',
    mirrorConfig,
  );
  expect(imported.code, imported.stderr).toBe(0);
  // The mirror configuration maps the edition root to the import path itself, and what lies below it to the paths below.
  const conf = parseToml(await readFile(join(mirrorConfig, 'registries.conf.d', '99-ferry-mirror.conf'), 'utf8')) as { registry: Array<{ prefix: string; mirror: Array<{ location: string }> }> };
  const mirrors = new Map(conf.registry.map((r) => [r.prefix, r.mirror.map((m) => m.location)]));
  expect(mirrors.get(`${source.host}/${DECKHOUSE_ROOT}`)).toEqual([`${site.host}/dkp`]);
  expect(mirrors.get(`${source.host}/${DECKHOUSE_ROOT}/modules/console/release`)).toEqual([`${site.host}/dkp/modules/console/release`]);
  // Deckhouse's own registry settings point at the edition root as the import reached it (plain HTTP here).
  const init = parseYaml(await readFile(join(mirrorConfig, 'deckhouse', 'init-configuration.yaml'), 'utf8')) as { deckhouse: Record<string, string> };
  expect(init.deckhouse).toMatchObject({ imagesRepo: `${site.host}/dkp`, registryScheme: 'HTTP' });

  // "Update only what changed": with the site's receipt in the catalog, the next export of the same set is built on it like any other set's.
  expect((await runFerry('receipt', 'add', receipt, '--site', 'dkp-1', '--catalog', catalog)).code).toBe(0);
  const next = join(work, 'bundle-2');
  const update = await runFerry('export', '--to', next, '--set', set, ...flags, '--catalog', catalog, '--site', 'dkp-1');
  expect(update.code, update.stderr).toBe(0);
  const [one, two] = await Promise.all([bundle, next].map(async (b) => JSON.parse(await readFile(join(b, 'ferry.json'), 'utf8')) as BundleManifest));
  expect(two?.parent).toBe(one?.bundleId);
  expect(two?.images.length).toBe(one?.images.length);
  // Nothing changed upstream, so every config and layer is left out and only manifests travel.
  expect((two?.omitted ?? []).length).toBeGreaterThan(100);
  const manifests = new Set(two?.images.map((i) => i.digest));
  expect(two?.blobs.filter((b) => !manifests.has(b.digest))).toEqual([]);

  const target = treeLines(await readTree(site))
    .map((line) => (line.startsWith('dkp:') ? line.slice('dkp'.length) : line.replace(/^dkp\//, '')))
    .sort();
  expect(target).toEqual(expectedLines(PLATFORM, MODULE_VERSIONS));
}, 180_000); // a whole Deckhouse export → import with its mirror configuration: over a minute when the machine is busy

describe('narrowing the modules', () => {
  it('excludeModules removes exactly the excluded modules, listing tag and components included', async () => {
    const all = await planLines({});
    const without = await planLines({ excludeModules: ['stronghold', 'csi-nfs'] });
    expect(all).toEqual(expectedLines(PLATFORM, MODULE_VERSIONS));
    const kept = Object.fromEntries(Object.entries(MODULE_VERSIONS).filter(([name]) => name !== 'stronghold' && name !== 'csi-nfs'));
    expect(without).toEqual(expectedLines(PLATFORM, kept));
    expect(all.filter((line) => !without.includes(line)).every((line) => /^modules(\/stronghold|\/csi-nfs|:stronghold@|:csi-nfs@)/.test(line))).toBe(true);
  });

  it('modules: with a constraint keeps only that module, only the minors the constraint admits', async () => {
    const lines = await planLines({ modules: ['console@~1.35'], noPlatform: true, securityDatabases: false });
    const path = 'modules/console';
    const versions = ['v1.35.2', 'v1.35.3'];
    const expected = [
      `modules:console@${sourceDigest('modules', 'console')}`,
      ...CHANNELS.map((c) => `${path}/release:${c}@${sourceDigest(`${path}/release`, c)}`),
      ...versions.flatMap((v) => [`${path}:${v}@${sourceDigest(path, v)}`, `${path}/release:${v}@${sourceDigest(`${path}/release`, v)}`]),
      ...versions.flatMap((v) => listed(path, v)).map((d) => `${path}:${d.slice('sha256:'.length)}@${d}`),
    ];
    expect(lines).toEqual([...new Set(expected)].sort());
  });

  it('a module the listing does not have is NOT_FOUND naming it; excluding a module also named is refused', async () => {
    const missing = await failure(resolveDeckhouse({ source: `${source.host}/${DECKHOUSE_ROOT}`, modules: ['no-such-module'] }, context));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('no-such-module');
    const both = await failure(resolveDeckhouse({ source: `${source.host}/${DECKHOUSE_ROOT}`, modules: ['console'], excludeModules: ['console'] }, context));
    expect(both.code).toBe('INVALID_CONTENT');
    expect(both.message).toContain('deckhouse.excludeModules[0]');
  });
});

it('the component images are pinned by digest and land tagged with the digest hex in the repository that lists them', async () => {
  const section = await resolveDeckhouse({ source: `${source.host}/${DECKHOUSE_ROOT}`, tag: 'v1.70.3', noModules: true, securityDatabases: false }, context);
  const components = section.images.filter((i) => i.source.digest !== undefined);
  expect(components.length).toBe(listed('install', 'v1.70.3').length);
  for (const image of components) {
    expect(image.source.repository).toBe(DECKHOUSE_ROOT);
    expect(image.target).toEqual({ path: '', tag: image.source.digest?.slice('sha256:'.length) });
    expect(formatReference(image.source)).toContain('@sha256:');
  }
});
