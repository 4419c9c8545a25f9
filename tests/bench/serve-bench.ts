/**
 * Benchmark: `ferry serve` against Debian's Distribution, same run, same
 * bundle (20 images, a shared base layer and one own layer each).
 * - Pull: skopeo copies every image to an OCI layout folder from
 *   Distribution, from `ferry serve --storage` and from `ferry serve --bundle`
 *   (one skopeo process per image, as a site's clients pull).
 * - Import: `ferry import` of the directory bundle into a fresh Distribution,
 *   into a fresh `ferry serve --storage` over HTTP, and with `--to-store`
 *   straight into a fresh store folder. Target: the store import at least
 *   2× faster than the import into Distribution (ratio <= 0.50).
 * Every server runs as its own process on loopback, anonymous plain HTTP.
 * Each row prints the client's CPU (skopeo or Ferry, user+sys) and the
 * server's CPU over the same run (from /proc; none for --to-store).
 * With FERRY_BENCH_BIG unset (or not 0) the imports also run once on a set
 * of 4 images with 128 MiB layers. FERRY_BENCH_SERVE_PULL=0 skips the pulls
 * (the imports alone, e.g. while working on one of them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeImageSet, seedImageSet, type ImageSet } from '../harness/fixtures.ts';
import { freePort, startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { median, timed, withProcessCpu, type RunResult } from './measure.ts';

/** Runs per measurement; the median is reported. */
const RUNS = Number(process.env.FERRY_BENCH_RUNS ?? 3);
/** The bench set: as the import and copy benchmarks, 20 images with 8 MiB layers. */
const IMAGES = 20;
const LAYER_BYTES = 8 * 1024 * 1024;
/** The big set: fewer, larger layers, where throughput rather than per-request cost decides. */
const BIG_IMAGES = 4;
const BIG_LAYER_BYTES = 128 * 1024 * 1024;
/** How long `ferry serve` may take to answer /v2/ after it was started (verifying a bundle first). */
const SERVE_READY_MS = 120_000;
/** Pause between readiness probes. */
const SERVE_POLL_MS = 100;
const ferryBin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');

/** One running `ferry serve` process. */
interface FerryServe {
  host: string;
  /** Its process id, for its CPU time. */
  pid: number;
  stop(): Promise<void>;
}

/** One timed run of a client (ferry import, or the skopeo pulls) and the CPU the server on the other end spent meanwhile (0 for --to-store: there is none). */
interface Measured extends RunResult {
  serverCpuSeconds: number;
}

/** Times a client command while reading the CPU time of the server process it talks to. */
async function timedAgainst(serverPid: number | undefined, command: string, args: string[]): Promise<Measured> {
  if (serverPid === undefined) return { ...(await timed(command, args)), serverCpuSeconds: 0 };
  const { result, cpuSeconds } = await withProcessCpu([serverPid], () => timed(command, args));
  return { ...result, serverCpuSeconds: cpuSeconds[0] ?? Number.NaN };
}

/** Starts `ferry serve` with the given storage flags on a free loopback port and waits until /v2/ answers. */
async function startFerryServe(flags: string[]): Promise<FerryServe> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [ferryBin, 'serve', ...flags, '--listen', host], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + SERVE_READY_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`ferry serve ${flags.join(' ')} exited ${child.exitCode}: ${stderr.slice(-2000)}`);
    const ready = await fetch(`http://${host}/v2/`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return { host, pid: child.pid ?? 0, stop };
    await new Promise((resolve) => setTimeout(resolve, SERVE_POLL_MS));
  }
  await stop();
  throw new Error(`ferry serve ${flags.join(' ')} did not answer within ${SERVE_READY_MS} ms: ${stderr.slice(-2000)}`);
}

/** One row: median wall time and throughput, the client's and the server's CPU (user+sys, medians), the client's peak RSS, every run's wall time. */
function row(name: string, megabytes: number, runs: Measured[], client: string): string {
  const seconds = median(runs.map((r) => r.seconds));
  const cpu = `${client} CPU ${median(runs.map((r) => r.cpuSeconds))
    .toFixed(2)
    .padStart(5)} s  server CPU ${median(runs.map((r) => r.serverCpuSeconds))
    .toFixed(2)
    .padStart(5)} s`;
  return `${name.padEnd(30)} ${seconds.toFixed(2).padStart(7)} s  ${(megabytes / seconds).toFixed(1).padStart(7)} MB/s  ${cpu}  peak RSS ${(median(runs.map((r) => r.peakRssKiB)) / 1024).toFixed(0).padStart(4)} MiB  runs: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')}`;
}

/** Ratio of the medians of the CPU both ends spent (client + server), a machine-load-independent view of the same comparison. */
function cpuRatio(a: Measured[], b: Measured[]): string {
  const total = (runs: Measured[]): number => median(runs.map((r) => r.cpuSeconds + r.serverCpuSeconds));
  return (total(a) / total(b)).toFixed(2);
}

function ratio(a: RunResult[], b: RunResult[]): string {
  return (median(a.map((r) => r.seconds)) / median(b.map((r) => r.seconds))).toFixed(2);
}

/** Pulls every image of the set from `host` (repositories under `prefix`) with one skopeo process each, into a fresh OCI layout. */
async function pull(work: string, server: { host: string; pid: number }, prefix: string, set: ImageSet, label: string, run: number): Promise<Measured> {
  const out = join(work, `pulled-${label}-${run}`);
  const script = join(work, `pull-${label}.sh`);
  const lines = set.images.map((image) => `skopeo copy --quiet --src-tls-verify=false docker://${server.host}/${prefix}${image.repository}:${image.tag} oci:${out}:${image.repository}`);
  await writeFile(script, `set -e\n${lines.join('\n')}\n`);
  try {
    return await timedAgainst(server.pid, 'sh', [script]);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** The three imports of one bundle, each into a fresh target; returns their runs. */
async function importRuns(work: string, bundle: string, runs: number): Promise<{ distribution: Measured[]; serve: Measured[]; store: Measured[] }> {
  const result = { distribution: [] as Measured[], serve: [] as Measured[], store: [] as Measured[] };
  const receipt = ['--receipt', join(work, 'receipt.json'), '--catalog', join(work, 'catalog.sqlite')];
  for (let run = 0; run < runs; run += 1) {
    const order = run % 2 === 0 ? (['distribution', 'serve', 'store'] as const) : (['store', 'serve', 'distribution'] as const);
    for (const kind of order) {
      const storage = join(work, `store-${kind}-${run}`);
      try {
        if (kind === 'distribution') {
          const target = await startRegistry({ mode: 'anonymous' });
          try {
            result.distribution.push(await timedAgainst(target.pid, process.execPath, [ferryBin, 'import', bundle, '--to', `${target.host}/ferry`, '--plain-http', ...receipt]));
          } finally {
            await target.stop();
          }
        } else if (kind === 'serve') {
          const served = await startFerryServe(['--storage', storage]);
          try {
            result.serve.push(await timedAgainst(served.pid, process.execPath, [ferryBin, 'import', bundle, '--to', `${served.host}/ferry`, '--plain-http', ...receipt]));
          } finally {
            await served.stop();
          }
        } else {
          result.store.push(await timedAgainst(undefined, process.execPath, [ferryBin, 'import', bundle, '--to-store', storage, '--to', 'localhost/ferry', ...receipt]));
        }
      } finally {
        await rm(storage, { recursive: true, force: true });
      }
    }
  }
  return result;
}

/** Pulls: each server holds the bundle's images, imported once; every image pulled from each, RUNS times. Returns the printed lines. */
async function pullRuns(work: string, bundle: string, set: ImageSet, megabytes: number): Promise<string[]> {
  const distribution = await startRegistry({ mode: 'anonymous' });
  const storage = join(work, 'pull-store');
  const pulls = { distribution: [] as Measured[], store: [] as Measured[], bundle: [] as Measured[] };
  try {
    await timed(process.execPath, [ferryBin, 'import', bundle, '--to', `${distribution.host}/ferry`, '--plain-http', '--receipt', join(work, 'r.json'), '--catalog', join(work, 'catalog.sqlite')]);
    await timed(process.execPath, [ferryBin, 'import', bundle, '--to-store', storage, '--to', 'localhost/ferry', '--receipt', join(work, 'r.json'), '--catalog', join(work, 'catalog.sqlite')]);
    const fromStore = await startFerryServe(['--storage', storage, '--read-only']);
    const fromBundle = await startFerryServe(['--bundle', bundle]);
    try {
      for (let run = 0; run < RUNS; run += 1) {
        pulls.distribution.push(await pull(work, distribution, 'ferry/', set, 'distribution', run));
        pulls.store.push(await pull(work, fromStore, 'ferry/', set, 'store', run));
        pulls.bundle.push(await pull(work, fromBundle, '', set, 'bundle', run));
      }
    } finally {
      await fromStore.stop();
      await fromBundle.stop();
    }
  } finally {
    await distribution.stop();
  }
  return [
    `pull: ${IMAGES} images, ${LAYER_BYTES / 1048576} MiB layers, ${megabytes.toFixed(1)} MB unique, skopeo copy (one process per image) to an OCI layout, median of ${RUNS}`,
    row('from Distribution', megabytes, pulls.distribution, 'skopeo'),
    row('from ferry serve --storage', megabytes, pulls.store, 'skopeo'),
    row('from ferry serve --bundle', megabytes, pulls.bundle, 'skopeo'),
    `ratio ferry serve --storage / Distribution pull time: ${ratio(pulls.store, pulls.distribution)}; --bundle / Distribution: ${ratio(pulls.bundle, pulls.distribution)}`,
  ];
}

/** Exports a set from the source registry into a directory bundle. */
async function exportBundle(source: RunningRegistry, set: ImageSet, bundle: string): Promise<void> {
  await timed(process.execPath, [
    ferryBin,
    'export',
    '--to',
    bundle,
    ...set.images.map((i) => `${source.host}/${i.repository}:${i.tag}`),
    '--plain-http',
    '--catalog',
    join(bundle, '..', 'catalog.sqlite'),
  ]);
}

/** Runs the serve benchmark and returns its printed lines. */
export async function runServeBench(): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-serve-bench-'));
  const source = await startRegistry({ mode: 'anonymous' });
  const lines: string[] = [];
  try {
    const set = await makeImageSet(IMAGES, LAYER_BYTES);
    await seedImageSet(source, set);
    const bundle = join(work, 'bundle');
    await exportBundle(source, set, bundle);
    const megabytes = set.uniqueSize / 1e6;

    if (process.env.FERRY_BENCH_SERVE_PULL !== '0') lines.push(...(await pullRuns(work, bundle, set, megabytes)));

    const imports = await importRuns(work, bundle, RUNS);
    lines.push(
      `import: the same bundle on local disk, into a fresh target per run, median of ${RUNS} (every ferry import verifies the whole bundle first)`,
      row('into Distribution (HTTP)', megabytes, imports.distribution, 'Ferry'),
      row('into ferry serve (HTTP)', megabytes, imports.serve, 'Ferry'),
      row('--to-store (disk)', megabytes, imports.store, 'Ferry'),
      `ratio --to-store / Distribution import time: ${ratio(imports.store, imports.distribution)} (target <= 0.50); ferry serve HTTP / Distribution: ${ratio(imports.serve, imports.distribution)}`,
      `CPU (Ferry + server) --to-store / Distribution: ${cpuRatio(imports.store, imports.distribution)}; ferry serve HTTP / Distribution: ${cpuRatio(imports.serve, imports.distribution)}`,
    );

    if (process.env.FERRY_BENCH_BIG !== '0') {
      const big = await makeImageSet(BIG_IMAGES, BIG_LAYER_BYTES, { repositoryPrefix: 'big' });
      await seedImageSet(source, big);
      const bigBundle = join(work, 'big-bundle');
      await exportBundle(source, big, bigBundle);
      const bigMegabytes = big.uniqueSize / 1e6;
      const bigImports = await importRuns(work, bigBundle, 1);
      lines.push(
        `import: ${BIG_IMAGES} images, ${BIG_LAYER_BYTES / 1048576} MiB layers, ${(big.uniqueSize / 1024 ** 3).toFixed(2)} GiB unique, one run each`,
        row('into Distribution (HTTP)', bigMegabytes, bigImports.distribution, 'Ferry'),
        row('into ferry serve (HTTP)', bigMegabytes, bigImports.serve, 'Ferry'),
        row('--to-store (disk)', bigMegabytes, bigImports.store, 'Ferry'),
        `ratio --to-store / Distribution import time: ${ratio(bigImports.store, bigImports.distribution)}`,
      );
    }
    return lines;
  } finally {
    await source.stop();
    await rm(work, { recursive: true, force: true });
  }
}
