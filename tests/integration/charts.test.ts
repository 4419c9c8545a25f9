/**
 * Helm charts through export, verify and import against real registries: one
 * chart from a static HTTP chart repository served on loopback (index.yaml
 * plus a .tgz built here), one pushed to a docker-registry the way `helm push`
 * does, and the images both declare. After import each chart is pulled back by
 * digest with Ferry's registry client: a Helm OCI artifact whose one layer is
 * the very .tgz, byte for byte, and the declared images are in the site
 * registry too.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getManifest, headManifest } from '../../src-main/oci/registry/manifests.ts';
import { readBlobToBuffer } from '../../src-main/oci/registry/blobs.ts';
import { helmConfig, parseChartYaml } from '../../src-main/sources/chart-archive.ts';
import { packChart, pushOciChart, sha256Hex, startStaticServer, type StaticServer } from '../harness/chart-fixture.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { skopeoCopy } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let site: RunningRegistry;
let repo: StaticServer;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let webArchive: Buffer;
let apiArchive: Buffer;
let apiDigest: string;
const flags = ['--plain-http', '--authfile', emptyAuthFile];
const teardown = new Teardown();

const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

/** Puts a copy of a fixture image under another name in the source registry: the images the charts declare. */
async function tag(to: string): Promise<void> {
  const image = fixtures['oci-single'];
  await skopeoCopy({ ref: `docker://${source.host}/${image.repository}:${image.tag}`, registry: source }, { ref: `docker://${source.host}/${to}`, registry: source });
}

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  site = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  repo = teardown.add(await startStaticServer(), (started) => started.close());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single']]);
  for (const image of ['apps/web:2.0', 'apps/sidecar:1.1', 'apps/api:0.3.1']) await tag(image);
  work = await mkdtemp(join(tmpdir(), 'ferry-charts-'));

  // The HTTP chart: appVersion fills the empty tag, a sidecar string, a template the plan must name.
  webArchive = await packChart({
    name: 'web',
    version: '1.2.3',
    chartYaml: 'apiVersion: v2\nname: web\ndescription: The web tier\nversion: 1.2.3\nappVersion: "2.0"\n',
    valuesYaml: [
      'image:',
      `  registry: ${source.host}`,
      '  repository: apps/web',
      '  tag: ""',
      `sidecar:`,
      `  image: ${source.host}/apps/sidecar:1.1`,
      'extra:',
      '  image: "{{ .Values.global.registry }}/extra:1"',
      '',
    ].join('\n'),
  });
  const older = await packChart({ name: 'web', version: '1.1.0' });
  repo.files.set('/stable/charts/web-1.2.3.tgz', { body: webArchive });
  repo.files.set('/stable/charts/web-1.1.0.tgz', { body: older });
  repo.files.set('/stable/index.yaml', {
    body: Buffer.from(
      [
        'apiVersion: v1',
        'entries:',
        '  web:',
        '  - name: web',
        '    version: 1.2.3',
        '    urls: [charts/web-1.2.3.tgz]',
        `    digest: ${sha256Hex(webArchive)}`,
        '  - name: web',
        '    version: 1.1.0',
        '    urls: [charts/web-1.1.0.tgz]',
        `    digest: ${sha256Hex(older)}`,
        '',
      ].join('\n'),
    ),
  });

  // The OCI chart, as helm push lays it out, in three versions; the set asks for ~0.3.
  for (const version of ['0.2.0', '0.3.0', '0.3.1']) {
    const chartYaml = `apiVersion: v2\nname: api\nversion: ${version}\nappVersion: "${version}"\n`;
    const archive = await packChart({ name: 'api', version, chartYaml, valuesYaml: `image:\n  repository: ${source.host}/apps/api\n` });
    const digest = await pushOciChart(source, 'charts/api', version, archive, helmConfig(parseChartYaml(Buffer.from(chartYaml), 'Chart.yaml')));
    if (version === '0.3.1') [apiArchive, apiDigest] = [archive, digest];
  }
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

interface FerryJson {
  images: Array<{ name: string; source: string; digest: string; section?: string; targets?: Array<{ path: string; tag?: string }> }>;
}

/** Reads a chart back from the site registry by digest and returns its config and its one layer's bytes. */
async function pullChart(repository: string, tagName: string): Promise<{ digest: string; config: Record<string, unknown>; archive: Buffer }> {
  const registries = registriesFor(site);
  try {
    const client = await registries.client(site.host);
    const digest = (await headManifest(client, repository, tagName))?.digest;
    if (digest === undefined) throw new Error(`${repository}:${tagName} is not in the site registry`);
    const manifest = await getManifest(client, repository, digest);
    if (manifest.kind !== 'image') throw new Error(`${repository}:${tagName} is an index`);
    expect(manifest.manifest.config.mediaType).toBe(HELM_CONFIG);
    expect(manifest.manifest.layers.map((l) => l.mediaType)).toEqual([HELM_LAYER]);
    const [layer] = manifest.manifest.layers;
    if (!layer) throw new Error('no layer');
    const config = JSON.parse((await readBlobToBuffer(client, repository, manifest.manifest.config)).toString('utf8')) as Record<string, unknown>;
    return { digest: manifest.digest, config, archive: await readBlobToBuffer(client, repository, layer) };
  } finally {
    await registries.close();
  }
}

describe('charts: through export, verify and import', () => {
  it('carries an HTTP chart and an OCI chart as Helm artifacts, byte for byte, with the images they declare', async () => {
    const set = join(work, 'set.yaml');
    await writeFile(
      set,
      ['charts:', `  - repository: ${repo.url}/stable`, '    name: web', '    version: "^1.0"', `  - repository: oci://${source.host}/charts`, '    name: api', '    version: "~0.3"', ''].join('\n'),
    );
    const plan = await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run', '--json');
    expect(plan.code, plan.stderr).toBe(0);
    const planned = JSON.parse(plan.stdout) as { notes: string[] };
    expect(planned.notes).toEqual([
      `charts: web 1.2.3 declares 2 images: ${source.host}/apps/web:2.0 (image), ${source.host}/apps/sidecar:1.1 (sidecar.image)`,
      'charts: web 1.2.3: extra.image is a template ("{{ .Values.global.registry }}/extra:1"): the image it renders to is not known',
      `charts: api 0.3.1 declares 1 image: ${source.host}/apps/api:0.3.1 (image)`,
    ]);

    const bundle = join(work, 'bundle');
    const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags);
    expect(exported.code, exported.stderr).toBe(0);
    const ferryJson = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as FerryJson;
    expect(ferryJson.images.map((i) => `${i.source} [${i.section ?? ''}]`).sort()).toEqual(
      [
        `${repo.url}/stable/charts/web-1.2.3.tgz [charts]`,
        `${source.host}/charts/api:0.3.1 [charts]`,
        `${source.host}/apps/web:2.0 [charts]`,
        `${source.host}/apps/sidecar:1.1 [charts]`,
        `${source.host}/apps/api:0.3.1 [charts]`,
      ].sort(),
    );
    const verified = await runFerry('verify', bundle);
    expect(verified.code, verified.stderr).toBe(0);

    const imported = await runFerry('import', bundle, '--to', `${site.host}/site`, ...flags);
    expect(imported.code, imported.stderr).toBe(0);

    const web = await pullChart('site/charts/web', '1.2.3');
    expect(web.archive.equals(webArchive)).toBe(true);
    expect(web.config).toEqual({ name: 'web', version: '1.2.3', description: 'The web tier', apiVersion: 'v2', appVersion: '2.0' });
    const api = await pullChart('site/charts/api', '0.3.1');
    expect(api.digest).toBe(apiDigest);
    expect(api.archive.equals(apiArchive)).toBe(true);

    const registries = registriesFor(site);
    try {
      const client = await registries.client(site.host);
      for (const [repository, tagName] of [
        ['site/apps/web', '2.0'],
        ['site/apps/sidecar', '1.1'],
        ['site/apps/api', '0.3.1'],
      ] as const) {
        expect((await headManifest(client, repository, tagName))?.digest).toBe(fixtures['oci-single'].manifestDigest);
      }
    } finally {
      await registries.close();
    }
  });

  it('carries two versions of one HTTP chart into one repository: the import takes both tags', async () => {
    const set = join(work, 'two.yaml');
    await writeFile(
      set,
      ['charts:', ...['1.1.0', '1.2.3'].flatMap((version) => [`  - repository: ${repo.url}/stable`, '    name: web', `    version: ${version}`, '    images: false']), ''].join('\n'),
    );
    const bundle = join(work, 'bundle-two');
    const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags);
    expect(exported.code, exported.stderr).toBe(0);
    const imported = await runFerry('import', bundle, '--to', `${site.host}/two`, ...flags);
    expect(imported.code, imported.stderr).toBe(0);
    expect((await pullChart('two/charts/web', '1.2.3')).archive.equals(webArchive)).toBe(true);
    expect((await pullChart('two/charts/web', '1.1.0')).config).toEqual({ name: 'web', version: '1.1.0', apiVersion: 'v2', type: 'application' });
  });
});
