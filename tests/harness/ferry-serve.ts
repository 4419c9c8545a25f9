/**
 * Runs the real `ferry serve` command as a child process (node
 * src-main/cli/bin.mjs serve …), the way an operator starts it, and describes
 * it as a RunningRegistry so the harness's skopeo, seeding and raw-push
 * helpers drive it exactly as they drive Distribution.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeDir, trackChild, trackDir } from './cleanup.ts';
import { freePort, killChild } from './registry.ts';
import type { BasicUser, RunningRegistry } from './registry.ts';

const execFileAsync = promisify(execFile);
/** The CLI entry point of this checkout. */
const FERRY_BIN = new URL('../../src-main/cli/bin.mjs', import.meta.url).pathname;
/** First start may rebuild nothing but still loads the CLI through tsx: allow for a slow shared machine. */
const READY_TIMEOUT_MS = 60_000;
/** Grace period after SIGTERM (ferry serve closes cleanly on it) before SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** How to start ferry serve; `tls` and `users` together give the TLS + htpasswd mode. */
export interface FerryServeOptions {
  /** `--tls auto` (the store's own CA); default plain HTTP. */
  tls?: boolean;
  /** htpasswd users (`htpasswd -B`); default anonymous. */
  users?: readonly BasicUser[];
  /** Extra `--name` values for the certificate. */
  names?: readonly string[];
  /** Reuse a storage folder (e.g. to restart on the same store); default a fresh temp folder. */
  storage?: string;
  readOnly?: boolean;
  /** More `ferry serve` flags, after the ones above (e.g. `--user u --password-keychain`). */
  extraArgs?: readonly string[];
  /** The child's environment (default this process's), e.g. a keychain's GNUPGHOME and PASSWORD_STORE_DIR. */
  env?: NodeJS.ProcessEnv;
}

/** A running ferry serve, usable wherever the harness takes a RunningRegistry. */
export interface RunningFerryServe extends RunningRegistry {
  /** The store folder (`--storage`). */
  storage: string;
  /** What ferry serve printed on start. */
  banner: string;
}

/** The start line: `serving registry DIR at https://HOST:PORT (CA: …/tls/ca.crt)`. */
const BANNER = /serving registry .* at (https?):\/\/([^\s/]+)(?: \(CA: ([^)]+)\))?/;

function waitForBanner(child: ChildProcess, logFile: string, log: () => string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`ferry serve printed no start line in ${READY_TIMEOUT_MS} ms:\n${log()}`)), READY_TIMEOUT_MS);
    const onData = (): void => {
      const match = BANNER.exec(log());
      if (match) finish(undefined, match);
    };
    const onExit = (code: number | null, signal: string | null): void => finish(new Error(`ferry serve exited (${code ?? signal}) before serving (log ${logFile}):\n${log()}`));
    const finish = (error?: Error, match?: RegExpExecArray): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else if (match) resolve(match);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Starts `ferry serve --storage … --listen 127.0.0.1:PORT [--tls auto] [--htpasswd FILE]` and waits for its start line. */
export async function startFerryServe(options: FerryServeOptions = {}): Promise<RunningFerryServe> {
  const runDir = await mkdtemp(join(tmpdir(), 'ferry-serve-run-'));
  trackDir(runDir);
  const storage = options.storage ?? join(runDir, 'store');
  const logFile = join(runDir, 'serve.log');
  const port = await freePort();
  const args = [FERRY_BIN, 'serve', '--storage', storage, '--listen', `127.0.0.1:${port}`];
  if (options.tls) args.push('--tls', 'auto');
  for (const name of options.names ?? []) args.push('--name', name);
  if (options.readOnly) args.push('--read-only');
  args.push(...(options.extraArgs ?? []));
  const user = options.users?.[0];
  if (options.users && options.users.length > 0) {
    const lines = await Promise.all(options.users.map(async (u) => (await execFileAsync('htpasswd', ['-Bbn', u.username, u.password], { timeout: 30_000 })).stdout.trim()));
    const htpasswd = join(runDir, 'htpasswd');
    await writeFile(htpasswd, `${lines.join('\n')}\n`);
    args.push('--htpasswd', htpasswd);
  }
  // setpriv --pdeathsig: the kernel kills ferry serve even if the test worker is SIGKILLed.
  const usePdeath = existsSync('/usr/bin/setpriv');
  const child = usePdeath
    ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  trackChild(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const stop = async (): Promise<void> => {
    await killChild(child, STOP_GRACE_MS);
    await writeFile(logFile, output).catch(() => undefined);
    removeDir(runDir);
  };
  try {
    const match = await waitForBanner(child, logFile, () => output);
    const scheme = match[1] ?? 'http';
    const host = match[2] ?? `127.0.0.1:${port}`;
    const caFile = match[3];
    const base = {
      mode: user ? ('tls-basic' as const) : ('anonymous' as const),
      host,
      url: `${scheme}://${host}`,
      storageDir: storage,
      storage,
      banner: output.trim(),
      logFile,
      pid: child.pid ?? 0,
      readLog: () => output,
      stop,
    };
    const creds = user ? { username: user.username, password: user.password } : {};
    if (!caFile) return { ...base, ...creds };
    // skopeo's --cert-dir and the containers certs.d layout want a folder holding ca.crt.
    const certDir = join(runDir, 'client-certs');
    await mkdir(certDir);
    await copyFile(caFile, join(certDir, 'ca.crt'));
    return { ...base, ...creds, caFile, caPem: await readFile(caFile, 'utf8'), certDir };
  } catch (error) {
    await stop();
    throw error;
  }
}
