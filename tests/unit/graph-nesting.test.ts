/**
 * Issue 11, finding 5: manifest graphs are walked without recursion and with a
 * nesting limit. A chain of 20,000 nested indexes must give verify's report (a
 * failed graph check naming the image and the depth), never a RangeError, and
 * a chain just within the limit still verifies.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src-main/bundle/verify.ts';
import { MAX_INDEX_NESTING } from '../../src-main/oci/media-types.ts';
import { describe as descriptorOf, imageConfig, imageManifest, imageIndex, jsonContent, MediaTypes, writeOciLayout, type Content } from '../harness/fixture-content.ts';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-nesting-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A plain OCI layout whose one image is an image manifest wrapped in `levels` nested indexes. */
async function nestedLayout(name: string, levels: number): Promise<string> {
  const dir = join(work, name);
  const layer = jsonContent('application/vnd.oci.image.layer.v1.tar', { layer: name });
  const config = imageConfig(MediaTypes.ociConfig, { os: 'linux', architecture: 'amd64' }, [], name);
  const blobs: Content[] = [layer, config];
  let top = imageManifest(MediaTypes.ociManifest, config, [layer]);
  blobs.push(top);
  for (let level = 0; level < levels; level += 1) {
    top = imageIndex(MediaTypes.ociIndex, [descriptorOf(top)]);
    blobs.push(top);
  }
  await writeOciLayout(dir, blobs, [{ refName: `example.com/nested/${name}:v1`, descriptor: descriptorOf(top) }]);
  return dir;
}

describe('nested indexes', () => {
  it('20,000 nested indexes: verify returns a report naming the graph check, the image and the depth', async () => {
    const dir = await nestedLayout('deep', 20_000);
    const report = await verifyBundle(dir);
    expect(report.ok).toBe(false);
    const graph = report.checks.find((check) => check.id === 'graph');
    expect(graph?.ok).toBe(false);
    expect(graph?.problems.join('\n')).toMatch(new RegExp(`image example.com/nested/deep:v1: .*nested more than ${MAX_INDEX_NESTING} levels`));
    expect(report.checks.filter((check) => check.id !== 'graph').every((check) => check.ok)).toBe(true);
  }, 120_000);

  it('a chain within the limit verifies; one level more is refused', async () => {
    const within = await verifyBundle(await nestedLayout('within', MAX_INDEX_NESTING + 1));
    expect(within.checks.find((check) => !check.ok)).toBeUndefined();
    const beyond = await verifyBundle(await nestedLayout('beyond', MAX_INDEX_NESTING + 2));
    expect(beyond.checks.find((check) => check.id === 'graph')?.problems.join('\n')).toMatch(/image example.com\/nested\/beyond:v1: .*nested more than/);
  });
});
