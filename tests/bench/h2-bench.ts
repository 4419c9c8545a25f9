/**
 * Benchmark: HTTP/1.1 against HTTP/2 (`--http2`, undici's allowH2) for Ferry's
 * TLS traffic to Distribution 2.8, which offers h2 in its TLS handshake: an
 * export from a TLS + htpasswd source, and an import into a fresh TLS +
 * htpasswd target, alternated per run so load drifts hit both alike. It
 * decides whether HTTP/2 is on by default (docs/registry-client.md "HTTP/2").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBenchSet, seedImageSet } from '../harness/fixtures.ts';
import { startRegistry } from '../harness/registry.ts';
import { median, timed, type RunResult } from './measure.ts';

/** Runs per protocol; the median is reported. */
const RUNS = Number(process.env.FERRY_BENCH_RUNS ?? 3);
const ferryBin = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');

function row(name: string, megabytes: number, runs: RunResult[]): string {
  const seconds = median(runs.map((r) => r.seconds));
  const cpu = median(runs.map((r) => r.cpuSeconds));
  return `${name.padEnd(22)} ${seconds.toFixed(2).padStart(6)} s ${(megabytes / seconds).toFixed(1).padStart(6)} MB/s  CPU ${cpu.toFixed(2).padStart(5)} s  runs: ${runs.map((r) => `${r.seconds.toFixed(2)}/${r.cpuSeconds.toFixed(2)}`).join(', ')}`;
}

/** Runs the HTTP/2 benchmark and returns its printed lines. */
export async function runH2Bench(): Promise<string[]> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-h2-bench-'));
  const source = await startRegistry({ mode: 'tls-basic' });
  try {
    const set = await makeBenchSet();
    await seedImageSet(source, set);
    const names = set.images.map((i) => `${source.host}/${i.repository}:${i.tag}`);
    const sourceAccess = ['--ca-cert', source.caFile ?? '', '--creds', `${source.username}:${source.password}`];
    const runs: Record<string, RunResult[]> = { 'export h1': [], 'export h2': [], 'import h1': [], 'import h2': [] };
    const bundle = join(work, 'bundle');
    for (let run = 0; run < RUNS; run += 1) {
      for (const protocol of run % 2 === 0 ? ['h1', 'h2'] : ['h2', 'h1']) {
        const http2 = protocol === 'h2' ? ['--http2'] : [];
        const out = join(work, `export-${protocol}-${run}`);
        runs[`export ${protocol}`]?.push(await timed(process.execPath, [ferryBin, 'export', '--to', out, ...names, ...sourceAccess, ...http2]));
        if (run === 0 && protocol === 'h1') await timed('cp', ['-r', out, bundle]);
        await rm(out, { recursive: true, force: true });
      }
    }
    for (let run = 0; run < RUNS; run += 1) {
      for (const protocol of run % 2 === 0 ? ['h1', 'h2'] : ['h2', 'h1']) {
        const target = await startRegistry({ mode: 'tls-basic' });
        try {
          const http2 = protocol === 'h2' ? ['--http2'] : [];
          const args = [ferryBin, 'import', bundle, '--to', `${target.host}/ferry`, '--ca-cert', target.caFile ?? '', '--creds', `${target.username}:${target.password}`];
          runs[`import ${protocol}`]?.push(await timed(process.execPath, [...args, '--receipt', join(work, 'receipt.json'), ...http2]));
        } finally {
          await target.stop();
        }
      }
    }
    const megabytes = set.uniqueSize / 1e6;
    return [
      `HTTP/1.1 vs HTTP/2 over TLS + htpasswd (Distribution 2.8), the bench set ${megabytes.toFixed(1)} MB unique, median of ${RUNS} (CPU = Ferry's user+sys; runs: wall/CPU)`,
      ...Object.entries(runs).map(([name, r]) => row(`ferry ${name}`, megabytes, r)),
    ];
  } finally {
    await source.stop();
    await rm(work, { recursive: true, force: true });
  }
}
