/**
 * Operator catalogs as oc-mirror v2 mirrors them, against real registries:
 * a YAML file-based catalog whose root only its configs label names, an
 * SQLite index image in opm's table layout, and broken index images; the
 * same selections over both formats give the same bundles (every package,
 * `full`, the head of every channel, package and channel ranges with the
 * upgrade chain up to the head, `defaultChannel`), and the dependency chain
 * package → package (range) → API comes in with notes saying why, unless
 * `skipDependencies`; a catalog whose folders are not named after packages
 * (one configs/index.json) is read whole when a listed package is not found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import { CATALOG_SECTION } from '../../src-main/oci/openshift-artifacts.ts';
import { formatReference, parseReference } from '../../src-main/oci/reference.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import type { Registries } from '../../src-main/oci/registry/registries.ts';
import { CATALOG_READ_LIMITS, DATABASE_LABEL, readCatalogImage } from '../../src-main/sources/olm-catalog-read.ts';
import { resolveOpenShift } from '../../src-main/sources/openshift.ts';
import type { ResolveContext, ResolvedSection } from '../../src-main/sources/types.ts';
import { registriesFor } from '../harness/ferry-access.ts';
import {
  BAD_INDEX,
  OLM_A,
  OLM_B,
  OLM_C,
  OLM_D,
  SQLITE_CATALOG,
  YAML_CATALOG,
  buildOlmCatalogFixture,
  bundleRepository,
  olmFbcObjects,
  operandRepository,
  seedOlmCatalogFixture,
  type OlmCatalogFixture,
} from '../harness/olm-catalog-fixture.ts';
import { pushBlob, pushTags } from '../harness/browse-fixture.ts';
import { seedImages, tinyImage } from '../harness/openshift-fixture.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';

let registry: RunningRegistry;
let fixture: OlmCatalogFixture;
let registries: Registries;
let context: ResolveContext;
const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = await buildOlmCatalogFixture(registry.host);
  await seedOlmCatalogFixture(registry, fixture);
  registries = teardown.add(registriesFor(registry), (opened) => opened.close());
  context = { registries, platforms: ALL_PLATFORMS, baseDir: process.cwd() };
});

afterAll(() => teardown.run());

type Format = 'yaml' | 'sqlite';
const FORMATS: Format[] = ['yaml', 'sqlite'];

function catalogRef(format: Format): string {
  const c = format === 'yaml' ? YAML_CATALOG : SQLITE_CATALOG;
  return `${fixture.host}/${c.repository}:${c.tag}`;
}

function plan(section: ResolvedSection): string[] {
  return section.images.map((i) => `${formatReference(i.source)} → ${i.target ? `${i.target.path}:${i.target.tag ?? ''}` : '(default)'} [${i.section}]`).sort();
}

/** The exact plan: the catalog image under openshift.catalog, each bundle and its operand under openshift.operators. */
function expected(format: Format, bundles: Record<string, string[]>): string[] {
  const h = fixture.host;
  const c = format === 'yaml' ? YAML_CATALOG : SQLITE_CATALOG;
  const digest = (format === 'yaml' ? fixture.yamlCatalog : fixture.sqliteCatalog).manifest.digest;
  const lines = [`${h}/${c.repository}@${digest} → ${c.repository}:${c.tag} [${CATALOG_SECTION}]`];
  for (const [pkg, versions] of Object.entries(bundles)) {
    for (const version of versions) {
      const name = `${pkg}.v${version}`;
      lines.push(`${h}/${bundleRepository(pkg)}@${fixture.bundleDigests.get(name)} → ${bundleRepository(pkg)}: [openshift.operators]`);
      lines.push(`${h}/${operandRepository(pkg)}@${fixture.operandDigests.get(name)} → ${operandRepository(pkg)}: [openshift.operators]`);
    }
  }
  return lines.sort();
}

async function rejection(promise: Promise<unknown>): Promise<FerryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FerryError);
  return error as FerryError;
}

const resolve = (operators: unknown[]): Promise<ResolvedSection> => resolveOpenShift({ operators }, context);

describe('catalog formats', () => {
  it('reads a YAML catalog from the root its configs label names, never the default /configs', async () => {
    const resolved = await resolve([{ catalog: catalogRef('yaml'), packages: [{ name: OLM_D }] }]);
    expect(plan(resolved)).toEqual(expected('yaml', { [OLM_D]: ['0.2.0'] }));
    expect(resolved.notes.join('\n')).toContain('file-based catalog at /configs-yaml, 4 packages read');
    const error = await rejection(resolve([{ catalog: catalogRef('yaml'), packages: [{ name: 'decoy-operator' }] }]));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(`unknown package "decoy-operator" (known: ${OLM_A}, ${OLM_D}, ${OLM_B}, ${OLM_C})`);
  });

  it('reads the whole catalog when a listed package has no folder of its name (one configs/index.json)', async () => {
    const objects = olmFbcObjects(fixture.host, fixture.bundleDigests, fixture.operandDigests);
    const built = await tinyImage('olm-index-json', [{ name: 'configs/index.json', data: Buffer.from(objects.map((o) => JSON.stringify(o)).join('\n')) }], {
      'operators.operatorframework.io.index.configs.v1': '/configs',
    });
    await seedImages(registry, [{ repository: 'olm/index-json', tag: 'v1', manifest: built.manifest }], built.content);
    const ref = `${fixture.host}/olm/index-json:v1`;
    const resolved = await resolve([{ catalog: ref, skipDependencies: true, packages: [{ name: OLM_D }] }]);
    expect(plan(resolved).filter((l) => !l.includes('[openshift.catalog]'))).toEqual(expected('yaml', { [OLM_D]: ['0.2.0'] }).filter((l) => !l.includes('[openshift.catalog]')));
    expect(resolved.notes.join('\n')).toContain(`4 packages read (whole catalog: no folder named ${OLM_D})`);
    const error = await rejection(resolve([{ catalog: ref, skipDependencies: true, packages: [{ name: 'decoy-operator' }] }]));
    expect(error.message).toContain(`unknown package "decoy-operator" (known: ${OLM_A}, ${OLM_D}, ${OLM_B}, ${OLM_C})`);
  });

  it('reads an SQLite index image through opm tables into the same bundles', async () => {
    const resolved = await resolve([{ catalog: catalogRef('sqlite'), packages: [{ name: OLM_D }] }]);
    expect(plan(resolved)).toEqual(expected('sqlite', { [OLM_D]: ['0.2.0'] }));
    expect(resolved.notes.join('\n')).toContain('SQLite index database at /database/index.db, 4 packages read');
  });

  it('refuses a database that is not SQLite, naming the catalog and the table', async () => {
    const ref = `${fixture.host}/${BAD_INDEX.repository}:${BAD_INDEX.garbage}`;
    const error = await rejection(resolve([{ catalog: ref, packages: [{ name: OLM_D }] }]));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toContain(`${ref}: /database/index.db`);
    expect(error.message).toMatch(/table sqlite_master: file is not a database/);
  });

  it('refuses a database without an opm table, naming it', async () => {
    const ref = `${fixture.host}/${BAD_INDEX.repository}:${BAD_INDEX.missingTable}`;
    const error = await rejection(resolve([{ catalog: ref, packages: [{ name: OLM_D }] }]));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toContain(`${ref}: /database/index.db: table related_image is missing`);
  });
});

describe.each(FORMATS)('selection over the %s catalog', (format) => {
  it('brings a package chain: package by range, then the API provider, saying why', async () => {
    const resolved = await resolve([{ catalog: catalogRef(format), packages: [{ name: OLM_A }] }]);
    expect(plan(resolved)).toEqual(expected(format, { [OLM_A]: ['1.1.0', '1.3.0'], [OLM_B]: ['2.1.0'], [OLM_C]: ['1.0.0'] }));
    const notes = resolved.notes.join('\n');
    expect(notes).toContain(`that came in as dependencies: ${OLM_B}, ${OLM_C}`);
    expect(notes).toContain(`${OLM_B} 2.1.0: required by ${OLM_A} 1.1.0 (olm.package.required >=2.0.0 <3.0.0)`);
    expect(notes).toContain(`${OLM_C} 1.0.0: provides volumes.example.com/v1 Volume required by ${OLM_B} 2.1.0`);
  });

  it('leaves dependencies out with skipDependencies', async () => {
    const resolved = await resolve([{ catalog: catalogRef(format), skipDependencies: true, packages: [{ name: OLM_A }] }]);
    // A package listed without channels brings the head of every channel: stable 1.1.0, fast 1.3.0.
    expect(plan(resolved)).toEqual(expected(format, { [OLM_A]: ['1.1.0', '1.3.0'] }));
    expect(resolved.notes.join('\n')).not.toContain('came in as dependencies');
  });

  it('carries the head of every channel of every package when none is listed, and says the catalog goes as is', async () => {
    const resolved = await resolve([{ catalog: catalogRef(format) }]);
    expect(plan(resolved)).toEqual(expected(format, { [OLM_A]: ['1.1.0', '1.3.0'], [OLM_B]: ['2.1.0', '3.0.0'], [OLM_C]: ['1.0.0'], [OLM_D]: ['0.2.0'] }));
    const notes = resolved.notes.filter((n) => n.includes('is carried as is'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('OperatorHub on the cluster lists every package it holds, mirrored or not, and no defaultChannel set here reaches the cluster');
  });

  it('applies a package range to every channel, dropping a channel it empties', async () => {
    const all = await resolve([{ catalog: catalogRef(format), skipDependencies: true, packages: [{ name: OLM_A, minVersion: '1.1.0' }] }]);
    expect(plan(all)).toEqual(expected(format, { [OLM_A]: ['1.1.0', '1.2.0', '1.3.0'] }));
    const low = await resolve([{ catalog: catalogRef(format), skipDependencies: true, packages: [{ name: OLM_A, maxVersion: '1.0.0' }] }]);
    // stable 1.0.0 is in range and its head 1.1.0 stays; fast holds nothing below 1.1.0 and is left out.
    expect(plan(low)).toEqual(expected(format, { [OLM_A]: ['1.0.0', '1.1.0'] }));
    expect(low.notes.join('\n')).toContain(
      `operator ${OLM_A} from ${catalogRef(format)}: channels stable; bundles 1.0.0, 1.1.0 (kept outside the range so each channel's upgrade chain reaches its head: stable 1.1.0 (head)); channels left out, nothing in the range: fast`,
    );
  });

  it('keeps the upgrade chain from the head down to the range, bundles outside it included', async () => {
    const resolved = await resolve([
      { catalog: catalogRef(format), skipDependencies: true, packages: [{ name: OLM_A, defaultChannel: 'fast', channels: [{ name: 'fast', minVersion: '1.1.0', maxVersion: '1.1.0' }] }] },
    ]);
    // fast: 1.3.0 replaces 1.2.0 replaces 1.1.0; without 1.2.0 the head would not reach 1.1.0.
    expect(plan(resolved)).toEqual(expected(format, { [OLM_A]: ['1.1.0', '1.2.0', '1.3.0'] }));
    expect(resolved.notes.join('\n')).toContain("kept outside the range so each channel's upgrade chain reaches its head: fast 1.3.0 (head), fast 1.2.0");
  });

  it('carries every bundle of every channel with full and no packages', async () => {
    const resolved = await resolve([{ catalog: catalogRef(format), full: true }]);
    expect(plan(resolved)).toEqual(
      expected(format, { [OLM_A]: ['1.0.0', '1.1.0', '1.2.0', '1.3.0'], [OLM_B]: ['1.9.0', '2.0.0', '2.1.0', '3.0.0'], [OLM_C]: ['0.9.0', '1.0.0'], [OLM_D]: ['0.1.0', '0.2.0'] }),
    );
    expect(resolved.images).toHaveLength(1 + 2 * 12);
  });

  it('applies a range per channel and keeps each channel head', async () => {
    const resolved = await resolve([
      {
        catalog: catalogRef(format),
        skipDependencies: true,
        packages: [{ name: OLM_A, defaultChannel: 'stable', channels: [{ name: 'fast', minVersion: '1.2.0', maxVersion: '1.2.0' }, { name: 'stable' }] }],
      },
    ]);
    expect(plan(resolved)).toEqual(expected(format, { [OLM_A]: ['1.1.0', '1.2.0', '1.3.0'] }));
    expect(resolved.notes.join('\n')).toContain("kept outside the range so each channel's upgrade chain reaches its head: fast 1.3.0 (head)");
  });

  it('gives one reason per requiring bundle when several need the same dependency', async () => {
    const resolved = await resolve([{ catalog: catalogRef(format), packages: [{ name: OLM_A, defaultChannel: 'fast', channels: [{ name: 'fast', minVersion: '1.2.0' }] }] }]);
    expect(plan(resolved)).toEqual(expected(format, { [OLM_A]: ['1.2.0', '1.3.0'], [OLM_B]: ['2.1.0'], [OLM_C]: ['1.0.0'] }));
    const line = resolved.notes.find((n) => n.includes(`${OLM_B} 2.1.0: `)) ?? '';
    expect(line).toContain(`required by ${OLM_A} 1.2.0 (olm.package.required >=2.0.0 <3.0.0)`);
    expect(line).toContain(`required by ${OLM_A} 1.3.0 (olm.package.required >=2.0.0 <3.0.0)`);
  });

  it('takes every channel when none is listed, defaultChannel or not', async () => {
    const resolved = await resolve([{ catalog: catalogRef(format), skipDependencies: true, packages: [{ name: OLM_A, defaultChannel: 'fast' }] }]);
    expect(plan(resolved)).toEqual(expected(format, { [OLM_A]: ['1.1.0', '1.3.0'] }));
  });

  it.each([
    [
      { name: OLM_A, defaultChannel: 'fast', channels: [{ name: 'fast', minVersion: '2.0.0' }] },
      'no bundle of etcd-backup-operator in channel fast lies within 2.0.0..* (versions: 1.1.0, 1.2.0, 1.3.0)',
    ],
    [
      { name: OLM_A, channels: [{ name: 'fast' }] },
      `package ${OLM_A}: the channels chosen (fast) leave out the catalog's default channel "stable"; set defaultChannel to one of them, as oc-mirror requires`,
    ],
    [
      { name: OLM_A, minVersion: '1.1.0', channels: [{ name: 'stable' }, { name: 'fast', maxVersion: '1.3.0' }] },
      `package ${OLM_A}: minVersion/maxVersion is set on the package and on channel fast; oc-mirror refuses both at once`,
    ],
    [
      { name: OLM_A, minVersion: '1.2.0' },
      `package ${OLM_A}: no bundle of its default channel stable lies within 1.2.0..* (versions: 1.0.0, 1.1.0); oc-mirror refuses a range that empties the default channel`,
    ],
    [{ name: OLM_A, defaultChannel: 'fast', channels: [{ name: 'stable' }] }, 'defaultChannel "fast" is not among its channels (stable)'],
    [{ name: OLM_A, defaultChannel: 'beta' }, 'has no channel "beta" (its defaultChannel) (known: fast, stable)'],
  ])('refuses %j', async (pkg, message) => {
    const error = await rejection(resolve([{ catalog: catalogRef(format), packages: [pkg] }]));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(message);
  });

  it('refuses full with a version range, as oc-mirror does', async () => {
    const error = await rejection(resolve([{ catalog: catalogRef(format), full: true, packages: [{ name: OLM_B, minVersion: '2.0.0' }] }]));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain('full: true carries every bundle');
  });
});

describe('catalog images that try to exhaust Ferry', () => {
  const pinned = (repository: string, digest: string): string => `${fixture.host}/${repository}@${digest}`;

  it('refuses an image config larger than the config limit before reading it', async () => {
    const built = await tinyImage('olm-huge-config', [], { [DATABASE_LABEL]: '/database/index.db', padding: 'x'.repeat(5 * 1024 * 1024) });
    // skopeo refuses to push such a config; the registry takes it over plain HTTP.
    for (const blob of built.content) if (blob !== built.manifest) await pushBlob(registry, 'olm/huge-config', blob);
    await pushTags(registry, 'olm/huge-config', built.manifest, ['v1']);
    const ref = `${fixture.host}/olm/huge-config:v1`;
    const error = await rejection(resolve([{ catalog: ref, packages: [{ name: OLM_D }] }]));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toMatch(/: the image config sha256:[0-9a-f]{64} is \d+ bytes, more than the 4194304 an image config may take$/);
  });

  it('stops writing an index database at the byte cap, naming the catalog and the path', async () => {
    const ref = pinned(SQLITE_CATALOG.repository, fixture.sqliteCatalog.manifest.digest);
    const limits = { ...CATALOG_READ_LIMITS, indexDatabaseBytes: 16 * 1024 };
    const error = await rejection(readCatalogImage(context, parseReference(ref), ref, undefined, limits));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toBe(`${ref}: /database/index.db: the index database is larger than 16384 bytes`);
    // Within the cap the same image reads.
    expect((await readCatalogImage(context, parseReference(ref), ref, undefined)).catalog.size).toBe(4);
  });

  it('stops parsing a file-based catalog at the total byte cap', async () => {
    const ref = pinned(YAML_CATALOG.repository, fixture.yamlCatalog.manifest.digest);
    const limits = { ...CATALOG_READ_LIMITS, fileBasedBytes: 4096 };
    const error = await rejection(readCatalogImage(context, parseReference(ref), ref, undefined, limits));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toContain(`${ref}: the file-based catalog at /configs-yaml holds more than 4096 bytes (at configs-yaml/`);
  });
});
