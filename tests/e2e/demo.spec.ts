/**
 * The sample flow (issue 17, "Try it with nothing external"): from the start
 * screen's "Try Ferry with sample images" through every step of the export
 * and import wizards to the mirror configuration, in Chromium against
 * browser mode. No registry is started by this spec: Ferry's own registries,
 * started by the app's sample flow, are the source and the target. skopeo,
 * the independent tool, then finds every sample in the target by digest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { runSkopeo } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { buildSampleImages } from '../../src-main/sources/sample-images.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import { DemoBanner } from './pages/demo.ts';
import { StartScreen } from './pages/start.ts';
import { ExportDoneStep, ExportPlanStep, ExportRunStep, ExportWhatStep, ExportWhereStep } from './pages/export-steps.ts';
import { ImportBundleStep, ImportInspectStep, ImportMirrorStep, ImportPushStep, ImportTargetStep, ImportVerifyStep } from './pages/import-steps.ts';

const RENDERER_DIR = 'dist/renderer';

let work: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-demo-'));
  // The engine runs in this process: keep it off the developer's catalog, data folder and credentials.
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite'), autoStartRegistry: false }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

test('the sample flow: start screen → export wizard → import wizard → mirror configuration, with no registry of its own', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto(server.url);
  const start = await new StartScreen(page).expectShown();
  await start.capture('demo-0-start');
  const banner = new DemoBanner(page);
  await banner.startFromStartScreen();

  // The export wizard opens filled in: the sample references, plain HTTP to the local source, the stand-in drive.
  const what = await new ExportWhatStep(page).expectShown();
  await banner.expectShown();
  const source = await banner.fact('Source registry');
  const target = await banner.fact('Target registry');
  const drive = await banner.fact('Folder standing in for the USB drive');
  expect(source).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(target).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(drive).toBe(join(work, 'demo', 'usb-drive'));
  const references = ['hello', 'tools', 'docs'].map((name) => `${source}/samples/${name}:1.0`);
  await expect(page.getByLabel(/Image references, one per line/)).toHaveValue(references.join('\n'));
  await expect(page.getByLabel(/Plain HTTP/)).toBeChecked();
  await what.capture('demo-export-1-what');
  await what.plan();

  const plan = await new ExportPlanStep(page).expectShown();
  await plan.expectImages(references);
  await plan.capture('demo-export-2-plan');
  await plan.next();

  const where = await new ExportWhereStep(page).expectShown();
  await expect(page.getByLabel('Folder to write the bundle to', { exact: true })).toHaveValue(drive);
  await where.capture('demo-export-3-where');
  await where.start();

  const run = await new ExportRunStep(page).expectShown();
  await run.waitFinished();
  await run.capture('demo-export-4-run');
  await run.next();

  const done = await new ExportDoneStep(page).expectShown();
  await done.expectVerified();
  await done.capture('demo-export-5-done');
  await banner.continueToImport();

  // The import wizard opens with the bundle found on the stand-in drive.
  const bundleStep = await new ImportBundleStep(page).expectShown();
  await expect(page.getByRole('list', { name: 'Bundles found' }).getByRole('button', { name: `Use ${drive}`, exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByLabel(/Bundle folder/)).toHaveValue(drive);
  await bundleStep.capture('demo-import-1-bundle');
  await bundleStep.verify();

  const verify = await new ImportVerifyStep(page).expectShown();
  await verify.expectVerified();
  await verify.capture('demo-import-2-verify');
  await verify.next();

  const inspect = await new ImportInspectStep(page).expectShown();
  await inspect.expectSources(references);
  await inspect.capture('demo-import-3-inspect');
  await inspect.next();

  // The target step has the sample target registry and its access filled in.
  const targetStep = await new ImportTargetStep(page).expectShown();
  await expect(page.getByLabel('Registry address and prefix')).toHaveValue(target);
  await expect(page.getByLabel(/Plain HTTP/)).toBeChecked();
  await targetStep.testConnection();
  await targetStep.capture('demo-import-4-target');
  await targetStep.push();

  const push = await new ImportPushStep(page).expectShown();
  await push.waitFinished();
  await push.capture('demo-import-5-push');
  await push.next();

  const mirror = await new ImportMirrorStep(page).expectShown();
  await mirror.expectFiles();
  const conf = await mirror.text('registries.conf.d/99-ferry-mirror.conf');
  expect(conf).toContain(`prefix = "${source}/samples/hello"`);
  expect(conf).toContain(`location = "${target}/samples/hello"`);
  await mirror.capture('demo-import-6-mirror');

  // The oracle: skopeo reads each sample from the target registry by the digest the generator gives it.
  for (const image of await buildSampleImages()) {
    const raw = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${target}/${image.repository}@${image.digest}`]);
    expect(sha256Digest(raw), image.repository).toBe(image.digest);
  }

  // Stopping the sample flow stops both registries: the target no longer answers.
  await banner.stop();
  expect(await service['demo:status']({})).toEqual({ running: false });
  await expect(runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${target}/samples/hello:1.0`])).rejects.toThrow();
  expect(await readFile(join(work, 'demo', 'usb-drive', 'ferry.json'), 'utf8')).toContain('samples/hello');
});
