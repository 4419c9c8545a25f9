/**
 * The `openshift:` resolver against an OpenShift-like source seeded with
 * skopeo: release payloads, operator catalogs (channel heads, version ranges,
 * a YAML package beside JSON ones, unknown names) and additional images,
 * asserted as exact plans. tests/integration/openshift-catalogs.test.ts
 * covers YAML and SQLite catalogs, dependencies and `full`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference } from '../../src-main/oci/reference.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { headManifest } from '../../src-main/oci/registry/manifests.ts';
import type { Registries } from '../../src-main/oci/registry/registries.ts';
import { parseOpenShiftConfig, resolveOpenShift } from '../../src-main/sources/openshift.ts';
import type { ResolveContext, ResolvedSection } from '../../src-main/sources/types.ts';
import { registriesFor } from '../harness/ferry-access.ts';
import {
  CATALOG_REPOSITORY,
  CATALOG_TAG,
  COMPONENTS_REPOSITORY,
  RELEASE_COMPONENTS,
  RELEASE_REPOSITORY,
  YAML_BUNDLE,
  YAML_PACKAGE,
  buildOpenShiftFixture,
  seedOpenShiftFixture,
} from '../harness/openshift-fixture.ts';
import type { OpenShiftFixture } from '../harness/openshift-fixture.ts';
import { startRegistry } from '../harness/registry.ts';
import { startReleaseServices } from '../harness/release-services.ts';
import type { RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

let registry: RunningRegistry;
let fixture: OpenShiftFixture;
let registries: Registries;
let context: ResolveContext;
let staging: string;

const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = await buildOpenShiftFixture(registry.host);
  await seedOpenShiftFixture(registry, fixture);
  registries = teardown.add(registriesFor(registry), (opened) => opened.close());
  // Releases carry their signatures: a loopback store holds them (openshift-platform.test.ts covers them).
  const services = teardown.add(await startReleaseServices(fixture), (started) => started.close());
  staging = await mkdtemp(join(tmpdir(), 'ferry-openshift-'));
  context = { registries, platforms: ALL_PLATFORMS, baseDir: process.cwd(), staging, signatureStore: services.signatureStore };
});

afterAll(async () => {
  await teardown.run();
  if (staging) await rm(staging, { recursive: true, force: true });
});

/** A plan as sorted `source → path:tag [section]` lines. */
function plan(section: ResolvedSection): string[] {
  return section.images.map((i) => `${formatReference(i.source)} → ${i.target ? `${i.target.path}:${i.target.tag ?? ''}` : '(default)'} [${i.section}]`).sort();
}

function line(source: string, target: string, section: string): string {
  return `${source} → ${target} [${section}]`;
}

/** Expected lines for a catalog selection: bundle versions per package, operands at each bundle's version. */
function operatorLines(bundles: Record<string, string[]>): string[] {
  const h = fixture.host;
  const lines = new Set<string>([line(`${h}/${CATALOG_REPOSITORY}@${fixture.catalog.manifest.digest}`, `${CATALOG_REPOSITORY}:${CATALOG_TAG}`, 'openshift.catalog')]);
  const repos: Record<string, { bundle: string; related: string[] }> = {
    'cluster-logging': { bundle: 'openshift-logging/cluster-logging-operator-bundle', related: ['openshift-logging/cluster-logging-rhel9-operator', 'openshift-logging/vector-rhel9'] },
    'compliance-operator': { bundle: 'compliance/openshift-compliance-operator-bundle', related: ['compliance/openshift-compliance-rhel8-operator', 'compliance/openshift-compliance-content-rhel8'] },
  };
  for (const [pkg, versions] of Object.entries(bundles)) {
    const r = repos[pkg];
    if (!r) throw new Error(pkg);
    for (const version of versions) {
      lines.add(line(`${h}/${r.bundle}@${fixture.bundleDigests.get(`${pkg}.v${version}`)}`, `${r.bundle}:`, 'openshift.operators'));
      for (const related of r.related) {
        const digest = fixture.operandDigests.get(`${related}@${version}`);
        if (digest) lines.add(line(`${h}/${related}@${digest}`, `${related}:`, 'openshift.operators'));
      }
    }
  }
  return [...lines].sort();
}

async function rejection(promise: Promise<unknown>): Promise<FerryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FerryError);
  return error as FerryError;
}

describe('release payload', () => {
  function releaseLines(): string[] {
    const h = fixture.host;
    return [
      line(`${h}/${RELEASE_REPOSITORY}@${fixture.release.manifest.digest}`, 'openshift/release-images:4.16.12-x86_64', 'openshift.release'),
      ...RELEASE_COMPONENTS.map((name) => line(`${h}/${COMPONENTS_REPOSITORY}@${fixture.components.get(name)?.manifest.digest}`, `openshift/release:4.16.12-x86_64-${name}`, 'openshift.release')),
    ].sort();
  }

  it('carries the release image and every component by digest under oc adm release mirror tags', async () => {
    const resolved = await resolveOpenShift({ releases: [`${fixture.host}/${RELEASE_REPOSITORY}:4.16.12-x86_64`] }, context);
    expect(plan(resolved)).toEqual(releaseLines());
    expect(resolved.images).toHaveLength(13);
    expect(resolved.images.every((i) => i.source.digest !== undefined && i.source.tag === undefined)).toBe(true);
    const note = resolved.notes.join('\n');
    expect(note).toContain(`${fixture.host}/${RELEASE_REPOSITORY}`);
    expect(note).toContain(`${fixture.host}/${COMPONENTS_REPOSITORY}`);
  });

  it('takes version and arch from the payload when the release is named by digest', async () => {
    const resolved = await resolveOpenShift({ releases: [`${fixture.host}/${RELEASE_REPOSITORY}@${fixture.release.manifest.digest}`] }, context);
    expect(plan(resolved)).toEqual(releaseLines());
  });

  it('refuses an image that is not a release payload', async () => {
    const error = await rejection(resolveOpenShift({ releases: [`${fixture.host}/${CATALOG_REPOSITORY}:${CATALOG_TAG}`] }, context));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('release-manifests/image-references');
  });
});

describe('operator catalog', () => {
  const catalog = (): string => `${fixture.host}/${CATALOG_REPOSITORY}:${CATALOG_TAG}`;

  it('carries the catalog, the head of each chosen channel and its related images', async () => {
    const resolved = await resolveOpenShift(
      {
        operators: [{ catalog: catalog(), packages: [{ name: 'cluster-logging', channels: ['stable-5.9'], defaultChannel: 'stable-5.9' }, { name: 'compliance-operator' }] }],
      },
      context,
    );
    // Without a range or full, oc-mirror v2 carries each channel's head only: compliance-operator names no channel, so both of its channels.
    expect(plan(resolved)).toEqual(operatorLines({ 'cluster-logging': ['5.9.2'], 'compliance-operator': ['1.6.0', '1.7.0-rc.1'] }));
    expect(resolved.notes.join('\n')).toContain('operator cluster-logging from');
  });

  it('takes the head of every channel when none is named', async () => {
    const resolved = await resolveOpenShift({ operators: [{ catalog: catalog(), packages: [{ name: 'cluster-logging' }] }] }, context);
    expect(plan(resolved)).toEqual(operatorLines({ 'cluster-logging': ['5.9.2', '6.0.1'] }));
  });

  it('refuses channels that leave out the default channel unless defaultChannel names one of them', async () => {
    const error = await rejection(resolveOpenShift({ operators: [{ catalog: catalog(), packages: [{ name: 'cluster-logging', channels: ['stable-5.9'] }] }] }, context));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(`package cluster-logging: the channels chosen (stable-5.9) leave out the catalog's default channel "stable-6.0"; set defaultChannel to one of them`);
  });

  it('carries every bundle of the chosen channels with full', async () => {
    const resolved = await resolveOpenShift(
      { operators: [{ catalog: catalog(), full: true, packages: [{ name: 'cluster-logging', channels: ['stable-5.9'], defaultChannel: 'stable-5.9' }] }] },
      context,
    );
    expect(plan(resolved)).toEqual(operatorLines({ 'cluster-logging': ['5.9.0', '5.9.1', '5.9.2'] }));
  });

  it('applies an inclusive version range across channels, keeping each channel head', async () => {
    const resolved = await resolveOpenShift(
      {
        operators: [
          {
            catalog: catalog(),
            packages: [
              { name: 'compliance-operator', channels: ['stable', 'candidate'], minVersion: '1.5.1', maxVersion: '1.6.0' },
              { name: 'cluster-logging', channels: ['stable-5.9', 'stable-6.0'], minVersion: '5.9.2' },
            ],
          },
        ],
      },
      context,
    );
    // candidate's head 1.7.0-rc.1 lies above the range and still comes: Ferry always keeps the head (oc-mirror would stop at 1.6.0).
    expect(plan(resolved)).toEqual(operatorLines({ 'compliance-operator': ['1.5.1', '1.6.0', '1.7.0-rc.1'], 'cluster-logging': ['5.9.2', '6.0.0', '6.0.1'] }));
    expect(resolved.notes.join('\n')).toContain("kept outside the range so each channel's upgrade chain reaches its head: candidate 1.7.0-rc.1 (head)");
  });

  it('orders prereleases below their release', async () => {
    const resolved = await resolveOpenShift(
      { operators: [{ catalog: catalog(), packages: [{ name: 'compliance-operator', channels: ['candidate'], defaultChannel: 'candidate', minVersion: '1.6.1' }] }] },
      context,
    );
    expect(plan(resolved)).toEqual(operatorLines({ 'compliance-operator': ['1.7.0-rc.1'] }));
  });

  it('names an unknown package and lists the known ones', async () => {
    const error = await rejection(resolveOpenShift({ operators: [{ catalog: catalog(), packages: [{ name: 'no-such-operator' }] }] }, context));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain('unknown package "no-such-operator" (known: cluster-logging, compliance-operator, yaml-only-operator)');
  });

  it('names an unknown channel and lists the known ones', async () => {
    const error = await rejection(resolveOpenShift({ operators: [{ catalog: catalog(), packages: [{ name: 'cluster-logging', channels: ['stable-9.9'] }] }] }, context));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain('no channel "stable-9.9" (known: stable-5.9, stable-6.0)');
  });

  it('says when a range selects nothing', async () => {
    const error = await rejection(resolveOpenShift({ operators: [{ catalog: catalog(), packages: [{ name: 'cluster-logging', minVersion: '7.0.0' }] }] }, context));
    expect(error.code).toBe('INVALID_CONTENT');
    // With no channel named, the range runs over every channel, and the error lists all their versions.
    expect(error.message).toContain('no bundle of cluster-logging in stable-5.9, stable-6.0 lies within 7.0.0..* (versions: 5.9.0, 5.9.1, 5.9.2, 6.0.0, 6.0.1)');
  });

  it('reads a package stored as YAML documents beside the JSON ones', async () => {
    const resolved = await resolveOpenShift({ operators: [{ catalog: catalog(), packages: [{ name: YAML_PACKAGE }] }] }, context);
    const h = fixture.host;
    expect(plan(resolved)).toEqual([
      line(`${h}/${CATALOG_REPOSITORY}@${fixture.catalog.manifest.digest}`, `${CATALOG_REPOSITORY}:${CATALOG_TAG}`, 'openshift.catalog'),
      line(`${h}/${YAML_BUNDLE.repository}@${fixture.bundleDigests.get(YAML_BUNDLE.name)}`, `${YAML_BUNDLE.repository}:`, 'openshift.operators'),
    ]);
  });
});

describe('additional images and the whole section', () => {
  it('passes additional images through with the default mapping', async () => {
    const resolved = await resolveOpenShift({ additionalImages: ['registry.example.com/tools/must-gather:v1', 'quay.io/x/y@sha256:' + 'a'.repeat(64)] }, context);
    expect(plan(resolved)).toEqual([
      line(`quay.io/x/y@sha256:${'a'.repeat(64)}`, '(default)', 'openshift.additional'),
      line('registry.example.com/tools/must-gather:v1', '(default)', 'openshift.additional'),
    ]);
  });

  it('combines release, operators and additional images, each under its section', async () => {
    const resolved = await resolveOpenShift(
      {
        releases: [`${fixture.host}/${RELEASE_REPOSITORY}:4.16.12-x86_64`],
        operators: [{ catalog: catalog(), packages: [{ name: 'cluster-logging' }] }],
        additionalImages: ['registry.example.com/tools/must-gather:v1'],
      },
      context,
    );
    const counts = new Map<string, number>();
    for (const i of resolved.images) counts.set(i.section, (counts.get(i.section) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 'openshift.release': 13, 'openshift.catalog': 1, 'openshift.operators': 6, 'openshift.additional': 1 }); // heads 5.9.2 and 6.0.1, each with its two operands
    // Every image the release and catalog name really exists in the seeded registry, with the pinned digest.
    const client = await registries.client(registry.host);
    for (const image of resolved.images.filter((i) => i.source.registry === registry.host)) {
      const head = await headManifest(client, image.source.repository, image.source.digest ?? '');
      expect(head?.digest, formatReference(image.source)).toBe(image.source.digest);
    }
  });

  function catalog(): string {
    return `${fixture.host}/${CATALOG_REPOSITORY}:${CATALOG_TAG}`;
  }
});

describe('config validation', () => {
  const bad: [string, unknown, string][] = [
    ['not a mapping', ['x'], 'openshift must be a mapping'],
    ['unknown key', { release: [] }, 'openshift.release is not a known key'],
    ['empty section', {}, 'openshift needs at least one of'],
    ['releases not a list', { releases: 'quay.io/a/b:1' }, 'openshift.releases must be a list'],
    ['bad release reference', { releases: ['Quay.io/A B'] }, 'openshift.releases[0] is not an image reference'],
    ['catalog missing', { operators: [{ packages: [{ name: 'a' }] }] }, 'openshift.operators[0].catalog must be a non-empty string'],
    ['a platform without channels', { platform: { channels: [] } }, 'openshift.platform.channels must list at least one channel'],
    ['an unknown channel type', { platform: { channels: [{ name: 'stable-4.16', type: 'rhel' }] } }, 'openshift.platform.channels[0].type must be ocp or okd'],
    ['a repeated release channel', { platform: { channels: [{ name: 'stable-4.16' }, { name: 'stable-4.16' }] } }, 'openshift.platform.channels[1].name repeats channel "stable-4.16"'],
    ['an unknown architecture', { platform: { channels: [{ name: 'stable-4.16' }], architectures: ['x86_64'] } }, 'openshift.platform.architectures[0] must be one of amd64'],
    [
      'a channel mapping with an unknown key',
      { operators: [{ catalog: 'r.io/c:1', packages: [{ name: 'a', channels: [{ name: 'stable', head: true }] }] }] },
      'openshift.operators[0].packages[0].channels[0]',
    ],
    ['package without name', { operators: [{ catalog: 'r.io/c:1', packages: [{ channels: ['a'] }] }] }, 'openshift.operators[0].packages[0].name'],
    ['channels not a list', { operators: [{ catalog: 'r.io/c:1', packages: [{ name: 'a', channels: 'stable' }] }] }, 'openshift.operators[0].packages[0].channels must be a list'],
    ['bad minVersion', { operators: [{ catalog: 'r.io/c:1', packages: [{ name: 'a', minVersion: 'latest' }] }] }, 'openshift.operators[0].packages[0].minVersion must be a semantic version'],
    ['min above max', { operators: [{ catalog: 'r.io/c:1', packages: [{ name: 'a', minVersion: '2.0.0', maxVersion: '1.0.0' }] }] }, 'is above maxVersion'],
    ['repeated package', { operators: [{ catalog: 'r.io/c:1', packages: [{ name: 'a' }, { name: 'a' }] }] }, 'openshift.operators[0].packages[1].name repeats package "a"'],
    ['bad additional image', { additionalImages: [42] }, 'openshift.additionalImages[0] must be a non-empty string'],
  ];
  it.each(bad)('rejects %s', (_name, config, message) => {
    let caught: unknown;
    try {
      parseOpenShiftConfig(config);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FerryError);
    expect((caught as FerryError).code).toBe('INVALID_CONTENT');
    expect((caught as FerryError).message).toContain(message);
  });

  it('accepts a full section', () => {
    const parsed = parseOpenShiftConfig({
      releases: ['quay.io/openshift-release-dev/ocp-release:4.16.12-x86_64'],
      operators: [{ catalog: 'registry.redhat.io/redhat/redhat-operator-index:v4.16', packages: [{ name: 'a', channels: ['stable'], minVersion: '1.0.0', maxVersion: '1.2.0' }] }],
      additionalImages: ['registry.redhat.io/ubi9/ubi:latest'],
    });
    expect(parsed.releases[0]).toEqual({ registry: 'quay.io', repository: 'openshift-release-dev/ocp-release', tag: '4.16.12-x86_64' });
    expect(parsed.operators[0]?.packages[0]).toEqual({ name: 'a', channels: [{ name: 'stable' }], minVersion: '1.0.0', maxVersion: '1.2.0' });
    expect(parsed.operators[0]).toMatchObject({ full: false, skipDependencies: false });
  });

  it('reads platform channels with oc-mirror defaults, and an empty package list as every package', () => {
    const parsed = parseOpenShiftConfig({
      platform: { channels: [{ name: 'stable-4.16', minVersion: '4.16.1', maxVersion: '4.16.12', shortestPath: true }] },
      operators: [
        { catalog: 'r.io/c:1', full: true, packages: [{ name: 'a', channels: ['stable', { name: 'fast', minVersion: '1.1.0' }, 'stable'], defaultChannel: 'fast' }] },
        { catalog: 'r.io/d:1' },
      ],
    });
    expect(parsed.platform).toEqual({
      channels: [{ name: 'stable-4.16', type: 'ocp', minVersion: '4.16.1', maxVersion: '4.16.12', shortestPath: true, full: false }],
      architectures: ['amd64'],
      graph: false,
    });
    expect(parsed.operators[0]?.packages[0]?.channels).toEqual([{ name: 'stable' }, { name: 'fast', minVersion: '1.1.0' }]);
    expect(parsed.operators[1]?.packages).toEqual([]);
  });
});
