/**
 * Charts from HTTP chart repositories: the archive reader (sources/chart-archive.ts),
 * the index and download (sources/chart-repository.ts) against a static
 * repository served on loopback, and the `charts:` entries of an image set
 * (schema). Relative URLs resolve inside the repository; URL tricks, digest
 * mismatches and charts that are not what the index says are refused by name.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCESS, Registries } from '../../src-main/oci/registry/registries.ts';
import { chartTag, helmConfig, parseChartYaml, readChartArchive } from '../../src-main/sources/chart-archive.ts';
import { chartUrl, downloadChart, findChart } from '../../src-main/sources/chart-repository.ts';
import { closeHttpConnections } from '../../src-main/sources/http-download.ts';
import { resolveCharts } from '../../src-main/sources/charts.ts';
import { readImageSet } from '../../src-main/sources/image-set.ts';
import { parseRange } from '../../src-main/sources/versions.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { chartIndex as index, packChart, packTarGz, sha256Hex, startStaticServer, type StaticServer } from '../harness/chart-fixture.ts';
import { failure } from '../harness/test-helpers.ts';

let server: StaticServer;
let work: string;
const registries = new Registries(DEFAULT_ACCESS);

const CHART_YAML = `apiVersion: v2
name: web
description: A web server
type: application
version: 1.2.3
appVersion: "2.0"
home: https://example.com/web
sources: [https://git.example.com/web]
keywords: [web]
maintainers:
  - email: ops@example.com
    name: Ops
annotations:
  artifacthub.io/images: |
    - name: web
      image: quay.io/org/web:2.0
dependencies:
  - name: cache
    version: 0.1.0
    repository: file://charts/cache
unknownKey: dropped
`;

let webArchive: Buffer;

beforeAll(async () => {
  server = await startStaticServer();
  work = await mkdtemp(join(tmpdir(), 'ferry-chart-repo-'));
  const cache = await packChart({ name: 'cache', version: '0.1.0', valuesYaml: 'image:\n  repository: redis\n  tag: 7.4.1\n' });
  webArchive = await packChart({ name: 'web', version: '1.2.3', chartYaml: CHART_YAML, valuesYaml: 'image:\n  repository: quay.io/org/web\n  tag: ""\n', extra: { 'charts/cache-0.1.0.tgz': cache } });
  const older = await packChart({ name: 'web', version: '1.1.0', valuesYaml: '' });
  const pre = await packChart({ name: 'web', version: '1.3.0-rc.1' });
  server.files.set('/repo/web-1.2.3.tgz', { body: webArchive });
  server.files.set('/repo/archive/web-1.1.0.tgz', { body: older });
  server.files.set('/elsewhere/web-1.3.0-rc.1.tgz', { body: pre });
  server.files.set('/repo/index.yaml', {
    body: index({
      web: [
        { version: '1.1.0', urls: ['archive/web-1.1.0.tgz'], digest: sha256Hex(older) },
        { version: '1.2.3', urls: ['web-1.2.3.tgz'], digest: sha256Hex(webArchive) },
        { version: '1.3.0-rc.1', urls: [`${server.url}/elsewhere/web-1.3.0-rc.1.tgz`] },
      ],
      liar: [{ version: '9.9.9', urls: ['web-1.2.3.tgz'], digest: sha256Hex(webArchive) }],
      corrupt: [{ version: '1.0.0', urls: ['web-1.2.3.tgz'], digest: 'c'.repeat(64) }],
      escape: [{ version: '1.0.0', urls: ['../../etc/passwd'] }],
    }),
  });
});

afterAll(async () => {
  await closeHttpConnections(registries);
  await registries.close();
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('chart archives', () => {
  it('reads Chart.yaml and values.yaml of the chart and of a packed subchart', async () => {
    const archive = await readChartArchive(webArchive, 'web.tgz');
    expect(archive.charts.map((c) => c.path)).toEqual(['web', 'web/charts/cache-0.1.0']);
    expect(archive.charts[1]?.valuesYaml?.toString()).toContain('redis');
    expect(archive.notes).toEqual([]);
  });

  it("builds the config helm push writes: Chart.yaml as JSON, Helm's key order, unknown keys dropped", () => {
    const config = JSON.parse(helmConfig(parseChartYaml(Buffer.from(CHART_YAML), 'Chart.yaml')).toString()) as Record<string, unknown>;
    expect(Object.keys(config)).toEqual(['name', 'home', 'sources', 'version', 'description', 'keywords', 'maintainers', 'apiVersion', 'appVersion', 'annotations', 'dependencies', 'type']);
    expect(config.maintainers).toEqual([{ name: 'Ops', email: 'ops@example.com' }]);
    expect(Object.keys((config.dependencies as Array<Record<string, unknown>>)[0] ?? {})).toEqual(['name', 'version', 'repository']);
    expect(chartTag('1.2.3+build.4')).toBe('1.2.3_build.4');
  });

  it("escapes <, > and & in the config as Go's json.Marshal does, so its digest is the one helm push gives", () => {
    const config = helmConfig(parseChartYaml(Buffer.from('apiVersion: v2\nname: web\nversion: 1.0.0\ndescription: "<b>&\u2028"\n'), 'Chart.yaml'));
    expect(config.toString('utf8')).toBe('{"name":"web","version":"1.0.0","description":"\\u003cb\\u003e\\u0026\\u2028","apiVersion":"v2"}');
    expect(JSON.parse(config.toString('utf8'))).toEqual({ name: 'web', version: '1.0.0', description: '<b>&\u2028', apiVersion: 'v2' });
  });

  it('refuses what is not a chart archive, and a file over the cap', async () => {
    expect((await failure(readChartArchive(Buffer.from('not gzip'), 'x.tgz'))).message).toMatch(/^x\.tgz is not a readable chart archive/);
    expect((await failure(readChartArchive(await packTarGz({ 'readme.md': 'hi' }), 'x.tgz'))).message).toBe('x.tgz is not a Helm chart: it has no <name>/Chart.yaml');
    const huge = await packTarGz({ 'big/Chart.yaml': 'name: big\nversion: 1.0.0\n', 'big/values.yaml': Buffer.alloc(6 * 1024 * 1024, 0x20) });
    expect((await failure(readChartArchive(huge, 'big.tgz'))).message).toBe('big.tgz: values.yaml is larger than 5242880 bytes');
  });
});

describe('chart repositories', () => {
  const repo = (): URL => new URL(`${server.url}/repo`);

  it('picks the exact version, or the newest release in a range, resolving relative URLs inside the repository', async () => {
    const exact = await findChart(registries, repo(), 'web', { exact: '1.1.0' });
    expect(exact.url.href).toBe(`${server.url}/repo/archive/web-1.1.0.tgz`);
    const range = parseRange('^1.0');
    if (!range) throw new Error('range');
    const newest = await findChart(registries, repo(), 'web', { range });
    expect([newest.version, newest.url.href, newest.digest]).toEqual(['1.2.3', `${server.url}/repo/web-1.2.3.tgz`, `sha256:${sha256Hex(webArchive)}`]);
    const withPre = parseRange('>=1.3.0-rc.0');
    if (!withPre) throw new Error('range');
    expect((await findChart(registries, repo(), 'web', { range: withPre })).url.href).toBe(`${server.url}/elsewhere/web-1.3.0-rc.1.tgz`);
    expect((await failure(findChart(registries, repo(), 'web', { exact: '7.0.0' }))).message).toBe(`${server.url}/repo/index.yaml: chart "web" has no version 7.0.0`);
    expect((await failure(findChart(registries, repo(), 'nope', { exact: '1.0.0' }))).code).toBe('NOT_FOUND');
  });

  it('downloads and checks the archive against the index digest; a mismatch leaves nothing behind', async () => {
    const folder = await mkdtemp(join(work, 'dl-'));
    const chart = await findChart(registries, repo(), 'web', { exact: '1.2.3' });
    const downloaded = await downloadChart(registries, chart, folder);
    expect(downloaded.digest).toBe(`sha256:${sha256Hex(webArchive)}`);
    expect((await readFile(downloaded.file)).equals(webArchive)).toBe(true);
    const corrupt = await findChart(registries, repo(), 'corrupt', { exact: '1.0.0' });
    const error = await failure(downloadChart(registries, corrupt, await mkdtemp(join(work, 'dl-'))));
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain(`not the sha256:${'c'.repeat(64)} its repository index gives`);
  });

  it('refuses URL tricks in an index by name', () => {
    const https = new URL('https://charts.example.com/stable');
    const bad = (entry: string): string => {
      try {
        chartUrl(entry, https, 'index: web 1.0.0');
      } catch (error) {
        expect(error).toBeInstanceOf(FerryError);
        return (error as FerryError).message;
      }
      throw new Error(`${entry} was accepted`);
    };
    expect(chartUrl('web-1.0.0.tgz', https, 'w').href).toBe('https://charts.example.com/stable/web-1.0.0.tgz');
    expect(chartUrl('https://github.com/org/releases/download/web-1.0.0/web-1.0.0.tgz', https, 'w').host).toBe('github.com');
    expect(bad('../other/web.tgz')).toMatch(/climbs out of the repository/);
    expect(bad('/etc/web.tgz')).toMatch(/climbs out of the repository/);
    expect(bad('file:///etc/passwd')).toMatch(/has scheme "file:"/);
    expect(bad('//evil.example.com/web.tgz')).toMatch(/protocol-relative/);
    expect(bad('http://charts.example.com/stable/web.tgz')).toMatch(/drops from https to plain http/);
    expect(bad('https://user:secret@charts.example.com/web.tgz')).toMatch(/holds a login/);
    expect(bad('https://user:secret@charts.example.com/web.tgz')).not.toContain('secret');
  });
});

describe('charts: in an image set', () => {
  it('resolves an HTTP chart into a Helm artifact plus the images it and its subchart declare', async () => {
    const set = join(work, 'set.yaml');
    await writeFile(set, `charts:\n  - repository: ${server.url}/repo\n    name: web\n    version: "~1.2"\n`);
    const { sections } = await readImageSet(set);
    const staging = await mkdtemp(join(work, 'staging-'));
    const resolved = await resolveCharts(sections.charts ?? [], { registries, platforms: { kind: 'all' }, baseDir: work, staging });
    const [artifact] = resolved.artifacts ?? [];
    expect(artifact?.source).toBe(`${server.url}/repo/web-1.2.3.tgz`);
    expect(artifact?.target).toEqual({ path: 'charts/web', tag: '1.2.3' });
    expect(artifact?.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json');
    expect(artifact?.layers.map((l) => [l.mediaType, l.title])).toEqual([['application/vnd.cncf.helm.chart.content.v1.tar+gzip', 'web-1.2.3.tgz']]);
    expect((await readFile(artifact?.layers[0]?.file ?? '')).equals(webArchive)).toBe(true);
    expect((await readdir(staging)).length).toBe(1);
    expect(resolved.images.map((i) => `${i.source.registry}/${i.source.repository}:${i.source.tag ?? ''} [${i.section}]`)).toEqual([
      'quay.io/org/web:2.0 [charts]',
      'docker.io/library/redis:7.4.1 [charts]',
    ]);
    expect(resolved.notes).toEqual(['charts: web 1.2.3 declares 2 images: quay.io/org/web:2.0 (artifacthub.io/images[0] (web)), docker.io/library/redis:7.4.1 (web/charts/cache-0.1.0: image)']);
  });

  it('images: false carries the chart alone; a chart that is not what the index says is refused', async () => {
    const set = join(work, 'set2.yaml');
    await writeFile(
      set,
      `charts:\n  - repository: ${server.url}/repo/\n    name: web\n    version: 1.1.0\n    target: apps/web\n    images: false\n  - repository: ${server.url}/repo\n    name: liar\n    version: 9.9.9\n`,
    );
    const { sections } = await readImageSet(set);
    const [first, second] = sections.charts ?? [];
    if (!first || !second) throw new Error('two charts');
    const alone = await resolveCharts([first], { registries, platforms: { kind: 'all' }, baseDir: work, staging: work });
    expect([alone.images, alone.notes, alone.artifacts?.[0]?.target]).toEqual([[], [], { path: 'apps/web', tag: '1.1.0' }]);
    const error = await failure(resolveCharts([second], { registries, platforms: { kind: 'all' }, baseDir: work, staging: work }));
    expect(error.message).toBe(`${server.url}/repo/web-1.2.3.tgz holds chart web 1.2.3, not the liar 9.9.9 its repository lists`);
    const escape = await failure(resolveCharts([{ ...second, name: 'escape', version: { exact: '1.0.0' } }], { registries, platforms: { kind: 'all' }, baseDir: work, staging: work }));
    expect(escape.message).toMatch(/climbs out of the repository/);
  });

  it('reads a repository index once for every chart of it', async () => {
    const set = join(work, 'twice.yaml');
    await writeFile(
      set,
      `charts:\n  - repository: ${server.url}/repo\n    name: web\n    version: 1.1.0\n  - repository: ${server.url}/repo\n    name: web\n    version: 1.2.3\n    target: web/newer\n`,
    );
    const { sections } = await readImageSet(set);
    const before = server.hits.get('/repo/index.yaml') ?? 0;
    const resolved = await resolveCharts(sections.charts ?? [], { registries, platforms: { kind: 'all' }, baseDir: work, staging: await mkdtemp(join(work, 'staging-')) });
    expect(resolved.artifacts?.map((a) => `${a.target.path}:${a.target.tag}`)).toEqual(['charts/web:1.1.0', 'web/newer:1.2.3']);
    expect((server.hits.get('/repo/index.yaml') ?? 0) - before).toBe(1);
  });

  it('the schema refuses bad entries by path', async () => {
    const set = join(work, 'bad.yaml');
    await writeFile(
      set,
      [
        'charts:',
        '  - repository: ftp://charts.example.com',
        '    name: web',
        '    version: 1.0.0',
        '  - repository: https://u:p4ss@charts.example.com',
        '    name: Web',
        '    version: "not a version"',
        '  - repository: oci://registry.example.com/Charts',
        '    name: web',
        '    version: 1.0.0',
        '    target: /Apps//',
        '    images: "no"',
        '  - name: web',
        '    version: 1.0.0',
        '',
      ].join('\n'),
    );
    const error = await failure(readImageSet(set));
    expect(error.code).toBe('INVALID_CONTENT');
    for (const expected of [
      'charts[0].repository has scheme "ftp:"',
      'charts[1].repository must not hold a login',
      'charts[1].name must be a chart name',
      'charts[1].version is neither a chart version such as 4.11.3 nor a range',
      'charts[2].repository must be oci://HOST[:PORT]/PATH with a lowercase repository path',
      'charts[2].target must be a repository path',
      'charts[2].images must be true or false',
      'charts[3].repository is required',
    ])
      expect(error.message).toContain(expected);
    expect(error.message).not.toContain('p4ss');
  });
});
