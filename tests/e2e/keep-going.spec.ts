/**
 * Issue 18, keep going in the app: a plan with one missing tag among good
 * references offers "Continue without these"; the export then carries the
 * rest, the Done page says what it carried and what it skipped, and the
 * bundle's ferry.json lists the skipped reference with its reason. Against a
 * real plain-HTTP Distribution registry, driven only through the UI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { StartScreen } from './pages/start.ts';
import { ExportDoneStep, ExportPlanStep, ExportRunStep, ExportWhatStep, ExportWhereStep } from './pages/export-steps.ts';

const RENDERER_DIR = 'dist/renderer';
const CARRIED: FixtureName[] = ['oci-single', 'docker-schema2'];

let registry: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-keep-going-'));
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(
    registry,
    CARRIED.map((name) => fixtures[name]),
  );
  const service: Service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

test('a missing tag among good references: "Continue without these" carries the rest and the bundle lists what it skipped', async ({ page }) => {
  const good = CARRIED.map((name) => `${registry.host}/${fixtures[name].repository}:${fixtures[name].tag}`);
  const missing = `${registry.host}/${fixtures['oci-single'].repository}:no-such-tag`;
  await page.goto(server.url);
  await (await new StartScreen(page).expectShown()).chooseConnected();
  const what = await new ExportWhatStep(page).expectShown();
  await what.enterReferences([...good, missing]);
  await what.usePlainHttp();
  await what.plan();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('1 reference could not be resolved');
  await expect(alert).toContainText(missing);
  await what.capture('keep-going-1-problem');
  await what.continueWithout();

  const plan = await new ExportPlanStep(page).expectShown();
  await plan.expectImages(good);
  await expect(page.getByRole('note', { name: 'References left out' })).toContainText(missing);
  await plan.capture('keep-going-2-plan');
  await plan.next();

  const where = await new ExportWhereStep(page).expectShown();
  const bundle = join(work, 'bundle');
  await where.chooseFolder(bundle);
  await where.start();
  const run = await new ExportRunStep(page).expectShown();
  await run.waitFinished();
  await run.next();

  const done = await new ExportDoneStep(page).expectShown();
  await done.expectSkipped(2, 3, [missing]);
  await done.expectVerified();
  await done.capture('keep-going-3-done');

  const manifest = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as BundleManifest;
  expect(manifest.images.map((image) => image.name).sort()).toEqual([...good].sort());
  expect(manifest.skipped).toEqual([{ reference: missing, reason: expect.stringContaining('no-such-tag'), stage: 'plan' }]);
});
