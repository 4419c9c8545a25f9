/**
 * Issue 17, the export wizard in the first hour of a new operator: every
 * problem an operator met is asserted here against a real plain-HTTP
 * Distribution registry (and a fault proxy in front of it that slows blob
 * bodies, so a run can be cancelled and resumed), driven only through the UI,
 * with a screenshot and an axe scan of every screen.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { StartScreen } from './pages/start.ts';
import { ExportDoneStep, ExportPlanStep, ExportRunStep, ExportWhatStep, ExportWhereStep } from './pages/export-steps.ts';

const RENDERER_DIR = 'dist/renderer';
const CARRIED: FixtureName[] = ['oci-single', 'oci-index'];
/** Words of the CLI and of OpenSSL that must never reach the app's screens. */
const CLI_OR_RAW = /--[a-z][a-z-]+|ssl3_get_record|wrong version number|certs\.d/i;
/** Internal field names the done page showed (issue 17, problem 5). */
const INTERNAL_NAMES = /bundleId|formReason|alreadyComplete|\bbytes \d|\bseconds \d/;

let registry: RunningRegistry;
let proxy: FaultProxy;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-export-'));
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(
    registry,
    [...CARRIED, 'big-layers' as FixtureName].map((name) => fixtures[name]),
  );
  proxy = teardown.add(await startFaultProxy({ upstream: registry.url }), (started) => started.stop());
  const service: Service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

const refOf = (name: FixtureName, host = registry.host): string => `${host}/${fixtures[name].repository}:${fixtures[name].tag}`;

async function openExport(page: Page): Promise<ExportWhatStep> {
  await page.goto(server.url);
  await (await new StartScreen(page).expectShown()).chooseConnected();
  return new ExportWhatStep(page).expectShown();
}

test('problem 1: a plain-HTTP registry planned over TLS is one problem, in plain words, naming the field that fixes it', async ({ page }) => {
  const what = await openExport(page);
  await what.enterReferences(CARRIED.map((name) => refOf(name)));
  await what.plan();
  const alert = page.getByRole('alert');
  await expect(alert).toBeVisible();
  // Once per registry, not once per reference.
  await expect(alert.getByRole('listitem')).toHaveCount(1);
  await expect(alert).toContainText('Plain HTTP (registry without TLS)');
  await expect(alert).toContainText(registry.host);
  expect(await alert.innerText()).not.toMatch(CLI_OR_RAW);
  await what.capture('first-hour-export-1-plain-http');
  // The advice works: ticking the named field plans both images.
  await what.usePlainHttp();
  await what.plan();
  await (await new ExportPlanStep(page).expectShown()).expectImages(CARRIED.map((name) => refOf(name)));
});

test('problems 3, 4, 5: start over, values checked on the step they are typed on, free space, the done page in plain words', async ({ page }) => {
  const what = await openExport(page);
  // Problem 3: every step can start over.
  await what.enterReferences([refOf('oci-single')]);
  await what.usePlainHttp();
  await what.plan();
  const plan = await new ExportPlanStep(page).expectShown();
  await page.getByRole('button', { name: 'Start over' }).click();
  await what.expectShown();
  await expect(page.getByLabel(/Image references, one per line/)).toHaveValue('');

  await what.enterReferences([refOf('oci-single')]);
  await what.plan();
  await plan.expectShown();
  await plan.next();
  const where = await new ExportWhereStep(page).expectShown();
  // Problem 4: a part size that is not a size is marked where it is typed, with the reason beside it.
  await page.getByLabel('Archive form (tar parts)').check();
  const partSize = page.getByLabel(/^Part size/);
  await partSize.fill('abc');
  await partSize.blur();
  await expect(partSize).toHaveAttribute('aria-invalid', 'true');
  await expect(partSize).toHaveAccessibleDescription(/size/i);
  // A folder that cannot be written (under a file) is refused on this step, before any job starts.
  const file = join(work, 'a-file');
  await writeFile(file, 'not a folder');
  await where.chooseFolder(join(file, 'bundle'));
  await partSize.fill('');
  await page.getByLabel('Archive form (tar parts)').uncheck();
  await where.start();
  await where.expectShown();
  const target = page.getByLabel('Folder to write the bundle to', { exact: true });
  await expect(target).toHaveAttribute('aria-invalid', 'true');
  await expect(target).toHaveAccessibleDescription(/cannot be written|not a folder/i);
  await where.capture('first-hour-export-3-where-invalid');
  // Free space of the folder's drive against the plan, for any folder typed.
  await mkdir(join(work, 'usb'));
  await where.chooseFolder(join(work, 'usb'));
  await expect(page.getByText(/free; the bundle needs/)).toBeVisible();
  await page.getByRole('button', { name: 'Start over' }).isVisible();
  await where.start();
  const run = await new ExportRunStep(page).expectShown();
  await run.waitFinished();
  // Sizes and percentages on the per-image bars.
  await expect(page.getByRole('list', { name: 'Export progress by image' }).getByRole('listitem').first()).toContainText(/100% · .*(B|KiB|MiB)/);
  await run.next();
  const done = await new ExportDoneStep(page).expectShown();
  await done.expectVerified();
  // Problem 5: the done page speaks the operator's language.
  const summary = page.getByLabel('Bundle summary', { exact: true });
  await expect(summary).toContainText(/Size.*(KiB|MiB|GiB|B)/s);
  await expect(summary).toContainText(/Took/);
  expect(await page.locator('main').innerText()).not.toMatch(INTERNAL_NAMES);
  expect(await page.locator('main').innerText()).not.toMatch(/\([A-Z_]{4,}\)/);
  await done.capture('first-hour-export-5-done');
  await expect(page.getByRole('button', { name: 'Start over' })).toBeVisible();
});

test('problem 7: a saved set fills the reference box, and the access chosen for a host is remembered', async ({ page }) => {
  const what = await openExport(page);
  await what.enterReferences(CARRIED.map((name) => refOf(name)));
  await what.usePlainHttp();
  await what.saveAsSet('monthly');
  await what.plan();
  await new ExportPlanStep(page).expectShown();
  await page.getByRole('button', { name: 'Start over' }).click();
  await what.expectShown();
  await expect(page.getByLabel(/Plain HTTP/)).not.toBeChecked();
  await page.getByRole('button', { name: 'Use set monthly' }).click();
  await expect(page.getByText(/^2 references/)).toBeVisible();
  // The plain-HTTP choice of the last plan from this host is back.
  await expect(page.getByLabel(/Plain HTTP/)).toBeChecked();
  await what.capture('first-hour-export-1-saved-set');
  await what.plan();
  await (await new ExportPlanStep(page).expectShown()).expectImages(CARRIED.map((name) => refOf(name)));
  // Between runs (a new page) too.
  await page.goto(server.url);
  await (await new StartScreen(page).expectShown()).chooseConnected();
  await what.expectShown();
  await what.enterReferences([refOf('oci-single')]);
  await expect(page.getByLabel(/Plain HTTP/)).toBeChecked();
});

test('problem 9 and cancel: a confirmed cancel, a resume, and progress in plain numbers', async ({ page }) => {
  test.setTimeout(180_000);
  // Blob bodies at 256 KiB/s: the 4 MiB layers take long enough to cancel during the run.
  proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, times: 1000, fault: { kind: 'slow-body', bytesPerSecond: 256 * 1024 } });
  const what = await openExport(page);
  await what.enterReferences([refOf('big-layers', proxy.host)]);
  await what.usePlainHttp();
  await what.plan();
  await (await new ExportPlanStep(page).expectShown()).next();
  const where = await new ExportWhereStep(page).expectShown();
  await mkdir(join(work, 'slow'));
  await where.chooseFolder(join(work, 'slow'));
  await where.start();
  const run = await new ExportRunStep(page).expectShown();
  const progress = page.getByRole('region', { name: 'Export progress', exact: true });
  // No "0 of 0" blobs while the bar moves.
  await expect(progress).not.toContainText('0 of 0');
  await page.getByRole('button', { name: 'Cancel export' }).click();
  const confirm = page.getByRole('alertdialog', { name: /Cancel the export/ });
  await expect(confirm).toBeVisible();
  await run.capture('first-hour-export-4-cancel-confirm');
  await confirm.getByRole('button', { name: 'Keep exporting' }).click();
  await expect(confirm).toBeHidden();
  await page.getByRole('button', { name: 'Cancel export' }).click();
  await confirm.getByRole('button', { name: 'Cancel the export' }).click();
  await expect(progress).toContainText(/Cancelled/);
  await expect(progress).not.toContainText(/transferring|cancelled ·/);
  expect(await page.locator('main').innerText()).not.toMatch(/\([A-Z_]{4,}\)/);
  await run.capture('first-hour-export-4-cancelled');
  proxy.clearFaults();
  await page.getByRole('button', { name: 'Run again (resumes)' }).click();
  await run.waitFinished();
});

test('the incremental loop: a receipt from the drive, what the site has, and what the plan leaves out; the Deckhouse license field', async ({ page }) => {
  test.setTimeout(180_000);
  const single = fixtures['oci-single'];
  const what = await openExport(page);
  // The license field shows for an image set file; it is a password field, never echoed.
  await what.enterSetFile(join(work, 'deckhouse-set.yaml'));
  await expect(page.getByLabel(/^Deckhouse license key/)).toHaveAttribute('type', 'password');
  await what.enterSetFile('');
  // The bundle the site imported: exported here first, so the catalog knows it.
  await what.enterReferences([refOf('oci-single')]);
  await what.usePlainHttp();
  await what.plan();
  await (await new ExportPlanStep(page).expectShown()).next();
  const where = await new ExportWhereStep(page).expectShown();
  const base = join(work, 'base');
  await where.chooseFolder(base);
  await where.start();
  await new ExportRunStep(page).waitFinished();
  const bundleId = (JSON.parse(await readFile(join(base, 'ferry.json'), 'utf8')) as { bundleId: string }).bundleId;
  // The receipt the site sent back for it, on the drive.
  const receipt = join(work, 'ferry-receipt.json');
  await writeFile(
    receipt,
    JSON.stringify({
      receiptVersion: 1,
      site: null,
      registry: 'mirror.plant.example/imported',
      bundleId,
      importedAt: '2026-12-01T10:00:00.000Z',
      images: [{ name: refOf('oci-single'), source: refOf('oci-single'), destination: `mirror.plant.example/imported/${single.repository}:${single.tag}`, digest: single.manifestDigest }],
      digests: [...single.manifests.map((m) => m.digest), ...single.blobs.map((b) => b.digest)],
    }),
  );
  await page.getByRole('button', { name: 'Start over' }).click();
  await what.expectShown();
  await what.enterReferences(CARRIED.map((name) => refOf(name)));
  await what.plan();
  await (await new ExportPlanStep(page).expectShown()).next();
  await where.expectShown();
  await page.getByLabel(/^Incremental for site/).fill('plant-7');
  await expect(page.getByText(/No receipt from site plant-7 yet/)).toBeVisible();
  await page.getByLabel('Receipt file from the site (ferry-receipt.json)', { exact: true }).fill(receipt);
  await page.getByRole('button', { name: 'Add receipt' }).click();
  await expect(page.getByText(/^Receipt added for site plant-7/)).toBeVisible();
  await expect(page.getByText(/^Site plant-7: 1 receipt, last import .*; it has 1 image/)).toBeVisible();
  await where.capture('first-hour-export-3-site');
  await page.getByRole('button', { name: 'Plan again for site plant-7' }).click();
  const plan = await new ExportPlanStep(page).expectShown();
  await expect(page.getByRole('term').filter({ hasText: 'Left out (the site has it)' })).toBeVisible();
  await plan.next();
  await where.expectShown();
  await expect(page.getByText(/The plan leaves out .* the site has/)).toBeVisible();
});

/** Presses Tab until `target` has the focus (at most `limit` presses), proving it is reachable by keyboard in tab order. */
async function tabTo(page: Page, target: ReturnType<Page['getByRole']>, limit = 80): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    if (await target.evaluate((element) => (element as unknown as { matches: (selector: string) => boolean }).matches(':focus'))) return;
    await page.keyboard.press('Tab');
  }
  await expect(target).toBeFocused();
}

test('keyboard only: the export wizard from the start screen to "Start over", with the fields issue 17 added', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto(server.url);
  await new StartScreen(page).expectShown();
  await tabTo(page, page.getByRole('button', { name: /I am on the connected side/ }));
  await page.keyboard.press('Enter');
  const what = await new ExportWhatStep(page).expectShown();
  await tabTo(page, page.getByRole('textbox', { name: /Image references, one per line/ }));
  await page.keyboard.type(refOf('oci-single'));
  await tabTo(page, page.getByRole('checkbox', { name: /Plain HTTP/ }));
  // The access remembered for this host may have ticked it already: Space sets it either way.
  if (!(await page.getByRole('checkbox', { name: /Plain HTTP/ }).isChecked())) await page.keyboard.press('Space');
  await expect(page.getByRole('checkbox', { name: /Plain HTTP/ })).toBeChecked();
  await tabTo(page, page.getByRole('button', { name: 'Plan export' }));
  await page.keyboard.press('Enter');
  await new ExportPlanStep(page).expectShown();
  await tabTo(page, page.getByRole('button', { name: 'Choose where' }));
  await page.keyboard.press('Enter');
  await new ExportWhereStep(page).expectShown();
  await tabTo(page, page.getByRole('textbox', { name: 'Folder to write the bundle to' }));
  await page.keyboard.type(join(work, 'keyboard'));
  await tabTo(page, page.getByRole('checkbox', { name: 'Archive form (tar parts)' }));
  await page.keyboard.press('Space');
  const partSize = page.getByRole('textbox', { name: /^Part size/ });
  await tabTo(page, partSize);
  await page.keyboard.type('abc');
  await page.keyboard.press('Tab');
  await expect(partSize).toHaveAttribute('aria-invalid', 'true');
  await partSize.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('1GiB');
  await expect(partSize).not.toHaveAttribute('aria-invalid', 'true');
  await tabTo(page, page.getByRole('textbox', { name: /^Incremental for site/ }));
  await tabTo(page, page.getByRole('textbox', { name: /^Receipt file from the site/ }));
  await expect(page.getByText(/free; the bundle needs/)).toBeVisible();
  await tabTo(page, page.getByRole('button', { name: 'Start export' }));
  await page.keyboard.press('Enter');
  const run = await new ExportRunStep(page).expectShown();
  await run.waitFinished();
  await tabTo(page, page.getByRole('button', { name: 'See the result' }));
  await page.keyboard.press('Enter');
  await (await new ExportDoneStep(page).expectShown()).expectVerified();
  await tabTo(page, page.getByRole('button', { name: 'Start over' }));
  await page.keyboard.press('Enter');
  await what.expectShown();
  await expect(page.getByRole('heading', { level: 2 })).toBeFocused();
});
