/**
 * Benchmark: memory at scale. For each bundle size, seeds a fresh loopback
 * registry with big images (tests/harness/big-images.ts), then runs
 * `ferry export` (directory form), `ferry verify` and `ferry import` into a
 * second fresh registry, one process each, and prints wall time, MB/s, peak
 * RSS, Ferry's CPU and the registry's CPU. The target (issue 16): peak RSS flat
 * (±20%) from 2 to 20 GB and under 200 MB.
 *
 * Sizes: 2 GiB by default; FERRY_BENCH_BIG=1 adds 8 and 20 GiB (about 25 min
 * and 45 GB of free disk at the peak: the source registry is removed after the
 * export, before the import fills the destination). FERRY_BENCH_SCALE_GIB=2,8
 * picks sizes explicitly. Each size is one run of each job: peak RSS barely
 * moves between runs, and a 20 GiB run takes minutes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedBigImages } from '../harness/big-images.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { timed, withProcessCpu, type RunResult } from './measure.ts';

/** Every layer is this big; images have LAYERS_PER_IMAGE of them, so 2 GiB is 16 layers and 20 GiB 160. */
const LAYER_BYTES = 128 * 1024 * 1024;
const LAYERS_PER_IMAGE = 4;
const RSS_TARGET_MB = 200;

const ferryBin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');

/** The sizes this run covers, in GiB. */
function sizesGiB(): number[] {
  const explicit = process.env.FERRY_BENCH_SCALE_GIB;
  if (explicit) return explicit.split(',').map(Number);
  return process.env.FERRY_BENCH_BIG === '1' ? [2, 8, 20] : [2];
}

interface JobRow {
  job: string;
  gib: number;
  run: RunResult;
  registryCpu: number | null;
}

function format(row: JobRow, megabytes: number): string {
  const registry = row.registryCpu === null ? '' : `  registry CPU ${row.registryCpu.toFixed(1).padStart(6)} s`;
  return `${`${row.job} ${row.gib} GiB`.padEnd(16)} ${row.run.seconds.toFixed(1).padStart(7)} s  ${(megabytes / row.run.seconds).toFixed(0).padStart(5)} MB/s  peak RSS ${(row.run.peakRssKiB / 1024).toFixed(0).padStart(4)} MiB  ferry CPU ${row.run.cpuSeconds.toFixed(1).padStart(6)} s${registry}`;
}

/** Runs `work` with Ferry's catalog and data folder pointed into `home`, so the bench never touches the user's own. */
async function withIsolatedData<T>(home: string, work: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  process.env.XDG_DATA_HOME = join(home, 'data');
  process.env.FERRY_CATALOG = join(home, 'catalog.sqlite');
  try {
    return await work();
  } finally {
    process.env = saved;
  }
}

async function oneSize(work: string, gib: number, lines: string[]): Promise<JobRow[]> {
  const layers = (gib * 1024 ** 3) / LAYER_BYTES;
  const imageCount = Math.ceil(layers / LAYERS_PER_IMAGE);
  const bundle = join(work, `bundle-${gib}`);
  const rows: JobRow[] = [];
  let source: RunningRegistry | undefined = await startRegistry({ mode: 'anonymous' });
  let target: RunningRegistry | undefined;
  try {
    const seedStarted = process.hrtime.bigint();
    const set = await seedBigImages(source, imageCount, LAYERS_PER_IMAGE, LAYER_BYTES);
    const megabytes = set.totalBytes / 1e6;
    lines.push(
      `${gib} GiB: ${set.images.length} images, ${set.layerCount} layers of ${LAYER_BYTES / 1048576} MiB, ${megabytes.toFixed(0)} MB (seeded in ${(Number(process.hrtime.bigint() - seedStarted) / 1e9).toFixed(0)} s)`,
    );
    const from = source;
    const exported = await withProcessCpu([from.pid], () =>
      timed(process.execPath, [ferryBin, 'export', '--to', bundle, ...set.images.map((i) => `${from.host}/${i.repository}:${i.tag}`), '--plain-http']),
    );
    rows.push({ job: 'export', gib, run: exported.result, registryCpu: exported.cpuSeconds[0] ?? null });
    lines.push(format(rows.at(-1) as JobRow, megabytes));
    await source.stop();
    source = undefined;
    rows.push({ job: 'verify', gib, run: await timed(process.execPath, [ferryBin, 'verify', bundle]), registryCpu: null });
    lines.push(format(rows.at(-1) as JobRow, megabytes));
    target = await startRegistry({ mode: 'anonymous' });
    const to = target;
    const imported = await withProcessCpu([to.pid], () => timed(process.execPath, [ferryBin, 'import', bundle, '--to', `${to.host}/ferry`, '--plain-http', '--receipt', join(work, 'receipt.json')]));
    rows.push({ job: 'import', gib, run: imported.result, registryCpu: imported.cpuSeconds[0] ?? null });
    lines.push(format(rows.at(-1) as JobRow, megabytes));
    return rows;
  } finally {
    await source?.stop();
    await target?.stop();
    await rm(bundle, { recursive: true, force: true });
  }
}

/** Runs the scale benchmark and returns its printed lines. */
export async function runScaleBench(): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-scale-bench-'));
  const lines: string[] = [`scale: directory bundles, one run per job and size; target peak RSS flat (±20%) and < ${RSS_TARGET_MB} MB`];
  try {
    const rows = await withIsolatedData(work, async () => {
      const all: JobRow[] = [];
      let shown = 0;
      for (const gib of sizesGiB()) {
        all.push(...(await oneSize(work, gib, lines)));
        // Streamed so a long FERRY_BENCH_BIG run shows progress before it ends.
        if (process.env.FERRY_BENCH_SCALE_STREAM === '1') process.stderr.write(`${lines.slice(shown).join('\n')}\n`);
        shown = lines.length;
      }
      return all;
    });
    for (const job of ['export', 'verify', 'import']) {
      const rss = rows.filter((r) => r.job === job).map((r) => r.run.peakRssKiB / 1024);
      if (rss.length === 0) continue;
      const low = Math.min(...rss);
      const high = Math.max(...rss);
      const flat = high <= low * 1.2;
      lines.push(
        `${job} peak RSS ${rss.map((mb) => mb.toFixed(0)).join(' / ')} MiB: spread ${((high / low - 1) * 100).toFixed(0)}% (${flat ? 'flat' : 'GROWS'}), max ${high.toFixed(0)} MiB ${high * 1.048576 < RSS_TARGET_MB ? 'ok' : 'OVER'}`,
      );
    }
    return lines;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
