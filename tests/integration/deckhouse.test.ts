/**
 * The Deckhouse resolver against a real registry seeded with a Deckhouse-like
 * layout (tests/harness/deckhouse-fixture.ts): resolved plans are asserted
 * exactly, image by image and note by note.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDeckhouse, parseDeckhouseConfig, sequentialMinors, withChannelVersions } from '../../src-main/sources/deckhouse.ts';
import type { ResolveContext, ResolvedSection } from '../../src-main/sources/types.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { releaseVersion, type Version } from '../../src-main/sources/versions.ts';
import type { Registries } from '../../src-main/oci/registry/registries.ts';
import { DECKHOUSE_ROOT, SUSPENDED_ROOT, buildDeckhouseFixture, seedDeckhouseFixture } from '../harness/deckhouse-fixture.ts';
import { registriesFor } from '../harness/ferry-access.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure } from '../harness/test-helpers.ts';

let registry: RunningRegistry;
let registries: Registries;
let context: ResolveContext;
let root: string;
let suspendedRoot: string;

const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  await seedDeckhouseFixture(registry, await buildDeckhouseFixture());
  registries = teardown.add(registriesFor(registry), (opened) => opened.close());
  context = { registries, platforms: ALL_PLATFORMS, baseDir: tmpdir() };
  root = `${registry.host}/${DECKHOUSE_ROOT}`;
  suspendedRoot = `${registry.host}/${SUSPENDED_ROOT}`;
});

afterAll(() => teardown.run());

/**
 * The plan as sorted `repository:tag` lines (host stripped), after checking
 * each image's section, host and target; component images pinned by digest
 * and their attestations are left out here (deckhouse-layout.test.ts checks them).
 */
function plan(section: ResolvedSection): string[] {
  return section.images
    .filter((image) => image.source.digest === undefined && image.source.tag?.endsWith('.att') !== true)
    .map((image) => {
      expect(image.section).toBe('deckhouse');
      expect(image.source.registry).toBe(registry.host);
      // d8 mirror push layout: the path below the edition root (the root itself is ''), the same tag.
      const editionRoot = image.source.repository.startsWith(SUSPENDED_ROOT) ? SUSPENDED_ROOT : DECKHOUSE_ROOT;
      expect(image.target).toEqual({ path: image.source.repository.slice(editionRoot.length + 1), tag: image.source.tag });
      return `${image.source.repository}:${image.source.tag}`;
    })
    .sort();
}

/** The notes without the per-version canary, changelog and component lines (asserted on their own below). */
function core(notes: string[]): string[] {
  return notes.filter((n) => !/ canary: | changelog: | impact \(|component image|has no installer image/.test(n));
}

/** The platform alone: no modules, no security databases. */
const PLATFORM_ONLY = { noModules: true, securityDatabases: false };

const CHANNELS = ['alpha', 'beta', 'early-access', 'stable', 'rock-solid'];
const ee = (tag: string): string => `${DECKHOUSE_ROOT}:${tag}`;
const rc = (tag: string): string => `${DECKHOUSE_ROOT}/release-channel:${tag}`;
const install = (tag: string): string => `${DECKHOUSE_ROOT}/install:${tag}`;

describe('platform from release channels', () => {
  it('sinceVersion v1.67 carries every minor 1.67…1.70 at its newest patch, the channel versions, channel and install images', async () => {
    const section = await resolveDeckhouse({ source: root, sinceVersion: 'v1.67', ...PLATFORM_ONLY }, context);
    expect(plan(section)).toEqual(
      [
        ...CHANNELS.map(rc),
        // newest patches: v1.67.5 v1.68.4 v1.69.4 v1.70.3 (v1.70.5 and v1.71.0 are past alpha); v1.69.2 and v1.70.1 are what early-access and beta point at
        ...['v1.67.5', 'v1.68.4', 'v1.69.2', 'v1.69.4', 'v1.70.1', 'v1.70.3'].map(ee),
        // no release-channel:v1.68.4 and no install:v1.68.4 in the source
        ...['v1.67.5', 'v1.69.2', 'v1.69.4', 'v1.70.1', 'v1.70.3'].map(rc),
        ...['v1.67.5', 'v1.69.2', 'v1.69.4', 'v1.70.1', 'v1.70.3'].map(install),
        `${DECKHOUSE_ROOT}/install-standalone:v1.70.3`,
      ].sort(),
    );
    expect(section.notes).toContain(`deckhouse: v1.68.4 has no installer image (${root}/install:v1.68.4), so its component images are not carried`);
    expect(section.notes).toContain('v1.70.3 canary: alpha 2 waves every 5m, stable 6 waves every 30m');
    expect(section.notes).toContain('v1.68.4 changelog: 1 feature(s), 1 fix(es) in candi, ingress-nginx');
    expect(section.notes).toContain('v1.69.4 impact (ingress-nginx): ingress controllers restart');
    expect(section.notes.filter((n) => n.includes('component image(s) from 5 installer image(s)'))).toHaveLength(1);
    expect(core(section.notes)).toEqual([
      'deckhouse channels: alpha v1.70.3, beta v1.70.1, early-access v1.69.2, stable v1.68.4, rock-solid v1.67.5',
      'v1.67.5 requires k8s 1.27',
      'v1.68.4 requires k8s 1.28, ingressNginx 1.9',
      'v1.69.2 requires k8s 1.28',
      'v1.69.4 requires k8s 1.29; disruptions: ingressNginx',
      'v1.70.1 requires k8s 1.29, autoK8sVersion 1.31',
      'v1.70.3 requires k8s 1.29, autoK8sVersion 1.31',
    ]);
  });

  it('without sinceVersion starts at the oldest channel (rock-solid)', async () => {
    const withSince = await resolveDeckhouse({ source: root, sinceVersion: 'v1.67.0', ...PLATFORM_ONLY }, context);
    const without = await resolveDeckhouse({ source: root, ...PLATFORM_ONLY }, context);
    expect(plan(without)).toEqual(plan(withSince));
  });

  it('sinceVersion v1.66.1 reaches back to minor 1.66 at its newest patch', async () => {
    const section = await resolveDeckhouse({ source: root, sinceVersion: 'v1.66.1', ...PLATFORM_ONLY }, context);
    const images = plan(section);
    expect(images.filter((i) => i.startsWith(`${DECKHOUSE_ROOT}:`))).toEqual(['v1.66.3', 'v1.67.5', 'v1.68.4', 'v1.69.2', 'v1.69.4', 'v1.70.1', 'v1.70.3'].map(ee));
    expect(images).toContain(rc('v1.66.3'));
    expect(section.notes).toContain('v1.66.3 requires k8s 1.26');
  });

  it('sinceVersion v1.69.3 leaves out older minors and channel versions, and says which channels point outside', async () => {
    const section = await resolveDeckhouse({ source: root, sinceVersion: 'v1.69.3', channels: CHANNELS, ...PLATFORM_ONLY }, context);
    expect(plan(section)).toEqual(
      [
        ...CHANNELS.map(rc),
        ...['v1.69.4', 'v1.70.1', 'v1.70.3'].map(ee),
        ...['v1.69.4', 'v1.70.1', 'v1.70.3'].map(rc),
        ...['v1.69.4', 'v1.70.1', 'v1.70.3'].map(install),
        `${DECKHOUSE_ROOT}/install-standalone:v1.70.3`,
      ].sort(),
    );
    expect(section.notes).toEqual(
      expect.arrayContaining([
        'deckhouse: channel early-access points at v1.69.2, which is not carried',
        'deckhouse: channel stable points at v1.68.4, which is not carried',
        'deckhouse: channel rock-solid points at v1.67.5, which is not carried',
      ]),
    );
  });

  it('refuses to skip a minor that has no tags', async () => {
    const error = await failure(resolveDeckhouse({ source: root, sinceVersion: 'v1.60', ...PLATFORM_ONLY }, context));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('minor 1.60');
    expect(error.message).toContain('cannot be skipped');
  });

  it('a restricted channel list bounds the newest version', async () => {
    const section = await resolveDeckhouse({ source: root, channels: ['stable', 'rock-solid'], ...PLATFORM_ONLY }, context);
    expect(plan(section)).toEqual([rc('stable'), rc('rock-solid'), ee('v1.67.5'), ee('v1.68.4'), rc('v1.67.5'), install('v1.67.5')].sort());
  });
});

describe('suspended channel', () => {
  it('stops with a message naming the channel and the way out', async () => {
    const error = await failure(resolveDeckhouse({ source: suspendedRoot }, context));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain('suspended release channel "alpha"');
    expect(error.message).toContain('ignoreSuspend: true');
    expect(error.message).toContain('tag:');
  });

  it('ignoreSuspend carries it anyway and notes the missing channels', async () => {
    const section = await resolveDeckhouse({ source: suspendedRoot, ignoreSuspend: true }, context);
    expect(plan(section)).toEqual(
      [
        // This installer lists its components by tag (images_tags.json): they land in the root under those tags.
        ...['common-init-base', 'common-pause-base', 'registrypackages-d8-69', 'registrypackages-d8-70'].map((t) => `${SUSPENDED_ROOT}:${t}`),
        `${SUSPENDED_ROOT}/install:v1.69.1`,
        `${SUSPENDED_ROOT}/install:v1.70.2`,
        `${SUSPENDED_ROOT}/release-channel:alpha`,
        `${SUSPENDED_ROOT}/release-channel:stable`,
        `${SUSPENDED_ROOT}/release-channel:v1.70.2`,
        `${SUSPENDED_ROOT}:v1.69.1`,
        `${SUSPENDED_ROOT}:v1.70.2`,
      ].sort(),
    );
    expect(core(section.notes)).toEqual([
      `deckhouse: channel alpha is suspended at v1.70.2, carried anyway (ignoreSuspend)`,
      `deckhouse: channel beta not found (${suspendedRoot}/release-channel:beta), skipped`,
      `deckhouse: channel early-access not found (${suspendedRoot}/release-channel:early-access), skipped`,
      `deckhouse: channel rock-solid not found (${suspendedRoot}/release-channel:rock-solid), skipped`,
      'deckhouse channels: alpha v1.70.2, stable v1.69.1',
      'v1.69.1 requires k8s 1.28',
      'v1.70.2 requires k8s 1.29',
      // The defaults: every module of the listing (this root has none) and the security databases where published (none here).
      `deckhouse: the source lists no modules (${suspendedRoot}/modules), none carried`,
      `deckhouse: security database(s) trivy-db, trivy-java-db, trivy-checks, trivy-bdu not published by this edition (${suspendedRoot}/security), skipped`,
    ]);
  });
});

describe('pinned tag', () => {
  it('pins one version without reading channels, even on a suspended source', async () => {
    const section = await resolveDeckhouse({ source: suspendedRoot, tag: 'v1.69.1', ...PLATFORM_ONLY }, context);
    expect(plan(section)).toEqual([
      `${SUSPENDED_ROOT}/install:v1.69.1`,
      ...['common-init-base', 'common-pause-base', 'registrypackages-d8-69'].map((t) => `${SUSPENDED_ROOT}:${t}`),
      `${SUSPENDED_ROOT}:v1.69.1`,
    ]);
    expect(core(section.notes)).toEqual([
      'deckhouse: release channels not consulted, tag v1.69.1 is pinned',
      `v1.69.1: no release metadata found (${suspendedRoot}/release-channel:v1.69.1 is absent)`,
    ]);
  });

  it('adds the versioned release and install images of the pinned version', async () => {
    const section = await resolveDeckhouse({ source: root, tag: 'v1.69.4', ...PLATFORM_ONLY }, context);
    expect(plan(section)).toEqual([ee('v1.69.4'), rc('v1.69.4'), install('v1.69.4')].sort());
    expect(section.notes).toContain('v1.69.4 requires k8s 1.29; disruptions: ingressNginx');
  });

  it('a pinned tag that does not exist is NOT_FOUND', async () => {
    const error = await failure(resolveDeckhouse({ source: root, tag: 'v1.99.0' }, context));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('v1.99.0');
  });
});

describe('modules', () => {
  const mod = (name: string, tag: string): string => `${DECKHOUSE_ROOT}/modules/${name}:${tag}`;
  const rel = (name: string, tag: string): string => `${DECKHOUSE_ROOT}/modules/${name}/release:${tag}`;
  const listing = (name: string): string => `${DECKHOUSE_ROOT}/modules:${name}`;
  const MODULES_ONLY = { noPlatform: true, securityDatabases: false };

  it('console@~1.35 carries only 1.35 (newest patch plus the stable channel version) and every module channel image', async () => {
    const section = await resolveDeckhouse({ source: root, ...MODULES_ONLY, modules: ['console@~1.35'] }, context);
    expect(plan(section)).toEqual(
      [listing('console'), ...CHANNELS.map((c) => rel('console', c)), mod('console', 'v1.35.2'), mod('console', 'v1.35.3'), rel('console', 'v1.35.2'), rel('console', 'v1.35.3')].sort(),
    );
    expect(core(section.notes)).toEqual([
      'module console channels: alpha v1.37.1, beta v1.36.0, early-access v1.36.0, stable v1.35.2, rock-solid v1.34.1',
      'module console: channel alpha points at v1.37.1, which is not carried',
      'module console: channel beta points at v1.36.0, which is not carried',
      'module console: channel early-access points at v1.36.0, which is not carried',
      'module console: channel rock-solid points at v1.34.1, which is not carried',
      'deckhouse modules: console',
    ]);
  });

  it('an unconstrained module walks every minor from its oldest channel; a caret constraint starts at its floor', async () => {
    const section = await resolveDeckhouse({ source: root, ...MODULES_ONLY, modules: ['console', 'commander-agent@^1.2'] }, context);
    const consoleVersions = ['v1.34.1', 'v1.35.2', 'v1.35.3', 'v1.36.0', 'v1.36.1', 'v1.37.1'];
    expect(plan(section)).toEqual(
      [
        ...CHANNELS.map((c) => rel('console', c)),
        ...consoleVersions.map((v) => mod('console', v)),
        ...consoleVersions.map((v) => rel('console', v)),
        rel('commander-agent', 'stable'),
        rel('commander-agent', 'alpha'),
        mod('commander-agent', 'v1.2.4'),
        mod('commander-agent', 'v1.3.0'),
        rel('commander-agent', 'v1.2.4'),
        rel('commander-agent', 'v1.3.0'),
        listing('console'),
        listing('commander-agent'),
        // commander-agent lists an extra image (extra_images.json: {"scanner": 3})
        `${DECKHOUSE_ROOT}/modules/commander-agent/extra/scanner:3`,
      ].sort(),
    );
    expect(section.notes).toContain('console v1.36.1 requires deckhouse >= 1.68');
    expect(section.notes).toContain(`module commander-agent: channel rock-solid not found (${root}/modules/commander-agent/release:rock-solid), skipped`);
  });

  it('a range constraint >=1.35 <1.37 keeps minors 1.35 and 1.36', async () => {
    const section = await resolveDeckhouse({ source: root, ...MODULES_ONLY, modules: ['console@>=1.35 <1.37'] }, context);
    expect(plan(section).filter((i) => i.startsWith(`${DECKHOUSE_ROOT}/modules/console:`))).toEqual(['v1.35.2', 'v1.35.3', 'v1.36.0', 'v1.36.1'].map((v) => mod('console', v)));
  });

  it('noModules drops the modules and keeps the platform', async () => {
    const section = await resolveDeckhouse({ source: root, sinceVersion: 'v1.70', modules: ['console'], noModules: true, securityDatabases: false }, context);
    expect(plan(section)).toEqual(
      [...CHANNELS.map(rc), ee('v1.70.1'), ee('v1.70.3'), rc('v1.70.1'), rc('v1.70.3'), install('v1.70.1'), install('v1.70.3'), `${DECKHOUSE_ROOT}/install-standalone:v1.70.3`].sort(),
    );
    expect(section.notes).toContain('deckhouse: noModules is set, modules console are not carried');
  });
});

describe('security databases', () => {
  it('can be used alone', async () => {
    const section = await resolveDeckhouse({ source: root, license: 'DECKHOUSE_EE_LICENSE', noPlatform: true, noModules: true }, context);
    expect(plan(section)).toEqual([
      `${DECKHOUSE_ROOT}/security/trivy-bdu:1`,
      `${DECKHOUSE_ROOT}/security/trivy-checks:0`,
      `${DECKHOUSE_ROOT}/security/trivy-db:2`,
      `${DECKHOUSE_ROOT}/security/trivy-java-db:1`,
    ]);
    expect(section.notes).toEqual([]);
    expect(JSON.stringify(section)).not.toContain('DECKHOUSE_EE_LICENSE');
  });

  it('are carried by default where the edition publishes them, and skipped with a note where it does not (d8 allows missing tags here)', async () => {
    const all = await resolveDeckhouse({ source: root, tag: 'v1.70.3', noModules: true }, context);
    expect(plan(all).filter((i) => i.includes('/security/'))).toHaveLength(4);
    const none = await resolveDeckhouse({ source: root, tag: 'v1.70.3', noModules: true, securityDatabases: false }, context);
    expect(plan(none).filter((i) => i.includes('/security/'))).toEqual([]);
    const suspended = await resolveDeckhouse({ source: suspendedRoot, tag: 'v1.69.1', noModules: true }, context);
    expect(suspended.notes).toContain(`deckhouse: security database(s) trivy-db, trivy-java-db, trivy-checks, trivy-bdu not published by this edition (${suspendedRoot}/security), skipped`);
  });

  it('a source without them is NOT_FOUND naming the image', async () => {
    const error = await failure(resolveDeckhouse({ source: suspendedRoot, noPlatform: true, securityDatabases: true }, context));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(`${suspendedRoot}/security/trivy-db:2`);
  });
});

describe('config validation', () => {
  const bad: [string, unknown, string][] = [
    ['not a mapping', 'x', 'deckhouse'],
    ['unknown key', { source: 'r.example/d8/ee', sinceVersoin: 'v1.68' }, 'deckhouse.sinceVersoin'],
    ['missing source', {}, 'deckhouse.source'],
    ['source with a tag', { source: 'r.example/d8/ee:v1' }, 'deckhouse.source'],
    ['source with uppercase', { source: 'r.example/D8/ee' }, 'deckhouse.source'],
    ['license not a string', { source: 'r.example/d8/ee', license: 42 }, 'deckhouse.license'],
    ['bad sinceVersion', { source: 'r.example/d8/ee', sinceVersion: '1.x' }, 'deckhouse.sinceVersion'],
    ['tag and sinceVersion', { source: 'r.example/d8/ee', tag: 'v1.69.4', sinceVersion: 'v1.68' }, 'deckhouse.tag'],
    ['bad tag', { source: 'r.example/d8/ee', tag: '-v1' }, 'deckhouse.tag'],
    ['ignoreSuspend not a boolean', { source: 'r.example/d8/ee', ignoreSuspend: 'yes' }, 'deckhouse.ignoreSuspend'],
    ['empty channels', { source: 'r.example/d8/ee', channels: [] }, 'deckhouse.channels'],
    ['bad channel', { source: 'r.example/d8/ee', channels: ['stable', 3] }, 'deckhouse.channels[1]'],
    ['modules not a list', { source: 'r.example/d8/ee', modules: 'console' }, 'deckhouse.modules'],
    ['bad module name', { source: 'r.example/d8/ee', modules: ['Console'] }, 'deckhouse.modules[0]'],
    ['bad module constraint', { source: 'r.example/d8/ee', modules: ['console', 'csi-nfs@~one'] }, 'deckhouse.modules[1]'],
    ['duplicate module', { source: 'r.example/d8/ee', modules: ['console', 'console@~1.35'] }, 'deckhouse.modules[1]'],
    ['selects nothing', { source: 'r.example/d8/ee', noPlatform: true, noModules: true, securityDatabases: false }, 'selects nothing'],
    ['license neither env: nor file:', { source: 'r.example/d8/ee', license: 'my license' }, 'deckhouse.license'],
    ['excludeModules not module names', { source: 'r.example/d8/ee', excludeModules: ['Console'] }, 'deckhouse.excludeModules[0]'],
    ['securityDatabases not a boolean', { source: 'r.example/d8/ee', securityDatabases: 'yes' }, 'deckhouse.securityDatabases'],
  ];
  it.each(bad)('%s is INVALID_CONTENT naming the key', async (_name, config, key) => {
    const error = await failure(Promise.resolve().then(() => parseDeckhouseConfig(config)));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(key);
  });

  it('fills the defaults', () => {
    const config = parseDeckhouseConfig({ source: 'r.example/d8/ee', sinceVersion: 'v1.68', modules: ['console@1.35.1'] });
    expect(config.channels).toEqual(CHANNELS);
    expect(config.sinceVersion).toMatchObject({ major: 1, minor: 68, patch: 0, prerelease: [] });
    // A bare module version is a caret constraint, as d8's --include-module reads it.
    expect(config.modules[0]?.constraint?.raw).toBe('^1.35.1');
    // Every module and the security databases unless turned off, as d8 mirror pull does.
    expect(config).toMatchObject({ ignoreSuspend: false, noPlatform: false, noModules: false, excludeModules: [] });
    expect(config.securityDatabases).toBeUndefined();
  });
});

describe('sequential minors (pure)', () => {
  const vs = (...tags: string[]): Version[] =>
    tags.map((t) => {
      const v = releaseVersion(t);
      if (!v) throw new Error(`bad test version ${t}`);
      return v;
    });
  const fmt = (list: Version[]): string[] => list.map((v) => `v${v.major}.${v.minor}.${v.patch}`);
  const tags = vs('v1.1.0', 'v1.1.3', 'v1.2.0', 'v1.3.1', 'v1.3.2', 'v1.4.0', 'v2.0.0');

  it('picks the newest patch of every minor up to the bound', () => {
    expect(fmt(sequentialMinors(tags, vs('v1.1.2')[0] as Version, vs('v1.3.1')[0] as Version, 'x'))).toEqual(['v1.1.3', 'v1.2.0', 'v1.3.1']);
  });

  it('fails on a gap', () => {
    expect(() => sequentialMinors(vs('v1.1.0', 'v1.3.0'), vs('v1.1.0')[0] as Version, vs('v1.3.0')[0] as Version, 'repo')).toThrow(/minor 1\.2/);
  });

  it('leaves out minors the constraint rejects without calling them gaps', () => {
    const accept = (v: Version): boolean => v.minor !== 2;
    expect(fmt(sequentialMinors(tags, vs('v1.1.0')[0] as Version, vs('v1.4.0')[0] as Version, 'x', accept))).toEqual(['v1.1.3', 'v1.3.2', 'v1.4.0']);
  });

  it('adds channel versions that exist and are not older than the start', () => {
    const latest = vs('v1.3.2');
    expect(fmt(withChannelVersions(latest, vs('v1.3.1', 'v1.2.0', 'v1.3.9'), vs('v1.3.0')[0] as Version, tags))).toEqual(['v1.3.1', 'v1.3.2']);
  });
});
