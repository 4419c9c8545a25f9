/**
 * Issue 11, finding 5: manifest graphs are walked without recursion and with a
 * nesting limit. A chain of 20,000 nested indexes must give verify's report (a
 * failed graph check naming the image and the depth), never a RangeError, and
 * a chain just within the limit still verifies; the import plan's walk over
 * the verified view refuses the same depth with a clear error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifiedBundle, VerifiedManifest } from '../../src-main/bundle/bundle-view.ts';
import { verifyBundle } from '../../src-main/bundle/verify.ts';
import { graphOf, planImport } from '../../src-main/transfer/import-plan.ts';
import { FerryError } from '../../src-shared/errors.ts';
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
  }, 300_000);

  it('a chain within the limit verifies; one level more is refused', async () => {
    const within = await verifyBundle(await nestedLayout('within', MAX_INDEX_NESTING + 1));
    expect(within.checks.find((check) => !check.ok)).toBeUndefined();
    const beyond = await verifyBundle(await nestedLayout('beyond', MAX_INDEX_NESTING + 2));
    expect(beyond.checks.find((check) => check.id === 'graph')?.problems.join('\n')).toMatch(/image example.com\/nested\/beyond:v1: .*nested more than/);
  });
});

describe('the import plan walks the verified view without recursion', () => {
  /** A verified view (as verification would hand it over) of one image wrapped in `levels` nested indexes. */
  function nestedView(levels: number): { view: VerifiedBundle; root: string } {
    const config = jsonContent(MediaTypes.ociConfig, { os: 'linux', architecture: 'amd64' });
    const layer = jsonContent(MediaTypes.ociLayerTar, { layer: 1 });
    let top = imageManifest(MediaTypes.ociManifest, config, [layer]);
    const manifests = new Map<string, VerifiedManifest>([
      [
        top.digest,
        {
          bytes: top.data,
          mediaType: top.mediaType,
          kind: 'image',
          children: [
            { role: 'config', descriptor: descriptorOf(config) },
            { role: 'layer', descriptor: descriptorOf(layer) },
          ],
        },
      ],
    ]);
    for (let level = 0; level < levels; level += 1) {
      const child = descriptorOf(top, { platform: { os: 'linux', architecture: 'amd64' } });
      top = imageIndex(MediaTypes.ociIndex, [child]);
      manifests.set(top.digest, { bytes: top.data, mediaType: top.mediaType, kind: 'index', children: [{ role: 'manifest', descriptor: child }] });
    }
    const index = Buffer.from('{}');
    const view: VerifiedBundle = {
      dir: '/media/nested',
      form: 'oci-layout',
      manifest: undefined,
      ferryJson: undefined,
      ferryJsonDigest: undefined,
      index: { bytes: index, entries: [] },
      indexDigest: 'sha256:0',
      images: [{ name: 'example.com/nested:v1', source: 'example.com/nested:v1', digest: top.digest, mediaType: top.mediaType }],
      manifests,
      sizes: new Map(),
    };
    return { view, root: top.digest };
  }

  it('a chain within the limit gives every manifest, children first, and the platforms', () => {
    const { view, root } = nestedView(MAX_INDEX_NESTING + 1);
    const graph = graphOf(view, root);
    expect(graph.manifests).toHaveLength(MAX_INDEX_NESTING + 2);
    expect(graph.manifests.at(-1)?.digest).toBe(root);
    expect(graph.manifests[0]?.mediaType).toBe(MediaTypes.ociManifest);
    expect(graph.blobs).toHaveLength(2);
    expect(graph.platforms).toEqual(['linux/amd64']);
  });

  it('20,000 nested indexes: a clear BUNDLE_INVALID naming the image and depth, not a RangeError', () => {
    const { view } = nestedView(20_000);
    let error: unknown;
    try {
      planImport(view, { registry: 'mirror.local:5000', prefix: '', keepRegistryHost: false });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('BUNDLE_INVALID');
    expect((error as FerryError).message).toMatch(
      new RegExp(`image example.com/nested:v1: index sha256:[0-9a-f]{64} is nested more than ${MAX_INDEX_NESTING} levels .*at depth ${MAX_INDEX_NESTING + 1}`),
    );
  });
});
