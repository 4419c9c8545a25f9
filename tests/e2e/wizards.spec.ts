/**
 * The issue-7 end-to-end check: a fixture image set exported from a real
 * registry to a folder and imported into a second real registry, driven only
 * through the UI in Chromium against browser mode, with digests checked by
 * skopeo, a screenshot of every step and an axe scan of every screen.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { EVENTS_PATH, methodPath, TOKEN_QUERY } from '../../src-shared/api/wire.ts';
import { CatalogScreen, StartScreen } from './pages/start.ts';
import { SettingsScreen, type RegistryEntry } from './pages/settings.ts';
import { ExportDoneStep, ExportPlanStep, ExportRunStep, ExportWhatStep, ExportWhereStep } from './pages/export-steps.ts';
import { ImportBundleStep, ImportInspectStep, ImportMirrorStep, ImportPushStep, ImportTargetStep, ImportVerifyStep } from './pages/import-steps.ts';

const RENDERER_DIR = 'dist/renderer';
const CARRIED: FixtureName[] = ['oci-single', 'oci-index'];
/** Where the import puts images in the second registry: `<prefix>/<fixture repository>`, as the CLI maps them. */
const PREFIX = 'imported';
/** The site the import wizard names: the receipt and the catalog must record it, as `ferry import --site` does. */
const SITE = 'plant-e2e';

let source: RunningRegistry;
let target: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-'));
  // The engine runs in this process: keep it off the developer's catalog, data folder and credentials.
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const registry = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([registry(), registry()]);
  fixtures = await buildFixtures();
  await seedFixtures(
    source,
    CARRIED.map((name) => fixtures[name]),
  );
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

const refOf = (name: FixtureName): string => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;

test('without the session token, the API and the event stream answer 401 (the page itself holds no secret and sets no cookie)', async ({ page, request }) => {
  const origin = new URL(server.url).origin;
  const response = await page.goto(`${origin}/`);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['set-cookie']).toBeUndefined();
  const api = await request.post(`${origin}${methodPath('app:info')}`, { data: {} });
  expect(api.status()).toBe(401);
  expect(await api.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  expect((await request.post(`${origin}${methodPath('app:info')}?${TOKEN_QUERY}=${server.token}`, { data: {} })).status()).toBe(401);
  expect((await request.get(`${origin}${EVENTS_PATH}`)).status()).toBe(401);
  expect((await request.get(`${origin}${EVENTS_PATH}?${TOKEN_QUERY}=${server.token}`)).status()).toBe(401);
});

test('export two images, then import them into a second registry, through the UI only', async ({ page }) => {
  // The longest walks of the suite (two wizards, real registries, accessibility scans): over 4 minutes when the machine is busy.
  test.setTimeout(600_000);
  // An empty folder standing in for the USB drive; the file picker walks into it.
  await mkdir(join(work, 'usb'));
  const bundle = join(work, 'usb');
  const references = CARRIED.map(refOf);
  await page.goto(server.url);

  const start = await new StartScreen(page).expectShown();
  await start.capture('00-start');
  await start.chooseConnected();

  const what = await new ExportWhatStep(page).expectShown();
  await what.expectFileInputs();
  await what.enterReferences(references);
  await what.saveAsSet('e2e monthly');
  expect(await readFile(join(work, 'sets', 'e2e monthly.yaml'), 'utf8')).toContain(JSON.stringify(references[0]));
  await what.usePlainHttp();
  await what.capture('export-1-what');
  await what.plan();

  const plan = await new ExportPlanStep(page).expectShown();
  await plan.expectImages(references);
  await plan.capture('export-2-plan');
  await plan.next();

  const where = await new ExportWhereStep(page).expectShown();
  await where.browseToFolder(work, 'usb');
  await where.expectFullBundleOptions();
  await where.capture('export-3-where');
  await where.start();

  const run = await new ExportRunStep(page).expectShown();
  await run.waitFinished();
  await run.expectImageBars(references);
  await run.capture('export-4-run');
  await run.next();

  const done = await new ExportDoneStep(page).expectShown();
  await done.expectVerified();
  await done.capture('export-5-done');

  await start.open();
  await start.chooseDisconnected();

  const bundleStep = await new ImportBundleStep(page).expectShown();
  await bundleStep.findIn(work, bundle);
  await bundleStep.capture('import-1-bundle');
  await bundleStep.verify();

  const verify = await new ImportVerifyStep(page).expectShown();
  await verify.expectVerified();
  await verify.capture('import-2-verify');
  await verify.next();

  const inspect = await new ImportInspectStep(page).expectShown();
  await inspect.expectSources(references);
  // The export recorded this very bundle in the same catalog, which does not count: both images are new here.
  await inspect.expectNew(2, 2);
  await inspect.capture('import-3-inspect');
  await inspect.next();

  const targetStep = await new ImportTargetStep(page).expectShown();
  await targetStep.enterRegistry(`${target.host}/${PREFIX}`, { plainHttp: true });
  await targetStep.enterSite(SITE);
  await targetStep.testConnection();
  await targetStep.capture('import-4-target');
  await targetStep.push();

  const push = await new ImportPushStep(page).expectShown();
  await push.waitFinished();
  // The app's import records the site as the CLI's does: in the receipt beside the bundle and in the catalog.
  const receipt = JSON.parse(await readFile(join(bundle, 'ferry-receipt.json'), 'utf8')) as { site: string | null };
  expect(receipt.site).toBe(SITE);
  expect((await service['catalog:bundles']({})).some((row) => row.direction === 'import' && row.site === SITE)).toBe(true);
  await push.capture('import-5-push');
  await push.next();

  const mirror = await new ImportMirrorStep(page).expectShown();
  await mirror.expectFiles();
  await mirror.capture('import-6-mirror');

  const catalog = new CatalogScreen(page);
  await catalog.open();
  await expect(catalog.bundleRows()).not.toHaveCount(0);
  await catalog.expectChart();
  await catalog.capture('catalog');
  await catalog.search(references[0] ?? '');
  // The header, the export and the import: this one machine did both, and they are two events (issue 17).
  await expect(catalog.page.getByRole('table', { name: /Bundles holding/ }).getByRole('row')).toHaveCount(3);

  // The start screen now lists this session's jobs, kept current by job events.
  await start.open();
  await start.expectJob(/^Export /, 'Exported', 100);
  await start.expectJob(/^Verify /, 'Verified', 100);
  await start.expectJob(/^Import /, 'Imported', 100);
  await start.capture('00-start-jobs');

  // The oracle: skopeo reads each image from the second registry and its manifest digest must be the fixture's.
  for (const name of CARRIED) {
    const fixture = fixtures[name];
    expect(await skopeoInspectRawDigest(`docker://${target.host}/${PREFIX}/${fixture.repository}:${fixture.tag}`, target), name).toBe(fixture.manifestDigest);
  }
});

test('settings: a registry entry is saved without its password, survives a reload, and prefills the wizards', async ({ page }) => {
  const entry: RegistryEntry = {
    address: 'registry.settings.test:5000',
    plainHttp: true,
    tlsVerify: false,
    caCertFile: join(work, 'settings-ca.pem'),
    authFile: join(work, 'settings-auth.json'),
    username: 'operator',
    password: 'e2e-secret-never-stored',
  };
  await page.goto(server.url);
  const settings = new SettingsScreen(page);
  await settings.open();
  await expect(page.getByText(/Browser mode keeps no passwords.*auth file/)).toBeVisible();
  // Browser mode offers no keychain: there is no button that would send a password to be stored.
  await expect(page.getByRole('button', { name: /in the keychain/ })).toHaveCount(0);
  await settings.addRegistry(1, entry);
  await settings.setDefaults({ archive: true, partSize: '1GiB' });
  await settings.save();
  await settings.capture('settings');

  const file = await readFile(join(work, 'settings.json'), 'utf8');
  expect(file).toContain(entry.address);
  expect(file).not.toContain(entry.password);
  expect(file).not.toContain(entry.username);

  await page.reload();
  await settings.open();
  await settings.expectRegistry(1, entry);
  await expect(page.getByLabel(/Archive form \(tar parts\) by default/)).toBeChecked();
  await expect(page.getByLabel(/Default part size/)).toHaveValue('1GiB');

  // The export wizard fills in the saved access for a reference on that registry.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Export' }).click();
  const what = await new ExportWhatStep(page).expectShown();
  await what.enterReferences([`${entry.address}/team/app:1.0`]);
  await expect(page.getByRole('status').filter({ hasText: `Filled in from Settings for ${entry.address}` })).toBeVisible();
  await expect(page.getByLabel(/Plain HTTP/)).toBeChecked();
  await expect(page.getByLabel('Verify TLS certificates')).not.toBeChecked();
  await expect(page.getByLabel(/^Auth file/)).toHaveValue(entry.authFile ?? '');
  await expect(page.getByLabel('CA certificate file')).toHaveValue(entry.caCertFile ?? '');
  await what.capture('settings-prefill-export');

  // Leave the settings as the other tests expect them: nothing saved.
  await settings.open();
  await page.getByRole('button', { name: 'Remove registry 1' }).click();
  await settings.setDefaults({ archive: false, partSize: '' });
  await settings.save();
});
