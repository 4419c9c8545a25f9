/**
 * The officer's inspector on the engine side (issue 17): each image's
 * platforms, layers and config labels from a verified view, labels read only
 * through digest-checked bytes; a damaged blob tied to the image (and
 * platform) it belongs to in the verify report; and report:save writing a new
 * file in the folder given, never over one that exists.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtures, writeFixtureLayout, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { imageDetails } from '../../src-main/usecases/image-details.ts';
import { verifyWithView } from '../../src-main/usecases/verify.ts';
import { saveReport } from '../../src-main/service/inspector.ts';

let work: string;
let fixtures: Record<FixtureName, FixtureImage>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-image-details-'));
  fixtures = await buildFixtures();
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A verified layout of one fixture. */
async function layoutOf(name: FixtureName, folder: string): Promise<string> {
  const dir = join(work, folder);
  await writeFixtureLayout(fixtures[name], dir);
  return dir;
}

/** Flips one bit in the middle of a blob file of a layout. */
async function flip(dir: string, digest: string): Promise<void> {
  const file = join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const bytes = await readFile(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 1;
  await writeFile(file, bytes);
}

describe('imageDetails', () => {
  it('answers an index per platform: its manifest, layers with sizes and media types, and the config labels', async () => {
    const { view } = await verifyWithView(await layoutOf('oci-index', 'index'));
    if (!view) throw new Error('the fixture layout did not verify');
    const { images, more } = await imageDetails(view);
    expect(more).toBe(0);
    expect(images).toHaveLength(1);
    const image = images[0];
    expect(image?.digest).toBe(fixtures['oci-index'].manifestDigest);
    expect(image?.platforms.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64/v8']);
    const layers = image?.platforms.flatMap((p) => p.layers.map((l) => l.digest)) ?? [];
    for (const digest of layers) expect(fixtures['oci-index'].blobs.map((b) => b.digest)).toContain(digest);
    expect(image?.platforms[0]?.layers[0]?.mediaType).toMatch(/^application\/vnd\.oci\.image\.layer\.v1\.tar/);
    expect(image?.platforms.map((p) => p.labels)).toEqual([{ 'dev.ferry.fixture': 'oci-index-amd64' }, { 'dev.ferry.fixture': 'oci-index-arm64' }]);
  });

  it('reads no config with labels: false, and gives a single image its platform from the config', async () => {
    const { view } = await verifyWithView(await layoutOf('oci-single', 'single'));
    if (!view) throw new Error('the fixture layout did not verify');
    const bare = await imageDetails(view, { labels: false });
    expect(bare.images[0]?.platforms[0]?.labels).toBeUndefined();
    expect(bare.images[0]?.platforms[0]?.platform).toBeUndefined();
    const full = await imageDetails(view, { images: [bare.images[0]?.name ?? ''] });
    expect(full.images[0]?.platforms[0]?.platform).toBe('linux/amd64');
    expect(Object.keys(full.images[0]?.platforms[0]?.labels ?? {})).toEqual(['dev.ferry.fixture']);
    await expect(imageDetails(view, { images: ['no-such-image'] })).rejects.toThrow(/holds no image named no-such-image/);
  });

  it('refuses a config changed on the media after verification: labels are read only from bytes that match the digest', async () => {
    const dir = await layoutOf('oci-single', 'swapped');
    const { view } = await verifyWithView(dir);
    if (!view) throw new Error('the fixture layout did not verify');
    const config = (await imageDetails(view, { labels: false })).images[0]?.platforms[0]?.config?.digest ?? '';
    await flip(dir, config);
    await expect(imageDetails(view)).rejects.toThrow(/digest|does not match/);
  });
});

describe('a damaged blob in the verify report', () => {
  it('names the image and platform the damaged layer belongs to', async () => {
    const dir = await layoutOf('oci-index', 'damaged');
    const { view: good } = await verifyWithView(dir);
    const layer = good?.manifests.get(fixtures['oci-index'].manifests[2]?.digest ?? '')?.children.find((c) => c.role === 'layer')?.descriptor.digest;
    if (!layer) throw new Error('the fixture has no layer under its second platform');
    await flip(dir, layer);
    const { report, view } = await verifyWithView(dir);
    expect(view).toBeUndefined();
    const blobs = report.checks.find((check) => check.id === 'blobs');
    expect(blobs?.ok).toBe(false);
    const line = blobs?.problems.find((problem) => problem.includes('belongs to'));
    expect(line).toContain(layer);
    expect(line).toMatch(/belongs to image \S+ \(layer of linux\/arm64\/v8\)/);
  });
});

describe('report:save', () => {
  it('writes the report into the folder, never over a file that exists, and refuses a name with a folder in it', async () => {
    const folder = join(work, 'reports');
    await rm(folder, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(folder));
    const first = await saveReport({ folder, name: 'ferry-report.html', text: '<p>one</p>' });
    const second = await saveReport({ folder, name: 'ferry-report.html', text: '<p>two</p>' });
    expect(first.path).toBe(join(folder, 'ferry-report.html'));
    expect(second.path).toBe(join(folder, 'ferry-report (2).html'));
    expect(await readFile(first.path, 'utf8')).toBe('<p>one</p>');
    await expect(saveReport({ folder, name: '../escape.html', text: 'x' })).rejects.toThrow(/not a report file name/);
    await expect(saveReport({ folder, name: 'report.sh', text: 'x' })).rejects.toThrow(/not a report file name/);
    await expect(saveReport({ folder: join(folder, 'missing'), name: 'r.html', text: 'x' })).rejects.toThrow(/is not a folder/);
  });
});
