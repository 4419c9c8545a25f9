/**
 * Timing helpers shared by the benchmarks: one command's wall time, CPU time
 * and peak RSS (through /usr/bin/time), another process's CPU time (from
 * /proc, for the registries on the other end), and the median of several runs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One timed run of one tool. */
export interface RunResult {
  seconds: number;
  peakRssKiB: number;
  /** User + system CPU seconds of the command and the children it waited for. */
  cpuSeconds: number;
}

/**
 * Runs a command under /usr/bin/time to get its wall time, CPU time and peak RSS; fails loudly on a non-zero exit.
 * `env` replaces the environment (time looks `command` up on its PATH, as a shell would).
 */
export function timed(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'], ...(env === undefined ? {} : { env }) });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) {
        reject(new Error(`${command} exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      const [rss, user, system] = (stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
      resolve({ seconds, peakRssKiB: rss ?? Number.NaN, cpuSeconds: (user ?? Number.NaN) + (system ?? Number.NaN) });
    });
  });
}

/** The middle value: robust against one run disturbed by the other processes on a 2-core machine. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture Ferry runs on. */
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU seconds a running process (a registry) has used so far,
 * from /proc/PID/stat; take it before and after a run for that run's share.
 */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Runs `work` and returns its result with the CPU seconds each listed process spent meanwhile. */
export async function withProcessCpu<T>(pids: readonly number[], work: () => Promise<T>): Promise<{ result: T; cpuSeconds: number[] }> {
  const before = pids.map(processCpuSeconds);
  const result = await work();
  return { result, cpuSeconds: pids.map((pid, index) => processCpuSeconds(pid) - (before[index] ?? 0)) };
}
