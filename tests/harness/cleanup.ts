/**
 * Process-exit cleanup for the harness: child processes and temp folders that
 * must not outlive the test worker, even when a test forgets to call stop().
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

function cleanupNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  if (process.env.FERRY_HARNESS_KEEP !== '1') {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  // 'exit' runs on normal exit and after process.exit(); signals need their own
  // handlers because Node's default for them skips 'exit' listeners.
  process.on('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanupNow();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Kills the child when this process exits, so a crashed test never leaks a registry. */
export function trackChild(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Removes the folder when this process exits, unless FERRY_HARNESS_KEEP=1 asks to keep it for debugging. */
export function trackDir(dir: string): void {
  install();
  dirs.add(dir);
}

/** Removes a tracked folder now (stop() path), honouring FERRY_HARNESS_KEEP=1. */
export function removeDir(dir: string): void {
  dirs.delete(dir);
  if (process.env.FERRY_HARNESS_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
}
