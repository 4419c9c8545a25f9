/**
 * The issue-12 browser end to end, in Chromium against browser mode: a real
 * registry started here holds a Deckhouse-shaped release channel; the Browse
 * screen walks repositories (load more) → tags (digests) → platforms → files
 * and previews version.json as text with its bidi override shown as an
 * escape; the export wizard's "Pick from the registry" adds a tag to its list
 * and plans it; the inspector opens the browser on the bundle being inspected
 * and shows the same version.json. Screenshots and an axe scan of each screen.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import {
  BIDI_NAME,
  buildBrowseUiFixture,
  CHANNEL_REPOSITORY,
  CHANNEL_TAGS,
  EXTRA_REPOSITORY_COUNT,
  EXTRA_TAG_COUNT,
  PLAIN_REPOSITORIES,
  seedBrowseUiFixture,
  type BrowseUiFixture,
} from '../harness/browse-ui-fixture.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { BrowseScreen } from './pages/browse.ts';
import { ExportPlanStep, ExportWhatStep } from './pages/export-steps.ts';
import { ImportBundleStep, ImportInspectStep, ImportVerifyStep } from './pages/import-steps.ts';
import { StartScreen } from './pages/start.ts';

const RENDERER_DIR = 'dist/renderer';
const TAG_COUNT = CHANNEL_TAGS.length + EXTRA_TAG_COUNT;
const REPOSITORY_COUNT = 1 + PLAIN_REPOSITORIES.length + EXTRA_REPOSITORY_COUNT;

let registry: RunningRegistry;
let fixture: BrowseUiFixture;
let work: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-browse-'));
  // The engine runs in this process: keep it off the developer's catalog, data folder and credentials.
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = await buildBrowseUiFixture();
  await seedBrowseUiFixture(registry, fixture);
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

test('the browser walks a registry: repositories → tags → platforms → files, and previews version.json as text', async ({ page }) => {
  await page.goto(server.url);
  const browse = new BrowseScreen(page);
  await browse.open();
  await browse.openRegistry(registry.host);
  await browse.expectRepositoryCount(100, true);
  await browse.expectRepositories([CHANNEL_REPOSITORY, ...PLAIN_REPOSITORIES]);
  await browse.capture('browse-1-repositories');
  await browse.loadMoreRepositories();
  await browse.expectRepositoryCount(REPOSITORY_COUNT, false);

  await browse.chooseRepository(CHANNEL_REPOSITORY);
  await browse.loadAllTags();
  await browse.expectTagCount(TAG_COUNT, false);
  await browse.showDigests();
  await expect(browse.tagRow('stable').getByRole('cell', { name: `sha256:${fixture.channel.digest.slice(7, 19)}` })).toBeVisible();
  await browse.capture('browse-2-tags');

  await browse.chooseTag('stable');
  await expect(page.getByRole('list', { name: 'Platforms' }).getByRole('button')).toHaveText(['linux/amd64', 'linux/arm64']);
  await browse.choosePlatform('linux/amd64');
  await expect(browse.files().getByRole('button', { name: 'version.json', exact: true })).toBeVisible();

  const preview = await browse.previewFile('version.json');
  const text = preview.locator('pre');
  await expect(text).toContainText('"version": "v1.60.1"');
  // The right-to-left override in version.json is shown as an escape, never obeyed.
  await expect(text).toContainText('"notes": "read \\u202eti dna"');
  expect(await text.textContent()).not.toContain('\u202E');
  await browse.capture('browse-3-preview');

  // A name with a bidi override is shown with it escaped; a binary file is not shown.
  await browse.expandFolder('notes');
  await expect(page.getByRole('button', { name: BIDI_NAME.replace('notes/', '').replace('\u202E', '\\u202e'), exact: true })).toBeVisible();
  await browse.expandFolder('bin');
  const binary = await browse.previewFile('tool', 'bin/tool');
  await expect(binary).toContainText('This file is not text; it is not shown.');
});

test('"Pick from the registry" adds a tag to the export wizard, which plans it', async ({ page }) => {
  await page.goto(server.url);
  const start = await new StartScreen(page).expectShown();
  await start.chooseConnected();
  const what = await new ExportWhatStep(page).expectShown();
  await page.getByRole('button', { name: 'Pick from the registry' }).click();

  const browse = await new BrowseScreen(page).expectShown();
  await browse.openRegistry(registry.host);
  await browse.chooseRepository(CHANNEL_REPOSITORY);
  await browse.pickTag('stable');
  await expect(page.getByRole('status').filter({ hasText: '1 reference added to the export wizard.' })).toBeVisible();
  await browse.capture('browse-4-pick');
  await page.getByRole('button', { name: 'Back to the export wizard' }).click();

  await what.expectShown();
  const reference = `${registry.host}/${CHANNEL_REPOSITORY}:stable`;
  await expect(page.getByLabel(/Image references, one per line/)).toHaveValue(`${reference}\n`);
  // The access the registry was browsed with came along: plain HTTP is ticked, so the plan reaches it.
  await expect(page.getByLabel(/Plain HTTP/)).toBeChecked();
  await what.plan();
  const plan = await new ExportPlanStep(page).expectShown();
  await plan.expectImages([reference]);
});

test('the inspector opens the browser on the bundle being inspected, which shows the same version.json', async ({ page }) => {
  const bundle = join(work, 'bundle');
  const { jobId } = await service['export:run']({ references: [`${registry.host}/${CHANNEL_REPOSITORY}:stable`], target: bundle, registry: { plainHttp: true, authFile: emptyAuthFile } });
  expect((await service.settled(jobId))?.status).toBe('succeeded');

  await page.goto(server.url);
  const start = await new StartScreen(page).expectShown();
  await start.chooseDisconnected();
  const bundleStep = await new ImportBundleStep(page).expectShown();
  await bundleStep.chooseFolder(bundle);
  await bundleStep.verify();
  const verify = await new ImportVerifyStep(page).expectShown();
  await verify.expectVerified();
  await verify.next();
  await new ImportInspectStep(page).expectShown();
  await page.getByRole('button', { name: "Browse the bundle's files" }).click();

  const browse = await new BrowseScreen(page).expectShown();
  const repository = browse.repositories().getByRole('button', { name: new RegExp(`${CHANNEL_REPOSITORY.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) });
  await expect(repository).toHaveCount(1);
  await repository.click();
  await browse.expectTagCount(1, false);
  await browse.chooseTag('stable');
  await browse.choosePlatform('linux/arm64');
  const preview = await browse.previewFile('version.json');
  await expect(preview.locator('pre')).toContainText('"version": "v1.60.1"');
  await browse.capture('browse-5-bundle');
  await page.getByRole('button', { name: 'Back to the inspector' }).click();
  await new ImportInspectStep(page).expectShown();
});
