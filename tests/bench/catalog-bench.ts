/**
 * Benchmark: the catalog at scale. Builds a synthetic, deterministic catalog
 * of 5,000 images, 100,000 blobs and 500 bundles (plus a site with 100
 * receipts and a few jobs), then times recording a 10,000-blob bundle and
 * every query the CLI and UI use, median of 5 runs each, against the targets
 * (recording < 1 s, each query < 20 ms).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { ImportReceipt } from '../../src-main/bundle/receipt.ts';
import { Catalog } from '../../src-main/catalog/index.ts';
import { median } from './measure.ts';

/** What identifies a bundle beside its id: the digest of its ferry.json bytes (here, of the manifest as JSON). */
function ferryJsonDigest(manifest: BundleManifest): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(manifest)).digest('hex')}`;
}

/** The scale the issue asks for. */
const IMAGES = 5_000;
const BLOBS = 100_000;
const BUNDLES = 500;
/** Images per bundle, and repositories they are spread over (so each repository has IMAGES / REPOSITORIES tags). */
const IMAGES_PER_BUNDLE = IMAGES / BUNDLES;
const REPOSITORIES = 1_000;
/** Blobs each image owns; the first SHARED_BLOBS of them double as base layers every image also uses two of. */
const BLOBS_PER_IMAGE = BLOBS / IMAGES;
const SHARED_BLOBS = 100;
/** Every RECEIPT_EVERY-th bundle was imported at the site, so it holds about a fifth of everything. */
const RECEIPT_EVERY = 5;
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

function imageOf(index: number): BundleManifest['images'][number] {
  const repository = `registry.example.com/team${index % 50}/app${index % REPOSITORIES}`;
  const tag = `v${Math.floor(index / REPOSITORIES)}`;
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

function bundleManifest(b: number): BundleManifest {
  const indexes = Array.from({ length: IMAGES_PER_BUNDLE }, (_, i) => b * IMAGES_PER_BUNDLE + i);
  const blobs = [...new Set(indexes.flatMap(blobsOfImage))];
  return manifest(`bundle-${String(b).padStart(4, '0')}`, EPOCH + b * DAY_MS, indexes.map(imageOf), blobs);
}

function build(catalog: Catalog): void {
  for (let b = 0; b < BUNDLES; b += 1) {
    const m = bundleManifest(b);
    catalog.recordBundle(m, { path: `/media/${m.bundleId}`, direction: b % 3 === 0 ? 'import' : 'export', manifestDigest: ferryJsonDigest(m) });
    if (b % RECEIPT_EVERY === 0) {
      const receipt: ImportReceipt = {
        receiptVersion: 1,
        site: 'plant',
        registry: 'mirror.plant.local:5000',
        bundleId: m.bundleId,
        importedAt: new Date(EPOCH + b * DAY_MS + 3_600_000).toISOString(),
        images: m.images.map((image) => ({ name: image.name, source: image.source, destination: `mirror.plant.local:5000/${image.name}`, digest: image.digest })),
        digests: m.blobs.map((blob) => blob.digest),
      };
      catalog.addReceipt(receipt, 'plant');
    }
  }
  for (let j = 0; j < 20; j += 1) {
    const job = catalog.startJob('export', `/media/job-${j}`, { images: 10 });
    for (let i = 0; i < 200; i += 1) catalog.markItem(job.id, digestOf(`blob-${j * 200 + i}`), 'done', 1000);
    if (j % 2 === 0) catalog.finishJob(job.id, 'succeeded');
  }
  for (let a = 0; a < 1_000; a += 1) catalog.audit('export', `bundle-${a}`, { n: a }, 'bench');
}

function timeMs(fn: () => unknown): number {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function line(label: string, ms: number, target: number): string {
  return `${label.padEnd(44)} ${ms.toFixed(2).padStart(9)} ms   target < ${target} ms   ${ms < target ? 'ok' : 'OVER'}`;
}

/** Runs the catalog benchmark and returns its printed lines. */
export async function runCatalogBench(): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-catalog-bench-'));
  const catalog = Catalog.open(join(dir, 'catalog.sqlite'));
  try {
    const buildMs = timeMs(() => build(catalog));
    const lines = [`built: ${IMAGES} images, ${BLOBS} blobs, ${BUNDLES} bundles, ${BUNDLES / RECEIPT_EVERY} receipts in ${(buildMs / 1000).toFixed(1)} s (runs: median of ${RUNS})`];

    const big = (run: number): BundleManifest =>
      manifest(
        `big-${run}`,
        EPOCH + (BUNDLES + run) * DAY_MS,
        Array.from({ length: BIG_BUNDLE_IMAGES }, (_, i) => imageOf(i * 97)),
        Array.from({ length: BIG_BUNDLE_BLOBS }, (_, i) => i),
        `big-${run}-blob`,
      );
    const again = big(0);
    const againDigest = ferryJsonDigest(again);
    const runs = (fn: (run: number) => unknown): number => median(Array.from({ length: RUNS }, (_, run) => timeMs(() => fn(run))));
    lines.push(
      line(
        `recordBundle (${BIG_BUNDLE_BLOBS} new blobs)`,
        runs((run) => {
          const bundle = big(run);
          catalog.recordBundle(bundle, { path: '/media/big', direction: 'export', site: 'plant', manifestDigest: ferryJsonDigest(bundle) });
        }),
        RECORD_TARGET_MS,
      ),
    );
    lines.push(
      line(
        `recordBundle again (same id, idempotent)`,
        runs(() => catalog.recordBundle(again, { path: '/media/big', direction: 'export', manifestDigest: againDigest })),
        RECORD_TARGET_MS,
      ),
    );

    const popularBlob = digestOf('blob-3');
    const queries: Array<[string, () => unknown]> = [
      ['bundles(50)', () => catalog.bundles()],
      ['bundleImages(10-image bundle)', () => catalog.bundleImages('bundle-0250')],
      [`bundleBlobs(${BIG_BUNDLE_BLOBS}-blob bundle)`, () => catalog.bundleBlobs('big-0')],
      ['bundleBlobs(220-blob bundle)', () => catalog.bundleBlobs('bundle-0250')],
      ['bundlesContaining(reference)', () => catalog.bundlesContaining('registry.example.com/team7/app257:v2')],
      ['bundlesContaining(repository)', () => catalog.bundlesContaining('registry.example.com/team7/app257')],
      ['bundlesContaining(layer digest, in ~100)', () => catalog.bundlesContaining(popularBlob)],
      ['bundlesContaining(manifest digest)', () => catalog.bundlesContaining(digestOf('manifest-4242'))],
      ['siteContents(site with 100 receipts)', () => catalog.siteContents('plant')],
      ['tagHistory(repository)', () => catalog.tagHistory('registry.example.com/team7/app257')],
      ['totalsPerMonth()', () => catalog.totalsPerMonth()],
      ['sites()', () => catalog.sites()],
      ['latestBundleForSite()', () => catalog.latestBundleForSite('plant')],
      ['jobs(50)', () => catalog.jobs()],
    ];
    for (const [label, query] of queries) lines.push(line(label, runs(query), QUERY_TARGET_MS));
    const siteSize = catalog.siteContents('plant').blobs;
    lines.push(
      `(not a listed query) siteDigests(${siteSize} digests): ${runs(() => catalog.siteDigests('plant')).toFixed(2)} ms; checkAudit(1,000 rows): ${runs(() => catalog.checkAudit()).toFixed(2)} ms`,
    );
    return lines;
  } finally {
    catalog.close();
    await rm(dir, { recursive: true, force: true });
  }
}
