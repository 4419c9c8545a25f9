import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBack } from '../../src-main/bundle/read-back.ts';
import { verifyBundle } from '../../src-main/bundle/verify.ts';
import { PartWriter } from '../../src-main/bundle/parts.ts';
import { sameJob, type ExportState } from '../../src-main/bundle/export-state.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { mountFat32 } from '../harness/mounts.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;

const teardown = new Teardown();

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['big-layers']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-integrity-'));
});

afterAll(() => teardown.run());

const refOf = (name: FixtureName) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`;
const exportTo = (dir: string, ...rest: string[]) => runFerry('export', '--to', dir, '--plain-http', '--authfile', emptyAuthFile, ...rest);

describe('read-back refuses what ferry.json does not vouch for', () => {
  it('an extra file, and an index.json that names other images', async () => {
    const dir = join(work, 'dir-bundle');
    expect((await exportTo(dir, refOf('oci-single'))).code).toBe(0);
    await writeFile(join(dir, 'blobs', 'sha256', 'c'.repeat(64)), 'smuggled');
    await expect(readBack(dir)).rejects.toThrow(/files ferry.json does not list: blobs\/sha256\/c{64}/);
    const clean = join(work, 'dir-bundle-2');
    expect((await exportTo(clean, refOf('oci-single'))).code).toBe(0);
    const index = JSON.parse(await readFile(join(clean, 'index.json'), 'utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
    const first = index.manifests[0];
    if (first) first.annotations['org.opencontainers.image.ref.name'] = 'evil.example.com/other:v1';
    await writeFile(join(clean, 'index.json'), JSON.stringify(index));
    // ferry.json pins index.json's bytes (issue 14): the pin is what readBack names first; the graph check sees the other images too.
    await expect(readBack(clean)).rejects.toThrow(/index.json does not match its pin in ferry.json/);
    const report = await verifyBundle(clean);
    expect(report.checks.find((c) => c.id === 'graph')?.problems.join('\n')).toMatch(/index.json does not list the images ferry.json lists/);
  });

  it('an archive whose parts check out but hold an entry that is not allowed: refused, not hung', async () => {
    const dir = await mkdtemp(join(work, 'evil-'));
    const writer = new PartWriter({ dir, partSize: 1024 * 1024 });
    const pack = tarStream.pack();
    const pumping = (async () => {
      for await (const chunk of pack) await writer.write(chunk as Buffer);
    })();
    pack.entry({ name: 'evil', size: 4 }, Buffer.from('evil'));
    const big = Buffer.alloc(8 * 1024 * 1024, 1);
    pack.entry({ name: `blobs/sha256/${createHash('sha256').update(big).digest('hex')}`, size: big.length }, big);
    pack.finalize();
    await pumping;
    const parts = await writer.finish();
    const manifest: BundleManifest = {
      formatVersion: 1,
      bundleId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      sequence: 1,
      created: new Date().toISOString(),
      exporter: { host: 'h', user: 'u', ferryVersion: '0' },
      form: 'archive',
      imageSet: { references: [], lists: [], platforms: [] },
      images: [],
      blobs: [{ digest: `sha256:${createHash('sha256').update(big).digest('hex')}`, size: big.length }],
      parts,
      parent: null,
    };
    await writeFile(join(dir, 'ferry.json'), JSON.stringify(manifest));
    await expect(readBack(dir)).rejects.toThrow(/not allowed: "evil"/);
  });
});

describe('export refuses or survives what it cannot own', () => {
  it("a folder holding another tool's OCI layout is not reused", async () => {
    const dir = await mkdtemp(join(work, 'skopeo-layout-'));
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(dir, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    const result = await exportTo(dir, refOf('oci-single'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no Ferry export journal');
  });

  it('a drive that fills up mid-write fails with an I/O error naming the file instead of hanging', async () => {
    // fusefat reports no free-space figure, so the preflight cannot catch this; the write itself must.
    const drive = await mountFat32(6 * 1024 * 1024);
    try {
      const started = Date.now();
      const result = await exportTo(join(drive.dir, 'b'), refOf('big-layers'), '--archive');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/cannot .*part-000000\.tar/);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await drive.unmount();
    }
  });
});

it('a journal is reused only for the same content under the same names', () => {
  const job: Pick<ExportState, 'form' | 'partSize' | 'content' | 'index'> = { form: 'archive', partSize: 1024, content: ['sha256:a', 'sha256:b'], index: 'i1' };
  const state: ExportState = { version: 1, bundleId: 'x', created: '2026-01-01T00:00:00Z', parts: [], ...job };
  expect(sameJob(state, job)).toBe(true);
  expect(sameJob(state, { ...job, index: 'i2' })).toBe(false);
  expect(sameJob(state, { ...job, content: ['sha256:b', 'sha256:a'] })).toBe(false);
  expect(sameJob(state, { ...job, partSize: 2048 })).toBe(false);
  expect(sameJob(state, { ...job, form: 'directory' })).toBe(false);
});
