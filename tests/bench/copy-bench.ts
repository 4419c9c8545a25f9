/**
 * Benchmark: `ferry copy --images` against `skopeo sync --src yaml --dest docker`
 * for the same 20-image set between the same loopback registries, one process
 * each, a fresh destination registry for every run. Prints time, MB/s, peak
 * RSS, the tool's CPU (user + sys, also scaled to the 386 MB issue 16 states
 * its target in), the source and destination registries' CPU, requests per
 * image at each registry, and the ferry/skopeo time ratio (target: at most 0.5).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeImageSet, seedImageSet, type ImageSet } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { median, timed, withProcessCpu, type RunResult } from './measure.ts';
import { perImage, withRequestCounts, type RequestCounts } from './registry-requests.ts';

/** Images in the set, as the issue asks. */
const IMAGE_COUNT = 20;
/**
 * Layer sizes to run: small layers measure per-request latency (where running
 * blobs concurrently across images pays), big ones measure throughput. Every
 * image has a shared base layer and one of its own of this size.
 */
const LAYER_SIZES = (process.env.FERRY_BENCH_LAYER_BYTES ?? `${256 * 1024},${8 * 1024 * 1024}`).split(',').map(Number);
/** Runs per tool; the median is reported. */
const RUNS = Number(process.env.FERRY_BENCH_RUNS ?? 3);
/** Issue 16 states the CPU target per 386 MB (its bench set); CPU is also printed scaled to that size. */
const TARGET_MEGABYTES = 386;

/** One measured run: the tool's time and CPU, the source's and destination's CPU, and the requests each answered. */
interface Measured {
  run: RunResult;
  registryCpu: number[];
  requests: RequestCounts[];
}

async function measure(source: RunningRegistry, destination: RunningRegistry, work: () => Promise<RunResult>): Promise<Measured> {
  const registries = [source, destination];
  const { result, requests } = await withRequestCounts(registries, () =>
    withProcessCpu(
      registries.map((r) => r.pid),
      work,
    ),
  );
  return { run: result.result, registryCpu: result.cpuSeconds, requests };
}

async function verify(destination: RunningRegistry, set: ImageSet, prefix: string): Promise<void> {
  for (const image of set.images) {
    const digest = await skopeoInspectRawDigest(`docker://${destination.host}/${prefix}/${image.repository}:${image.tag}`, destination);
    if (digest !== image.manifestDigest) throw new Error(`${prefix}/${image.repository}: digest ${digest}, expected ${image.manifestDigest}`);
  }
}

/** Runs the copy benchmark for every layer size and returns its printed lines. */
export async function runCopyBench(): Promise<string[]> {
  const lines: string[] = [];
  for (const size of LAYER_SIZES) lines.push(...(await runOneSize(size)));
  return lines;
}

async function runOneSize(layerBytes: number): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
  const source = await startRegistry({ mode: 'anonymous' });
  try {
    const set = await makeImageSet(IMAGE_COUNT, layerBytes);
    await seedImageSet(source, set);
    const list = join(work, 'images.txt');
    await writeFile(list, `${set.images.map((i) => `${source.host}/${i.repository}:${i.tag}`).join('\n')}\n`);
    const yaml = join(work, 'sync.yaml');
    const byRepository = set.images.map((i) => `    ${i.repository}: [${i.tag}]`).join('\n');
    await writeFile(yaml, `${source.host}:\n  tls-verify: false\n  images:\n${byRepository}\n`);
    const ferryBin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');
    const ferryRuns: Measured[] = [];
    const skopeoRuns: Measured[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      for (const tool of run % 2 === 0 ? ['ferry', 'skopeo'] : ['skopeo', 'ferry']) {
        const destination = await startRegistry({ mode: 'anonymous' });
        try {
          if (tool === 'ferry') {
            ferryRuns.push(await measure(source, destination, () => timed(process.execPath, [ferryBin, 'copy', '--images', list, '--to', `${destination.host}/ferry`, '--plain-http'])));
            await verify(destination, set, 'ferry');
          } else {
            skopeoRuns.push(
              await measure(source, destination, () => timed('skopeo', ['sync', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', '--all', yaml, `${destination.host}/skopeo/set`])),
            );
            await verify(destination, set, 'skopeo');
          }
        } finally {
          await destination.stop();
        }
      }
    }
    const megabytes = set.uniqueSize / 1e6;
    const ferryTime = median(ferryRuns.map((r) => r.run.seconds));
    const skopeoTime = median(skopeoRuns.map((r) => r.run.seconds));
    const row = (name: string, runs: Measured[]): string[] => {
      const seconds = median(runs.map((r) => r.run.seconds));
      const cpu = median(runs.map((r) => r.run.cpuSeconds));
      const middle = [...runs].sort((a, b) => a.run.seconds - b.run.seconds)[Math.floor(runs.length / 2)];
      return [
        `${name.padEnd(8)} ${seconds.toFixed(2).padStart(7)} s  ${(megabytes / seconds).toFixed(1).padStart(7)} MB/s  CPU ${cpu.toFixed(2)} s (${((cpu * TARGET_MEGABYTES) / megabytes).toFixed(2)} s per ${TARGET_MEGABYTES} MB)  source CPU ${median(runs.map((r) => r.registryCpu[0] ?? Number.NaN)).toFixed(2)} s  destination CPU ${median(runs.map((r) => r.registryCpu[1] ?? Number.NaN)).toFixed(2)} s  peak RSS ${(median(runs.map((r) => r.run.peakRssKiB)) / 1024).toFixed(0).padStart(4)} MiB  runs: ${runs.map((r) => r.run.seconds.toFixed(2)).join(', ')}`,
        ...['source', 'destination'].map((side, i) => `${''.padEnd(10)}${side} requests: ${middle?.requests[i] ? perImage(middle.requests[i], IMAGE_COUNT) : '-'}`),
      ];
    };
    return [
      `copy: ${IMAGE_COUNT} images, ${(layerBytes / 1048576).toFixed(1)} MiB layers, ${megabytes.toFixed(1)} MB unique, median of ${RUNS} runs, fresh destination registry each run; load ${loadavg()[0]?.toFixed(1)} at the end`,
      ...row('ferry', ferryRuns),
      ...row('skopeo', skopeoRuns),
      `ratio ferry/skopeo time: ${(ferryTime / skopeoTime).toFixed(2)} (target <= 0.50)`,
    ];
  } finally {
    await source.stop();
  }
}
