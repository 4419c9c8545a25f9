/**
 * Issue 15's app path end to end: a site with no registry. A bundle exported
 * from a real registry is verified in the import wizard; at the target step
 * the user picks "I have no registry — run one here" (storage folder, port,
 * TLS automatic, one user), Ferry's registry starts, the import pushes into
 * it trusting only its CA, and the Mirror configuration step saves every file
 * with its folders and shows where each goes. The start screen then shows the
 * registry's state with stop and start, and Settings starts it with the app.
 * skopeo reads the image back from the served registry (CA only, no TLS
 * weakening) as the oracle. Screenshots for the README go to docs/images/.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage } from '../harness/fixtures.ts';
import { freePort, startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { ImportBundleStep, ImportInspectStep, ImportMirrorStep, ImportPushStep, ImportTargetStep, ImportVerifyStep } from './pages/import-steps.ts';
import { RegistryPanel, RunRegistryHere } from './pages/serve.ts';
import { SettingsScreen } from './pages/settings.ts';
import { StartScreen } from './pages/start.ts';

const run = promisify(execFile);
const RENDERER_DIR = 'dist/renderer';
/** The README's pictures of this path. */
const DOC_IMAGES = 'docs/images';
const USER = 'site-admin';
/** A test-only password of a registry this test starts in its own folder. */
const PASSWORD = 'e2e registry password';

let source: RunningRegistry;
let fixture: FixtureImage;
let work: string;
let bundle: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-serve-'));
  // The engine runs in this process: keep it off the developer's catalog, data folder and credentials.
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixture = (await buildFixtures())['oci-index'];
  await seedFixtures(source, [fixture]);
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'app', 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
  // The export is issue 7's wizard (wizards.spec.ts); here it only makes the bundle the site receives.
  bundle = join(work, 'usb');
  await mkdir(bundle);
  const { jobId } = await service['export:run']({ references: [`${source.host}/${fixture.repository}:${fixture.tag}`], target: bundle, registry: { plainHttp: true } });
  expect((await service.settled(jobId))?.status).toBe('succeeded');
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A README picture: the viewport with `top` at its top. */
async function docShot(page: Page, name: string, top: Locator): Promise<void> {
  await top.first().evaluate((element: { scrollIntoView(): void }) => element.scrollIntoView());
  await page.screenshot({ path: join(DOC_IMAGES, `${name}.png`) });
}

/** skopeo's manifest digest of `reference`, trusting only `caFile` and logging in as the registry's user. */
async function servedDigest(reference: string, caFile: string): Promise<string> {
  const certDir = await mkdtemp(join(work, 'skopeo-certs-'));
  await copyFile(caFile, join(certDir, 'ca.crt'));
  const { stdout } = await run('skopeo', ['inspect', '--format', '{{.Digest}}', `--cert-dir=${certDir}`, `--creds=${USER}:${PASSWORD}`, reference]);
  return stdout.trim();
}

test('a site with no registry: run Ferry’s registry from the import wizard, import into it, save the mirror configuration', async ({ page }) => {
  // The longest walks of the suite (two wizards, real registries, accessibility scans): over 4 minutes when the machine is busy.
  test.setTimeout(600_000);
  const port = await freePort();
  const storage = join(work, 'registry-store');
  await page.goto(server.url);

  const start = await new StartScreen(page).expectShown();
  const panel = new RegistryPanel(page);
  await panel.expectStopped();
  await start.chooseDisconnected();

  const bundleStep = await new ImportBundleStep(page).expectShown();
  await bundleStep.chooseFolder(bundle);
  await bundleStep.verify();
  const verify = await new ImportVerifyStep(page).expectShown();
  await verify.expectVerified();
  await verify.next();
  await (await new ImportInspectStep(page).expectShown()).next();

  const targetStep = await new ImportTargetStep(page).expectShown();
  const here = new RunRegistryHere(page);
  await here.open();
  await here.fill({ storage, port, listen: '127.0.0.1', name: '127.0.0.1', tls: true, user: USER, password: PASSWORD });
  await targetStep.capture('serve-1-run-here');
  await docShot(page, 'serve-run-registry', here.section);

  const address = await here.startAndUse();
  expect(address).toBe(`127.0.0.1:${port}`);
  const caFile = join(storage, 'tls', 'ca.crt');
  expect(await here.fact('CA')).toBe(caFile);
  const caPem = await readFile(caFile, 'utf8');
  expect(await here.caPem()).toBe(caPem);
  // The wizard now pushes there: its address as the target, its CA and user as the access.
  await expect(page.getByLabel('Registry address and prefix')).toHaveValue(address);
  await expect(page.getByLabel('CA certificate file', { exact: true })).toHaveValue(caFile);
  await targetStep.testConnection();
  await targetStep.capture('serve-2-running');
  await docShot(page, 'serve-registry-running', here.section);
  await targetStep.push();

  const push = await new ImportPushStep(page).expectShown();
  await push.waitFinished();
  await push.next();

  const mirror = await new ImportMirrorStep(page).expectShown();
  await mirror.expectFiles();
  const paths = await mirror.paths();
  // Same-named files (containerd's hosts.toml per host) are told apart by their folders, and each is saved at its own path.
  expect(new Set(paths).size).toBe(paths.length);
  const folder = join(work, 'mirror-config');
  const written = await mirror.saveAll(folder);
  // (The step groups files per target, so its order differs from the order they are written in.)
  expect([...written].sort()).toEqual(paths.map((path) => join(folder, ...path.split('/'))).sort());
  for (const path of paths) expect(await readFile(join(folder, ...path.split('/')), 'utf8')).toBe(await mirror.text(path));
  expect((await mirror.targets()).length).toBeGreaterThan(1);
  // Per target, where each file goes and the command that applies it (mirror-config/install-guide.ts).
  const registriesConf = await mirror.installOf('registries.conf.d/99-ferry-mirror.conf');
  expect(registriesConf?.destination).toBe('/etc/containers/registries.conf.d/99-ferry-mirror.conf');
  expect(registriesConf?.command).toContain('registries.conf.d/99-ferry-mirror.conf');
  // The registry's CA travels for the runtimes: certs.d/<host:port>/ca.crt files holding Ferry's CA.
  const caPaths = paths.filter((path) => /(^|\/)certs\.d\/[^/]+\/ca\.crt$/.test(path));
  expect(caPaths.length).toBeGreaterThan(0);
  for (const path of caPaths) expect(await mirror.text(path)).toContain(caPem.trim());
  await mirror.capture('serve-3-mirror');
  await docShot(page, 'serve-mirror-configuration', page.getByRole('group', { name: 'Save all files' }));

  // The oracle: the image in Ferry's registry is the fixture, read with only its CA trusted.
  expect(await servedDigest(`docker://${address}/${fixture.repository}:${fixture.tag}`, caFile)).toBe(fixture.manifestDigest);

  // The start screen shows the registry's state and what it holds, with stop and start.
  await start.open();
  await panel.expectRunning(address);
  // The numbers are read again each time the start screen shows: wait for that read, not the first paint.
  await expect.poll(() => panel.fact('Holds'), { timeout: 30_000 }).toMatch(/^1 image in 1 repository · /);
  await start.capture('serve-4-start');
  await docShot(page, 'serve-start-screen', panel.section);

  // Settings: start it with the app (offered while it runs, since each start saves its folder, port and user).
  const settings = new SettingsScreen(page);
  await settings.open();
  await settings.startRegistryWithApp(true);
  await settings.save();
  const saved = await service['settings:get']({});
  expect(saved.serve).toMatchObject({ storage, port, listen: '127.0.0.1', name: '127.0.0.1', tls: true, user: USER, startWithApp: true });
  expect(await readFile(join(work, 'app', 'settings.json'), 'utf8')).not.toContain(PASSWORD);

  await start.open();
  await panel.stop();
  await expect(panel.form().getByLabel(/^Storage folder/)).toHaveValue(storage);
  await panel.start(PASSWORD);
  await panel.expectRunning(address);

  // A new app over the same settings starts the same registry by itself.
  await service.close();
  const reopened = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'app', 'catalog.sqlite') }), (started) => started.close());
  await reopened.registryStarted();
  expect((await reopened['serve:status']({})).registry?.address).toBe(address);
  expect(await servedDigest(`docker://${address}/${fixture.repository}:${fixture.tag}`, caFile)).toBe(fixture.manifestDigest);
});
