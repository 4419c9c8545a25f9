import { describe, expect, it } from 'vitest';
import { parseBundleManifest } from '../../src-shared/bundle-schema.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';

const digest = `sha256:${'a'.repeat(64)}`;
const valid: BundleManifest = {
  formatVersion: 1,
  bundleId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  sequence: 1,
  created: '2026-11-21T20:00:00.000Z',
  exporter: { host: 'laptop', user: 'engineer', ferryVersion: '0.1.0' },
  form: 'archive',
  imageSet: { references: ['quay.io/org/app:v1'], lists: [{ file: 'images.txt', references: [] }], platforms: [] },
  images: [{ name: 'quay.io/org/app:v1', source: 'quay.io/org/app:v1', tag: 'v1', digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', platforms: ['linux/amd64'], size: 10 }],
  blobs: [{ digest, size: 10 }],
  parts: [{ name: 'part-000000.tar', size: 4096, sha256: 'b'.repeat(64) }],
  parent: null,
};

describe('ferry.json schema', () => {
  it('accepts a valid manifest', () => {
    expect(parseBundleManifest(JSON.stringify(valid), 'ferry.json')).toEqual(valid);
  });

  it('names every broken field and the file', () => {
    const broken = { ...valid, formatVersion: 2, extra: true, blobs: [{ digest: 'sha256:XYZ', size: -1 }], parts: [{ name: '../etc/passwd', size: 1, sha256: 'b'.repeat(64) }] } as Record<string, unknown>;
    delete broken.bundleId;
    let message = '';
    try {
      parseBundleManifest(JSON.stringify(broken), '/media/usb/b/ferry.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('/media/usb/b/ferry.json does not match the bundle schema');
    for (const problem of ['$.formatVersion: must be 1', '$.bundleId: is missing', '$.extra: is not allowed', '$.blobs[0].digest', '$.blobs[0].size: must be at least 0', '$.parts[0].name']) expect(message).toContain(problem);
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parseBundleManifest('{"formatVersion": 1,', 'x/ferry.json')).toThrow(/x\/ferry.json is not valid JSON/);
  });
});
