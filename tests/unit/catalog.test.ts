import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { ImportReceipt } from '../../src-main/bundle/receipt.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { Catalog, defaultCatalogPath, SCHEMA_VERSION, type RecordBundleOptions } from '../../src-main/catalog/index.ts';
import { defaultReceiptDir } from '../../src-main/bundle/receipt.ts';

/** A deterministic digest for a number, so fixtures read as "blob 7". */
const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

/** A small ferry.json: images `repo:tag` with manifest digest `d`, and blobs by number with size n * 100. */
function manifest(id: string, options: { created: string; blobs: number[]; images: Array<[string, string | undefined, number]>; sequence?: number; parent?: string }): BundleManifest {
  return {
    formatVersion: 1,
    bundleId: id,
    sequence: options.sequence ?? 1,
    created: options.created,
    exporter: { host: 'h', user: 'u', ferryVersion: '0.1.0' },
    form: 'directory',
    imageSet: { references: [], lists: [], platforms: [] },
    images: options.images.map(([repository, tag, d]) => ({
      name: `${repository}:${tag ?? 'pinned'}`,
      source: tag === undefined ? `${repository}@${digest(d)}` : `${repository}:${tag}`,
      ...(tag === undefined ? {} : { tag }),
      digest: digest(d),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      platforms: ['linux/amd64', 'linux/arm64'],
      size: 1000 + d,
    })),
    blobs: options.blobs.map((n) => ({ digest: digest(n), size: n * 100 })),
    parts: [],
    parent: options.parent ?? null,
  };
}

/** The ferry.json digest a bundle is identified by, as the exporter's bytes would give it. */
const manifestDigest = (m: BundleManifest): string => `sha256:${createHash('sha256').update(JSON.stringify(m)).digest('hex')}`;

/** Records a bundle under the digest of its ferry.json. */
const record = (m: BundleManifest, options: Omit<RecordBundleOptions, 'manifestDigest'>): void => catalog.recordBundle(m, { ...options, manifestDigest: manifestDigest(m) });

function receipt(bundleId: string | null, digests: number[], importedAt: string): ImportReceipt {
  return {
    receiptVersion: 1,
    site: null,
    registry: 'mirror.local:5000/ocp',
    bundleId,
    importedAt,
    images: [{ name: 'nginx:1.25', source: 'docker.io/library/nginx:1.25', destination: 'mirror.local:5000/ocp/library/nginx:1.25', digest: digest(900) }],
    digests: digests.map(digest),
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof FerryError ? error.code : `not a FerryError: ${String(error)}`;
  }
  return undefined;
}

let dir: string;
let catalog: Catalog;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-catalog-'));
  catalog = Catalog.open(join(dir, 'nested', 'folder', 'catalog.sqlite'));
});
afterEach(async () => {
  catalog.close();
  await rm(dir, { recursive: true, force: true });
});

describe('defaultCatalogPath', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, NodeJS.Platform, string]> = [
    ['FERRY_CATALOG wins', { FERRY_CATALOG: '/x/c.sqlite', XDG_DATA_HOME: '/data' }, 'linux', '/x/c.sqlite'],
    ['Linux XDG', { XDG_DATA_HOME: '/data' }, 'linux', '/data/ferry/catalog.sqlite'],
    ['Linux default', {}, 'linux', '/home/u/.local/share/ferry/catalog.sqlite'],
    ['Linux relative XDG ignored', { XDG_DATA_HOME: 'rel' }, 'linux', '/home/u/.local/share/ferry/catalog.sqlite'],
    ['empty FERRY_CATALOG ignored', { FERRY_CATALOG: '' }, 'linux', '/home/u/.local/share/ferry/catalog.sqlite'],
    ['macOS', { XDG_DATA_HOME: '/data' }, 'darwin', '/home/u/Library/Application Support/Ferry/catalog.sqlite'],
    ['Windows', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u\\AppData\\Roaming\\Ferry\\catalog.sqlite'],
  ];
  it.each(cases)('%s', (_name, env, platform, expected) => {
    expect(defaultCatalogPath(env, platform, '/home/u')).toBe(expected);
  });
});

describe('defaultReceiptDir', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, NodeJS.Platform, string]> = [
    ['Linux XDG', { XDG_DATA_HOME: '/data' }, 'linux', '/data/ferry/receipts'],
    ['beside an overridden catalog', { FERRY_CATALOG: '/x/c.sqlite' }, 'linux', '/x/receipts'],
    ['macOS', {}, 'darwin', '/home/u/Library/Application Support/Ferry/receipts'],
    ['Windows', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u\\AppData\\Roaming\\Ferry\\receipts'],
  ];
  it.each(cases)('%s', (_name, env, platform, expected) => {
    expect(defaultReceiptDir(env, platform, '/home/u')).toBe(expected);
  });
});

describe('Catalog.open', () => {
  it('creates its folders, uses WAL, and is at the latest schema version', () => {
    expect(existsSync(catalog.path)).toBe(true);
    const raw = new Database(catalog.path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      raw.close();
    }
  });

  it('enforces foreign keys (a journal item for a job that does not exist is refused)', () => {
    expect(codeOf(() => catalog.markItem(12345, 'blob', 'done'))).toBe('NOT_FOUND');
  });

  it('refuses a catalog from a newer Ferry', () => {
    catalog.close();
    const raw = new Database(catalog.path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(codeOf(() => Catalog.open(catalog.path))).toBe('IO_ERROR');
  });

  it('reports use after close as IO_ERROR', () => {
    catalog.close();
    expect(codeOf(() => catalog.bundles())).toBe('IO_ERROR');
  });
});

describe('bundles', () => {
  const first = manifest('b1', {
    created: '2025-01-10T10:00:00Z',
    blobs: [1, 2, 3],
    images: [
      ['docker.io/library/nginx', '1.25', 100],
      ['quay.io/org/app', undefined, 101],
    ],
  });
  const second = manifest('b2', { created: '2025-02-01T12:00:00+02:00', blobs: [3, 4], images: [['docker.io/library/nginx', '1.26', 102]], sequence: 2, parent: 'b1' });

  it('round-trips a recorded bundle through every query', () => {
    record(first, { path: '/media/b1', direction: 'export' });
    record(second, { path: '/media/b2', direction: 'import', site: 'plant' });
    expect(catalog.bundles()).toEqual([
      { id: 'b2', form: 'directory', path: '/media/b2', created: '2025-02-01T10:00:00.000Z', sequence: 2, parent: 'b1', bytes: 700, blobs: 2, images: 1, direction: 'import', site: 'plant' },
      { id: 'b1', form: 'directory', path: '/media/b1', created: '2025-01-10T10:00:00.000Z', sequence: 1, parent: null, bytes: 600, blobs: 3, images: 2, direction: 'export', site: null },
    ]);
    expect(catalog.bundles(1).map((b) => b.id)).toEqual(['b2']);
    expect(catalog.bundle('b1')?.bytes).toBe(600);
    expect(catalog.bundle('nope')).toBeUndefined();
    expect(catalog.bundleImages('b1')).toEqual([
      {
        name: 'docker.io/library/nginx:1.25',
        reference: 'docker.io/library/nginx:1.25',
        repository: 'docker.io/library/nginx',
        tag: '1.25',
        digest: digest(100),
        mediaType: 'application/vnd.oci.image.index.v1+json',
        platforms: ['linux/amd64', 'linux/arm64'],
        size: 1100,
      },
      {
        name: 'quay.io/org/app:pinned',
        reference: `quay.io/org/app@${digest(101)}`,
        repository: 'quay.io/org/app',
        tag: null,
        digest: digest(101),
        mediaType: 'application/vnd.oci.image.index.v1+json',
        platforms: ['linux/amd64', 'linux/arm64'],
        size: 1101,
      },
    ]);
    expect(catalog.bundleBlobs('b2')).toEqual([
      { digest: digest(3), size: 300 },
      { digest: digest(4), size: 400 },
    ]);
    const ids = (needle: string): string[] => catalog.bundlesContaining(needle).map((b) => b.id);
    expect(ids(digest(3))).toEqual(['b2', 'b1']);
    expect(ids(digest(1))).toEqual(['b1']);
    expect(ids(digest(102))).toEqual(['b2']);
    expect(ids('docker.io/library/nginx:1.25')).toEqual(['b1']);
    expect(ids('nginx:1.26')).toEqual(['b2']);
    expect(ids('nginx')).toEqual(['b2', 'b1']);
    expect(ids('docker.io/library/nginx')).toEqual(['b2', 'b1']);
    expect(ids('nginx:9.9')).toEqual([]);
    expect(ids(digest(999))).toEqual([]);
    expect(catalog.tagHistory('nginx')).toEqual([
      { tag: '1.26', digest: digest(102), bundleId: 'b2', created: '2025-02-01T10:00:00.000Z' },
      { tag: '1.25', digest: digest(100), bundleId: 'b1', created: '2025-01-10T10:00:00.000Z' },
    ]);
    expect(catalog.totalsPerMonth()).toEqual([
      { month: '2025-02', bundles: 1, bytes: 700, exports: 0, imports: 1 },
      { month: '2025-01', bundles: 1, bytes: 600, exports: 1, imports: 0 },
    ]);
    expect(catalog.sites().map((s) => s.name)).toEqual(['plant']);
  });

  it('re-recording the same bundle (same id and ferry.json) replaces its row instead of duplicating it; its export and import stay two events', () => {
    record(first, { path: '/media/b1', direction: 'export' });
    record(first, { path: '/media/b1', direction: 'export' });
    record(first, { path: '/moved/b1', direction: 'import', site: 'plant' });
    // One row per event: the export (recorded twice, kept once) and the import are two (issue 17, migration 9).
    expect(catalog.bundles().map((row) => [row.direction, row.path])).toEqual([
      ['import', '/moved/b1'],
      ['export', '/media/b1'],
    ]);
    expect(catalog.bundle('b1')).toMatchObject({ path: '/moved/b1', blobs: 3, images: 2, bytes: 600, direction: 'import' });
    expect(catalog.bundleConflicts()).toEqual([]);
    catalog.close();
    const raw = new Database(catalog.path, { readonly: true });
    try {
      expect(raw.prepare('SELECT count(*) FROM images').pluck().get()).toBe(2);
      expect(raw.prepare('SELECT count(*) FROM blobs').pluck().get()).toBe(3);
      expect(raw.prepare('SELECT count(*) FROM bundle_images').pluck().get()).toBe(2);
      expect(raw.prepare('SELECT count(*) FROM bundle_blobs').pluck().get()).toBe(3);
    } finally {
      raw.close();
    }
  });

  it('refuses another ferry.json under a known bundle id: recorded as a conflict and audited, never merged', () => {
    record(first, { path: '/media/b1', direction: 'export' });
    const impostor = manifest('b1', { created: '2025-01-10T10:00:00Z', blobs: [1, 2, 9], images: [['docker.io/library/nginx', '1.25', 666]] });
    let refused: unknown;
    try {
      record(impostor, { path: '/media/usb/b1', direction: 'import', site: 'plant' });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(FerryError);
    expect((refused as FerryError).code).toBe('BUNDLE_CONFLICT');
    expect((refused as FerryError).message).toContain('/media/usb/b1');
    expect((refused as FerryError).details).toMatchObject({ bundleId: 'b1', manifestDigest: manifestDigest(impostor), knownDigest: manifestDigest(first) });
    // The first bundle's row and links are untouched; the site named by the refused import was not created.
    expect(catalog.bundle('b1')).toMatchObject({ path: '/media/b1', blobs: 3, images: 2, bytes: 600, direction: 'export', site: null });
    expect(catalog.bundleBlobs('b1').map((b) => b.digest)).toEqual([digest(1), digest(2), digest(3)]);
    expect(catalog.bundlesContaining(digest(666))).toEqual([]);
    expect(catalog.sites()).toEqual([]);
    expect(catalog.bundleConflicts()).toEqual([
      { bundleId: 'b1', knownDigest: manifestDigest(first), manifestDigest: manifestDigest(impostor), path: '/media/usb/b1', direction: 'import', seenAt: expect.any(String) as string },
    ]);
    expect(catalog.auditLog(1)[0]).toMatchObject({ action: 'bundle-conflict', subject: 'b1' });
    expect(catalog.checkAudit().ok).toBe(true);
    // The check alone (what an import runs before its first write) refuses the same way, and passes the known bundle.
    expect(codeOf(() => catalog.checkBundleIdentity('b1', { path: '/x', direction: 'import', manifestDigest: manifestDigest(impostor) }))).toBe('BUNDLE_CONFLICT');
    expect(codeOf(() => catalog.checkBundleIdentity('b1', { path: '/x', direction: 'import', manifestDigest: manifestDigest(first) }))).toBeUndefined();
    expect(codeOf(() => catalog.checkBundleIdentity('b9', { path: '/x', direction: 'import', manifestDigest: manifestDigest(impostor) }))).toBeUndefined();
    expect(catalog.bundleConflicts()).toHaveLength(2);
  });

  it('a bundle recorded before digests were kept adopts the first ferry.json digest it is seen with', () => {
    record(first, { path: '/media/b1', direction: 'export' });
    catalog.close();
    const raw = new Database(catalog.path);
    raw.prepare('UPDATE bundles SET manifest_digest = NULL').run();
    raw.close();
    catalog = Catalog.open(catalog.path);
    record(first, { path: '/media/b1', direction: 'import' });
    expect(catalog.bundleConflicts()).toEqual([]);
    expect(codeOf(() => catalog.checkBundleIdentity('b1', { path: '/x', direction: 'import', manifestDigest: digest(5) }))).toBe('BUNDLE_CONFLICT');
  });

  it('ignores manifest fields it does not know (a future `omitted` list)', () => {
    const withOmitted = { ...first, omitted: [{ digest: digest(50), size: 5 }] } as BundleManifest;
    record(withOmitted, { path: '/media/b1', direction: 'export' });
    expect(catalog.bundle('b1')?.blobs).toBe(3);
  });

  it('reports bad input as INVALID_ARGUMENT and unknown bundles as NOT_FOUND', () => {
    const bad: Array<[string, () => unknown]> = [
      ['empty id', () => record({ ...first, bundleId: '' }, { path: '/p', direction: 'export' })],
      ['bad digest', () => record({ ...first, blobs: [{ digest: 'sha256:xyz', size: 1 }] }, { path: '/p', direction: 'export' })],
      ['negative size', () => record({ ...first, blobs: [{ digest: digest(1), size: -1 }] }, { path: '/p', direction: 'export' })],
      ['bad created', () => record({ ...first, created: 'yesterday' }, { path: '/p', direction: 'export' })],
      ['bad direction', () => record(first, { path: '/p', direction: 'sideways' as 'export' })],
      ['empty path', () => record(first, { path: '', direction: 'export' })],
      ['bad manifest digest', () => catalog.recordBundle(first, { path: '/p', direction: 'export', manifestDigest: 'sha256:../x' })],
      ['zero limit', () => catalog.bundles(0)],
    ];
    for (const [name, fn] of bad) expect(codeOf(fn), name).toBe('INVALID_ARGUMENT');
    expect(catalog.bundles()).toEqual([]);
    expect(codeOf(() => catalog.bundleImages('nope'))).toBe('NOT_FOUND');
    expect(codeOf(() => catalog.bundleBlobs('nope'))).toBe('NOT_FOUND');
  });
});

describe('sites and receipts', () => {
  it('stores receipts under the given site and answers what the site has', () => {
    record(manifest('b1', { created: '2025-01-10T10:00:00Z', blobs: [1, 2], images: [], sequence: 3 }), { path: '/m', direction: 'export' });
    const first = catalog.addReceipt({ ...receipt('b1', [1, 2, 7], '2025-01-11T00:00:00Z'), site: 'ignored' }, 'plant');
    expect(first.digests).toBe(4); // 1, 2, 7 and the image digest 900
    expect(catalog.addReceipt({ ...receipt('b1', [1, 2, 7], '2025-01-11T00:00:00Z'), site: 'ignored' }, 'plant')).toEqual(first);
    expect(catalog.siteDigests('plant')).toEqual(new Set([digest(1), digest(2), digest(7), digest(900)]));
    expect(catalog.latestBundleForSite('plant')).toEqual({ bundleId: 'b1', sequence: 3 });
    expect(catalog.siteContents('plant')).toEqual({
      images: [{ reference: 'docker.io/library/nginx:1.25', digest: digest(900), destination: 'mirror.local:5000/ocp/library/nginx:1.25' }],
      blobs: 4,
      bytes: 300,
      unsized: 2,
    });
    // A bundle recorded later gives the unsized digests their size.
    record(manifest('b0', { created: '2024-12-01T00:00:00Z', blobs: [7], images: [] }), { path: '/m0', direction: 'export' });
    expect(catalog.siteContents('plant')).toMatchObject({ bytes: 1000, unsized: 1 });

    catalog.addReceipt(receipt('unknown-bundle', [8], '2025-02-01T00:00:00Z'), 'plant');
    expect(catalog.latestBundleForSite('plant')).toEqual({ bundleId: 'unknown-bundle', sequence: 0 });
    expect(catalog.siteDigests('plant').has(digest(8))).toBe(true);
    expect(catalog.sites()).toEqual([{ name: 'plant', registries: ['mirror.local:5000/ocp'], receipts: 2, lastImport: '2025-02-01T00:00:00.000Z' }]);
    expect(catalog.sites().some((s) => s.name === 'ignored')).toBe(false);
  });

  it("keeps each site's totals on its row equal to what its digests add up to", () => {
    // Two sites share unsized digests (7, 8, and the image digest 900); one bundle then sizes 7 and 8 at both.
    const totalsOf = (site: string): unknown => {
      const raw = new Database(catalog.path, { readonly: true });
      try {
        return raw.prepare('SELECT count(*) AS blobs, coalesce(sum(size), 0) AS bytes, count(*) - count(size) AS unsized FROM site_digests WHERE site = ?').get(site);
      } finally {
        raw.close();
      }
    };
    const totals = (site: string): unknown => {
      const { blobs, bytes, unsized } = catalog.siteContents(site);
      return { blobs, bytes, unsized };
    };
    record(manifest('b1', { created: '2025-01-10T10:00:00Z', blobs: [1, 2], images: [] }), { path: '/m', direction: 'export' });
    catalog.addReceipt(receipt('b1', [1, 2, 7, 8], '2025-01-11T00:00:00Z'), 'plant');
    catalog.addReceipt(receipt('b1', [2, 7, 8, 9], '2025-01-12T00:00:00Z'), 'plant');
    catalog.addReceipt(receipt('b1', [7, 8], '2025-01-12T00:00:00Z'), 'lab');
    expect(totals('plant')).toEqual({ blobs: 6, bytes: 300, unsized: 4 });
    expect(totals('lab')).toEqual({ blobs: 3, bytes: 0, unsized: 3 });
    record(manifest('b2', { created: '2025-01-13T00:00:00Z', blobs: [7, 8, 3], images: [] }), { path: '/m2', direction: 'import', site: 'lab' });
    expect(totals('plant')).toEqual({ blobs: 6, bytes: 1800, unsized: 2 });
    expect(totals('lab')).toEqual({ blobs: 3, bytes: 1500, unsized: 1 });
    // Recording the same bundle again sizes nothing twice.
    record(manifest('b2', { created: '2025-01-13T00:00:00Z', blobs: [7, 8, 3], images: [] }), { path: '/m2', direction: 'import', site: 'lab' });
    for (const site of ['plant', 'lab']) expect(totals(site)).toEqual(totalsOf(site));
  });

  it('finds the digest last recorded at a tag, and only at that tag', () => {
    const at = (destination: string, d: number, importedAt: string): ImportReceipt => ({
      ...receipt(null, [], importedAt),
      images: [{ name: destination, source: `src/${destination}`, destination: `${destination}@${digest(d)}`, digest: digest(d) }],
    });
    catalog.addReceipt(at('mirror.local/app:1', 1, '2025-01-01T00:00:00Z'), 'plant');
    catalog.addReceipt(at('mirror.local/app:1', 2, '2025-01-02T00:00:00Z'), 'plant');
    catalog.addReceipt(at('mirror.local/app:10', 3, '2025-01-03T00:00:00Z'), 'plant');
    catalog.addReceipt(at('mirror.local/app:1A', 4, '2025-01-04T00:00:00Z'), 'plant');
    catalog.addReceipt(at('mirror.local/app-x:1', 5, '2025-01-05T00:00:00Z'), 'plant');
    expect(catalog.recordedTagDigest('mirror.local/app', '1')).toBe(digest(2));
    expect(catalog.recordedTagDigest('mirror.local/app', '10')).toBe(digest(3));
    expect(catalog.recordedTagDigest('mirror.local/app', '2')).toBeUndefined();
    expect(catalog.recordedTagDigest('mirror.local/ap', 'p:1')).toBeUndefined();
  });

  it('keeps sites apart, merges registries, and names unknown sites', () => {
    catalog.ensureSite('lab', ['a.local:5000']);
    catalog.ensureSite('lab', ['b.local', 'a.local:5000']);
    catalog.addReceipt(receipt('b1', [1], '2025-01-11T00:00:00Z'), 'plant');
    expect(catalog.sites().find((s) => s.name === 'lab')).toEqual({ name: 'lab', registries: ['a.local:5000', 'b.local'], receipts: 0, lastImport: null });
    expect(catalog.siteDigests('lab')).toEqual(new Set());
    expect(catalog.latestBundleForSite('lab')).toBeUndefined();
    expect(codeOf(() => catalog.siteDigests('nowhere'))).toBe('NOT_FOUND');
    expect(codeOf(() => catalog.siteContents('nowhere'))).toBe('NOT_FOUND');
    expect(codeOf(() => catalog.latestBundleForSite('nowhere'))).toBe('NOT_FOUND');
    expect(codeOf(() => catalog.ensureSite(' '))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => catalog.ensureSite('lab', ['user:pass@registry.local']))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => catalog.addReceipt({ ...receipt('b1', [1], '2025-01-11T00:00:00Z'), digests: ['nope'] }, 'lab'))).toBe('INVALID_ARGUMENT');
  });
});

describe('jobs', () => {
  it('resumes an unfinished job with the same kind and key, and starts afresh after it ends', () => {
    const job = catalog.startJob('export', '/media/b1', { images: ['nginx'] });
    expect(job.resumed).toBe(false);
    catalog.markItem(job.id, digest(1), 'done', 100);
    catalog.markItem(job.id, digest(2), 'failed');
    catalog.markItem(job.id, digest(3), 'done', 300);
    expect(catalog.startJob('import', '/media/b1', {}).resumed).toBe(false);

    const resumed = catalog.startJob('export', '/media/b1', { images: ['other'] });
    expect(resumed).toEqual({ id: job.id, resumed: true });
    expect(catalog.doneItems(job.id)).toEqual(new Set([digest(1), digest(3)]));
    catalog.markItem(job.id, digest(2), 'done', 200);
    catalog.finishJob(job.id, 'succeeded', 'b1');
    const [listed] = catalog.jobs().filter((j) => j.id === job.id);
    expect(listed).toMatchObject({ kind: 'export', status: 'succeeded', resumes: 1, bundleId: 'b1', done: 3, failed: 0, bytes: 600, params: { images: ['nginx'] } });
    expect(codeOf(() => catalog.finishJob(job.id, 'failed'))).toBe('INVALID_ARGUMENT');

    const next = catalog.startJob('export', '/media/b1', {});
    expect(next.resumed).toBe(false);
    expect(next.id).not.toBe(job.id);
    expect(catalog.doneItems(next.id)).toEqual(new Set());
    expect(codeOf(() => catalog.doneItems(999))).toBe('NOT_FOUND');
    expect(codeOf(() => catalog.finishJob(999, 'failed'))).toBe('NOT_FOUND');
  });

  it('never stores a secret in job params or audit details', () => {
    const { id } = catalog.startJob('export', 'k', { password: 'x', user: 'y', nested: { authToken: 'tok', keep: 1 }, list: [{ credentials: 'c' }] });
    catalog.audit('export.start', 'k', { registryPassword: 'hunter2', images: 3 }, 'alice');
    expect(catalog.jobs().find((j) => j.id === id)?.params).toEqual({ user: 'y', nested: { keep: 1 }, list: [{}] });
    expect(catalog.auditLog()[0]?.details).toEqual({ images: 3 });
    catalog.close();
    const raw = new Database(catalog.path, { readonly: true });
    try {
      const params = raw.prepare('SELECT params FROM jobs WHERE id = ?').pluck().get(id);
      expect(params).toBe('{"list":[{}],"nested":{"keep":1},"user":"y"}');
      const dump = JSON.stringify(raw.prepare('SELECT * FROM audit').all()) + String(params);
      for (const secret of ['hunter2', 'tok', '"x"', 'password']) expect(dump).not.toContain(secret);
    } finally {
      raw.close();
    }
  });
});
