/**
 * The catalog as the app's catalog screen reads it (issue 17): an export and an
 * import of one bundle are two events, the search finds what the screen shows
 * (a digest's first 12 characters, an id prefix, an image's short name), and a
 * bundle opens with its events, images and receipts; sites and receipts list.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { ImportReceipt } from '../../src-main/bundle/receipt.ts';
import { Catalog } from '../../src-main/catalog/index.ts';
import { listBundles, queryCatalog } from '../../src-main/usecases/catalog.ts';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(4, '0')}${'ab'.repeat(30)}`;

function manifest(id: string, created: string, channel?: string, sequence = 1): BundleManifest {
  return {
    formatVersion: 1,
    bundleId: id,
    sequence,
    created,
    exporter: { host: 'h', user: 'u', ferryVersion: '0.1.0' },
    form: 'directory',
    imageSet: { references: [], lists: [], platforms: [] },
    images: [
      {
        name: 'oci-single:v1',
        source: 'registry.local:5000/fixtures/oci-single:v1',
        tag: 'v1',
        digest: digest(7),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        platforms: ['linux/amd64'],
        size: 1234,
      },
    ],
    blobs: [
      { digest: digest(1), size: 100 },
      { digest: digest(2), size: 200 },
    ],
    parts: [],
    parent: null,
    ...(channel === undefined ? {} : { channel }),
  };
}

const manifestDigest = (m: BundleManifest): string => `sha256:${createHash('sha256').update(JSON.stringify(m)).digest('hex')}`;

function receipt(bundleId: string): ImportReceipt {
  return {
    receiptVersion: 1,
    site: null,
    registry: 'mirror.local:5000/imported',
    bundleId,
    importedAt: '2026-12-03T04:00:00.000Z',
    images: [{ name: 'oci-single:v1', source: 'registry.local:5000/fixtures/oci-single:v1', destination: 'mirror.local:5000/imported/fixtures/oci-single:v1@' + digest(7), digest: digest(7) }],
    digests: [digest(1), digest(2)],
  };
}

let dir: string;
let catalog: Catalog;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-catalog-views-'));
  catalog = Catalog.open(join(dir, 'catalog.sqlite'));
});
afterEach(async () => {
  catalog.close();
  await rm(dir, { recursive: true, force: true });
});

describe('an export and an import of the same bundle on one machine', () => {
  it('keeps both as events: the listing shows two rows, the bundle opens with both', () => {
    const m = manifest('0123456789abcdef0123', '2026-12-03T03:00:00.000Z', 'lab/images', 4);
    catalog.recordBundle(m, { path: '/media/usb/bundle', direction: 'export', manifestDigest: manifestDigest(m) });
    catalog.recordBundle(m, { path: '/media/usb/bundle', direction: 'import', site: 'plant-7', manifestDigest: manifestDigest(m) });
    catalog.addReceipt(receipt(m.bundleId), 'plant-7');
    expect(catalog.bundles().map((row) => [row.direction, row.site])).toEqual([
      ['import', 'plant-7'],
      ['export', null],
    ]);
    // The export's sequence still counts for the next export on the channel.
    expect(catalog.highestSequence('lab/images', 'export')).toBe(4);
    expect(catalog.totalsPerMonth()).toEqual([{ month: '2026-12', bundles: 1, bytes: 300, exports: 1, imports: 1 }]);
    const detail = queryCatalog(catalog, { kind: 'bundle', bundleId: m.bundleId });
    expect(detail.events.map((event) => event.direction)).toEqual(['export', 'import']);
    expect(detail.images.map((image) => image.digest)).toEqual([digest(7)]);
    expect(detail.receipts).toMatchObject([{ site: 'plant-7', bundleId: m.bundleId, images: 1, digests: 3 }]);
    // Recording the export again updates its event instead of adding a third.
    catalog.recordBundle(m, { path: '/media/other/bundle', direction: 'export', manifestDigest: manifestDigest(m) });
    expect(catalog.bundleEvents(m.bundleId).map((event) => [event.direction, event.path])).toEqual([
      ['export', '/media/other/bundle'],
      ['import', '/media/usb/bundle'],
    ]);
  });
});

describe('the catalog search', () => {
  beforeEach(() => {
    const m = manifest('0123456789abcdef0123', '2026-12-03T03:00:00.000Z');
    catalog.recordBundle(m, { path: '/media/usb/bundle', direction: 'export', manifestDigest: manifestDigest(m) });
    const other = { ...manifest('fedcba9876543210', '2026-11-01T00:00:00.000Z'), images: [], blobs: [{ digest: digest(3), size: 5 }] };
    catalog.recordBundle(other, { path: '/media/usb/other', direction: 'export', manifestDigest: manifestDigest(other) });
  });
  const found = (text: string): string[] => listBundles(catalog, { contains: text }).map((row) => row.id);
  it('finds a bundle by the short digest the app shows, with or without sha256:, of an image or a blob', () => {
    expect(found(digest(7).slice(0, 19))).toEqual(['0123456789abcdef0123']);
    expect(found(digest(2).slice(7, 19))).toEqual(['0123456789abcdef0123']);
    expect(found(digest(3).slice(0, 19))).toEqual(['fedcba9876543210']);
    expect(found(digest(7))).toEqual(['0123456789abcdef0123']);
  });
  it('finds a bundle by a bundle id prefix and by part of an image name', () => {
    expect(found('fedcba98')).toEqual(['fedcba9876543210']);
    expect(found('0123456789ab')).toEqual(['0123456789abcdef0123']);
    expect(found('oci-single')).toEqual(['0123456789abcdef0123']);
    expect(found('fixtures/oci')).toEqual(['0123456789abcdef0123']);
  });
  it('takes LIKE wildcards literally and finds nothing for what is not there', () => {
    expect(found('%')).toEqual([]);
    expect(found('nginx')).toEqual([]);
    expect(found('sha256:')).toEqual([]);
  });
});

describe('sites and receipts', () => {
  it('lists each site with receipts, images, bytes and last import, and receipts newest first', () => {
    const m = manifest('0123456789abcdef0123', '2026-12-03T03:00:00.000Z');
    catalog.recordBundle(m, { path: '/media/usb/bundle', direction: 'export', manifestDigest: manifestDigest(m) });
    catalog.addReceipt(receipt(m.bundleId), 'plant-7');
    expect(catalog.siteOverviews()).toEqual([
      { name: 'plant-7', registries: ['mirror.local:5000/imported'], receipts: 1, lastImport: '2026-12-03T04:00:00.000Z', images: 1, digests: 3, bytes: 300, unsized: 1 },
    ]);
    expect(catalog.receipts()).toMatchObject([{ site: 'plant-7', registry: 'mirror.local:5000/imported', bundleId: m.bundleId, images: 1, digests: 3 }]);
    catalog.audit('test', 'subject');
    const audit = queryCatalog(catalog, { kind: 'auditLog' });
    expect(audit.check.ok).toBe(true);
    expect(audit.entries.map((entry) => entry.action)).toEqual(['test']);
  });
});
