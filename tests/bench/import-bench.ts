/**
 * Benchmark: `ferry import` (one process) against `skopeo copy oci:BUNDLE:NAME
 * docker://…` per image, from the same directory bundle into a fresh loopback
 * registry for every run: anonymous HTTP, and TLS with its own CA plus htpasswd
 * (where a per-connection TLS context once made Ferry 3× slower than skopeo).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBenchSet, seedImageSet } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { median, timed, withProcessCpu, type RunResult } from './measure.ts';

/** Runs per tool; the median is reported. */
const RUNS = Number(process.env.FERRY_BENCH_RUNS ?? 3);
const ferryBin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');

/** One run of one tool, with the CPU the destination registry spent meanwhile. */
interface ImportRun extends RunResult {
  registryCpuSeconds: number;
}

/** A row: wall time, throughput, the tool's own CPU (user+sys), the destination registry's CPU, peak RSS; medians, then every run's wall time. */
function row(name: string, megabytes: number, runs: ImportRun[]): string {
  const seconds = median(runs.map((r) => r.seconds));
  const cpu = median(runs.map((r) => r.cpuSeconds));
  const registry = median(runs.map((r) => r.registryCpuSeconds));
  return `${name.padEnd(16)} ${seconds.toFixed(2).padStart(6)} s ${(megabytes / seconds).toFixed(1).padStart(6)} MB/s  CPU ${cpu.toFixed(2).padStart(5)} s  registry CPU ${registry.toFixed(2).padStart(5)} s  peak RSS ${(median(runs.map((r) => r.peakRssKiB)) / 1024).toFixed(0).padStart(4)} MiB  runs: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')}`;
}

/** Times a command while reading the destination registry's CPU from /proc. */
async function timedInto(target: RunningRegistry, command: string, args: string[]): Promise<ImportRun> {
  const { result, cpuSeconds } = await withProcessCpu([target.pid], () => timed(command, args));
  return { ...result, registryCpuSeconds: cpuSeconds[0] ?? Number.NaN };
}

/** Runs the import benchmark and returns its printed lines. */
export async function runImportBench(): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-import-bench-'));
  const source = await startRegistry({ mode: 'anonymous' });
  try {
    const set = await makeBenchSet();
    await seedImageSet(source, set);
    const names = set.images.map((i) => `${source.host}/${i.repository}:${i.tag}`);
    const bundle = join(work, 'bundle');
    const archive = join(work, 'archive');
    await timed(process.execPath, [ferryBin, 'export', '--to', bundle, ...names, '--plain-http']);
    await timed(process.execPath, [ferryBin, 'export', '--to', archive, '--archive', ...names, '--plain-http']);
    const ferryRuns: ImportRun[] = [];
    const archiveRuns: ImportRun[] = [];
    const skopeoRuns: ImportRun[] = [];
    const tlsFerryRuns: ImportRun[] = [];
    const tlsSkopeoRuns: ImportRun[] = [];
    const startupRuns: RunResult[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      startupRuns.push(await timed(process.execPath, [ferryBin, '--version']));
      for (const tool of run % 2 === 0 ? ['ferry', 'skopeo', 'archive', 'ferry-tls', 'skopeo-tls'] : ['skopeo', 'ferry', 'archive', 'skopeo-tls', 'ferry-tls']) {
        const target = await startRegistry({ mode: tool.endsWith('-tls') ? 'tls-basic' : 'anonymous' });
        try {
          const creds = `${target.username}:${target.password}`;
          if (tool === 'skopeo-tls') {
            const script = join(work, 'import-tls.sh');
            await writeFile(
              script,
              `set -e\n${names.map((name, i) => `skopeo copy --quiet --all --dest-cert-dir ${target.certDir} --dest-creds '${creds}' oci:${bundle}:${name} docker://${target.host}/skopeo/${set.images[i]?.repository}:v1`).join('\n')}\n`,
            );
            tlsSkopeoRuns.push(await timedInto(target, 'sh', [script]));
          } else if (tool === 'ferry-tls') {
            tlsFerryRuns.push(
              await timedInto(target, process.execPath, [
                ferryBin,
                'import',
                bundle,
                '--to',
                `${target.host}/ferry`,
                '--ca-cert',
                target.caFile ?? '',
                '--creds',
                creds,
                '--receipt',
                join(work, 'receipt.json'),
              ]),
            );
          } else if (tool === 'skopeo') {
            const script = join(work, 'import.sh');
            await writeFile(
              script,
              `set -e\n${names.map((name, i) => `skopeo copy --quiet --all --dest-tls-verify=false oci:${bundle}:${name} docker://${target.host}/skopeo/${set.images[i]?.repository}:v1`).join('\n')}\n`,
            );
            skopeoRuns.push(await timedInto(target, 'sh', [script]));
          } else {
            const runs = tool === 'ferry' ? ferryRuns : archiveRuns;
            runs.push(
              await timedInto(target, process.execPath, [
                ferryBin,
                'import',
                tool === 'ferry' ? bundle : archive,
                '--to',
                `${target.host}/ferry`,
                '--plain-http',
                '--receipt',
                join(work, 'receipt.json'),
              ]),
            );
          }
        } finally {
          await target.stop();
        }
      }
    }
    const megabytes = set.uniqueSize / 1e6;
    return [
      `import: the bench set (${set.images.length} images, shared bases, multi-arch), ${megabytes.toFixed(1)} MB unique, bundle on local disk, fresh registry per run, median of ${RUNS} (ferry times include verifying the whole bundle first; CPU = the tool's user+sys, skopeo's summed over its processes; registry CPU = the destination Distribution's)`,
      row('ferry directory', megabytes, ferryRuns),
      row('ferry archive', megabytes, archiveRuns),
      row(`skopeo (${set.images.length}x)`, megabytes, skopeoRuns),
      `ratio ferry/skopeo time: ${(median(ferryRuns.map((r) => r.seconds)) / median(skopeoRuns.map((r) => r.seconds))).toFixed(2)} (target <= 0.50); ferry CPU per 386 MB: ${((median(ferryRuns.map((r) => r.cpuSeconds)) * 386) / megabytes).toFixed(2)} s (target <= 1.5)`,
      `ferry start-up alone (ferry --version), part of every ferry row: ${median(startupRuns.map((r) => r.seconds)).toFixed(2)} s, CPU ${median(startupRuns.map((r) => r.cpuSeconds)).toFixed(2)} s`,
      row('ferry TLS+basic', megabytes, tlsFerryRuns),
      row('skopeo TLS+basic', megabytes, tlsSkopeoRuns),
      `ratio ferry/skopeo time into TLS + htpasswd: ${(median(tlsFerryRuns.map((r) => r.seconds)) / median(tlsSkopeoRuns.map((r) => r.seconds))).toFixed(2)}`,
    ];
  } finally {
    await source.stop();
    await rm(work, { recursive: true, force: true });
  }
}
