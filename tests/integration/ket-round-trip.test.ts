/**
 * A KET-style set end to end: an image list, KET's local package repository
 * (a Debian repository built in the test with dpkg-deb and dpkg-scanpackages),
 * a `files:` entry and Helm charts (one from an HTTP chart repository served on
 * loopback, one pushed to the source registry the way `helm push` does) travel
 * in one bundle; export → verify → import into a real registry. Then each
 * artifact is pulled back by digest and compared byte for byte, `ferry
 * extract` writes the charts out under the names Helm gives them and the
 * package repository as its folder, and `ferry serve --files` serves that
 * folder on loopback to `apt-get update && apt-get download` with a private
 * apt configuration (never the machine's own).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getManifest } from '../../src-main/oci/registry/manifests.ts';
import { readBlobToBuffer } from '../../src-main/oci/registry/blobs.ts';
import type { RegistryClient } from '../../src-main/oci/registry/client.ts';
import { helmConfig, parseChartYaml } from '../../src-main/sources/chart-archive.ts';
import { packChart, pushOciChart, sha256Hex, startStaticServer, type StaticServer } from '../harness/chart-fixture.ts';
import { aptGet, buildDebianRepository } from '../harness/debian-repository.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const BIN = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');
const PACKAGE = 'ferry-hello';
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const flags = ['--plain-http', '--authfile', emptyAuthFile];

let source: RunningRegistry;
let target: RunningRegistry;
let charts: StaticServer;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let server: ChildProcess | undefined;
let webArchive: Buffer;
let apiArchive: Buffer;
let apiDigest: string;
let oddArchive: Buffer;
const teardown = new Teardown();

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  target = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  charts = teardown.add(await startStaticServer(), (started) => started.close());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['docker-schema2']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-ket-'));

  // The HTTP chart declares an image the seed list names too: it travels once.
  const listed = fixtures['docker-schema2'];
  webArchive = await packChart({
    name: 'web',
    version: '1.2.3',
    chartYaml: 'apiVersion: v2\nname: web\ndescription: The web tier\nversion: 1.2.3\nappVersion: "2.0"\n',
    valuesYaml: ['image:', `  repository: ${source.host}/${listed.repository}`, `  tag: "${listed.tag}"`, ''].join('\n'),
  });
  charts.files.set('/stable/charts/web-1.2.3.tgz', { body: webArchive });
  charts.files.set('/stable/index.yaml', {
    body: Buffer.from(['apiVersion: v1', 'entries:', '  web:', '  - name: web', '    version: 1.2.3', '    urls: [charts/web-1.2.3.tgz]', `    digest: ${sha256Hex(webArchive)}`, ''].join('\n')),
  });
  // The OCI chart as helm push lays it out: no title on its layer, so extract names it from the config.
  const apiChartYaml = 'apiVersion: v2\nname: api\nversion: 0.3.1\n';
  apiArchive = await packChart({ name: 'api', version: '0.3.1', chartYaml: apiChartYaml });
  apiDigest = await pushOciChart(source, 'charts/api', '0.3.1', apiArchive, helmConfig(parseChartYaml(Buffer.from(apiChartYaml), 'Chart.yaml')));
  // One whose config names a path: extract keeps the digest name rather than write outside its folder.
  oddArchive = await packChart({ name: 'odd', version: '1.0.0' });
  await pushOciChart(source, 'charts/odd', '1.0.0', oddArchive, Buffer.from('{"name":"../../odd","version":"1.0.0","apiVersion":"v2"}'));
});

afterAll(async () => {
  if (server && server.exitCode === null) server.kill('SIGTERM');
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

/** An artifact pulled back from the target registry by digest: its config media type, config JSON and every layer's bytes with its title. */
async function pullByDigest(
  client: RegistryClient,
  repository: string,
  digest: string,
): Promise<{ configMediaType: string; config: unknown; layers: Array<{ mediaType: string; title?: string; bytes: Buffer }> }> {
  const pulled = await getManifest(client, repository, digest);
  if (pulled.kind !== 'image') throw new Error(`${repository}@${digest} is not an image manifest`);
  expect(pulled.digest).toBe(digest);
  const { config, layers } = pulled.manifest;
  return {
    configMediaType: config.mediaType,
    config: JSON.parse((await readBlobToBuffer(client, repository, config)).toString('utf8')) as unknown,
    layers: await Promise.all(
      layers.map(async (layer) => ({
        mediaType: layer.mediaType,
        ...(layer.annotations?.['org.opencontainers.image.title'] !== undefined ? { title: layer.annotations['org.opencontainers.image.title'] } : {}),
        bytes: await readBlobToBuffer(client, repository, layer),
      })),
    ),
  };
}

/** Starts `ferry serve --files DIR` on a loopback port and returns its URL, its stderr so far and a promise of its exit code. */
async function serveFiles(dir: string): Promise<{ url: string; stderr: () => string; exited: Promise<number | null>; served: ChildProcess }> {
  const served = spawn(process.execPath, [BIN, 'serve', '--files', dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  server = served;
  let stdout = '';
  let stderr = '';
  served.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  served.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => served.on('exit', (code) => resolve(code)));
  for (let waited = 0; !/http:\/\/\S+/.test(stdout); waited += 50) {
    if (waited > 60_000 || served.exitCode !== null) throw new Error(`ferry serve did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: /http:\/\/\S+/.exec(stdout)?.[0] ?? '', stderr: () => stderr, exited, served };
}

describe('a KET-style set', () => {
  it('carries images, a package repository, files and charts: pulled back by digest, extracted, served to apt-get', async () => {
    const set = join(work, 'set');
    const deb = await buildDebianRepository(join(set, 'debs'), PACKAGE);
    const listed = fixtures['docker-schema2'];
    const single = fixtures['oci-single'];
    await writeFile(join(set, 'ket-1.6.txt'), `${source.host}/${listed.repository}:${listed.tag}\n`);
    await writeFile(join(set, 'plan.yaml'), 'cluster:\n  name: ket\n');
    await writeFile(
      join(set, 'ket.yaml'),
      [
        'images:',
        `  - ${source.host}/${single.repository}:${single.tag}`,
        'imageLists:',
        '  - ket-1.6.txt',
        'packageRepositories:',
        '  - path: debs',
        '    target: ket/packages:v1.6',
        'files:',
        '  - path: plan.yaml',
        '    target: ket/plan:v1.6',
        'charts:',
        `  - repository: ${charts.url}/stable`,
        '    name: web',
        '    version: 1.2.3',
        `  - repository: oci://${source.host}/charts`,
        '    name: api',
        "    version: '~0.3'",
        `  - repository: oci://${source.host}/charts`,
        '    name: odd',
        '    version: 1.0.0',
        '',
      ].join('\n'),
    );
    const bundle = join(work, 'bundle');
    const exported = await runFerry('export', '--to', bundle, '--set', join(set, 'ket.yaml'), ...flags);
    expect(exported.code, exported.stderr).toBe(0);
    const verified = await runFerry('verify', bundle);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/\n {2}package repository +ket\/packages:v1\.6 +[\d.]+ \w*B +\(1 file: debs\)\n/);
    expect(verified.stdout).toMatch(/\n {2}Helm chart +charts\/web:1\.2\.3 +[\d.]+ \w*B +\(1 file: web-1\.2\.3\.tgz\)\n/);
    const imported = await runFerry('import', bundle, '--to', `${target.host}/site`, ...flags);
    expect(imported.code, imported.stderr).toBe(0);

    const ferry = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as { images: Array<{ name: string; source: string; digest: string; artifactType?: string; section?: string }> };
    const digestOf = (name: string): string => ferry.images.find((i) => i.name === name)?.digest ?? `${name} is not in ferry.json`;
    // The seed list's image travels once although the chart declares it as well.
    expect(ferry.images.filter((i) => i.source === `${source.host}/${listed.repository}:${listed.tag}`)).toHaveLength(1);
    expect(ferry.images.find((i) => i.name === 'ket/packages:v1.6')?.artifactType).toBe('application/vnd.ferry.package-repository.v1');

    const registries = registriesFor(target);
    try {
      const client = await registries.client(target.host);
      // files: the file's very bytes.
      const plan = await pullByDigest(client, 'site/ket/plan', digestOf('ket/plan:v1.6'));
      expect(plan.layers.map((l) => l.bytes)).toEqual([await readFile(join(set, 'plan.yaml'))]);
      // The package repository: one tar layer titled with the folder's name.
      const packages = await pullByDigest(client, 'site/ket/packages', digestOf('ket/packages:v1.6'));
      expect(packages.layers.map((l) => [l.mediaType, l.title])).toEqual([['application/vnd.oci.image.layer.v1.tar', 'debs']]);
      // The HTTP chart: a Helm OCI artifact whose one layer is the .tgz the index served, byte for byte.
      const web = await pullByDigest(client, 'site/charts/web', digestOf('charts/web:1.2.3'));
      expect(web.configMediaType).toBe(HELM_CONFIG);
      expect(web.config).toEqual({ name: 'web', version: '1.2.3', description: 'The web tier', apiVersion: 'v2', appVersion: '2.0' });
      expect(web.layers.map((l) => l.mediaType)).toEqual([HELM_LAYER]);
      expect(web.layers[0]?.bytes.equals(webArchive)).toBe(true);
      // The OCI chart keeps the digest helm push gave it.
      const api = await pullByDigest(client, 'site/charts/api', apiDigest);
      expect(api.layers.map((l) => [l.mediaType, l.title])).toEqual([[HELM_LAYER, undefined]]);
      expect(api.layers[0]?.bytes.equals(apiArchive)).toBe(true);
    } finally {
      await registries.close();
    }

    // ferry extract: the charts as Helm names them, the package repository as its folder.
    const out = join(work, 'extracted');
    // A chart from an OCI registry keeps its source as its name in the bundle.
    for (const name of ['charts/web:1.2.3', `${source.host}/charts/api:0.3.1`, 'ket/packages:v1.6']) {
      const extracted = await runFerry('extract', bundle, name, '--to', out);
      expect(extracted.code, `${name}: ${extracted.stderr}`).toBe(0);
    }
    expect((await readdir(out)).sort()).toEqual(['api-0.3.1.tgz', 'debs', 'web-1.2.3.tgz']);
    expect((await readFile(join(out, 'web-1.2.3.tgz'))).equals(webArchive)).toBe(true);
    expect((await readFile(join(out, 'api-0.3.1.tgz'))).equals(apiArchive)).toBe(true);
    const odd = await runFerry('extract', bundle, `${source.host}/charts/odd:1.0.0`, '--to', join(work, 'odd'));
    expect(odd.stdout).toContain(`note: ${source.host}/charts/odd:1.0.0: config sha256:`);
    expect(odd.stdout).toContain(`: the chart's name and version "../../odd-1.0.0" holds a path separator; the chart keeps its digest name`);
    expect(await readdir(join(work, 'odd'))).toEqual([`sha256-${sha256Hex(oddArchive)}`]);
    expect((await readdir(join(out, 'debs'))).sort()).toEqual(['Packages', 'Packages.gz', 'Release', `${PACKAGE}_1.0.0_all.deb`]);
    // A plain image is refused clearly, and nothing existing is overwritten.
    expect((await runFerry('extract', bundle, `${source.host}/${single.repository}:${single.tag}`, '--to', out)).stderr).toContain('is a container image, not an artifact');
    expect((await runFerry('extract', bundle, 'ket/packages:v1.6', '--to', out)).stderr).toContain(`${out} already holds debs`);

    const { url, stderr, exited, served } = await serveFiles(join(out, 'debs'));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const apt = join(work, 'apt');
    const downloads = join(work, 'downloads');
    await mkdir(downloads, { recursive: true });
    const update = await aptGet(apt, url, ['update'], downloads);
    expect(update.stdout).toContain(`${url.replace(/\/$/, '')} ./ Packages`);
    await aptGet(apt, url, ['download', PACKAGE], downloads);
    expect(sha256Hex(await readFile(join(downloads, `${PACKAGE}_1.0.0_all.deb`)))).toBe(sha256Hex(await readFile(deb)));
    expect(stderr()).toMatch(new RegExp(`GET /(\\./)?${PACKAGE}_1\\.0\\.0_all\\.deb 200`));
    served.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 240_000);
});
