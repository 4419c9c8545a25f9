/**
 * Issue 17, the import side of a new operator's first hour: every step in the
 * app (pull-secret merge, the receipt and the site's totals for the trip back,
 * "Safely remove drive", the mirror configuration saved as one folder), and
 * the problems an operator met: a failed push that was a dead end, values
 * refused only after Start, internal names on the pages, a target forgotten
 * between runs and blob counts that did not add up. A real Distribution
 * registry is the target; the refusing one is the same registry behind the
 * harness fault proxy.
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
import { methodPath } from '../../src-shared/api/wire.ts';
import type { DriveInfo } from '../../src-shared/api/contract.ts';
import { StartScreen } from './pages/start.ts';
import { ImportBundleStep, ImportInspectStep, ImportMirrorStep, ImportPushStep, ImportTargetStep, ImportVerifyStep } from './pages/import-steps.ts';
import { ImportReviewStep } from './pages/review.ts';

const RENDERER_DIR = 'dist/renderer';
const CARRIED: FixtureName[] = ['oci-single', 'oci-index'];
const SITE = 'plant-first-hour';

let source: RunningRegistry;
let target: RunningRegistry;
let proxy: FaultProxy;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let bundle: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-import-'));
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const registry = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([registry(), registry()]);
  proxy = teardown.add(await startFaultProxy({ upstream: target.url }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(
    source,
    CARRIED.map((name) => fixtures[name]),
  );
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
  // The export is the export wizard's business (wizards.spec.ts); here the engine only makes the bundle the operator carries.
  bundle = join(work, 'usb', 'bundle');
  await mkdir(bundle, { recursive: true });
  const references = CARRIED.map((name) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`);
  const { jobId } = await service['export:run']({ references, target: bundle, registry: { plainHttp: true } });
  expect((await service.settled(jobId))?.status).toBe('succeeded');
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Opens the import wizard and walks the bundle, verify and inspect steps to the target step. */
async function toTargetStep(page: Page, capture = false): Promise<ImportTargetStep> {
  await page.goto(server.url);
  await new StartScreen(page).chooseDisconnected();
  const bundleStep = await new ImportBundleStep(page).expectShown();
  await bundleStep.chooseFolder(bundle);
  await bundleStep.verify();
  const verify = await new ImportVerifyStep(page).expectShown();
  await verify.expectVerified();
  await verify.next();
  const inspect = await new ImportInspectStep(page).expectShown();
  if (capture) {
    await inspect.expectNoInternalWords();
    await inspect.capture('first-hour-import-3-inspect');
  }
  await inspect.next();
  return new ImportTargetStep(page).expectShown();
}

test('problem 4: a bad bundle folder or registry address is marked where it is typed, before anything starts', async ({ page }) => {
  await page.goto(server.url);
  await new StartScreen(page).chooseDisconnected();
  const bundleStep = await new ImportBundleStep(page).expectShown();
  await bundleStep.chooseFolder('usb/bundle');
  await bundleStep.expectInvalid(/Bundle folder/, /full path/);
  await bundleStep.capture('first-hour-import-1-bad-folder');
  await bundleStep.chooseFolder(bundle);
  await bundleStep.expectValid(/Bundle folder/);
  await bundleStep.verify();
  await (await new ImportVerifyStep(page).expectShown()).next();
  await (await new ImportInspectStep(page).expectShown()).next();
  const targetStep = await new ImportTargetStep(page).expectShown();
  await targetStep.enterRegistry('http://registry bad/mirror', { plainHttp: false });
  await targetStep.expectInvalid('Registry address and prefix', /without http:\/\//);
  await targetStep.capture('first-hour-import-4-bad-target');
  await targetStep.enterRegistry(`${target.host}/checked`, { plainHttp: true });
  await targetStep.expectValid('Registry address and prefix');
});

test('problem 3 and confirmations: a refused push asks first, then offers another target or starting over', async ({ page }) => {
  test.setTimeout(180_000);
  const targetStep = await toTargetStep(page);
  // The registry behind the proxy refuses every upload: the push fails after it started.
  proxy.addFault({ method: 'POST', path: /\/blobs\/uploads\/$/, times: 10_000, fault: { kind: 'status', status: 400 } });
  await targetStep.enterRegistry(`${proxy.host}/refused`, { plainHttp: true });
  await page.getByRole('button', { name: 'Review before pushing' }).click();
  const review = await new ImportReviewStep(page).expectShown();
  await review.pushButton().click();
  // Confirmation before the first write: what goes where, and a way out.
  const confirm = page.getByRole('dialog', { name: /^Push to / });
  await expect(confirm).toContainText(`${proxy.host}/refused`);
  await review.capture('first-hour-import-5-confirm-push');
  await confirm.getByRole('button', { name: 'Push', exact: true }).click();
  const push = await new ImportPushStep(page).expectShown();
  await expect(page.getByRole('alert')).toBeVisible();
  await push.expectNoInternalWords();
  await push.capture('first-hour-import-6-push-failed');
  // Not a dead end: another target, or start over.
  await expect(page.getByRole('button', { name: 'Push again (resumes)' })).toBeVisible();
  await page.getByRole('button', { name: 'Change the target' }).click();
  const again = await new ImportTargetStep(page).expectShown();
  await expect(page.getByLabel('Registry address and prefix')).toHaveValue(`${proxy.host}/refused`);
  await again.startOver();
  await new ImportBundleStep(page).expectShown();
  await expect(page.getByLabel(/Bundle folder/)).toHaveValue('');
  proxy.clearFaults();
});

test('first import: confirmed push, a summary that explains its numbers, the receipt and the site for the trip back, safe removal, mirror folder and pull secret', async ({ page }) => {
  test.setTimeout(240_000);
  // Real drives cannot be plugged in here: the drive list says the bundle's parent folder is a removable drive, and removing it succeeds.
  const drive: DriveInfo = { path: join(work, 'usb'), label: 'FERRY-USB', fsType: 'vfat', freeBytes: 1 << 30, sizeBytes: 1 << 31, removable: true, advice: null };
  await page.route(`**${methodPath('drives:list')}*`, (route) => route.fulfill({ json: { ok: true, result: [drive] } }));
  await page.route(`**${methodPath('drives:eject')}*`, (route) => route.fulfill({ json: { ok: true, result: { ejected: true } } }));
  const targetStep = await toTargetStep(page, true);
  await targetStep.enterRegistry(`${target.host}/first`, { plainHttp: true });
  await targetStep.enterSite(SITE);
  await targetStep.push();
  const push = await new ImportPushStep(page).expectShown();
  await push.waitFinished();
  const summary = push.summary();
  // Why the push counts fewer blobs than the bundle, and what was sent.
  await expect(summary).toContainText(/blobs/);
  await expect(page.getByText(/The bundle holds \d+ blobs/)).toBeVisible();
  // The incremental loop: the receipt beside the bundle, and what the site now holds.
  await expect(summary).toContainText(join(bundle, 'ferry-receipt.json'));
  await expect(page.getByRole('region', { name: `Site ${SITE}` })).toContainText(/2 images/);
  await push.expectNoInternalWords();
  await push.capture('first-hour-import-7-done');
  await page.getByRole('button', { name: 'Safely remove drive' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'FERRY-USB can now be unplugged safely.' })).toBeVisible();
  await push.next();

  const mirror = await new ImportMirrorStep(page).expectShown();
  await mirror.expectFiles();
  // One action: the folder is proposed, one button writes every file with its layout.
  await expect(page.getByLabel('Folder to save the mirror configuration in', { exact: true })).not.toHaveValue('');
  await page.getByRole('button', { name: 'Save all files' }).click();
  await expect(page.getByRole('list', { name: 'Files saved' })).toBeVisible();
  const saved = (await page.getByRole('list', { name: 'Files saved' }).getByRole('listitem').allTextContents()).map((path) => path.trim());
  expect(saved.length).toBeGreaterThan(1);
  for (const path of saved) expect(existsSync(path), path).toBe(true);

  // The pull secret: the cluster's file keeps its entries and gains the mirror's login; the password is never shown.
  const pullSecret = join(work, 'pull-secret.json');
  await writeFile(pullSecret, JSON.stringify({ auths: { 'quay.io': { auth: Buffer.from('me:quay-token').toString('base64') } } }));
  const password = 'mirror-pass-never-shown';
  await mirror.mergePullSecret(pullSecret, 'puller', password);
  await expect(page.locator('main')).not.toContainText(password);
  const mergedPath = await mirror.mergedPullSecretPath();
  const merged = JSON.parse(await readFile(mergedPath, 'utf8')) as { auths: Record<string, { auth: string }> };
  expect(Object.keys(merged.auths)).toEqual(['quay.io', target.host]);
  expect(Buffer.from(merged.auths[target.host]?.auth ?? '', 'base64').toString()).toBe(`puller:${password}`);
  await mirror.expectNoInternalWords();
  await mirror.capture('first-hour-import-8-mirror');
});

test('problems 7 and 9: the target and plain HTTP are remembered, and a second import says its blobs were already there', async ({ page }) => {
  test.setTimeout(180_000);
  // The first import into this target, through the engine (a test that failed before this one restarts the worker, with a fresh catalog).
  const { jobId } = await service['import:run']({ bundle, target: `${target.host}/first`, site: SITE, registry: { plainHttp: true } });
  expect((await service.settled(jobId))?.status).toBe('succeeded');
  const targetStep = await toTargetStep(page);
  // Remembered from the previous import (this page is a fresh renderer).
  await expect(page.getByLabel('Registry address and prefix')).toHaveValue(`${target.host}/first`);
  await expect(page.getByLabel(/Plain HTTP/)).toBeChecked();
  await targetStep.push();
  const push = await new ImportPushStep(page).expectShown();
  await push.waitFinished();
  await expect(push.summary()).toContainText(/already in the registry/);
  await push.capture('first-hour-import-9-again');
});
