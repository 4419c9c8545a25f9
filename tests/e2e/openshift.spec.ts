/**
 * Issue 13's app path end to end (docs/openshift.md, "in the app"): an oc-mirror
 * ImageSetConfiguration with a platform channel by shortest path, a catalog
 * with a dependency chain, an additional and a blocked image is exported from
 * a real registry through the export wizard (set file, the folded update
 * service and signature store fields pointing at loopback services) and
 * imported into a second registry through the import wizard, driven only
 * through the UI in Chromium against browser mode. The mirror configuration
 * step must offer the cluster resources the CLI writes, and skopeo must read
 * every release image of the path from the second registry by the fixture's digest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { parse } from 'yaml';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildOlmCatalogFixture, bundleRepository, OLM_A, OLM_B, OLM_C, operandRepository, YAML_CATALOG, type OlmCatalogFixture } from '../harness/olm-catalog-fixture.ts';
import { buildOpenShiftFixture, CATALOG_REPOSITORY, CATALOG_TAG, OKD_REPOSITORY, RELEASE_REPOSITORY, seedImages, type OpenShiftFixture, type OpenShiftImage } from '../harness/openshift-fixture.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { startReleaseServices, type ReleaseServices } from '../harness/release-services.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { createService, type Service } from '../../src-main/service.ts';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server.ts';
import { StartScreen } from './pages/start.ts';
import { ExportDoneStep, ExportPlanStep, ExportRunStep, ExportWhatStep, ExportWhereStep } from './pages/export-steps.ts';
import { ImportBundleStep, ImportInspectStep, ImportMirrorStep, ImportPushStep, ImportTargetStep, ImportVerifyStep } from './pages/import-steps.ts';

const RENDERER_DIR = 'dist/renderer';
/** Where the import puts images in the second registry, as `ferry import --to <registry>/ocp` would. */
const PREFIX = 'ocp';
/** The shortest upgrade path from 4.16.0 to 4.16.12 in the fixture graph (the conditional direct edge does not count). */
const PATH_VERSIONS = ['4.16.0', '4.16.2', '4.16.12'];
const OKD_TAG = '4.16.0-0.okd-2024-08-01-000000';

/** The catalog and the repositories of the packages it resolves to (A, and B and C as its dependency chain). */
const NEEDED_OLM_REPOSITORIES = new Set([YAML_CATALOG.repository, ...[OLM_A, OLM_B, OLM_C].flatMap((pkg) => [bundleRepository(pkg), operandRepository(pkg)])]);

let source: RunningRegistry;
let target: RunningRegistry;
let ocp: OpenShiftFixture;
let olm: OlmCatalogFixture;
let services: ReleaseServices;
let work: string;
let setFile: string;
let service: Service;
let server: BrowserServer;
const teardown = new Teardown();

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-e2e-openshift-'));
  // The engine runs in this process: keep it off the developer's catalog, data folder and credentials.
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.REGISTRY_AUTH_FILE = emptyAuthFile;
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) execFileSync('npx', ['vite', 'build', '--config', 'vite.config.renderer.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const registry = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([registry(), registry()]);
  [ocp, olm] = await Promise.all([buildOpenShiftFixture(source.host), buildOlmCatalogFixture(source.host)]);
  // Only what this set reads is seeded (one skopeo copy per image is most of the setup on a busy machine); the blocked catalog is there, so blocking it is real.
  await seedImages(source, [...neededOpenShiftImages(ocp), ...olm.images.filter((image) => NEEDED_OLM_REPOSITORIES.has(image.repository))], [...ocp.content, ...olm.content]);
  services = teardown.add(await startReleaseServices(ocp), (started) => started.close());
  setFile = join(work, 'imageset-config.yaml');
  await writeFile(
    setFile,
    [
      'kind: ImageSetConfiguration',
      'apiVersion: mirror.openshift.io/v2alpha1',
      'mirror:',
      '  platform:',
      '    channels:',
      '      - name: stable-4.16',
      '        minVersion: 4.16.0',
      '        maxVersion: 4.16.12',
      '        shortestPath: true',
      '  operators:',
      `    - catalog: ${source.host}/${YAML_CATALOG.repository}:${YAML_CATALOG.tag}`,
      '      packages:',
      `        - name: ${OLM_A}`,
      '  additionalImages:',
      `    - name: ${source.host}/${OKD_REPOSITORY}:${OKD_TAG}`,
      `    - name: ${source.host}/${CATALOG_REPOSITORY}:${CATALOG_TAG}`,
      '  blockedImages:',
      '    - name: redhat-operator-index',
      '',
    ].join('\n'),
  );
  service = teardown.add(createService({ mode: 'browser', catalogPath: join(work, 'catalog.sqlite') }), (started) => started.close());
  server = teardown.add(await startBrowserServer({ service, host: '127.0.0.1', port: 0, rendererDir: RENDERER_DIR }), (started) => started.close());
});

test.afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The path's release images with their components, the additional OKD image and the blocked catalog. */
function neededOpenShiftImages(fixture: OpenShiftFixture): OpenShiftImage[] {
  const needed = new Set<OpenShiftImage>();
  for (const version of PATH_VERSIONS) {
    const release = fixture.releases.get(`${version}-x86_64`);
    if (!release) throw new Error(`the fixture has no release ${version}-x86_64`);
    needed.add(release.image);
    for (const component of release.components.values()) needed.add(component);
  }
  return fixture.images.filter((image) => needed.has(image) || (image.repository === OKD_REPOSITORY && image.tag === OKD_TAG) || image.repository === CATALOG_REPOSITORY);
}

/** The release image of one path version, as the fixture built it. */
function releaseDigest(version: string): string {
  const release = ocp.releases.get(`${version}-x86_64`);
  if (!release) throw new Error(`the fixture has no release ${version}-x86_64`);
  return release.image.manifest.digest;
}

test('an ImageSetConfiguration exported and imported through the wizards lands the releases and offers the cluster resources', async ({ page }) => {
  await mkdir(join(work, 'usb'));
  const bundle = join(work, 'usb');
  await page.goto(server.url);

  const start = await new StartScreen(page).expectShown();
  await start.chooseConnected();

  const what = await new ExportWhatStep(page).expectShown();
  await what.enterSetFile(setFile);
  await what.enterOpenShiftEndpoints(services.updateService, services.signatureStore);
  await what.usePlainHttp();
  await what.capture('openshift-export-1-what');
  await what.plan();

  const plan = await new ExportPlanStep(page).expectShown();
  const releaseRefs = PATH_VERSIONS.map((version) => `${source.host}/${RELEASE_REPOSITORY}@${releaseDigest(version)}`);
  const catalogRef = `${source.host}/${YAML_CATALOG.repository}@${olm.yamlCatalog.manifest.digest}`;
  await plan.expectImages([...releaseRefs, catalogRef, `${source.host}/${bundleRepository(OLM_C)}@${olm.bundleDigests.get(`${OLM_C}.v1.0.0`) ?? ''}`]);
  await expect(plan.imagesTable().getByRole('cell', { name: new RegExp(CATALOG_REPOSITORY) })).toHaveCount(0);
  // The notes say why: the upgrade path, the packages that came in as dependencies, the blocked image.
  const notes = plan.notes();
  await expect(notes.filter({ hasText: /4\.16\.0.*4\.16\.2.*4\.16\.12/ }).first()).toBeVisible();
  await expect(notes.filter({ hasText: `${OLM_B} 2.1.0: required by ${OLM_A} 1.1.0` })).toHaveCount(1);
  await expect(notes.filter({ hasText: `${OLM_C} 1.0.0: provides volumes.example.com/v1 Volume required by ${OLM_B} 2.1.0` })).toHaveCount(1);
  await expect(notes.filter({ hasText: /redhat-operator-index.*blocked 1 image/ })).toHaveCount(1);
  await plan.capture('openshift-export-2-plan');
  await plan.next();

  const where = await new ExportWhereStep(page).expectShown();
  await where.chooseFolder(bundle);
  await where.start();

  const run = await new ExportRunStep(page).expectShown();
  await run.waitFinished();
  await run.next();

  const done = await new ExportDoneStep(page).expectShown();
  await done.expectVerified();
  // The done and inspect screens are the ones wizards.spec.ts scans with axe; here a screenshot suffices.
  await done.screenshot('openshift-export-5-done');

  await start.open();
  await start.chooseDisconnected();

  const bundleStep = await new ImportBundleStep(page).expectShown();
  await bundleStep.chooseFolder(bundle);
  await bundleStep.verify();

  const verify = await new ImportVerifyStep(page).expectShown();
  await verify.expectVerified();
  await verify.next();

  const inspect = await new ImportInspectStep(page).expectShown();
  await inspect.expectSources([...releaseRefs, catalogRef]);
  await inspect.screenshot('openshift-import-3-inspect');
  await inspect.next();

  const targetStep = await new ImportTargetStep(page).expectShown();
  await targetStep.enterRegistry(`${target.host}/${PREFIX}`, { plainHttp: true });
  await targetStep.testConnection();
  await targetStep.push();

  const push = await new ImportPushStep(page).expectShown();
  await push.waitFinished();
  await push.next();

  const mirror = await new ImportMirrorStep(page).expectShown();
  await mirror.expectFiles();
  const paths = await mirror.paths();
  expect(paths).toContain('openshift/imagedigestmirrorset.yaml');
  const catalogSources = paths.filter((path) => /^openshift\/cs-[^/]+\.yaml$/.test(path));
  expect(catalogSources).toHaveLength(1);
  expect(paths.filter((path) => /^openshift\/cc-[^/]+\.yaml$/.test(path))).toHaveLength(1);
  expect(paths.filter((path) => path.startsWith('openshift/release-signatures/')).sort()).toEqual(
    PATH_VERSIONS.map((version) => `openshift/release-signatures/${releaseDigest(version).replace(':', '-')}.yaml`).sort(),
  );
  // The CatalogSource names the mirrored catalog by digest, where the import put it.
  const catalogSource = parse(await mirror.text(catalogSources[0] ?? '')) as { kind?: unknown; spec?: { image?: unknown } };
  expect(catalogSource.kind).toBe('CatalogSource');
  expect(catalogSource.spec?.image).toBe(`${target.host}/${PREFIX}/${YAML_CATALOG.repository}@${olm.yamlCatalog.manifest.digest}`);
  expect(await mirror.text('openshift/imagedigestmirrorset.yaml')).toContain(`${target.host}/${PREFIX}/openshift/release-images`);
  await mirror.capture('openshift-import-6-mirror');

  // The oracle: skopeo reads each release image of the path from the second registry, by the fixture's digest.
  for (const version of PATH_VERSIONS)
    expect(await skopeoInspectRawDigest(`docker://${target.host}/${PREFIX}/openshift/release-images:${version}-x86_64`, target), version).toBe(releaseDigest(version));
});
