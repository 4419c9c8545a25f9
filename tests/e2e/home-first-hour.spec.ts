/**
 * Issue 17, the first hour of a new operator, on the start screen, the catalog,
 * the folder picker and the look across screens: a verify job shows its verdict
 * (not "succeeded" for a damaged bundle), the catalog keeps an export and an
 * import of the same bundle as two events, finds a bundle by the digest prefix
 * it shows or by an image name, opens a bundle, and has sites, receipts, an
 * audit log and more than one chart; the picker makes a folder and keeps focus;
 * times are local (no ISO strings), and every screen passes axe in light and
 * dark themes. Bundles are made by the engine against a real Distribution.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { CatalogScreen, StartScreen } from './pages/start.ts';
import { SettingsScreen } from './pages/settings.ts';

const RENDERER_DIR = 'dist/renderer';
const SITE = 'plant-7';
/** An engine ISO-8601 time as it would leak into a screen: `2026-12-03T04:12:09.123Z`. */
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

let source: RunningRegistry;
let target: RunningRegistry;
let image: FixtureImage;
let work: string;
let bundle: string;
let damaged: string;
let bundleId: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

async function settle(service: Service, started: Promise<{ jobId: string }>): Promise<void> {
  const { jobId } = await started;
  const state = await service.settled(jobId);
  expect(state?.status, JSON.stringify(state?.error)).toBe('succeeded');
}

/** Flips one byte in the middle of the largest blob file, as a bad USB stick would. */
async function damageLargestBlob(folder: string): Promise<void> {
  const blobs = join(folder, 'blobs', 'sha256');
  const names = await readdir(blobs);
  const sizes = await Promise.all(names.map(async (name) => ({ name, size: (await stat(join(blobs, name))).size })));
  const largest = sizes.sort((a, b) => b.size - a.size)[0];
  if (largest === undefined) throw new Error(`no blobs in ${blobs}`);
  const path = join(blobs, largest.name);
  const bytes = await readFile(path);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
  await writeFile(path, bytes);
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-home-'));
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const registry = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([registry(), registry()]);
  image = (await buildFixtures())['oci-single'];
  await seedFixtures(source, [image]);
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite'), autoStartRegistry: false }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
  // One machine exports a bundle, then imports it (a lab that is both sides): the catalog must keep both events.
  bundle = join(work, 'bundle');
  await settle(service, service['export:run']({ references: [`${source.host}/${image.repository}:${image.tag}`], target: bundle, registry: { plainHttp: true } }));
  await settle(service, service['import:run']({ bundle, target: `${target.host}/imported`, site: SITE, registry: { plainHttp: true } }));
  bundleId = (JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as { bundleId: string }).bundleId;
  damaged = join(work, 'damaged');
  await cp(bundle, damaged, { recursive: true });
  await damageLargestBlob(damaged);
  await mkdir(join(work, 'picker'), { recursive: true });
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

async function openApp(page: Page): Promise<StartScreen> {
  await page.goto(server.url);
  return new StartScreen(page).expectShown();
}

test('the start screen shows a verify job by its verdict: a damaged bundle fails verification with its problems counted', async ({ page }) => {
  const start = await openApp(page);
  await service.settled((await service['bundle:verify']({ bundle: damaged })).jobId);
  await service.settled((await service['bundle:verify']({ bundle })).jobId);
  const rows = start.jobsTable().getByRole('row');
  const damagedRow = rows.filter({ hasText: damaged });
  await expect(damagedRow).toContainText(/Failed verification: \d+ problems?/);
  await expect(damagedRow).not.toContainText('succeeded');
  // A job that ends while the operator looks elsewhere is announced in the app (a polite live region).
  await expect(page.getByRole('status').filter({ hasText: damaged })).toContainText('Failed verification');
  await expect(rows.filter({ hasText: bundle }).filter({ hasNotText: damaged }).first()).toContainText('Verified');
  // Times are the operator's local ones, never the engine's ISO strings.
  await expect(page.getByRole('main')).not.toContainText(ISO_TIME);
  await start.capture('home-start-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await start.capture('home-start-dark');
});

test('the catalog keeps the export and the import, finds bundles by a shown digest prefix or an image name, and opens a bundle', async ({ page }) => {
  await openApp(page);
  const catalog = new CatalogScreen(page);
  await catalog.open();
  const bundleRows = page
    .getByRole('table', { name: /All bundles/ })
    .getByRole('row')
    .filter({ hasText: bundleId.slice(0, 12) });
  await expect(bundleRows.filter({ hasText: 'Exported' })).toHaveCount(1);
  await expect(bundleRows.filter({ hasText: 'Imported' })).toHaveCount(1);
  await expect(page.getByRole('main')).not.toContainText(ISO_TIME);

  // The digest as the app shows it (sha256: and 12 hex digits) finds the bundle that carried it.
  await catalog.search(`sha256:${image.manifestDigest.slice(7, 19)}`);
  await expect(
    page
      .getByRole('table', { name: /Bundles holding/ })
      .getByRole('row')
      .filter({ hasText: bundleId.slice(0, 12) })
      .first(),
  ).toBeVisible();
  // So does the image's name alone, without its registry.
  const name = image.repository.split('/').pop() ?? image.repository;
  await catalog.search(name);
  await expect(
    page
      .getByRole('table', { name: /Bundles holding/ })
      .getByRole('row')
      .filter({ hasText: bundleId.slice(0, 12) })
      .first(),
  ).toBeVisible();

  // A row opens: its images with digests, the sites that received it, and its export and import events.
  await page
    .getByRole('button', { name: `Open bundle ${bundleId.slice(0, 12)}` })
    .first()
    .click();
  const detail = page.getByRole('region', { name: /^Bundle / });
  await expect(detail).toBeVisible();
  await expect(detail.getByRole('table', { name: /Images/ })).toContainText(image.repository);
  await expect(detail.getByRole('table', { name: /Images/ })).toContainText(image.manifestDigest.slice(7, 19));
  await expect(detail.getByRole('table', { name: /Events/ })).toContainText('Exported');
  await expect(detail.getByRole('table', { name: /Events/ })).toContainText('Imported');
  await expect(detail).toContainText(SITE);
  await catalog.capture('home-catalog-bundle');
});

test('the catalog has sites, receipts, the audit log and charts, in light and dark themes', async ({ page }) => {
  await openApp(page);
  const catalog = new CatalogScreen(page);
  await catalog.open();
  await catalog.showTab('Sites');
  const sites = page.getByRole('table', { name: /Sites/ });
  await expect(sites.getByRole('row').filter({ hasText: SITE })).toContainText(/1 receipt/);
  await catalog.showTab('Receipts');
  await expect(
    page
      .getByRole('table', { name: /Receipts/ })
      .getByRole('row')
      .filter({ hasText: SITE }),
  ).toContainText(bundleId.slice(0, 12));
  await catalog.showTab('Audit log');
  await expect(page.getByRole('table', { name: /Audit log/ })).toContainText(/Imported|Exported/);
  await expect(page.getByText(/The audit log is intact/)).toBeVisible();
  await expect(page.getByRole('main')).not.toContainText(ISO_TIME);
  await catalog.showTab('Charts');
  await expect(page.getByRole('img', { name: /Bytes carried per month/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Bytes per site/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Images per bundle/ })).toBeVisible();
  await catalog.capture('home-catalog-charts-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await catalog.capture('home-catalog-charts-dark');
  await catalog.showTab('Sites');
  await catalog.capture('home-catalog-sites-dark');
  const settings = new SettingsScreen(page);
  await settings.open();
  await settings.capture('home-settings-dark');
});

test('the folder picker makes a new folder and keeps focus after "Up one folder"', async ({ page }) => {
  await openApp(page);
  await new StartScreen(page).navButton('Browse').click();
  await page.getByLabel('A bundle folder').check();
  const field = 'Bundle folder (the folder holding ferry.json)';
  await page.getByLabel(field, { exact: true }).fill(join(work, 'picker'));
  await page.getByRole('button', { name: `Browse… for ${field}`, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: /Choose a folder/ });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'New folder' }).click();
  await dialog.getByLabel('Name of the new folder').fill('june-bundle');
  await dialog.getByRole('button', { name: 'Create folder' }).click();
  // The new folder opens, as in a system dialog, and exists on disk.
  await expect(dialog.getByText(join(work, 'picker', 'june-bundle'), { exact: true })).toBeVisible();
  expect((await stat(join(work, 'picker', 'june-bundle'))).isDirectory()).toBe(true);
  await dialog.getByRole('button', { name: 'Up one folder' }).click();
  await expect(dialog.getByText(join(work, 'picker'), { exact: true })).toBeVisible();
  // Focus stays in the dialog, on a control, not on the page body.
  await expect
    .poll(() =>
      page.evaluate(() => {
        const doc = (globalThis as unknown as { document: { activeElement: { tagName: string; closest: (s: string) => unknown } | null } }).document;
        return doc.activeElement !== null && doc.activeElement.tagName !== 'BODY' && doc.activeElement.closest('dialog') !== null;
      }),
    )
    .toBe(true);
  await new StartScreen(page).capture('home-picker-new-folder');
});
