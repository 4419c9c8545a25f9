/**
 * Runs the real `ferry` executable (src-main/cli/bin.mjs, which loads the
 * dist/cli bundle `npm run build:cli` wrote) as its own process, the way a
 * person does: under GNU time for its peak RSS, with a hard timeout, and
 * optionally killed with SIGKILL at a chosen moment.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The executable a person runs; it picks the built bundle when it is fresh. */
export const FERRY_BIN = join(process.cwd(), 'src-main', 'cli', 'bin.mjs');

/** How one ferry process ended. */
export interface FerryRun {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  /** We sent SIGKILL at `killAfterMs`. */
  killed: boolean;
  /** It ran past `timeoutMs` and we killed it: a hang. */
  timedOut: boolean;
  seconds: number;
  /** Peak resident set of the ferry process (GNU time %M), KiB; undefined when time could not tell. */
  maxRssKiB: number | undefined;
  stdout: string;
  stderr: string;
}

/** How to run it. */
export interface FerryRunOptions {
  /** Environment added to this process's (catalog and data folder of the run). */
  env?: Record<string, string>;
  /** Send SIGKILL this many milliseconds after `killAnchor` turned true (or after the start without one): a crash at a random point. */
  killAfterMs?: number;
  /**
   * Polled every few milliseconds from the start: the kill delay counts from the moment it first returns true
   * (e.g. the export journal appeared), so kill points land in the phase under test however loaded the machine is.
   * When the process ends before it turns true, there is no kill.
   */
  killAnchor?: () => boolean;
  /** A hang: SIGKILL after this many milliseconds and report timedOut. */
  timeoutMs: number;
  /** Called once the ferry process is known to exist, with its pid. */
  onStart?: (pid: number) => void;
  /** Called just before the SIGKILL of killAfterMs is sent, so the caller can note what the process had done. */
  beforeKill?: () => void;
}

/** The node process GNU time forked: its only child. */
function childOf(parent: number): number | undefined {
  try {
    const listed = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim();
    if (listed) return Number(listed.split(/\s+/)[0]);
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: scan /proc for the parent pid instead.
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/** How often a kill anchor is polled: fine enough for exports that write for a second or two. */
const ANCHOR_POLL_MS = 5;

/** Records when each condition first held while `body` runs (ms from the start), to measure a reference run's phases. */
export async function timePhases<T>(conditions: Record<string, () => boolean>, body: () => Promise<T>): Promise<{ result: T; at: Record<string, number | undefined> }> {
  const started = Date.now();
  const at: Record<string, number | undefined> = {};
  const poll = setInterval(() => {
    for (const [name, holds] of Object.entries(conditions)) if (at[name] === undefined && holds()) at[name] = Date.now() - started;
  }, ANCHOR_POLL_MS);
  try {
    return { result: await body(), at };
  } finally {
    clearInterval(poll);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `ferry ARGS` to the end, to its kill, or to its timeout; never rejects for a non-zero exit. */
export async function runFerryProcess(args: readonly string[], options: FerryRunOptions): Promise<FerryRun> {
  const scratch = await mkdtemp(join(tmpdir(), 'ferry-rss-'));
  const rssFile = join(scratch, 'rss');
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, FERRY_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  let ferryPid: number | undefined;
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  // GNU time forks at once; find the node process so signals reach Ferry, not time.
  const findPid = async (): Promise<number | undefined> => {
    while (!ended && ferryPid === undefined && child.pid !== undefined) {
      ferryPid = childOf(child.pid);
      if (ferryPid === undefined) await sleep(5);
    }
    return ferryPid;
  };
  void findPid().then((pid) => {
    if (pid !== undefined) options.onStart?.(pid);
  });
  // Set from the timers' callbacks: an object, so the checks after the exit read what they wrote.
  const sent = { kill: false, timeout: false };
  const killFerry = async (why: 'kill' | 'timeout'): Promise<void> => {
    const pid = await findPid();
    if (ended || pid === undefined) return;
    if (why === 'kill') {
      options.beforeKill?.();
      sent.kill = true;
    } else sent.timeout = true;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // It exited on its own a moment ago.
    }
  };
  let killTimer: NodeJS.Timeout | undefined;
  const { killAfterMs, killAnchor } = options;
  if (killAfterMs !== undefined && killAnchor === undefined) killTimer = setTimeout(() => void killFerry('kill'), killAfterMs);
  if (killAfterMs !== undefined && killAnchor !== undefined) {
    const poll = setInterval(() => {
      if (ended) clearInterval(poll);
      else if (killAnchor()) {
        clearInterval(poll);
        killTimer = setTimeout(() => void killFerry('kill'), killAfterMs);
      }
    }, ANCHOR_POLL_MS);
  }
  const hangTimer = setTimeout(() => void killFerry('timeout'), options.timeoutMs);
  const timeCode = await exited;
  clearTimeout(killTimer);
  clearTimeout(hangTimer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rssText = await readFile(rssFile, 'utf8').catch(() => '');
  await rm(scratch, { recursive: true, force: true });
  const lastLine = rssText.trim().split('\n').at(-1) ?? '';
  const maxRssKiB = /^\d+$/.test(lastLine) ? Number(lastLine) : undefined;
  // GNU time exits with the child's code, or 128+signal when a signal ended it.
  const signalled = /terminated by signal/.test(rssText);
  return { code: signalled ? null : timeCode, killed: sent.kill && signalled, timedOut: sent.timeout && signalled, seconds, maxRssKiB, stdout, stderr };
}

/** The last lines of a process's stderr, for a failure note. */
export function tailOf(text: string, lines = 3): string {
  return text.trim().split('\n').slice(-lines).join(' | ').slice(0, 400);
}
