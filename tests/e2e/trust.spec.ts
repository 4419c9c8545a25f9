/**
 * Issue 14's officer path end to end ("The officer's screen"): a bundle
 * exported from a real registry and signed by its exporter is reviewed in the
 * app for a target whose tag already points at an older image. The officer
 * saves a site policy in Settings (one exporter signature and one officer
 * approval), opens "Review a bundle" from the start screen, sees the moved tag
 * highlighted with its old and new digests, finds the push disabled with the
 * reason, approves with a key from the keys folder, and only then can push.
 * Driven through the UI in Chromium against browser mode; axe scans the
 * Review step in both states and the policy editor.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { dockerRef, skopeoCopy, skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { signFerryJson } from '../../src-main/trust/bundle-signature.ts';
import { defaultKeysFolder, generateSigningKey, readSigningKey } from '../../src-main/trust/keys.ts';
import { statementFileName, writeStatement } from '../../src-main/trust/statements.ts';
import { StartScreen } from './pages/start.ts';
import { ImportPushStep } from './pages/import-steps.ts';
import { ImportReviewStep, PolicyEditor } from './pages/review.ts';

const RENDERER_DIR = 'dist/renderer';
/** The image whose tag the import moves, and one that is new on the target. */
const MOVED: FixtureName = 'oci-single';
const ADDED: FixtureName = 'docker-schema2';
const PREFIX = 'imported';
const EXPORTER = 'exporter-1';
const OFFICER = 'officer-1';
/** Test-only passphrases for keys made in this test's own folders. */
const EXPORTER_PASSPHRASE = 'e2e exporter passphrase';
const OFFICER_PASSPHRASE = 'e2e officer passphrase';

let source: RunningRegistry;
let target: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let bundle: string;
let exporterKeys: string;
let officerKeys: string;
/** The keys' fingerprints: statement files are named after the key name and its fingerprint. */
let exporterKeyId: string;
let officerKeyId: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

const refOf = (name: FixtureName): string => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
/** Where the import puts a fixture on the target: `<prefix>/<repository>:<tag>`, as the CLI maps it. */
const targetRefOf = (name: FixtureName): string => dockerRef(target, `${PREFIX}/${fixtures[name].repository}`, fixtures[name].tag);

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-trust-'));
  // The engine runs in this process: keep it off the developer's catalog, data folder (and keys folder) and credentials.
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const registry = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([registry(), registry()]);
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures[MOVED], fixtures[ADDED]]);
  // The site already holds an older image at the tag the bundle sets: the import would move it.
  await skopeoCopy({ ref: dockerRef(source, fixtures[ADDED].repository, fixtures[ADDED].tag), registry: source }, { ref: targetRefOf(MOVED), registry: target });

  // The exporter's key lives on the connected side; the officer's in this side's keys folder, where the app finds it by name.
  exporterKeys = join(work, 'exporter-keys');
  officerKeys = defaultKeysFolder();
  exporterKeyId = (await generateSigningKey(exporterKeys, EXPORTER, EXPORTER_PASSPHRASE)).fingerprint;
  officerKeyId = (await generateSigningKey(officerKeys, OFFICER, OFFICER_PASSPHRASE)).fingerprint;

  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());

  // The export itself is issue 7's wizard (wizards.spec.ts); here it only makes the bundle, which the exporter then signs.
  bundle = join(work, 'usb');
  await mkdir(bundle);
  const { jobId } = await service['export:run']({ references: [refOf(MOVED), refOf(ADDED)], target: bundle, registry: { plainHttp: true } });
  expect((await service.settled(jobId))?.status).toBe('succeeded');
  const ferryJson = await readFile(join(bundle, 'ferry.json'));
  const exporter = await readSigningKey(EXPORTER, EXPORTER_PASSPHRASE, exporterKeys);
  const signature = await signFerryJson(ferryJson, { privateKey: exporter.privateKey, keyId: exporter.keyId });
  await writeStatement(bundle, statementFileName(EXPORTER, 'export', exporterKeyId), JSON.stringify(signature));
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The policy the officer writes: the exporter's signature and one officer's approval, keys by their .pub files. */
function policyText(): string {
  return [
    'trustedKeys:',
    `  - name: ${EXPORTER}`,
    '    role: exporter',
    `    publicKey: ${join(exporterKeys, `${EXPORTER}.pub`)}`,
    `  - name: ${OFFICER}`,
    '    role: officer',
    `    publicKey: ${join(officerKeys, `${OFFICER}.pub`)}`,
    'require:',
    '  exporter: 1',
    '  officer: 1',
    '',
  ].join('\n');
}

test('an officer reviews a bundle that moves a tag, approves it with a key, and only then may push', async ({ page }) => {
  const previous = await skopeoInspectRawDigest(targetRefOf(MOVED), target);
  expect(previous).toBe(fixtures[ADDED].manifestDigest);
  await page.goto(server.url);

  // Settings: a policy with a misspelt role is refused naming its line; the real one saves and lands beside the catalog.
  const editor = new PolicyEditor(page);
  await editor.open();
  await editor.save(policyText().replace('role: officer', 'role: boss'));
  await expect(page.getByText('Line 6 of the policy is not valid.')).toBeVisible();
  await expect(editor.field()).toHaveAttribute('aria-invalid', 'true');
  await editor.save(policyText());
  await expect(page.getByRole('status').filter({ hasText: 'Policy saved.' })).toBeVisible();
  expect(await readFile(join(work, 'policy.yaml'), 'utf8')).toBe(policyText());
  await editor.capture('trust-0-policy');

  const start = new StartScreen(page);
  await start.open();
  await page.getByRole('button', { name: /Review a bundle/ }).click();
  const review = await new ImportReviewStep(page).expectShown();
  await review.reviewBundle(bundle, `${target.host}/${PREFIX}`, { plainHttp: true });
  await review.expectReport();

  // The moved tag: highlighted, labelled "Moved" in words, and its old → new digests named in full for screen readers.
  const movedRow = review.tagChanges().getByRole('row').filter({ hasText: fixtures[MOVED].tag }).filter({ hasText: 'Moved' });
  await expect(movedRow).toHaveCount(1);
  await expect(movedRow).toHaveClass(/row-moved/);
  await expect(movedRow).toContainText(`from ${previous} to ${fixtures[MOVED].manifestDigest}`);
  // Highlighted: the moved row's cells have the warning background the other rows lack.
  await expect(movedRow.locator('td').first()).toHaveCSS('background-color', 'rgb(255, 244, 206)');
  await expect(review.tagChanges().getByRole('row').filter({ hasText: 'Added' })).not.toHaveCount(0);

  // Signed by the exporter, not yet approved: the push is disabled and says why.
  await expect(review.rule('signed by the required exporter keys')).toContainText('Pass');
  await expect(review.rule('approved by the required officer keys')).toContainText('Fail');
  await expect(review.pushButton()).toBeDisabled();
  await expect(page.getByText(/^Push is disabled: /)).toBeVisible();
  await review.capture('trust-1-review-blocked');

  await review.approve(OFFICER, OFFICER_PASSPHRASE, 'checked the moved tag with the platform team');
  await expect(page.getByRole('status').filter({ hasText: `Approval signed by ${OFFICER}` })).toBeVisible();
  await expect(page.getByLabel('Passphrase of the key')).toHaveValue('');
  await expect(review.rule('approved by the required officer keys')).toContainText('Pass');
  await expect(review.pushButton()).toBeEnabled();
  await expect(page.getByText(/^Push is disabled: /)).toHaveCount(0);
  await review.capture('trust-2-review-approved');
  // The approval is a statement beside ferry.json; the passphrase is nowhere in the bundle.
  const statements = await readdir(join(bundle, 'signatures'));
  expect(statements.sort()).toEqual([statementFileName(EXPORTER, 'export', exporterKeyId), statementFileName(OFFICER, 'approval', officerKeyId)].sort());
  for (const file of statements) expect(await readFile(join(bundle, 'signatures', file), 'utf8')).not.toContain(OFFICER_PASSPHRASE);

  await review.push();
  const push = await new ImportPushStep(page).expectShown();
  await push.waitFinished();
  expect(await skopeoInspectRawDigest(targetRefOf(MOVED), target)).toBe(fixtures[MOVED].manifestDigest);
  expect(await skopeoInspectRawDigest(targetRefOf(ADDED), target)).toBe(fixtures[ADDED].manifestDigest);
});
