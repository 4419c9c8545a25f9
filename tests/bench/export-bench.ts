/**
 * Benchmark: `ferry export` (one process, directory form) against skopeo
 * copying each image into one OCI layout, the same image set from the same
 * loopback registry, a fresh folder per run. Also a 2 GiB bundle for ferry's
 * peak RSS (target: under 200 MB) and time.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeImageSet, seedImageSet, type ImageSet } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { median, timed, type RunResult } from './measure.ts';

/** Runs per tool; the median is reported. */
const RUNS = Number(process.env.FERRY_BENCH_RUNS ?? 3);
/** The 2 GiB bundle: images × layer size, every image with a shared base and one own layer. */
const BIG_IMAGES = 7;
const BIG_LAYER_BYTES = 256 * 1024 * 1024;

const ferryBin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');

function row(name: string, megabytes: number, runs: RunResult[]): string {
  const seconds = median(runs.map((r) => r.seconds));
  return `${name.padEnd(16)} ${seconds.toFixed(2).padStart(7)} s  ${(megabytes / seconds).toFixed(1).padStart(7)} MB/s  peak RSS ${(median(runs.map((r) => r.peakRssKiB)) / 1024).toFixed(0).padStart(4)} MiB  runs: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')}`;
}

async function ferryExport(source: RunningRegistry, set: ImageSet, work: string, extra: string[] = []): Promise<RunResult> {
  const dir = await mkdtemp(join(work, 'ferry-'));
  try {
    return await timed(process.execPath, [ferryBin, 'export', '--to', join(dir, 'bundle'), ...set.images.map((i) => `${source.host}/${i.repository}:${i.tag}`), '--plain-http', ...extra]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function skopeoExport(source: RunningRegistry, set: ImageSet, work: string): Promise<RunResult> {
  const dir = await mkdtemp(join(work, 'skopeo-'));
  const script = join(dir, 'copy.sh');
  const lines = set.images.map((i) => `skopeo copy --quiet --src-tls-verify=false docker://${source.host}/${i.repository}:${i.tag} oci:${dir}/layout:${i.repository}:${i.tag}`);
  await writeFile(script, `set -e\n${lines.join('\n')}\n`);
  try {
    return await timed('sh', [script]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the export benchmark and returns its printed lines. */
export async function runExportBench(): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-export-bench-'));
  const source = await startRegistry({ mode: 'anonymous' });
  const lines: string[] = [];
  try {
    const set = await makeImageSet(20, 8 * 1024 * 1024);
    await seedImageSet(source, set);
    const ferryRuns: RunResult[] = [];
    const archiveRuns: RunResult[] = [];
    const skopeoRuns: RunResult[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      if (run % 2 === 0) {
        ferryRuns.push(await ferryExport(source, set, work));
        skopeoRuns.push(await skopeoExport(source, set, work));
      } else {
        skopeoRuns.push(await skopeoExport(source, set, work));
        ferryRuns.push(await ferryExport(source, set, work));
      }
      archiveRuns.push(await ferryExport(source, set, work, ['--archive']));
    }
    const megabytes = set.uniqueSize / 1e6;
    lines.push(
      `export: 20 images, 8 MiB layers, ${megabytes.toFixed(1)} MB unique, to local disk, median of ${RUNS} runs`,
      row('ferry directory', megabytes, ferryRuns),
      row('ferry archive', megabytes, archiveRuns),
      row('skopeo (20x)', megabytes, skopeoRuns),
      `ratio ferry/skopeo time: ${(median(ferryRuns.map((r) => r.seconds)) / median(skopeoRuns.map((r) => r.seconds))).toFixed(2)} (target <= 0.50)`,
    );
    if (process.env.FERRY_BENCH_BIG !== '0') {
      const big = await makeImageSet(BIG_IMAGES, BIG_LAYER_BYTES, { repositoryPrefix: 'big' });
      await seedImageSet(source, big);
      const bigMegabytes = big.uniqueSize / 1e6;
      const ferryBig = await ferryExport(source, big, work);
      const skopeoBig = await skopeoExport(source, big, work);
      lines.push(
        `export: ${BIG_IMAGES} images, ${BIG_LAYER_BYTES / 1048576} MiB layers, ${(big.uniqueSize / 1024 ** 3).toFixed(2)} GiB unique, one run each`,
        row('ferry directory', bigMegabytes, [ferryBig]),
        row('skopeo', bigMegabytes, [skopeoBig]),
        `ferry peak RSS for a ${(big.uniqueSize / 1024 ** 3).toFixed(2)} GiB bundle: ${(ferryBig.peakRssKiB / 1024).toFixed(0)} MiB (target < 200 MB); ratio ${(ferryBig.seconds / skopeoBig.seconds).toFixed(2)}`,
      );
    }
    return lines;
  } finally {
    await source.stop();
    await rm(work, { recursive: true, force: true });
  }
}
