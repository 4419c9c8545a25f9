/**
 * The CLI and the app enter the same use cases, so the same job leaves the
 * same traces whichever front end ran it: the same scenarios run through
 * `ferry …` (with its own catalog) and through the service (with another),
 * and the bundles, receipts and catalog rows they leave are compared.
 *
 * Scenarios: an image-set export whose Deckhouse `license:` is the only
 * login to a TLS + htpasswd registry; an import with a site; an incremental
 * export from the receipt that import wrote.
 */
import Database from 'better-sqlite3';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryAccessInput } from '../../src-shared/api/contract.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { buildDeckhouseFixture, DECKHOUSE_ROOT, seedDeckhouseFixture } from '../harness/deckhouse-fixture.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startRegistry, type RunningRegistry, type StartRegistryOptions } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const LICENSE = 'PARITY-LICENSE-7';
const LICENSE_ENV = 'FERRY_TEST_PARITY_LICENSE';

let licensed: RunningRegistry;
let site: RunningRegistry;
let work: string;
let service: Service;
let setFile: string;
const cliCatalog = (): string => join(work, 'cli.sqlite');
const appCatalog = (): string => join(work, 'app.sqlite');

/** Runs a service job to its end and answers its result. */
async function settle(started: Promise<{ jobId: string }>): Promise<unknown> {
  const { jobId } = await started;
  const job = await service.settled(jobId);
  expect(job?.status, JSON.stringify(job?.error)).toBe('succeeded');
  return job?.result;
}

/** A ferry.json without what differs between any two runs: ids, times and the parent's id. */
async function comparableManifest(bundle: string): Promise<Record<string, unknown>> {
  const manifest = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as BundleManifest;
  const { bundleId, created, expires, exporter, parent, ...rest } = manifest;
  expect(bundleId).toMatch(/\S/);
  return { ...rest, hasParent: parent !== null, exporter: { ...exporter, host: undefined } };
}

/** A receipt without its time and bundle id. */
async function comparableReceipt(file: string): Promise<Record<string, unknown>> {
  const { importedAt, bundleId, ...rest } = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  expect(typeof importedAt).toBe('string');
  expect(typeof bundleId).toBe('string');
  return rest;
}

/** The catalog's rows that the jobs leave, without ids, paths and times. */
function catalogRows(path: string): Record<string, unknown> {
  const db = new Database(path, { readonly: true });
  try {
    return {
      bundles: db.prepare('SELECT form, sequence, parent IS NOT NULL AS hasParent, bytes, direction, site FROM bundles ORDER BY recorded_at, direction').all(),
      sites: db.prepare('SELECT name, registries FROM sites ORDER BY name').all(),
      receipts: db.prepare('SELECT site, registry, bundle_id IS NOT NULL AS hasBundle, digest_count FROM receipts ORDER BY id').all(),
      siteDigests: db.prepare('SELECT site, digest FROM site_digests ORDER BY site, digest').all(),
      jobs: db.prepare('SELECT kind, status, bundle_id IS NOT NULL AS hasBundle FROM jobs ORDER BY id').all(),
      audit: db.prepare('SELECT action FROM audit ORDER BY id').all(),
    };
  } finally {
    db.close();
  }
}

const teardown = new Teardown();

beforeAll(async () => {
  const started = async (options: StartRegistryOptions): Promise<RunningRegistry> => teardown.add(await startRegistry(options), (running) => running.stop());
  [licensed, site] = await Promise.all([started({ mode: 'tls-basic', users: [{ username: 'license-token', password: LICENSE }] }), started({ mode: 'anonymous' })]);
  await seedDeckhouseFixture(licensed, await buildDeckhouseFixture(), { creds: { username: 'license-token', password: LICENSE } });
  work = await mkdtemp(join(tmpdir(), 'ferry-parity-'));
  setFile = join(work, 'deckhouse.yaml');
  await writeFile(setFile, ['deckhouse:', `  source: ${licensed.host}/${DECKHOUSE_ROOT}`, `  license: env:${LICENSE_ENV}`, '  tag: v1.70.3', '  noModules: true', ''].join('\n'));
  process.env[LICENSE_ENV] = LICENSE;
  // A test replaces the service with a fresh one: close whichever is open at the end.
  service = teardown.add(createService({ mode: 'browser', catalogPath: appCatalog() }), () => service.close());
});

afterAll(async () => {
  Reflect.deleteProperty(process.env, LICENSE_ENV);
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the CLI and the app leave the same bundles, receipts and catalog rows', () => {
  const sourceAccess = (): RegistryAccessInput => ({ authFile: emptyAuthFile, caCertFiles: [licensed.caFile ?? ''] });
  const sourceFlags = (): string[] => ['--authfile', emptyAuthFile, '--ca-cert', licensed.caFile ?? ''];
  const siteFlags = ['--plain-http', '--authfile', emptyAuthFile];

  it("an image-set export authenticates with the set's Deckhouse license in both, and writes the same bundle", async () => {
    const cli = await runFerry('export', '--to', join(work, 'cli-1'), '--set', setFile, '--catalog', cliCatalog(), ...sourceFlags());
    expect(cli.code, cli.stderr).toBe(0);
    await settle(service['export:run']({ references: [], setFile, target: join(work, 'app-1'), registry: sourceAccess() }));
    const [fromCli, fromApp] = await Promise.all([comparableManifest(join(work, 'cli-1')), comparableManifest(join(work, 'app-1'))]);
    expect((fromApp.images as unknown[]).length).toBeGreaterThan(3);
    expect(fromApp).toEqual(fromCli);
    expect(await readFile(join(work, 'app-1', 'index.json'), 'utf8')).toBe(await readFile(join(work, 'cli-1', 'index.json'), 'utf8'));
    expect((await readdir(join(work, 'app-1', 'blobs', 'sha256'))).sort()).toEqual((await readdir(join(work, 'cli-1', 'blobs', 'sha256'))).sort());
    for (const bundle of ['cli-1', 'app-1']) expect(await readFile(join(work, bundle, 'ferry.json'), 'utf8')).not.toContain(LICENSE);
  });

  it('an import with a site writes the same receipt and records the site in both catalogs', async () => {
    const cli = await runFerry('import', join(work, 'cli-1'), '--to', `${site.host}/cli`, '--site', 'plant-7', '--catalog', cliCatalog(), ...siteFlags);
    expect(cli.code, cli.stderr).toBe(0);
    const result = await settle(service['import:run']({ bundle: join(work, 'app-1'), target: `${site.host}/cli`, site: 'plant-7', registry: { plainHttp: true, authFile: emptyAuthFile } }));
    expect(result).toMatchObject({ receipt: join(work, 'app-1', 'ferry-receipt.json') });
    const [fromCli, fromApp] = await Promise.all([comparableReceipt(join(work, 'cli-1', 'ferry-receipt.json')), comparableReceipt(join(work, 'app-1', 'ferry-receipt.json'))]);
    expect(fromApp).toMatchObject({ site: 'plant-7' });
    expect(fromApp).toEqual(fromCli);
  });

  it('an incremental export from that receipt carries the same (nothing new) and names its parent in both', async () => {
    const cli = await runFerry('export', '--to', join(work, 'cli-2'), '--set', setFile, '--since-receipt', join(work, 'cli-1', 'ferry-receipt.json'), '--catalog', cliCatalog(), ...sourceFlags());
    expect(cli.code, cli.stderr).toBe(0);
    await settle(service['export:run']({ references: [], setFile, target: join(work, 'app-2'), sinceReceipt: join(work, 'app-1', 'ferry-receipt.json'), registry: sourceAccess() }));
    const [fromCli, fromApp] = await Promise.all([comparableManifest(join(work, 'cli-2')), comparableManifest(join(work, 'app-2'))]);
    expect(fromApp).toMatchObject({ hasParent: true, sequence: 2 });
    expect((fromApp.omitted as unknown[]).length).toBeGreaterThan(0);
    expect(fromApp).toEqual(fromCli);
    const parentOf = async (bundle: string): Promise<string | null> => (JSON.parse(await readFile(join(work, bundle, 'ferry.json'), 'utf8')) as BundleManifest).parent;
    const idOf = async (bundle: string): Promise<string> => (JSON.parse(await readFile(join(work, bundle, 'ferry.json'), 'utf8')) as BundleManifest).bundleId;
    expect(await parentOf('cli-2')).toBe(await idOf('cli-1'));
    expect(await parentOf('app-2')).toBe(await idOf('app-1'));
  });

  it('the two catalogs hold the same rows', async () => {
    await service.close();
    const [fromCli, fromApp] = [catalogRows(cliCatalog()), catalogRows(appCatalog())];
    expect(fromApp.sites).toEqual([{ name: 'plant-7', registries: JSON.stringify([`${site.host}/cli`]) }]);
    expect((fromApp.audit as Array<{ action: string }>).map((row) => row.action)).toEqual(['export', 'import', 'export']);
    expect(fromApp).toEqual(fromCli);
    service = createService({ mode: 'browser', catalogPath: appCatalog() });
  });
});
