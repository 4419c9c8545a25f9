/**
 * Local artifacts (image sets' `files:`) through export, verify and import
 * against real registries: the bundle records them as images of format 2,
 * verification walks them like any graph, and the registry ends up holding an
 * OCI artifact whose layers are the very bytes of the files, titled as oras does.
 */
import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getManifest } from '../../src-main/oci/registry/manifests.ts';
import { readBlobToBuffer } from '../../src-main/oci/registry/blobs.ts';
import { exportBundle } from '../../src-main/transfer/export.ts';
import { startFileServer } from '../../src-main/server/file-server.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let target: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
const flags = ['--plain-http', '--authfile', emptyAuthFile];
const teardown = new Teardown();

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  target = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-artifacts-'));
  await mkdir(join(work, 'docs', 'guides'), { recursive: true });
  await writeFile(join(work, 'docs', 'README.md'), '# KET offline\n');
  await writeFile(join(work, 'docs', 'guides', 'upgrade.md'), 'seed the registry first\n');
  await writeFile(join(work, 'plan.yaml'), 'cluster:\n  name: ket\n');
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

interface FerryJson {
  formatVersion: number;
  images: Array<{ name: string; source: string; digest: string; artifactType?: string; section?: string; targets?: Array<{ path: string; tag?: string }> }>;
}

async function writeSet(name: string): Promise<string> {
  const set = join(work, name);
  await writeFile(
    set,
    [
      'images:',
      `  - ${source.host}/${fixtures['oci-single'].repository}:${fixtures['oci-single'].tag}`,
      'files:',
      '  - path: plan.yaml',
      '    target: ket/plan:v1.6',
      '  - path: docs',
      '    target: ket/docs:v1.6',
      '    artifactType: application/vnd.example.docs.v1',
      '    mediaType: text/markdown',
      '',
    ].join('\n'),
  );
  return set;
}

describe('files: artifacts', () => {
  for (const form of ['directory', 'archive'] as const) {
    it(`round-trips through a ${form} bundle: export, verify, import, pulled back byte for byte`, async () => {
      const set = await writeSet(`set-${form}.yaml`);
      const bundle = join(work, `bundle-${form}`);
      const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags, ...(form === 'archive' ? ['--archive'] : []));
      expect(exported.code, exported.stderr).toBe(0);
      const ferry = JSON.parse(await readFile(join(bundle, 'ferry.json'), 'utf8')) as FerryJson;
      expect(ferry.formatVersion).toBe(2);
      const plan = ferry.images.find((i) => i.name === 'ket/plan:v1.6');
      expect(plan).toMatchObject({ source: 'file:plan.yaml', section: 'files', artifactType: 'application/vnd.ferry.files.v1', targets: [{ path: 'ket/plan', tag: 'v1.6' }] });
      expect(ferry.images.find((i) => i.name === 'ket/docs:v1.6')?.artifactType).toBe('application/vnd.example.docs.v1');

      const verified = await runFerry('verify', bundle);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      // The report lists the artifacts with their sizes and files beside the image.
      expect(verified.stdout).toMatch(/\n {2}image +\S+\/oci-single:\S+ +[\d.]+ \w*B\n/);
      expect(verified.stdout).toMatch(/\n {2}files +ket\/docs:v1\.6 +[\d.]+ \w*B +\(2 files: README\.md, guides\/upgrade\.md\)\n/);
      const inspected = await runFerry('inspect', bundle, '--json');
      expect(inspected.code, inspected.stderr).toBe(0);
      const listing = JSON.parse(inspected.stdout) as { images: Array<{ name: string; kind: string; files?: Array<{ title: string; size: number }> }> };
      expect(listing.images.find((i) => i.name === 'ket/plan:v1.6')).toMatchObject({ kind: 'files', files: [{ title: 'plan.yaml', size: 21 }] });
      expect(listing.images.find((i) => i.name.includes('oci-single'))?.kind).toBe('image');

      const imported = await runFerry('import', bundle, '--to', `${target.host}/site-${form}`, ...flags);
      expect(imported.code, imported.stderr).toBe(0);

      const registries = registriesFor(target);
      try {
        const client = await registries.client(target.host);
        const docs = await getManifest(client, `site-${form}/ket/docs`, 'v1.6');
        if (docs.kind !== 'image') throw new Error('docs is not an image manifest');
        expect(docs.manifest.artifactType).toBe('application/vnd.example.docs.v1');
        expect(docs.manifest.config.mediaType).toBe('application/vnd.oci.empty.v1+json');
        const titles = docs.manifest.layers.map((l) => [l.annotations?.['org.opencontainers.image.title'], l.mediaType]);
        expect(titles).toEqual([
          ['README.md', 'text/markdown'],
          ['guides/upgrade.md', 'text/markdown'],
        ]);
        // Pulled back by digest: the bytes of the file, exactly.
        const byDigest = await getManifest(client, `site-${form}/ket/plan`, plan?.digest ?? '');
        if (byDigest.kind !== 'image') throw new Error('plan is not an image manifest');
        const [layer] = byDigest.manifest.layers;
        if (!layer) throw new Error('plan has no layer');
        expect(await readBlobToBuffer(client, `site-${form}/ket/plan`, layer)).toEqual(await readFile(join(work, 'plan.yaml')));
        // The pulled image beside them landed where it always does.
        expect((await getManifest(client, `site-${form}/${fixtures['oci-single'].repository}`, fixtures['oci-single'].tag)).digest).toBe(fixtures['oci-single'].manifestDigest);
      } finally {
        await registries.close();
      }
    });
  }

  it('the same files give the same artifact digest, so an export run again finds its bundle complete', async () => {
    const set = await writeSet('set-again.yaml');
    const bundle = join(work, 'bundle-again');
    expect((await runFerry('export', '--to', bundle, '--set', set, ...flags)).code).toBe(0);
    const again = await runFerry('export', '--to', bundle, '--set', set, ...flags, '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyComplete: true });
  });

  it('a file changed after planning is refused by name, before the bundle is sealed', async () => {
    const file = join(work, 'changing.txt');
    await writeFile(file, 'first\n');
    const registries = registriesFor(source);
    try {
      const error = await failure(
        exportBundle(
          {
            references: [],
            imageSet: { references: [], lists: [], platforms: [] },
            target: join(work, 'bundle-changed'),
            platforms: ALL_PLATFORMS,
            artifacts: [
              {
                source: 'file:changing.txt',
                target: { path: 'ket/changing', tag: 'v1' },
                section: 'files',
                artifactType: 'application/vnd.ferry.files.v1',
                config: { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') },
                layers: [{ mediaType: 'application/octet-stream', file, title: 'changing.txt' }],
              },
            ],
            // Told after planning, before the first byte is written: the file changes in between.
            onImageBlobs: () => appendFileSync(file, 'second\n'),
          },
          registries,
        ),
      );
      expect(error.message).toContain(file);
      expect(error.message).toMatch(/changed after it was planned|does not match/);
      await expect(readFile(join(work, 'bundle-changed', 'ferry.json'))).rejects.toThrow();
    } finally {
      await registries.close();
    }
  });

  it('a URL is downloaded on the connected side and checked against its sha256', async () => {
    const served = join(work, 'served');
    await mkdir(served, { recursive: true });
    const tool = Buffer.from('#!/bin/sh\necho kismatic\n');
    await writeFile(join(served, 'kismatic.sh'), tool);
    const server = await startFileServer({ root: served, host: '127.0.0.1', port: 0 });
    try {
      const hex = createHash('sha256').update(tool).digest('hex');
      const set = join(work, 'url.yaml');
      const entry = (sha: string): string => ['files:', `  - url: ${server.url}kismatic.sh`, `    sha256: '${sha}'`, '    target: ket/tools:v1', ''].join('\n');
      await writeFile(set, entry(hex));
      const bundle = join(work, 'bundle-url');
      const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags);
      expect(exported.code, exported.stderr).toBe(0);
      const extracted = await runFerry('extract', bundle, 'ket/tools:v1', '--to', join(work, 'tools'));
      expect(extracted.code, extracted.stderr).toBe(0);
      expect(await readFile(join(work, 'tools', 'kismatic.sh'))).toEqual(tool);
      await writeFile(set, entry('0'.repeat(64)));
      const refused = await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`${server.url}kismatic.sh: downloaded content has sha256 ${hex}, the image set expects ${'0'.repeat(64)}`);
    } finally {
      await server.close();
    }
  });

  it('a symlink leading out of a files: folder is refused by name', async () => {
    await mkdir(join(work, 'leaky'), { recursive: true });
    await writeFile(join(work, 'leaky', 'ok.txt'), 'ok');
    await symlink(join(work, 'plan.yaml'), join(work, 'leaky', 'out.yaml'));
    const set = join(work, 'leaky.yaml');
    await writeFile(set, 'files:\n  - path: leaky\n    target: ket/leaky\n');
    const refused = await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run');
    expect(refused.stderr).toContain('out.yaml is a symlink leading out of');
  });

  it('an unknown key of a files: entry is refused by name, and so is an entry with neither path nor url', async () => {
    const set = join(work, 'bad-files.yaml');
    await writeFile(set, 'files:\n  - path: plan.yaml\n    target: ket/plan\n    tagg: v1\n');
    const bad = await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run');
    expect(bad.stderr).toContain('tagg is not a known key');
    await writeFile(set, 'files:\n  - target: ket/plan\n');
    expect((await runFerry('export', '--to', join(work, 'never'), '--set', set, ...flags, '--dry-run')).stderr).toContain('needs exactly one of path (a file or folder) and url');
  });
});
