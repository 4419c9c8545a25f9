/**
 * Issue 18, rate limits in the app: a registry in Settings gets "Requests per
 * second at most"; a value that is not a rate is refused naming the field, a
 * good one is saved (settings.json holds the number the engine applies to
 * every job that talks to that registry) and shown again after a reload.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { Teardown } from '../harness/teardown.ts';
import { SettingsScreen } from './pages/settings.ts';

const RENDERER_DIR = 'dist/renderer';

let work: string;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-rate-limit-'));
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const service: Service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite'), autoStartRegistry: false }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

test('a registry gets a request rate: refused when it is not one, saved and shown again when it is', async ({ page }) => {
  await page.goto(server.url);
  const settings = new SettingsScreen(page);
  await settings.open();
  await settings.addRegistry(1, { address: 'docker.io', plainHttp: false, tlsVerify: true });
  await settings.setRateLimit(1, 'fast');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('alert')).toContainText('docker.io: “Requests per second at most” must be a number above 0');

  await settings.setRateLimit(1, '0.5');
  await settings.save();
  const saved = JSON.parse(await readFile(join(work, 'settings.json'), 'utf8')) as { registries: Array<{ address: string; rateLimit?: number }> };
  expect(saved.registries).toEqual([expect.objectContaining({ address: 'docker.io', rateLimit: 0.5 })]);
  await settings.capture('rate-limit-setting');

  await page.reload();
  await settings.open();
  await settings.expectRateLimit(1, '0.5');
});
