/**
 * Benchmark: many small images, where per-image cost (requests, planning,
 * bookkeeping) decides rather than bytes. 1,000 images, each its own
 * repository with a config and two layers of tens of KB, seeded over plain
 * HTTP (tests/harness/small-images.ts).
 * - copy: `ferry copy --images` against `skopeo sync --src yaml --dest docker`
 *   into a fresh destination registry per run (target: ferry at most 0.5×);
 * - export: `ferry export` to a folder against `skopeo sync --dest dir`.
 * Each row prints wall time and milliseconds per image, the tool's CPU
 * (user + sys), each registry's CPU, and requests per image at each registry
 * from its access log.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { checkSmallImages, makeSmallImages, seedSmallImages, type SmallImageSet } from '../harness/small-images.ts';
import { median, timed, withProcessCpu, type RunResult } from './measure.ts';
import { perImage, withRequestCounts, type RequestCounts } from './registry-requests.ts';

/** Images in the set, as issue 16 asks; FERRY_BENCH_SMALL_IMAGES overrides it for a quick look. */
const IMAGE_COUNT = Number(process.env.FERRY_BENCH_SMALL_IMAGES ?? 1000);
/** Runs per tool; the median is reported. */
const RUNS = Number(process.env.FERRY_BENCH_RUNS ?? 3);
/** Runs of the export comparison; FERRY_BENCH_SMALL_EXPORT_RUNS lowers it when the copy is what is being measured. */
const EXPORT_RUNS = Number(process.env.FERRY_BENCH_SMALL_EXPORT_RUNS ?? RUNS);
const ferryBin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');

/** One measured run: the tool's time and CPU, each registry's CPU, and the requests each answered. */
interface Measured {
  run: RunResult;
  registryCpu: number[];
  requests: RequestCounts[];
}

async function measure(registries: RunningRegistry[], work: () => Promise<RunResult>): Promise<Measured> {
  const { result, requests } = await withRequestCounts(registries, () =>
    withProcessCpu(
      registries.map((r) => r.pid),
      work,
    ),
  );
  return { run: result.result, registryCpu: result.cpuSeconds, requests };
}

/** One printed row: medians of wall time, ms per image, CPU of the tool and of each registry, and requests per image of the median run. */
function row(name: string, runs: Measured[], registryNames: string[]): string[] {
  const seconds = median(runs.map((r) => r.run.seconds));
  const cpu = median(runs.map((r) => r.run.cpuSeconds));
  const registries = registryNames.map((n, i) => `${n} CPU ${median(runs.map((r) => r.registryCpu[i] ?? Number.NaN)).toFixed(2)} s`).join(', ');
  const middle = [...runs].sort((a, b) => a.run.seconds - b.run.seconds)[Math.floor(runs.length / 2)];
  return [
    `${name.padEnd(14)} ${seconds.toFixed(2).padStart(7)} s  ${((seconds * 1000) / IMAGE_COUNT).toFixed(1).padStart(6)} ms/image  CPU ${cpu.toFixed(2)} s (${((cpu * 1000) / IMAGE_COUNT).toFixed(2)} ms/image)  ${registries}  peak RSS ${(median(runs.map((r) => r.run.peakRssKiB)) / 1024).toFixed(0)} MiB  runs: ${runs.map((r) => r.run.seconds.toFixed(2)).join(', ')}`,
    ...registryNames.map((n, i) => `${''.padEnd(16)}${n} requests: ${middle ? perImage(middle.requests[i] ?? { total: 0, byKind: new Map() }, IMAGE_COUNT) : '-'}`),
  ];
}

async function skopeoYaml(work: string, source: RunningRegistry, set: SmallImageSet): Promise<string> {
  const yaml = join(work, 'sync.yaml');
  const byRepository = set.images.map((i) => `    ${i.repository}: [${i.tag}]`).join('\n');
  await writeFile(yaml, `${source.host}:\n  tls-verify: false\n  images:\n${byRepository}\n`);
  return yaml;
}

/** Copies the set with each tool into a fresh registry per run, alternating which goes first. */
async function copyRows(work: string, source: RunningRegistry, set: SmallImageSet, list: string, yaml: string): Promise<string[]> {
  const ferryRuns: Measured[] = [];
  const skopeoRuns: Measured[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    for (const tool of run % 2 === 0 ? ['ferry', 'skopeo'] : ['skopeo', 'ferry']) {
      const destination = await startRegistry({ mode: 'anonymous' });
      try {
        if (tool === 'ferry') {
          ferryRuns.push(await measure([source, destination], () => timed(process.execPath, [ferryBin, 'copy', '--images', list, '--to', `${destination.host}/ferry`, '--plain-http'])));
          await checkSmallImages(destination, set, 'ferry');
        } else {
          skopeoRuns.push(
            await measure([source, destination], () => timed('skopeo', ['sync', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yaml, `${destination.host}/skopeo/small`])),
          );
          await checkSmallImages(destination, set, 'skopeo');
        }
      } finally {
        await destination.stop();
      }
    }
  }
  const ratio = median(ferryRuns.map((r) => r.run.seconds)) / median(skopeoRuns.map((r) => r.run.seconds));
  return [
    `copy, registry to registry (fresh destination each run):`,
    ...row('ferry copy', ferryRuns, ['source', 'destination']),
    ...row('skopeo sync', skopeoRuns, ['source', 'destination']),
    `ratio ferry/skopeo time: ${ratio.toFixed(2)} (target <= 0.50)`,
  ];
}

/** Exports the set to a fresh folder per run with each tool: ferry's bundle, skopeo's `dir:` per image. */
async function exportRows(work: string, source: RunningRegistry, list: string, yaml: string): Promise<string[]> {
  const ferryRuns: Measured[] = [];
  const skopeoRuns: Measured[] = [];
  const catalog = process.env.FERRY_CATALOG;
  process.env.FERRY_CATALOG = join(work, 'catalog.sqlite');
  try {
    for (let run = 0; run < EXPORT_RUNS; run += 1) {
      for (const tool of run % 2 === 0 ? ['ferry', 'skopeo'] : ['skopeo', 'ferry']) {
        const dir = await mkdtemp(join(work, `${tool}-`));
        try {
          if (tool === 'ferry') ferryRuns.push(await measure([source], () => timed(process.execPath, [ferryBin, 'export', '--to', join(dir, 'bundle'), '--images', list, '--plain-http'])));
          else skopeoRuns.push(await measure([source], () => timed('skopeo', ['sync', '--src', 'yaml', '--dest', 'dir', yaml, join(dir, 'dirs')])));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    if (catalog === undefined) delete process.env.FERRY_CATALOG;
    else process.env.FERRY_CATALOG = catalog;
  }
  const ratio = median(ferryRuns.map((r) => r.run.seconds)) / median(skopeoRuns.map((r) => r.run.seconds));
  return [
    `export to local disk (fresh folder each run; skopeo writes one dir: folder per image):`,
    ...row('ferry export', ferryRuns, ['source']),
    ...row('skopeo sync', skopeoRuns, ['source']),
    `ratio ferry/skopeo time: ${ratio.toFixed(2)}`,
  ];
}

/** Runs the many-small-images benchmark and returns its printed lines. */
export async function runSmallImagesBench(): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-small-bench-'));
  const source = await startRegistry({ mode: 'anonymous' });
  try {
    const seedStarted = Date.now();
    const set = await makeSmallImages(IMAGE_COUNT);
    await seedSmallImages(source, set);
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    const list = join(work, 'images.txt');
    await writeFile(list, `${set.images.map((i) => `${source.host}/${i.repository}:${i.tag}`).join('\n')}\n`);
    const yaml = await skopeoYaml(work, source, set);
    return [
      `small images: ${IMAGE_COUNT} images (one repository each, a config and two layers of tens of KB), ${(set.totalBytes / 1e6).toFixed(1)} MB in all, seeded in ${seedSeconds.toFixed(1)} s; median of ${RUNS} copy runs and ${EXPORT_RUNS} export runs; load ${loadavg()[0]?.toFixed(1)} at the start`,
      ...(await copyRows(work, source, set, list, yaml)),
      ...(await exportRows(work, source, list, yaml)),
    ];
  } finally {
    await source.stop();
    await rm(work, { recursive: true, force: true });
  }
}
