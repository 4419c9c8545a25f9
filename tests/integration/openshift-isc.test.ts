/**
 * Issue 13's end-to-end case: one oc-mirror ImageSetConfiguration with a
 * platform channel range resolved by shortest path through a loopback update
 * service, two catalogs (a YAML file-based catalog and an SQLite index built
 * in opm's table layout) with a dependency chain by package range and by API,
 * additional images and a blocked image. The plan is asserted exactly (built
 * from the fixtures, not from Ferry's output); the same file then runs through
 * `ferry copy --set` (registry to registry) and through export → import, and
 * both must land identical digests at identical places and write the same
 * mirror configuration, every OpenShift object of which passes its CRD schema.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { field, loadChecks, problems } from '../harness/crd-schemas.ts';
import { buildOlmCatalogFixture, bundleRepository, OLM_A, OLM_B, OLM_C, OLM_D, operandRepository, seedOlmCatalogFixture, type OlmCatalogFixture } from '../harness/olm-catalog-fixture.ts';
import { buildOpenShiftFixture, CATALOG_REPOSITORY, COMPONENTS_REPOSITORY, OKD_REPOSITORY, RELEASE_REPOSITORY, seedOpenShiftFixture, type OpenShiftFixture } from '../harness/openshift-fixture.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { startReleaseServices, type ReleaseServices } from '../harness/release-services.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';
import { formatReference } from '../../src-main/oci/reference.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { readImageSet, resolveImageSet } from '../../src-main/sources/image-set.ts';

let source: RunningRegistry;
let copied: RunningRegistry;
let imported: RunningRegistry;
let ocp: OpenShiftFixture;
let olm: OlmCatalogFixture;
let services: ReleaseServices;
let work: string;
let setFile: string;
const teardown = new Teardown();
const flags = ['--plain-http', '--authfile', emptyAuthFile];
/** The shortest upgrade path from 4.16.0 to 4.16.12 in the fixture graph (the conditional direct edge does not count). */
const PATH_VERSIONS = ['4.16.0', '4.16.2', '4.16.12'];
const OKD_TAG = '4.16.0-0.okd-2024-08-01-000000';

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, copied, imported] = await Promise.all([anonymous(), anonymous(), anonymous()]);
  [ocp, olm] = await Promise.all([buildOpenShiftFixture(source.host), buildOlmCatalogFixture(source.host)]);
  await seedOpenShiftFixture(source, ocp);
  await seedOlmCatalogFixture(source, olm);
  services = teardown.add(await startReleaseServices(ocp), (started) => started.close());
  work = await mkdtemp(join(tmpdir(), 'ferry-openshift-isc-'));
  setFile = join(work, 'isc.yaml');
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
      `    - catalog: ${source.host}/olm/yaml-catalog:v1`,
      '      packages:',
      `        - name: ${OLM_A}`,
      `    - catalog: ${source.host}/olm/sqlite-index:v1`,
      '      packages:',
      `        - name: ${OLM_D}`,
      '          channels:',
      '            - name: alpha',
      '              minVersion: 0.1.0',
      '  additionalImages:',
      `    - name: ${source.host}/${OKD_REPOSITORY}:${OKD_TAG}`,
      `    - name: ${source.host}/${CATALOG_REPOSITORY}:v4.16`,
      '  blockedImages:',
      '    - name: redhat-operator-index',
      '',
    ].join('\n'),
  );
}, 120_000);

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** `section source -> path:tag` for one planned image, the form the expected plan is written in. */
function line(section: string, reference: string, target?: { path: string; tag?: string | undefined }): string {
  return `${section} ${reference} -> ${target ? `${target.path}:${target.tag ?? ''}` : '(default)'}`;
}

/** The plan the file must resolve to, built from the fixtures' own records. */
function expectedPlan(): string[] {
  const host = source.host;
  const lines: string[] = [];
  for (const version of PATH_VERSIONS) {
    const release = ocp.releases.get(`${version}-x86_64`);
    if (!release) throw new Error(`fixture has no ${version}`);
    lines.push(line('openshift.release', `${host}/${RELEASE_REPOSITORY}@${release.image.manifest.digest}`, { path: 'openshift/release-images', tag: `${version}-x86_64` }));
    for (const [name, image] of release.components)
      lines.push(line('openshift.release', `${host}/${COMPONENTS_REPOSITORY}@${image.manifest.digest}`, { path: 'openshift/release', tag: `${version}-x86_64-${name}` }));
  }
  lines.push(line('openshift.catalog', `${host}/olm/yaml-catalog@${olm.yamlCatalog.manifest.digest}`, { path: 'olm/yaml-catalog', tag: 'v1' }));
  lines.push(line('openshift.catalog', `${host}/olm/sqlite-index@${olm.sqliteCatalog.manifest.digest}`, { path: 'olm/sqlite-index', tag: 'v1' }));
  // A's channel heads (stable 1.1.0, fast 1.3.0: no channel named, so every channel); B by A's range (its head 2.1.0 fits); C because it provides the API B requires; D's alpha from 0.1.0 up.
  for (const [pkg, version] of [
    [OLM_A, '1.1.0'],
    [OLM_A, '1.3.0'],
    [OLM_B, '2.1.0'],
    [OLM_C, '1.0.0'],
    [OLM_D, '0.1.0'],
    [OLM_D, '0.2.0'],
  ] as const) {
    const bundle = `${pkg}.v${version}`;
    lines.push(line('openshift.operators', `${host}/${bundleRepository(pkg)}@${olm.bundleDigests.get(bundle)}`, { path: bundleRepository(pkg) }));
    lines.push(line('openshift.operators', `${host}/${operandRepository(pkg)}@${olm.operandDigests.get(bundle)}`, { path: operandRepository(pkg) }));
  }
  lines.push(line('openshift.additional', `${host}/${OKD_REPOSITORY}:${OKD_TAG}`));
  return [...new Set(lines)].sort();
}

describe('an ImageSetConfiguration with channels, two catalog formats, dependencies, additional and blocked images', () => {
  it('resolves to the exact plan, with the reasons in the notes', async () => {
    const set = await readImageSet(setFile);
    const registries = registriesFor(source);
    try {
      const resolved = await resolveImageSet(set, { registries, platforms: ALL_PLATFORMS, updateService: services.updateService, signatureStore: services.signatureStore, staging: work });
      const plan = [...new Set(resolved.images.map((image) => line(image.section, formatReference(image.source), image.target)))].sort();
      expect(plan).toEqual(expectedPlan());
      expect((resolved.artifacts ?? []).map((a) => `${a.section} ${a.target.path}:${a.target.tag} ${a.layers.map((l) => l.title).join(',')}`).sort()).toEqual(
        PATH_VERSIONS.map((version) => {
          const digest = ocp.releases.get(`${version}-x86_64`)?.image.manifest.digest ?? '';
          const keys = [...services.signatures.keys()].filter((k) => k.startsWith(digest.replace(':', '=') + '/')).map((k) => `${digest.replace(':', '-')}-${k.slice(-1)}`);
          return `openshift.signatures openshift/release-signatures:${version}-x86_64 ${keys.sort().join(',')}`;
        }).sort(),
      );
      const notes = resolved.notes.join('\n');
      expect(notes).toContain(`${OLM_B} 2.1.0: required by ${OLM_A} 1.1.0 (olm.package.required >=2.0.0 <3.0.0)`);
      expect(notes).toContain(`${OLM_C} 1.0.0: provides volumes.example.com/v1 Volume required by ${OLM_B} 2.1.0`);
      expect(notes).toMatch(/redhat-operator-index.*blocked 1 image/);
      expect(notes).toMatch(/4\.16\.0.*4\.16\.2.*4\.16\.12/);
    } finally {
      await registries.close();
    }
  }, 120_000);

  it('lands identical digests through copy --set and through export → import, with the same mirror configuration', async () => {
    const resolveFlags = ['--update-service', services.updateService, '--signature-store', services.signatureStore];
    const copyConfig = join(work, 'copy-mirror');
    const copy = await runFerry('copy', '--set', setFile, '--to', `${copied.host}/ocp`, '--mirror-config', copyConfig, ...resolveFlags, ...flags);
    expect(copy.code, copy.stderr).toBe(0);

    const bundle = join(work, 'bundle');
    const exported = await runFerry('export', '--to', bundle, '--set', setFile, ...resolveFlags, ...flags);
    expect(exported.code, exported.stderr).toBe(0);
    const importConfig = join(work, 'import-mirror');
    const imports = await runFerry('import', bundle, '--to', `${imported.host}/ocp`, '--mirror-config', importConfig, '--receipt', join(work, 'receipt.json'), ...flags);
    expect(imports.code, imports.stderr).toBe(0);

    const [viaCopy, viaImport] = await Promise.all([registryContents(copied), registryContents(imported)]);
    expect(viaCopy.size).toBeGreaterThan(40);
    expect(Object.fromEntries(viaCopy)).toEqual(Object.fromEntries(viaImport));
    // Every planned image is there by digest, and the blocked one is not.
    for (const planned of expectedPlan()) {
      const [, reference = '', placed = ''] = /^\S+ (\S+) -> (\S+)$/.exec(planned) ?? [];
      const digest = reference.includes('@') ? reference.slice(reference.indexOf('@') + 1) : undefined;
      const path = placed === '(default)' ? reference.slice(source.host.length + 1).replace(/[:@].*$/, '') : placed.slice(0, placed.indexOf(':'));
      if (digest) expect(viaImport.get(`ocp/${path}@${digest}`), planned).toBe(digest);
    }
    expect([...viaImport.keys()].some((key) => key.includes(CATALOG_REPOSITORY))).toBe(false);

    const [copyFiles, importFiles] = await Promise.all([folderTexts(copyConfig), folderTexts(importConfig)]);
    expect([...copyFiles.keys()].sort()).toEqual([...importFiles.keys()].sort());
    // KET's plan file spells the port as its own field.
    const portOf = (host: string): string => `port: ${host.slice(host.lastIndexOf(':') + 1)}\n`;
    for (const [file, text] of copyFiles) expect(text.replaceAll(copied.host, imported.host).replaceAll(portOf(copied.host), portOf(imported.host)), file).toBe(importFiles.get(file));

    const checks = await loadChecks();
    const kinds = new Map<string, number>();
    for (const [file, text] of importFiles) {
      if (!file.startsWith('openshift/')) continue;
      for (const document of parseAllDocuments(text)) {
        expect(document.errors, file).toEqual([]);
        const object = document.toJSON() as unknown;
        expect(problems(checks, object), file).toEqual([]);
        const kind = String(field(object, 'kind'));
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
    }
    expect(Object.fromEntries(kinds)).toEqual({ ImageDigestMirrorSet: 1, ImageTagMirrorSet: 1, ImageContentSourcePolicy: 1, CatalogSource: 2, ClusterCatalog: 2, ConfigMap: 3 });
    const sources = [...importFiles].filter(([file]) => file.includes('/cs-')).map(([, text]) => String(field(parseAllDocuments(text)[0]?.toJSON(), 'spec', 'image')));
    expect(sources.sort()).toEqual([`${imported.host}/ocp/olm/sqlite-index@${olm.sqliteCatalog.manifest.digest}`, `${imported.host}/ocp/olm/yaml-catalog@${olm.yamlCatalog.manifest.digest}`]);
  }, 300_000);
});

/** Every `repository:tag` and `repository@digest` of a registry, mapped to its manifest digest. */
async function registryContents(registry: RunningRegistry): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  const get = async (path: string, accept?: string): Promise<Response> => fetch(`${registry.url}${path}`, accept ? { headers: { accept } } : {});
  const catalog = (await (await get('/v2/_catalog?n=1000')).json()) as { repositories: string[] };
  const accept = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.docker.distribution.manifest.v2+json',
  ].join(', ');
  for (const repository of catalog.repositories) {
    const { tags } = (await (await get(`/v2/${repository}/tags/list`)).json()) as { tags: string[] | null };
    for (const tag of tags ?? []) {
      const response = await get(`/v2/${repository}/manifests/${tag}`, accept);
      const digest = response.headers.get('docker-content-digest') ?? '';
      await response.arrayBuffer();
      contents.set(`${repository}:${tag}`, digest);
      contents.set(`${repository}@${digest}`, digest);
    }
  }
  // Untagged images (bundles, operands) are found by digest from the plan by the caller.
  for (const planned of expectedPlan()) {
    const [, reference = '', placed = ''] = /^\S+ (\S+) -> (\S+)$/.exec(planned) ?? [];
    if (!reference.includes('@')) continue;
    const digest = reference.slice(reference.indexOf('@') + 1);
    const path = placed === '(default)' ? reference.slice(source.host.length + 1).replace(/[:@].*$/, '') : placed.slice(0, placed.indexOf(':'));
    const response = await fetch(`${registry.url}/v2/ocp/${path}/manifests/${digest}`, { method: 'HEAD', headers: { accept } });
    if (response.ok) contents.set(`ocp/${path}@${digest}`, response.headers.get('docker-content-digest') ?? '');
  }
  return contents;
}

/** Every file under a folder, by path relative to it, as text. */
async function folderTexts(dir: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    texts.set(relative(dir, path).split('\\').join('/'), await readFile(path, 'utf8'));
  }
  return texts;
}
