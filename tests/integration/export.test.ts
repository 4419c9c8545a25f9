import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBack } from '../../src-main/bundle/read-back.ts';
import { openPartsStream } from '../../src-main/bundle/parts.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { skopeoCopyOut } from '../harness/bundle-oracle.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let target: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
const NAMES: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index', 'docker-list', 'artifact-referrer', 'empty-layer', 'big-layers'];

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, target] = await Promise.all([anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  await seedFixtures(source, Object.values(fixtures));
  work = await mkdtemp(join(tmpdir(), 'ferry-export-test-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

const refOf = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
const exportArgs = (dir: string, ...rest: string[]) => ['export', '--to', dir, '--plain-http', '--authfile', emptyAuthFile, ...rest];

/** Copies every image of a bundle layout back into the target registry with skopeo and checks its digest. */
async function roundTrip(layout: string, prefix: string): Promise<void> {
  for (const name of NAMES) {
    const fixture = fixtures[name];
    const dest = `docker://${target.host}/${prefix}/${name}:${fixture.tag}`;
    await skopeoCopyOut(layout, refOf(name), dest);
    expect(await skopeoInspectRawDigest(dest, target), name).toBe(fixture.manifestDigest);
  }
}

describe('ferry export, directory form', () => {
  it('--dry-run prints the plan and writes nothing', async () => {
    const dir = join(work, 'dry');
    const result = await runFerry(...exportArgs(dir, refOf('oci-index'), refOf('big-layers'), '--dry-run', '--json'));
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { images: unknown[]; blobs: number; bytes: number; dryRun: boolean };
    expect(plan.dryRun).toBe(true);
    expect(plan.images).toHaveLength(2);
    expect(plan.bytes).toBe(fixtures['oci-index'].totalSize + fixtures['big-layers'].totalSize);
    await expect(stat(dir)).rejects.toThrow();
  });

  it('round trip: registry → bundle → skopeo copy out gives identical digests for every fixture', async () => {
    const dir = join(work, 'directory');
    const list = join(work, 'all.txt');
    await writeFile(list, NAMES.map(refOf).join('\n'));
    const result = await runFerry(...exportArgs(dir, '--images', list, '--verify', '--json'));
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { form: string; verified: boolean; images: Array<{ name: string; digest: string }> };
    expect(summary.form).toBe('directory');
    expect(summary.verified).toBe(true);
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
    expect(manifest.images.map((i) => i.digest).sort()).toEqual(NAMES.map((n) => fixtures[n].manifestDigest).sort());
    expect(manifest.imageSet.lists[0]?.file).toBe('all.txt');
    expect((await readdir(dir)).sort()).toEqual(['blobs', 'ferry.json', 'index.json', 'oci-layout']);
    await roundTrip(dir, 'from-directory');
  });

  it('lists every unresolvable reference and writes nothing', async () => {
    const dir = join(work, 'unresolvable');
    const result = await runFerry(...exportArgs(dir, refOf('oci-single'), `${source.host}/nope/a:v1`, `${source.host}/nope/b:v1`));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('2 images cannot be resolved');
    expect(result.stderr).toContain('nope/a:v1');
    expect(result.stderr).toContain('nope/b:v1');
    await expect(stat(dir)).rejects.toThrow();
  });

  it('a rerun into a finished bundle says it is complete; a different image set is refused', async () => {
    const dir = join(work, 'rerun');
    expect((await runFerry(...exportArgs(dir, refOf('oci-single')))).code).toBe(0);
    const again = await runFerry(...exportArgs(dir, refOf('oci-single'), '--json'));
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyComplete: true });
    const other = await runFerry(...exportArgs(dir, refOf('docker-schema2')));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/already holds bundle .* with other images/);
  });

  it("refuses a folder with somebody else's files", async () => {
    const dir = await mkdtemp(join(work, 'foreign-'));
    await writeFile(join(dir, 'holiday-photos.jpg'), 'not a blob');
    const result = await runFerry(...exportArgs(dir, refOf('oci-single')));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('holiday-photos.jpg');
  });
});

describe('ferry export --archive', () => {
  it('no part exceeds --part-size, a blob spans parts, and the parts round-trip through skopeo', async () => {
    const dir = join(work, 'archive');
    const list = join(work, 'all-archive.txt');
    await writeFile(list, NAMES.map(refOf).join('\n'));
    const partSize = 1024 * 1024 + 17;
    const result = await runFerry(...exportArgs(dir, '--images', list, '--archive', '--part-size', String(partSize), '--verify', '--json'));
    expect(result.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
    expect(manifest.form).toBe('archive');
    expect(manifest.parts.length).toBeGreaterThan(10);
    for (const part of manifest.parts) {
      expect(part.size).toBeLessThanOrEqual(partSize);
      expect((await stat(join(dir, part.name))).size).toBe(part.size);
    }
    const big = Math.max(...manifest.blobs.map((b) => b.size));
    expect(big).toBeGreaterThan(partSize);
    expect((await readdir(dir)).filter((n) => !/^part-\d{6}\.tar$/.test(n)).sort()).toEqual(['ferry.json']);
    // Unpack the parts the way an air-gapped admin without Ferry would, and let skopeo read the layout.
    const layout = join(work, 'archive-unpacked');
    const extract = tarStream.extract();
    const unpacking = (async () => {
      for await (const entry of extract) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        const path = join(layout, entry.header.name);
        await mkdir(join(path, '..'), { recursive: true });
        await writeFile(path, Buffer.concat(chunks));
      }
    })();
    await pipeline(Readable.from(openPartsStream(dir, manifest.parts)), extract);
    await unpacking;
    await roundTrip(layout, 'from-archive');
  });

  it('--verify catches a flipped byte in a part, naming it', async () => {
    const dir = join(work, 'archive');
    const manifest = JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
    const part = manifest.parts[3];
    if (!part) throw new Error('too few parts');
    const path = join(dir, part.name);
    const bytes = await readFile(path);
    bytes[100] = (bytes[100] ?? 0) ^ 1;
    await writeFile(path, bytes);
    await expect(readBack(dir)).rejects.toThrow(part.name);
  });
});

describe('cancel', () => {
  it('an AbortSignal stops the export and leaves a folder that a rerun finishes', async () => {
    const { exportBundle } = await import('../../src-main/transfer/export.ts');
    const { parseReference } = await import('../../src-main/oci/reference.ts');
    const { registriesFor } = await import('../harness/ferry-access.ts');
    const dir = join(work, 'cancelled');
    const registries = registriesFor(source);
    const request = {
      references: [parseReference(refOf('big-layers')), parseReference(refOf('oci-index'))],
      imageSet: { references: [], lists: [], platforms: [] },
      target: dir,
      platforms: { kind: 'all' as const },
      concurrency: 1,
    };
    const controller = new AbortController();
    let sawBytes = false;
    await expect(
      exportBundle(
        {
          ...request,
          signal: controller.signal,
          onEvent: (event) => {
            if (event.type === 'blob' && event.progress.state === 'active' && event.progress.complete > 0) {
              sawBytes = true;
              controller.abort(new Error('user pressed cancel'));
            }
          },
        },
        registries,
      ),
    ).rejects.toThrow();
    expect(sawBytes).toBe(true);
    await expect(stat(join(dir, 'ferry.json'))).rejects.toThrow();
    await expect(readBack(dir)).rejects.toThrow(/not a finished bundle/);
    const summary = await exportBundle(request, registries);
    expect(summary.bundleId).toBeDefined();
    expect((await readBack(dir)).blobs).toBe(summary.blobs);
    await registries.close();
  });
});
