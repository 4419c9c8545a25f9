/**
 * Timing helpers shared by the benchmarks: one command's wall time and peak
 * RSS (through /usr/bin/time), and the median of several runs.
 */
import { spawn } from 'node:child_process';

/** One timed run of one tool. */
export interface RunResult {
  seconds: number;
  peakRssKiB: number;
}

/** Runs a command under /usr/bin/time to get its wall time and peak RSS; fails loudly on a non-zero exit. */
export function timed(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
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
      const lines = stderr.trim().split('\n');
      resolve({ seconds, peakRssKiB: Number(lines.at(-1)) });
    });
  });
}

/** The middle value: robust against one run disturbed by the other processes on a 2-core machine. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
