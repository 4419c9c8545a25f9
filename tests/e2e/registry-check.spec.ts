/**
 * Issue 18 in the app: the import wizard's "Check registry" against a real
 * Distribution registry behind the fault proxy's path-depth quirk (as Quay and
 * GitLab limit depth): the check names the image whose path is too deep, the
 * push is held back until the operator chooses "Keep paths at most N levels
 * deep", and then goes through, landing the image at the folded path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { nestPath } from '../../src-main/transfer/nested-paths.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { ImportBundleStep, ImportInspectStep, ImportPushStep, ImportTargetStep, ImportVerifyStep } from './pages/import-steps.ts';
import { StartScreen } from './pages/start.ts';

const RENDERER_DIR = 'dist/renderer';

let target: RunningRegistry;
let proxy: FaultProxy;
let fixture: FixtureImage;
let sourceHost: string;
let work: string;
let bundle: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-registry-check-'));
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  target = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  // Two levels at most, as GitLab allows below a group: mirror/fixtures/oci-single (three) is refused.
  proxy = teardown.add(await startFaultProxy({ upstream: target.url, quirks: { maxDepth: 2 } }), (started) => started.stop());
  fixture = (await buildFixtures())['oci-single'];
  await seedFixtures(source, [fixture]);
  sourceHost = source.host;
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
  bundle = join(work, 'usb', 'bundle');
  await mkdir(bundle, { recursive: true });
  const { jobId } = await service['export:run']({ references: [`${source.host}/${fixture.repository}:${fixture.tag}`], target: bundle, registry: { plainHttp: true } });
  expect((await service.settled(jobId))?.status).toBe('succeeded');
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

test('Check registry names the too-deep image, holds the push back, and keeping paths shallow lets it through', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto(server.url);
  await new StartScreen(page).chooseDisconnected();
  const bundleStep = await new ImportBundleStep(page).expectShown();
  await bundleStep.chooseFolder(bundle);
  await bundleStep.verify();
  const verify = await new ImportVerifyStep(page).expectShown();
  await verify.expectVerified();
  await verify.next();
  await (await new ImportInspectStep(page).expectShown()).next();
  const targetStep = await new ImportTargetStep(page).expectShown();
  await targetStep.enterRegistry(`${proxy.host}/mirror`, { plainHttp: true });

  const verdict = await targetStep.checkRegistry();
  const source = `${sourceHost}/${fixture.repository}:${fixture.tag}`;
  await expect(verdict).toContainText('The registry cannot take 1 image of this bundle');
  await expect(verdict).toContainText('Path too deep');
  await expect(verdict).toContainText(source);
  await expect(targetStep.capabilityTable()).toBeVisible();
  await targetStep.expectNoInternalWords();
  await targetStep.capture('registry-check-1-too-deep');

  // Not past the target step until the fix is chosen.
  await page.getByRole('button', { name: 'Review before pushing' }).click();
  await expect(page.getByRole('alert')).toContainText('choose the options under “Check registry” first');

  await targetStep.keepPathsAtMost(2);
  await expect(verdict).toContainText('With the options chosen, the registry can take this bundle.');
  await targetStep.capture('registry-check-2-fixed');
  await targetStep.push();
  const push = await new ImportPushStep(page).expectShown();
  await push.waitFinished();
  const folded = nestPath(`mirror/${fixture.repository}`, 2);
  expect(await skopeoInspectRawDigest(`docker://${target.host}/${folded}@${fixture.manifestDigest}`, target)).toBe(fixture.manifestDigest);
});
