/**
 * `ferry copy --set` against real registries: one image set (plain images, a
 * tag rule, OpenShift platform channels through a loopback update service,
 * additional images, a local file, a blocked image) is carried once by
 * export → import and once by copy --set into two site registries; both must
 * hold the same repositories, tags and digests, and the mirror configuration
 * both write must be the same. Also: the OpenShift endpoint flags are checked.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, makeImageSet, seedFixtures, seedImageSet, type FixtureImage, type FixtureName, type ImageSet } from '../harness/fixtures.ts';
import { buildOpenShiftFixture, CATALOG_REPOSITORY, CATALOG_TAG, seedOpenShiftFixture, type OpenShiftFixture } from '../harness/openshift-fixture.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { readTree, treeLines } from '../harness/registry-tree.ts';
import { startReleaseServices, type ReleaseServices } from '../harness/release-services.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let imported: RunningRegistry;
let copied: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let plain: ImageSet;
let openshift: OpenShiftFixture;
let services: ReleaseServices;
let work: string;
let setFile: string;
const flags = ['--plain-http', '--authfile', emptyAuthFile];

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, imported, copied] = await Promise.all([anonymous(), anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  plain = await makeImageSet(3, 4096);
  openshift = await buildOpenShiftFixture(source.host);
  await Promise.all([seedFixtures(source, [fixtures['oci-index'], fixtures['docker-schema2']]), seedImageSet(source, plain), seedOpenShiftFixture(source, openshift)]);
  services = teardown.add(await startReleaseServices(openshift), (started) => started.close());
  work = await mkdtemp(join(tmpdir(), 'ferry-copy-set-'));
  await writeFile(join(work, 'notes.txt'), 'carried beside the images\n');
  setFile = join(work, 'set.yaml');
  const index = fixtures['oci-index'];
  const schema2 = fixtures['docker-schema2'];
  await writeFile(
    setFile,
    [
      'images:',
      `  - ${source.host}/${index.repository}:${index.tag}`,
      `  - ${source.host}/${schema2.repository}:${schema2.tag}`,
      'tags:',
      `  - repository: ${source.host}/${plain.images[0]?.repository ?? ''}`,
      "    regex: '^v1$'",
      'openshift:',
      '  platform:',
      '    channels:',
      '      - name: stable-4.16',
      '        minVersion: 4.16.1',
      '        maxVersion: 4.16.2',
      '  operators:',
      `    - catalog: ${source.host}/${CATALOG_REPOSITORY}:${CATALOG_TAG}`,
      '      packages:',
      '        - name: cluster-logging',
      '  additionalImages:',
      `    - ${source.host}/${plain.images[1]?.repository ?? ''}:v1`,
      'files:',
      '  - path: notes.txt',
      '    target: site/notes:v1',
      'blockedImages:',
      `  - '/${schema2.repository}:'`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The images of an import or copy summary, as JSON prints them. */
interface Landed {
  images: Array<{ destination: string; digest: string }>;
}

/** Where each image landed, `repository[:tag]@digest` without the site's host, sorted. */
function landings(summary: Landed, site: RunningRegistry): string[] {
  return summary.images.map((image) => `${image.destination.replace(`${site.host}/`, '').replace(/@sha256:[0-9a-f]{64}$/, '')}@${image.digest}`).sort();
}

/** Every file of a mirror configuration folder with the site's host written as SITE, so two sites compare. */
async function mirrorFiles(dir: string, site: RunningRegistry): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    // KET's plan file spells the port as its own field.
    const port = `port: ${site.host.slice(site.host.lastIndexOf(':') + 1)}\n`;
    if (text !== undefined) files.set(name.replaceAll(site.host.replace(':', '_'), 'SITE'), text.replaceAll(site.host, 'SITE').replaceAll(port, 'port: SITE_PORT\n'));
  }
  return files;
}

describe('ferry copy --set', () => {
  it('lands the set at the same repositories, tags and digests as export then import, with the same mirror configuration', async () => {
    const endpoints = ['--update-service', services.updateService, '--signature-store', services.signatureStore];
    const bundle = join(work, 'bundle');
    const exported = await runFerry('export', '--to', bundle, '--set', setFile, ...endpoints, ...flags);
    expect(exported.code, exported.stderr).toBe(0);
    const importConfig = join(work, 'import-config');
    const importing = await runFerry('import', bundle, '--to', `${imported.host}/mirror`, ...flags, '--mirror-config', importConfig, '--receipt', join(work, 'receipt.json'), '--json');
    expect(importing.code, importing.stderr).toBe(0);

    const copyConfig = join(work, 'copy-config');
    const copying = await runFerry('copy', '--set', setFile, '--to', `${copied.host}/mirror`, '--mirror-config', copyConfig, ...endpoints, ...flags, '--json');
    expect(copying.code, copying.stderr).toBe(0);
    const copy = JSON.parse(copying.stdout) as Landed & { notes: string[]; mirrorConfig: string[]; failed: unknown[] };
    expect(copy.failed).toEqual([]);
    expect(copy.notes).toContain(
      `blockedImages: "/${fixtures['docker-schema2'].repository}:" blocked 1 image: ${source.host}/${fixtures['docker-schema2'].repository}:${fixtures['docker-schema2'].tag} [images]`,
    );
    expect(copy.mirrorConfig).toContain('openshift/imagedigestmirrorset.yaml');
    expect(services.requests.filter((r) => r.startsWith('/graph?'))).not.toHaveLength(0);

    // Every landing, the digest-only ones (operator bundles and operands, release components) included.
    const fromImport = landings(JSON.parse(importing.stdout) as Landed, imported);
    expect(fromImport.length).toBeGreaterThan(30);
    expect(landings(copy, copied)).toEqual(fromImport);

    const viaBundle = treeLines(await readTree(imported));
    const viaCopy = treeLines(await readTree(copied));
    // Two releases of the channel with their components, the catalog, the plain images, the tag rule's image and the file.
    expect(viaBundle.length).toBeGreaterThan(20);
    expect(viaCopy).toEqual(viaBundle);
    for (const expected of [
      `mirror/${fixtures['oci-index'].repository}:${fixtures['oci-index'].tag}@${fixtures['oci-index'].manifestDigest}`,
      `mirror/${plain.images[0]?.repository ?? ''}:v1@${plain.images[0]?.manifestDigest ?? ''}`,
      `mirror/${CATALOG_REPOSITORY}:${CATALOG_TAG}@${openshift.catalog.manifest.digest}`,
    ])
      expect(viaCopy).toContain(expected);
    expect(viaCopy.filter((line) => line.startsWith('mirror/openshift/release-images:')).map((line) => line.split('@')[0])).toEqual([
      'mirror/openshift/release-images:4.16.1-x86_64',
      'mirror/openshift/release-images:4.16.2-x86_64',
    ]);
    expect(viaCopy.some((line) => line.startsWith('mirror/site/notes:v1@sha256:'))).toBe(true);
    // The release signatures from the signature store land as artifacts, and become signature ConfigMaps both ways.
    expect(viaCopy.filter((line) => line.startsWith('mirror/openshift/release-signatures:')).map((line) => line.split('@')[0])).toEqual([
      'mirror/openshift/release-signatures:4.16.1-x86_64',
      'mirror/openshift/release-signatures:4.16.2-x86_64',
    ]);
    expect(viaCopy.some((line) => line.includes(fixtures['docker-schema2'].repository))).toBe(false);

    const importFiles = await mirrorFiles(importConfig, imported);
    expect([...importFiles.keys()]).toEqual(expect.arrayContaining(['openshift/imagedigestmirrorset.yaml', 'registries.conf.d/99-ferry-mirror.conf']));
    // The operator catalog gets its CatalogSource both ways.
    expect([...importFiles.keys()].filter((name) => /^openshift\/c[sc]-/.test(name))).toHaveLength(2);
    expect([...importFiles.keys()].filter((name) => name.startsWith('openshift/release-signatures/'))).toHaveLength(2);
    expect(await mirrorFiles(copyConfig, copied)).toEqual(importFiles);
  });

  it('refuses an update service or signature store that is not an http(s) URL, naming the flag', async () => {
    const copying = await runFerry('copy', '--set', setFile, '--to', `${copied.host}/mirror`, '--update-service', 'ftp://updates.example.com/graph', ...flags);
    expect(copying.code).not.toBe(0);
    expect(copying.stderr).toContain('--update-service must be an http:// or https:// URL, not "ftp://updates.example.com/graph"');
    const exporting = await runFerry('export', '--to', join(work, 'never'), '--set', setFile, '--signature-store', 'https://user:secret@store.example.com/sigs', ...flags);
    expect(exporting.code).not.toBe(0);
    expect(exporting.stderr).toContain('--signature-store must not hold a login');
    expect(exporting.stderr).not.toContain('secret');
    const stray = await runFerry('copy', '--images', setFile, '--to', `${copied.host}/x`, '--mirror-config', join(work, 'x'), ...flags);
    expect(stray.stderr).toContain('--mirror-config goes with --set FILE');
  });
});
