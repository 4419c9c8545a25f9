/**
 * Issue 17, the security officer's first hour (problem 8): what the inspector
 * and the Review screen show of a bundle. A bundle exported by the engine
 * from a real Distribution registry (a two-platform OCI index and a single
 * image) is verified and inspected in the import wizard and reviewed from the
 * start screen: full digests (selectable, with a copy button), each image's
 * platforms, layers (sizes, media types) and config labels, the plan notes, a
 * saved HTML report and Print. A copy with one flipped bit in a layer fails
 * verification, and the failure names the image that layer belongs to, in the
 * disconnected side's words. axe scans every screen shown.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { ImportBundleStep, ImportInspectStep, ImportVerifyStep } from './pages/import-steps.ts';
import { ImportReviewStep } from './pages/review.ts';
import { StartScreen } from './pages/start.ts';

const RENDERER_DIR = 'dist/renderer';
const INDEX: FixtureName = 'oci-index';
const SINGLE: FixtureName = 'oci-single';
/** Plan notes as a Deckhouse export writes them into ferry.json's image set (sources/deckhouse-*.ts). */
const NOTES = ['deckhouse: requires Kubernetes 1.29 or newer on every node', 'deckhouse: the update to 1.68 restarts the ingress controllers (a disruption)'];

let source: RunningRegistry;
let target: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let bundle: string;
let damaged: string;
/** The layer flipped in the damaged copy: the single image's only own layer. */
let badLayer: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

const refOf = (name: FixtureName): string => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-officer-'));
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const registry = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([registry(), registry()]);
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures[INDEX], fixtures[SINGLE]]);
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());

  bundle = join(work, 'usb');
  await mkdir(bundle);
  const { jobId } = await service['export:run']({ references: [refOf(INDEX), refOf(SINGLE)], target: bundle, registry: { plainHttp: true } });
  expect((await service.settled(jobId))?.status).toBe('succeeded');
  // The plan notes an exporter's image set carries (a Deckhouse plan writes them; these registries serve no Deckhouse edition).
  const ferryJson = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as { imageSet: { notes: string[] } };
  ferryJson.imageSet.notes = NOTES;
  await writeFile(join(bundle, 'ferry.json'), JSON.stringify(ferryJson, null, 2));

  // The damaged copy: one bit of the single image's layer flipped.
  damaged = join(work, 'damaged');
  await cp(bundle, damaged, { recursive: true });
  const single = fixtures[SINGLE];
  const layer = single.blobs.find((blob) => !fixtures[INDEX].blobs.some((other) => other.digest === blob.digest) && blob.size > 1000);
  if (!layer) throw new Error('the single image has no layer of its own');
  badLayer = layer.digest;
  const file = join(damaged, 'blobs', 'sha256', badLayer.slice('sha256:'.length));
  const bytes = await readFile(file);
  bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 1;
  await writeFile(file, bytes);
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Replaces window.print with a counter, so Print can be pressed without a dialog. */
async function stubPrint(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const counted = globalThis as unknown as { printed: number; print: () => void };
    counted.printed = 0;
    counted.print = () => {
      counted.printed += 1;
    };
  });
}

const printed = (page: Page): Promise<number> => page.evaluate(() => (globalThis as unknown as { printed: number }).printed);

/** Verifies `folder` in the import wizard and answers the verify step. */
async function verifyInWizard(page: Page, folder: string): Promise<ImportVerifyStep> {
  await page.goto(server.url);
  await new StartScreen(page).chooseDisconnected();
  const step = await new ImportBundleStep(page).expectShown();
  await step.chooseFolder(folder);
  await step.verify();
  return new ImportVerifyStep(page).expectShown();
}

test('the inspector shows full digests, each image in detail and the plan notes, and saves and prints a report', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await stubPrint(page);
  const verify = await verifyInWizard(page, bundle);
  await verify.expectVerified();
  await verify.next();
  const inspect = await new ImportInspectStep(page).expectShown();
  const index = fixtures[INDEX];

  // The plan notes: the Deckhouse requirement and disruption from ferry.json.
  for (const note of NOTES) await expect(page.getByRole('listitem').filter({ hasText: note })).toBeVisible();
  // The full digest, as text on the page (not only in a tooltip), and a button that copies it.
  await expect(page.getByText(index.manifestDigest, { exact: true }).first()).toBeVisible();
  await page.getByRole('button', { name: `Copy the digest of ${refOf(INDEX)}` }).click();
  expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText: () => Promise<string> } } }).navigator.clipboard.readText())).toBe(index.manifestDigest);

  // One image in detail: its platforms, each with its layers (full digests, sizes, media types), and its config labels.
  await page.getByText(`Details of ${refOf(INDEX)}`, { exact: true }).click();
  const details = page.getByRole('region', { name: `Details of ${refOf(INDEX)}` });
  for (const platform of ['linux/amd64', 'linux/arm64']) {
    const layers = details.getByRole('table', { name: new RegExp(`^Layers of ${platform}`) });
    await expect(layers).toBeVisible();
    await expect(layers.getByRole('cell', { name: /^application\/vnd\.oci\.image\.layer\.v1\.tar/ }).first()).toBeVisible();
  }
  for (const blob of index.blobs.filter((b) => b.size > 1000)) await expect(details.getByText(blob.digest, { exact: true }).first()).toBeVisible();
  await expect(
    details
      .getByRole('table', { name: /^Labels of linux\/amd64/ })
      .getByRole('row')
      .filter({ hasText: 'dev.ferry.fixture' }),
  ).toHaveCount(1);
  await inspect.capture('officer-1-inspect-details');

  // Save report: an HTML file in the folder picked, holding the verification, the images with full digests and layers, and the signatures.
  const reports = join(work, 'reports');
  await mkdir(reports);
  await page.getByLabel('Folder to save the report in', { exact: true }).fill(reports);
  await page.getByRole('button', { name: 'Save report', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Report saved to / })).toBeVisible();
  const [saved] = await readdir(reports);
  expect(saved).toMatch(/\.html$/);
  const html = await readFile(join(reports, saved ?? ''), 'utf8');
  for (const text of [index.manifestDigest, fixtures[SINGLE].manifestDigest, ...index.blobs.map((b) => b.digest), 'Bundle verified: every check passed.', 'Signatures and approvals', ...NOTES])
    expect(html).toContain(text);
  expect(html).not.toMatch(/<script/i);

  // Browser mode also downloads the same report.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download report', exact: true }).click()]);
  expect(download.suggestedFilename()).toBe(saved);
  expect(await readFile(await download.path(), 'utf8')).toContain(index.manifestDigest);

  // Print: the browser's print, with a print stylesheet that leaves out navigation and buttons.
  await page.getByRole('button', { name: 'Print', exact: true }).click();
  expect(await printed(page)).toBe(1);
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'Save report', exact: true })).toBeHidden();
  await expect(page.getByText(index.manifestDigest, { exact: true }).first()).toBeVisible();
  await page.emulateMedia({ media: 'screen' });
});

test('the Review screen shows full digests, image details and the plan notes, and saves a report', async ({ page }) => {
  await stubPrint(page);
  await page.goto(server.url);
  await new StartScreen(page).expectShown();
  await page.getByRole('button', { name: /Review a bundle/ }).click();
  const review = await new ImportReviewStep(page).expectShown();
  await review.reviewBundle(bundle, `${target.host}/mirror`, { plainHttp: true });
  await review.expectReport();
  for (const note of NOTES) await expect(page.getByRole('listitem').filter({ hasText: note })).toBeVisible();
  // ferry.json's digest and every tag change's digest in full, as text.
  const ferryDigest = `sha256:${(await import('node:crypto'))
    .createHash('sha256')
    .update(await readFile(join(bundle, 'ferry.json')))
    .digest('hex')}`;
  await expect(page.getByText(ferryDigest, { exact: true }).first()).toBeVisible();
  await expect(review.tagChanges().getByText(fixtures[SINGLE].manifestDigest, { exact: true })).toBeVisible();
  await page.getByText(`Details of ${refOf(SINGLE)}`, { exact: true }).click();
  const details = page.getByRole('region', { name: `Details of ${refOf(SINGLE)}` });
  await expect(details.getByRole('table', { name: /^Layers of linux\/amd64/ })).toBeVisible();
  await expect(details.getByRole('table', { name: /^Labels of linux\/amd64/ })).toContainText('dev.ferry.fixture');
  await review.capture('officer-2-review-details');
  const reports = join(work, 'review-reports');
  await mkdir(reports);
  await page.getByLabel('Folder to save the report in', { exact: true }).fill(reports);
  await page.getByRole('button', { name: 'Save report', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Report saved to / })).toBeVisible();
  const [saved] = await readdir(reports);
  const html = await readFile(join(reports, saved ?? ''), 'utf8');
  for (const text of [ferryDigest, fixtures[SINGLE].manifestDigest, 'Tag changes', ...NOTES]) expect(html).toContain(text);
  await page.getByRole('button', { name: 'Print', exact: true }).click();
  expect(await printed(page)).toBe(1);
});

test("a damaged layer fails verification naming its image, in the receiving side's words", async ({ page }) => {
  await stubPrint(page);
  const verify = await verifyInWizard(page, damaged);
  const failed = page.getByRole('status').filter({ hasText: 'Verification failed' });
  await expect(failed).toBeVisible();
  await expect(failed).toContainText('Verification failed: do not import this bundle.');
  await expect(failed).not.toContainText('carry');
  // The bad blob is tied to its image: the problem names the image the layer belongs to, and the layer's full digest.
  const problem = failed.getByRole('listitem').filter({ hasText: badLayer });
  await expect(problem.filter({ hasText: refOf(SINGLE) })).not.toHaveCount(0);
  await expect(problem.filter({ hasText: refOf(INDEX) })).toHaveCount(0);
  // The failed verification's report can be saved and printed too.
  const reports = join(work, 'damaged-reports');
  await mkdir(reports);
  await page.getByLabel('Folder to save the report in', { exact: true }).fill(reports);
  await page.getByRole('button', { name: 'Save report', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Report saved to / })).toBeVisible();
  const [saved] = await readdir(reports);
  const html = await readFile(join(reports, saved ?? ''), 'utf8');
  expect(html).toContain('do not import this bundle');
  expect(html).toContain(badLayer);
  await page.getByRole('button', { name: 'Print', exact: true }).click();
  expect(await printed(page)).toBe(1);
  await verify.capture('officer-3-damaged');

  // The Review screen refuses the same bundle, and its refusal names the image too.
  await new StartScreen(page).open();
  await page.getByRole('button', { name: /Review a bundle/ }).click();
  const review = await new ImportReviewStep(page).expectShown();
  await review.reviewBundle(damaged, `${target.host}/mirror`, { plainHttp: true });
  const refused = page.getByRole('alert').filter({ hasText: 'failed verification' });
  await expect(refused).toContainText(`blob ${badLayer} belongs to image ${refOf(SINGLE)}`);
  await review.capture('officer-4-review-damaged');
});
