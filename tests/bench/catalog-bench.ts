/**
 * Benchmark: the catalog at scale. Builds a synthetic, deterministic catalog
 * of 5,000 images, 100,000 blobs and 500 bundles (plus a site with 100
 * receipts, jobs and audit rows), and the same shape ten times larger
 * (1,000,000 blobs, 5,000 bundles, 1,000 receipts), then times recording a
 * 10,000-blob bundle, what an incremental export and an import ask of the
 * catalog, and every query the CLI and UI use, median of 5 runs each, against
 * the targets (recording < 1 s, each query < 20 ms). The two sizes are
 * printed side by side, so a figure that grows faster than the catalog shows.
 * FERRY_BENCH_CATALOG_SCALES=1 runs the 100,000-blob size alone.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { ImportReceipt } from '../../src-main/bundle/receipt.ts';
import { Catalog } from '../../src-main/catalog/index.ts';
import { addReceipt, recordBundle } from '../../src-main/catalog/records.ts';
import { finishJob, markItem, startJob } from '../../src-main/catalog/jobs.ts';
import { appendAudit } from '../../src-main/catalog/audit.ts';
import { Sql } from '../../src-main/catalog/sql.ts';
import { median } from './measure.ts';

/** What identifies a bundle beside its id: the digest of its ferry.json bytes (here, of the manifest as JSON). */
function ferryJsonDigest(manifest: BundleManifest): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(manifest)).digest('hex')}`;
}

/** The shape at scale 1 (the issue's 100,000 blobs); scale k multiplies images, blobs, bundles, repositories, receipts, jobs and audit rows by k. */
const IMAGES = 5_000;
const BLOBS = 100_000;
const BUNDLES = 500;
/** Images per bundle, and repositories per scale unit (so each repository has IMAGES / REPOSITORIES = 5 tags at every scale). */
const IMAGES_PER_BUNDLE = IMAGES / BUNDLES;
const REPOSITORIES = 1_000;
/** Blobs each image owns; the first SHARED_BLOBS of them double as base layers every image also uses two of. */
const BLOBS_PER_IMAGE = BLOBS / IMAGES;
const SHARED_BLOBS = 100;
/** Every RECEIPT_EVERY-th bundle was imported at the site, so it holds about a fifth of everything. */
const RECEIPT_EVERY = 5;
const JOBS = 20;
const AUDIT_ROWS = 1_000;
/** The big bundle recorded under the clock. */
const BIG_BUNDLE_BLOBS = 10_000;
const BIG_BUNDLE_IMAGES = 50;
/** Runs per measurement; the median is reported. */
const RUNS = 5;
/** Targets from the issue. */
const RECORD_TARGET_MS = 1000;
const QUERY_TARGET_MS = 20;

/** A real-looking (uniformly spread) digest, deterministic in its name. */
const digestOf = (name: string): string => `sha256:${createHash('sha256').update(name).digest('hex')}`;
const DAY_MS = 86_400_000;
const EPOCH = Date.parse('2024-01-01T00:00:00Z');

const bundleId = (b: number): string => `bundle-${String(b).padStart(5, '0')}`;

function imageOf(index: number, scale: number): BundleManifest['images'][number] {
  const repositories = REPOSITORIES * scale;
  const repository = `registry.example.com/team${index % 50}/app${index % repositories}`;
  const tag = `v${Math.floor(index / repositories)}`;
  return {
    name: `${repository}:${tag}`,
    source: `${repository}:${tag}`,
    tag,
    digest: digestOf(`manifest-${index}`),
    mediaType: 'application/vnd.oci.image.index.v1+json',
    platforms: ['linux/amd64', 'linux/arm64'],
    size: 50_000_000 + index,
  };
}

function blobsOfImage(index: number): number[] {
  const own = Array.from({ length: BLOBS_PER_IMAGE }, (_, i) => index * BLOBS_PER_IMAGE + i);
  return [...own, index % SHARED_BLOBS, (index * 7) % SHARED_BLOBS];
}

function manifest(id: string, created: number, images: BundleManifest['images'], blobs: number[], prefix = 'blob'): BundleManifest {
  return {
    formatVersion: 1,
    bundleId: id,
    sequence: 1,
    created: new Date(created).toISOString(),
    exporter: { host: 'bench', user: 'bench', ferryVersion: '0.0.0' },
    form: 'archive',
    imageSet: { references: [], lists: [], platforms: [] },
    images,
    blobs: blobs.map((n) => ({ digest: digestOf(`${prefix}-${n}`), size: 1_000 + (n % 5_000) * 1_000 })),
    parts: [],
    parent: null,
  };
}

function bundleManifest(b: number, scale: number): BundleManifest {
  const indexes = Array.from({ length: IMAGES_PER_BUNDLE }, (_, i) => b * IMAGES_PER_BUNDLE + i);
  const blobs = [...new Set(indexes.flatMap(blobsOfImage))];
  return manifest(
    bundleId(b),
    EPOCH + b * DAY_MS,
    indexes.map((i) => imageOf(i, scale)),
    blobs,
  );
}

function receiptFor(m: BundleManifest, importedAt: number): ImportReceipt {
  return {
    receiptVersion: 1,
    site: 'plant',
    registry: 'mirror.plant.local:5000',
    bundleId: m.bundleId,
    importedAt: new Date(importedAt).toISOString(),
    images: m.images.map((image) => ({ name: image.name, source: image.source, destination: `mirror.plant.local:5000/${image.name}`, digest: image.digest })),
    digests: m.blobs.map((blob) => blob.digest),
  };
}

/**
 * Fills the catalog file through the catalog's own write functions (so the
 * rows are exactly what Ferry writes), all inside one transaction on one
 * connection without fsync: the per-record transactions nest as savepoints,
 * and 1,000,000 blobs take tens of seconds instead of many minutes.
 */
export function build(path: string, scale: number): void {
  Catalog.open(path).close(); // creates and migrates the file
  const db = new Database(path);
  try {
    db.pragma('synchronous = OFF');
    db.pragma('foreign_keys = ON');
    const sql = new Sql(db);
    db.transaction(() => {
      for (let b = 0; b < BUNDLES * scale; b += 1) {
        const m = bundleManifest(b, scale);
        recordBundle(sql, m, { path: `/media/${m.bundleId}`, direction: b % 3 === 0 ? 'import' : 'export', manifestDigest: ferryJsonDigest(m) });
        if (b % RECEIPT_EVERY === 0) addReceipt(sql, receiptFor(m, EPOCH + b * DAY_MS + 3_600_000), 'plant');
      }
      for (let j = 0; j < JOBS * scale; j += 1) {
        const job = startJob(sql, 'export', `/media/job-${j}`, { images: 10 });
        for (let i = 0; i < 200; i += 1) markItem(sql, job.id, digestOf(`blob-${j * 200 + i}`), 'done', 1000);
        if (j % 2 === 0) finishJob(sql, job.id, 'succeeded');
      }
      for (let a = 0; a < AUDIT_ROWS * scale; a += 1) appendAudit(sql, 'export', `bundle-${a}`, { n: a }, 'bench');
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

function timeMs(fn: () => unknown): number {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Wall and CPU (user + system) milliseconds of one call: on a loaded machine the CPU figure is the one that shows growth. */
function timeBoth(fn: () => unknown): { wall: number; cpu: number } {
  const cpuBefore = process.cpuUsage();
  const wall = timeMs(fn);
  const cpu = process.cpuUsage(cpuBefore);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/** One measured figure: its label, its target and its median at each scale. */
interface Figure {
  label: string;
  target: number | null;
  /** Median wall milliseconds per scale. */
  ms: number[];
  /** Median CPU milliseconds per scale. */
  cpu: number[];
}

/** The figures of one catalog size, in a fixed order so sizes line up. */
function measure(catalog: Catalog, scale: number): { figures: Figure[]; note: string } {
  const figures: Figure[] = [];
  const runs = (fn: (run: number) => unknown): { wall: number; cpu: number } => {
    const all = Array.from({ length: RUNS }, (_, run) => timeBoth(() => fn(run)));
    return { wall: median(all.map((t) => t.wall)), cpu: median(all.map((t) => t.cpu)) };
  };
  const add = (label: string, target: number | null, time: { wall: number; cpu: number }): void => {
    figures.push({ label, target, ms: [time.wall], cpu: [time.cpu] });
  };
  const bundles = BUNDLES * scale;
  const big = (run: number): BundleManifest =>
    manifest(
      `big-${run}`,
      EPOCH + (bundles + run) * DAY_MS,
      Array.from({ length: BIG_BUNDLE_IMAGES }, (_, i) => imageOf(i * 97, scale)),
      Array.from({ length: BIG_BUNDLE_BLOBS }, (_, i) => i),
      `big-${run}-blob`,
    );
  add(
    `recordBundle (${BIG_BUNDLE_BLOBS} new blobs)`,
    RECORD_TARGET_MS,
    runs((run) => {
      const bundle = big(run);
      catalog.recordBundle(bundle, { path: '/media/big', direction: 'export', site: 'plant', manifestDigest: ferryJsonDigest(bundle) });
    }),
  );
  const again = big(0);
  const againDigest = ferryJsonDigest(again);
  add(
    'recordBundle again (same id, idempotent)',
    RECORD_TARGET_MS,
    runs(() => catalog.recordBundle(again, { path: '/media/big', direction: 'export', manifestDigest: againDigest })),
  );
  // An import at the site: the bundle is recorded (direction import) and its receipt added (220 digests, most already known).
  add(
    'record import (recordBundle + addReceipt)',
    RECORD_TARGET_MS,
    runs((run) => {
      const m = { ...bundleManifest(run * 7 + 1, scale), bundleId: `imported-${run}` };
      catalog.recordBundle(m, { path: '/media/imported', direction: 'import', site: 'plant', manifestDigest: ferryJsonDigest(m) });
      catalog.addReceipt(receiptFor(m, EPOCH + (bundles + 100 + run) * DAY_MS), 'plant');
    }),
  );
  // What an incremental export asks before planning (usecases/incremental.ts, export.ts): the parent, the site's digests, the next sequence.
  let lacking = 0;
  add(
    'incremental export: what the site lacks',
    null,
    runs(() => {
      catalog.latestBundleForSite('plant');
      const has = catalog.siteDigests('plant');
      catalog.highestSequence('plant/set');
      lacking = bundleManifest(bundles - 1, scale).blobs.filter((blob) => !has.has(blob.digest)).length;
    }),
  );

  const popularBlob = digestOf('blob-3');
  const popularIn = catalog.bundlesContaining(popularBlob).length;
  const queries: Array<[string, () => unknown]> = [
    ['bundles(50)', () => catalog.bundles()],
    ['bundleImages(10-image bundle)', () => catalog.bundleImages(bundleId(250))],
    [`bundleBlobs(${BIG_BUNDLE_BLOBS}-blob bundle)`, () => catalog.bundleBlobs('big-0')],
    ['bundleBlobs(220-blob bundle)', () => catalog.bundleBlobs(bundleId(250))],
    ['bundlesContaining(reference)', () => catalog.bundlesContaining('registry.example.com/team7/app257:v2')],
    ['bundlesContaining(repository)', () => catalog.bundlesContaining('registry.example.com/team7/app257')],
    ['bundlesContaining(layer digest, ~2% of bundles)', () => catalog.bundlesContaining(popularBlob)],
    ['bundlesContaining(manifest digest)', () => catalog.bundlesContaining(digestOf('manifest-4242'))],
    ['siteContents(site)', () => catalog.siteContents('plant')],
    ['tagHistory(repository)', () => catalog.tagHistory('registry.example.com/team7/app257')],
    ['totalsPerMonth()', () => catalog.totalsPerMonth()],
    ['sites()', () => catalog.sites()],
    ['latestBundleForSite()', () => catalog.latestBundleForSite('plant')],
    ['jobs(50)', () => catalog.jobs()],
  ];
  for (const [label, query] of queries) add(label, QUERY_TARGET_MS, runs(query));
  const siteSize = catalog.siteContents('plant').blobs;
  add(
    `siteDigests (${siteSize} digests)`,
    null,
    runs(() => catalog.siteDigests('plant')),
  );
  add(
    `checkAudit (${AUDIT_ROWS * scale} rows)`,
    null,
    runs(() => catalog.checkAudit()),
  );
  return { figures, note: `  site holds ${siteSize} digests; the newest bundle lacks ${lacking} of its 220 blobs there; the popular layer is in ${popularIn} bundles` };
}

function line(figure: Figure, scales: number[]): string {
  const cells = figure.ms.map((ms, i) => `${ms.toFixed(2).padStart(9)} (${(figure.cpu[i] ?? Number.NaN).toFixed(1).padStart(7)})`).join(' ');
  const growth = (values: number[]): string => ((values.at(-1) ?? Number.NaN) / (values[0] ?? Number.NaN)).toFixed(1);
  const growths = scales.length > 1 ? `  ×${growth(figure.ms).padStart(5)} (×${growth(figure.cpu)})` : '';
  const verdict = figure.target === null ? '' : `  target < ${figure.target} ms ${figure.ms.every((ms) => ms < (figure.target ?? 0)) ? 'ok' : 'OVER'}`;
  return `${figure.label.padEnd(50)} ${cells}${growths}${verdict}`;
}

/** Runs the catalog benchmark and returns its printed lines. */
export async function runCatalogBench(): Promise<string[]> {
  const scales = (process.env.FERRY_BENCH_CATALOG_SCALES ?? '1,10').split(',').map(Number);
  const dir = await mkdtemp(join(tmpdir(), 'ferry-catalog-bench-'));
  const lines: string[] = [];
  let table: Figure[] = [];
  try {
    for (const scale of scales) {
      const path = join(dir, `catalog-${scale}.sqlite`);
      const buildMs = timeMs(() => build(path, scale));
      lines.push(
        `built: ${IMAGES * scale} images, ${BLOBS * scale} blobs, ${BUNDLES * scale} bundles, ${(BUNDLES * scale) / RECEIPT_EVERY} receipts in ${(buildMs / 1000).toFixed(1)} s (one transaction)`,
      );
      const catalog = Catalog.open(path);
      try {
        const { figures, note } = measure(catalog, scale);
        lines.push(note);
        table = table.length === 0 ? figures : table.map((figure, i) => ({ ...figure, ms: [...figure.ms, ...(figures[i]?.ms ?? [])], cpu: [...figure.cpu, ...(figures[i]?.cpu ?? [])] }));
      } finally {
        catalog.close();
        await rm(path, { force: true });
      }
    }
    lines.push(`${'wall ms (CPU ms), median of 5'.padEnd(50)} ${scales.map((s) => `${BLOBS * s} blobs`.padStart(19)).join(' ')}${scales.length > 1 ? '  growth' : ''}`);
    for (const figure of table) lines.push(line(figure, scales));
    return lines;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
