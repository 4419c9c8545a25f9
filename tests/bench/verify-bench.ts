/**
 * Benchmark: `ferry verify` on a warm page cache, directory and archive form,
 * beside the physical limit: single-core `sha256sum` and `openssl dgst
 * -sha256` over the same bytes in the same run (the blob files; the tar
 * parts). Verify reads every byte once and hashes it (the archive form hashes
 * each byte twice: its part's sha256 and its blob's digest), so its GB/s should
 * come close to the hashers'. The `ferry verify` rows include Ferry's start-up;
 * the `in-process` rows call the engine's verifyBundle directly, without it.
 * The archive form hashes its parts on a second thread, so its process CPU is
 * no longer its time: the in-process rows also print the main thread's CPU,
 * the pass's critical path, which a loaded machine barely changes (wall time
 * there is mostly the wait for a core).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyBundle } from '../../src-main/bundle/verify.ts';
import { makeImageSet, seedImageSet } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import { median, timed, type RunResult } from './measure.ts';

/** Runs per tool; the median is reported. */
const RUNS = Number(process.env.FERRY_BENCH_RUNS ?? 3);
/** The bundle: a shared base and this many own layers, each VERIFY_LAYER_BYTES (about 0.7 GB in all by default). */
const VERIFY_IMAGES = Number(process.env.FERRY_BENCH_VERIFY_IMAGES ?? 4);
const VERIFY_LAYER_BYTES = 128 * 1024 * 1024;

const ferryBin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');

/** A row: median wall time, GB/s over `bytes`, the tool's CPU user+sys, and every run's wall time. */
function row(name: string, bytes: number | undefined, runs: RunResult[], key = ''): string {
  const seconds = median(runs.map((r) => r.seconds));
  const cpu = median(runs.map((r) => r.cpuSeconds));
  const rate = bytes === undefined ? '' : (bytes / seconds / 1e9).toFixed(2);
  const main = mainCpu[key] === undefined ? '' : `  main thread CPU ${median(mainCpu[key]).toFixed(2)} s`;
  return `${name.padEnd(30)} ${seconds.toFixed(2).padStart(6)} s ${rate.padStart(5)} GB/s  CPU ${cpu.toFixed(2).padStart(5)} s${main}  runs: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')}`;
}

/** Linux's clock ticks per second in /proc's CPU times (USER_HZ, 100 on every Linux architecture Node runs on). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + sys) of this process's main thread so far, from /proc; NaN where there is none. */
function mainThreadCpu(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** Main-thread CPU seconds of each in-process run, by row name. */
const mainCpu: Record<string, number[]> = {};

/** Times verifyBundle in this process (no start-up); CPU from process.cpuUsage, which counts the thread pool's reads and the hash thread too. */
async function inProcess(name: string, dir: string): Promise<RunResult> {
  const cpu = process.cpuUsage();
  const main = mainThreadCpu();
  const started = process.hrtime.bigint();
  const report = await verifyBundle(dir);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!report.ok) throw new Error(`${dir} did not verify: ${JSON.stringify(report.checks.filter((c) => !c.ok))}`);
  const used = process.cpuUsage(cpu);
  (mainCpu[name] ??= []).push(mainThreadCpu() - main);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, peakRssKiB: Number.NaN };
}

/** Reads every file once so the runs measure a warm page cache. */
async function warm(files: string[]): Promise<void> {
  for (const file of files) await readFile(file);
}

/** Runs the verify benchmark and returns its printed lines. */
export async function runVerifyBench(): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-verify-bench-'));
  const source = await startRegistry({ mode: 'anonymous' });
  // The exports' catalog and data folder stay in the bench's folder, never the user's own.
  const saved = { ...process.env };
  process.env.XDG_DATA_HOME = join(work, 'data');
  process.env.FERRY_CATALOG = join(work, 'catalog.sqlite');
  try {
    const set = await makeImageSet(VERIFY_IMAGES, VERIFY_LAYER_BYTES, { repositoryPrefix: 'verify' });
    await seedImageSet(source, set);
    const names = set.images.map((i) => `${source.host}/${i.repository}:${i.tag}`);
    const bundle = join(work, 'bundle');
    const archive = join(work, 'archive');
    await timed(process.execPath, [ferryBin, 'export', '--to', bundle, ...names, '--plain-http']);
    await timed(process.execPath, [ferryBin, 'export', '--to', archive, '--archive', ...names, '--plain-http']);
    await source.stop();
    const blobDir = join(bundle, 'blobs', 'sha256');
    const blobs = (await readdir(blobDir)).map((name) => join(blobDir, name));
    const parts = (await readdir(archive)).filter((name) => name.endsWith('.tar')).map((name) => join(archive, name));
    await warm([...blobs, ...parts]);
    const runs: Record<string, RunResult[]> = {};
    const add = (name: string, run: RunResult): void => {
      (runs[name] ??= []).push(run);
    };
    for (let run = 0; run < RUNS; run += 1) {
      add('startup', await timed(process.execPath, [ferryBin, '--version']));
      add('dir', await timed(process.execPath, [ferryBin, 'verify', bundle]));
      add('dir-in', await inProcess('dir-in', bundle));
      add('sha256sum-blobs', await timed('sha256sum', blobs));
      add('openssl-blobs', await timed('openssl', ['dgst', '-sha256', ...blobs]));
      add('archive', await timed(process.execPath, [ferryBin, 'verify', archive]));
      add('archive-in', await inProcess('archive-in', archive));
      add('sha256sum-parts', await timed('sha256sum', parts));
      add('openssl-parts', await timed('openssl', ['dgst', '-sha256', ...parts]));
    }
    const bytes = set.uniqueSize;
    const r = (name: string): RunResult[] => runs[name] ?? [];
    const ratio = (ferry: string, limit: string): string => (median(r(ferry).map((x) => x.seconds)) / median(r(limit).map((x) => x.seconds))).toFixed(2);
    const cpuRatio = (ferry: string, limit: string): string => (median(mainCpu[ferry] ?? []) / median(r(limit).map((x) => x.cpuSeconds))).toFixed(2);
    return [
      `verify: ${set.images.length} images, ${VERIFY_LAYER_BYTES / 1024 / 1024} MiB layers, ${(bytes / 1e9).toFixed(2)} GB, warm page cache, median of ${RUNS} (GB/s over the bundle's blob bytes)`,
      row('ferry start-up (--version)', undefined, r('startup')),
      row('ferry verify directory', bytes, r('dir')),
      row('  in-process verifyBundle', bytes, r('dir-in'), 'dir-in'),
      row('sha256sum blob files', bytes, r('sha256sum-blobs')),
      row('openssl sha256 blob files', bytes, r('openssl-blobs')),
      row('ferry verify archive', bytes, r('archive')),
      row('  in-process verifyBundle', bytes, r('archive-in'), 'archive-in'),
      row('sha256sum tar parts', bytes, r('sha256sum-parts')),
      row('openssl sha256 tar parts', bytes, r('openssl-parts')),
      `ratio in-process verify / openssl time: directory ${ratio('dir-in', 'openssl-blobs')}, archive ${ratio('archive-in', 'openssl-parts')} (the archive hashes every byte twice: its part and its blob, on two threads)`,
      `ratio in-process main-thread CPU / openssl CPU (the critical path, what an idle machine's time follows): directory ${cpuRatio('dir-in', 'openssl-blobs')}, archive ${cpuRatio('archive-in', 'openssl-parts')}`,
    ];
  } finally {
    process.env = saved;
    await source.stop();
    await rm(work, { recursive: true, force: true });
  }
}
