/**
 * `openshift.platform.graph: true`: the update graph data image, built as
 * oc-mirror v2 builds it, against real registries. A graph-data tarball
 * (oc-mirror's testdata layout: version, raw/metadata.json, channels/,
 * blocked-edges/) is served on loopback at /api/upgrades_info/graph-data; the
 * base is a two-platform fixture image in a docker-registry. The export's
 * bundle holds openshift/graph-image:latest: skopeo reads its config from the
 * OCI layout (the base's diff_ids plus one, oc-mirror's Cmd), the new layer's
 * files sit under var/lib/cincinnati-graph-data owned by 0:0, the base layers
 * are the base's own digests, and after verify and import the image in the
 * site registry has the same digest.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { getManifest } from '../../src-main/oci/registry/manifests.ts';
import type { Registries } from '../../src-main/oci/registry/registries.ts';
import { GRAPH_IMAGE_CMD, graphDataUrl, resolveGraphImage } from '../../src-main/sources/openshift-graph-image.ts';
import type { ResolveContext } from '../../src-main/sources/types.ts';
import { resolveOpenShiftConfig, type OpenShiftConfig } from '../../src-main/sources/openshift.ts';
import { exportBundle } from '../../src-main/transfer/export.ts';
import { startStaticServer, type StaticServer } from '../harness/chart-fixture.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { gzipFixed, tarOf, type TarEntry } from '../harness/fixture-content.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { runSkopeo } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let site: RunningRegistry;
let server: StaticServer;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let registries: Registries;
const teardown = new Teardown();
const GRAPH_DATA = '/api/upgrades_info/graph-data';
const flags = ['--plain-http', '--authfile', emptyAuthFile];

const CHANNEL = 'name: stable-4.16\nversions:\n- 4.16.0\n- 4.16.1\n';
const BLOCKED = 'to: 4.16.1\nfrom: .*\nurl: https://issues.example/1\nname: Example\nmessage: blocked\n';
const METADATA = '{"4.16.1":{"description":"","url":"https://access.redhat.com/errata/RHSA-0000:0001"}}';

/** A graph-data tarball in oc-mirror's testdata layout (tests/unit/testdata/graph-assets/graph-data.tar.gz). */
async function graphData(extra: TarEntry[] = []): Promise<Buffer> {
  return gzipFixed(
    await tarOf([
      { name: './', type: 'directory' },
      { name: './version', data: Buffer.from('1.2.0\n') },
      { name: './raw/', type: 'directory' },
      { name: './raw/metadata.json', data: Buffer.from(METADATA) },
      { name: './channels/', type: 'directory' },
      { name: './channels/stable-4.16.yaml', data: Buffer.from(CHANNEL) },
      { name: './blocked-edges/', type: 'directory' },
      { name: './blocked-edges/4.16.1-example.yaml', data: Buffer.from(BLOCKED) },
      ...extra,
    ]),
  );
}

/** The entries of a tar: name, type, owner and, for files, the text. */
async function entriesOf(tar: Buffer): Promise<Array<{ name: string; type: string; uid: number; gid: number; text?: string }>> {
  const extract = tarStream.extract();
  Readable.from([tar]).pipe(extract);
  const out: Array<{ name: string; type: string; uid: number; gid: number; text?: string }> = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
    const { name, type, uid, gid } = entry.header;
    out.push({ name, type, uid, gid, ...(type === 'file' ? { text: Buffer.concat(chunks).toString('utf8') } : {}) });
  }
  return out;
}

function context(staging: string, updateService: string): ResolveContext {
  return { registries, platforms: ALL_PLATFORMS, baseDir: work, staging, updateService };
}

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  site = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  server = teardown.add(await startStaticServer(), (started) => started.close());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-index'], fixtures['docker-schema2']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-graph-image-'));
  registries = registriesFor(source);
  server.files.set(GRAPH_DATA, { body: await graphData() });
});

afterAll(async () => {
  await registries.close();
  await teardown.run();
  await rm(work, { recursive: true, force: true });
});

describe('the update graph data image', () => {
  it('takes the tarball from the update service host, as oc-mirror takes it from api.openshift.com', () => {
    expect(graphDataUrl('https://api.openshift.com/api/upgrades_info/v1/graph').href).toBe('https://api.openshift.com/api/upgrades_info/graph-data');
    expect(graphDataUrl('http://127.0.0.1:8080/graph').href).toBe('http://127.0.0.1:8080/api/upgrades_info/graph-data');
    expect(() => graphDataUrl('ftp://example/graph')).toThrow(/not http\(s\)/);
  });

  it('is exported as a runnable image on every platform of its base: base layers, one graph data layer, oc-mirror Cmd', async () => {
    const base = fixtures['oci-index'];
    const staging = join(work, 'stage-index');
    await mkdir(staging);
    const resolved = await resolveGraphImage(context(staging, `${server.url}/api/upgrades_info/v1/graph`), { baseImage: `${source.host}/${base.repository}:${base.tag}` });
    expect(resolved.images).toEqual([]);
    expect(resolved.notes.join('\n')).toMatch(
      /4 files from http:\/\/127\.0\.0\.1:\d+\/api\/upgrades_info\/graph-data\) on .*oci-index@sha256:[0-9a-f]{64} \(2 platform\(s\)\), carried as openshift\/graph-image:latest/,
    );
    const [artifact] = resolved.artifacts ?? [];
    expect(artifact?.section).toBe('openshift.graph');
    expect(artifact?.target).toEqual({ path: 'openshift/graph-image', tag: 'latest' });

    const bundle = join(work, 'bundle-index');
    const summary = await exportBundle(
      { references: [], artifacts: resolved.artifacts ?? [], imageSet: { references: [], lists: [], platforms: [] }, target: bundle, platforms: ALL_PLATFORMS },
      registries,
    );
    const entry = summary.images.find((image) => image.name === 'openshift/graph-image:latest');
    expect(entry).toMatchObject({
      section: 'openshift.graph',
      mediaType: 'application/vnd.oci.image.index.v1+json',
      platforms: ['linux/amd64', 'linux/arm64/v8'],
      targets: [{ path: 'openshift/graph-image', tag: 'latest' }],
    });

    for (const arch of ['amd64', 'arm64']) {
      const config = JSON.parse((await runSkopeo(['inspect', '--override-arch', arch, '--config', `oci:${bundle}:openshift/graph-image:latest`])).toString('utf8')) as {
        architecture: string;
        config: { Cmd: string[]; Labels: Record<string, string> };
        rootfs: { diff_ids: string[] };
        history: Array<{ created_by?: string }>;
      };
      expect(config.architecture).toBe(arch);
      expect(config.config.Cmd).toEqual(['/bin/bash', '-c', 'exec cp -rp /var/lib/cincinnati-graph-data/* /var/lib/cincinnati/graph-data']);
      expect(config.config.Cmd).toEqual(GRAPH_IMAGE_CMD);
      // The base's config otherwise kept: its label, its history plus one entry for the new layer.
      expect(config.config.Labels['dev.ferry.fixture']).toBeDefined();
      expect(config.history.at(-1)?.created_by).toMatch(/update graph data from .* at \/var\/lib\/cincinnati-graph-data/);
      expect(config.history.length).toBe(config.rootfs.diff_ids.length);

      const raw = JSON.parse((await runSkopeo(['inspect', '--override-arch', arch, '--raw', `oci:${bundle}:openshift/graph-image:latest`])).toString('utf8')) as {
        manifests?: Array<{ digest: string; platform: { architecture: string } }>;
      };
      const child = raw.manifests?.find((m) => m.platform.architecture === arch);
      const manifest = JSON.parse(await readFile(join(bundle, 'blobs', 'sha256', (child?.digest ?? '').slice(7)), 'utf8')) as { layers: Array<{ mediaType: string; digest: string }> };
      const client = await registries.client(source.host);
      const baseIndex = await getManifest(client, base.repository, base.tag);
      if (baseIndex.kind !== 'index') throw new Error('the base is not an index');
      const baseManifest = await getManifest(client, base.repository, baseIndex.index.manifests.find((m) => m.platform?.architecture === arch)?.digest ?? '');
      if (baseManifest.kind !== 'image') throw new Error('base child is not an image manifest');
      // The base's layers by their own digests, then the graph data layer.
      expect(manifest.layers.slice(0, -1).map((l) => l.digest)).toEqual(baseManifest.manifest.layers.map((l) => l.digest));
      expect(config.rootfs.diff_ids.length).toBe(baseManifest.manifest.layers.length + 1);
      const added = manifest.layers.at(-1);
      expect(added?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
      const tar = gunzipSync(await readFile(join(bundle, 'blobs', 'sha256', (added?.digest ?? '').slice(7))));
      expect(config.rootfs.diff_ids.at(-1)).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
      const entries = await entriesOf(tar);
      expect(entries.map((e) => `${e.type} ${e.name}`)).toEqual([
        'directory var/lib/cincinnati-graph-data/',
        'file var/lib/cincinnati-graph-data/version',
        'directory var/lib/cincinnati-graph-data/raw/',
        'file var/lib/cincinnati-graph-data/raw/metadata.json',
        'directory var/lib/cincinnati-graph-data/channels/',
        'file var/lib/cincinnati-graph-data/channels/stable-4.16.yaml',
        'directory var/lib/cincinnati-graph-data/blocked-edges/',
        'file var/lib/cincinnati-graph-data/blocked-edges/4.16.1-example.yaml',
      ]);
      expect(entries.every((e) => e.uid === 0 && e.gid === 0)).toBe(true);
      expect(entries.find((e) => e.name.endsWith('stable-4.16.yaml'))?.text).toBe(CHANNEL);
    }

    const verified = await runFerry('verify', bundle);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const imported = await runFerry('import', bundle, '--to', `${site.host}/site`, ...flags);
    expect(imported.code, imported.stderr).toBe(0);
    const siteRegistries = registriesFor(site);
    try {
      const landed = await getManifest(await siteRegistries.client(site.host), 'site/openshift/graph-image', 'latest');
      expect(landed.digest).toBe(entry?.digest);
    } finally {
      await siteRegistries.close();
    }
  });

  it('keeps a Docker schema2 base in Docker media types', async () => {
    const base = fixtures['docker-schema2'];
    const staging = join(work, 'stage-docker');
    await mkdir(staging);
    const resolved = await resolveGraphImage(context(staging, server.url), { baseImage: `${source.host}/${base.repository}:${base.tag}` });
    const bundle = join(work, 'bundle-docker');
    const summary = await exportBundle(
      { references: [], artifacts: resolved.artifacts ?? [], imageSet: { references: [], lists: [], platforms: [] }, target: bundle, platforms: ALL_PLATFORMS },
      registries,
    );
    const [entry] = summary.images;
    expect(entry?.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    // skopeo 1.9 reads only OCI media types from a layout's index.json: the manifest and config are read from the bundle's blobs.
    const blob = (digest: string): Promise<string> => readFile(join(bundle, 'blobs', 'sha256', digest.slice(7)), 'utf8');
    const manifest = JSON.parse(await blob(entry?.digest ?? '')) as { config: { digest: string }; layers: Array<{ mediaType: string }> };
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([...base.blobs.slice(1), 'the graph data'].map(() => 'application/vnd.docker.image.rootfs.diff.tar.gzip'));
    const config = JSON.parse(await blob(manifest.config.digest)) as { config: { Cmd: string[] }; rootfs: { diff_ids: string[] } };
    expect(config.config.Cmd).toEqual(GRAPH_IMAGE_CMD);
    expect(config.rootfs.diff_ids.length).toBe(manifest.layers.length);
  });

  it("is asked for by openshift.platform.graph, from the job's update service, and only then", async () => {
    const staging = join(work, 'stage-wiring');
    await mkdir(staging);
    // No channel (the schema asks for one; the channels' releases are openshift-platform.test.ts's): only the graph image is at stake here.
    const config = (graph: boolean): OpenShiftConfig => ({ platform: { channels: [], architectures: ['amd64'], graph }, releases: [], operators: [], additionalImages: [] });
    const served = server.files.get(GRAPH_DATA);
    const before = server.hits.get(GRAPH_DATA) ?? 0;
    try {
      // A tarball that is no tarball stops the resolver before it reaches for the default base image (registry.access.redhat.com).
      server.files.set(GRAPH_DATA, { body: Buffer.from('not a tarball') });
      expect(await resolveOpenShiftConfig(config(false), context(staging, server.url))).toEqual({ images: [], notes: [], artifacts: [] });
      expect(server.hits.get(GRAPH_DATA) ?? 0).toBe(before);
      await expect(resolveOpenShiftConfig(config(true), context(staging, `${server.url}/api/upgrades_info/v1/graph`))).rejects.toThrow(/graph-data is not a readable graph-data archive/);
      expect(server.hits.get(GRAPH_DATA)).toBe(before + 1);
    } finally {
      if (served) server.files.set(GRAPH_DATA, served);
    }
  });

  it("gives every entry oc-mirror's plain modes (folders 0755, files 0644), never setuid, setgid or sticky, and keeps a symlink that stays inside", async () => {
    const base = fixtures['oci-index'];
    const staging = join(work, 'stage-modes');
    await mkdir(staging);
    const served = server.files.get(GRAPH_DATA);
    server.files.set(GRAPH_DATA, {
      body: await graphData([
        { name: './bin/', type: 'directory', mode: 0o3777 },
        { name: './bin/setuid', data: Buffer.from('#!/bin/sh\n'), mode: 0o6755 },
        { name: './raw/shared.json', data: Buffer.from('{}'), mode: 0o1666 },
        { name: './channels/latest.yaml', type: 'symlink', linkname: 'stable-4.16.yaml' },
        { name: './raw/data.json', type: 'symlink', linkname: './metadata.json' },
      ]),
    });
    try {
      const resolved = await resolveGraphImage(context(staging, server.url), { baseImage: `${source.host}/${base.repository}:${base.tag}` });
      const layer = resolved.artifacts?.[0]?.layers[0]?.file ?? '';
      const extract = tarStream.extract();
      Readable.from([gunzipSync(await readFile(layer))]).pipe(extract);
      const modes = new Map<string, string>();
      for await (const entry of extract) {
        entry.resume();
        const { name, type, mode, linkname } = entry.header;
        modes.set(name, `${type} ${mode.toString(8)}${linkname ? ` -> ${linkname}` : ''}`);
      }
      const dir = 'var/lib/cincinnati-graph-data';
      expect(Object.fromEntries(modes)).toMatchObject({
        [`${dir}/`]: 'directory 755',
        [`${dir}/bin/`]: 'directory 755',
        [`${dir}/bin/setuid`]: 'file 644',
        [`${dir}/raw/shared.json`]: 'file 644',
        [`${dir}/version`]: 'file 644',
        [`${dir}/channels/latest.yaml`]: 'symlink 777 -> stable-4.16.yaml',
        [`${dir}/raw/data.json`]: 'symlink 777 -> ./metadata.json',
      });
    } finally {
      if (served) server.files.set(GRAPH_DATA, served);
    }
  });

  it('refuses a tarball that is not one, or whose entries leave the graph data folder, naming the URL', async () => {
    const base = fixtures['oci-index'];
    const staging = join(work, 'stage-bad');
    await mkdir(staging);
    const baseImage = `${source.host}/${base.repository}:${base.tag}`;
    const served = server.files.get(GRAPH_DATA);
    const serve = (body: Buffer): void => {
      server.files.set(GRAPH_DATA, { body });
    };
    try {
      serve(Buffer.from('not a tarball'));
      await expect(resolveGraphImage(context(staging, server.url), { baseImage })).rejects.toThrow(/api\/upgrades_info\/graph-data is not a readable graph-data archive/);
      serve(await graphData([{ name: './channels/../../etc/passwd', data: Buffer.from('x') }]));
      await expect(resolveGraphImage(context(staging, server.url), { baseImage })).rejects.toThrow(/entry "\.\/channels\/\.\.\/\.\.\/etc\/passwd" leads out of the graph data folder/);
      serve(await graphData([{ name: './fifo', type: 'fifo' }]));
      await expect(resolveGraphImage(context(staging, server.url), { baseImage })).rejects.toThrow(/entry "\.\/fifo" is a fifo/);
      serve(await graphData([{ name: './channels/passwd', type: 'symlink', linkname: '/etc/passwd' }]));
      await expect(resolveGraphImage(context(staging, server.url), { baseImage })).rejects.toThrow(/symlink "\.\/channels\/passwd" points to "\/etc\/passwd", outside the graph data folder/);
      // Lexically inside, but `up` points to the root, so `up/../etc` would resolve above it.
      serve(await graphData([{ name: './channels/up', type: 'symlink', linkname: '..' }]));
      await expect(resolveGraphImage(context(staging, server.url), { baseImage })).rejects.toThrow(/symlink "\.\/channels\/up" points to "\.\."/);
      serve(await graphData([{ name: './channels/etc', type: 'symlink', linkname: '../raw/../../etc' }]));
      await expect(resolveGraphImage(context(staging, server.url), { baseImage })).rejects.toThrow(/symlink "\.\/channels\/etc" points to "\.\.\/raw\/\.\.\/\.\.\/etc", outside the graph data folder/);
      serve(await graphData([{ name: './channels/nowhere', type: 'symlink', linkname: '' }]));
      await expect(resolveGraphImage(context(staging, server.url), { baseImage })).rejects.toThrow(/symlink "\.\/channels\/nowhere" points to ""/);
    } finally {
      if (served) server.files.set(GRAPH_DATA, served);
    }
    await expect(resolveGraphImage(context(staging, 'http://127.0.0.1:1/'), { baseImage })).rejects.toThrow(/openshift\.platform\.graph/);
  });
});
