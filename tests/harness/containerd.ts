/**
 * Starts Debian's real containerd (1.6) as a private daemon for one test file:
 * its own config, root, state, gRPC socket and log under a temp folder, no CRI
 * plugin, and nothing shared with a containerd the machine may already run.
 * Mirror configuration (hosts.toml, certs.d) and `ferry serve` are then read by
 * the runtime itself through `ctr content fetch --hosts-dir`, not by Ferry's
 * own parsers. Needs root (containerd refuses to run otherwise).
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir, trackChild, trackDir } from './cleanup.ts';
import { killChild } from './registry.ts';

/** How long the daemon may take to answer `ctr version`: it starts in well under a second here, even on 2 busy cores. */
const READY_TIMEOUT_MS = 20_000;
/** Pause between readiness probes. */
const READY_POLL_MS = 100;
/** Grace period after SIGTERM before SIGKILL on stop(). */
const STOP_GRACE_MS = 5_000;
/** Upper bound for one ctr call: a fetch of a small fixture image through loopback takes a second or two. */
const CTR_TIMEOUT_MS = 120_000;
/** The namespace every ctr call uses, so nothing collides with a default-namespace daemon. */
const NAMESPACE = 'ferry-test';
/**
 * Plugins switched off: CRI (needs CNI and a sandbox image), the snapshotters
 * that need kernel features or devices we do not set up, and the runtimes,
 * since the tests only resolve and fetch content.
 */
const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.tracing.processor.v1.otlp',
  'io.containerd.internal.v1.tracing',
] as const;

/** What a failed ctr call carried: the exit code and ctr's own message. */
export class CtrError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    super(`ctr ${args.join(' ')} failed (${String(code)}): ${stderr.trim()}`);
  }
}

/** Options of one `ctr content fetch`. */
export interface FetchOptions {
  /** The folder containerd reads `<host>/hosts.toml` (and docker-style certs) from: CRI's `config_path`, ctr's `--hosts-dir`. */
  hostsDir?: string;
  /** Registry login as `user:password`; passed on stdin-free argv only to this child, never logged by the harness. */
  user?: string;
  /** Allow plain HTTP for hosts without a hosts.toml (ctr's `--plain-http`). */
  plainHttp?: boolean;
  /** `--platform` (default: the machine's). */
  platform?: string;
  /** Fetch every platform of an index (`--all-platforms`). */
  allPlatforms?: boolean;
}

/** A running private containerd and the helpers to drive it with ctr. */
export interface RunningContainerd {
  /** The gRPC socket (ctr --address). */
  address: string;
  /** Temp folder holding config.toml, root/, state/, the socket and the log. */
  dir: string;
  /** The namespace ctr uses. */
  namespace: string;
  /** Runs ctr against this daemon (address and namespace filled in) and returns stdout; `secrets` are masked in the error. */
  ctr(args: readonly string[], secrets?: readonly string[]): Promise<string>;
  /** `ctr content fetch` of one reference (by digest or tag) and returns ctr's output. */
  fetch(reference: string, options?: FetchOptions): Promise<string>;
  /** Every digest in the content store (`ctr content ls --quiet`). */
  listContent(): Promise<string[]>;
  /** Daemon log so far, for failure messages. */
  readLog(): string;
  stop(): Promise<void>;
}

function configToml(dir: string): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    'version = 2',
    `root = ${q(join(dir, 'root'))}`,
    `state = ${q(join(dir, 'state'))}`,
    `disabled_plugins = [${DISABLED_PLUGINS.map(q).join(', ')}]`,
    '',
    '[grpc]',
    `  address = ${q(join(dir, 'c.sock'))}`,
    '',
    '[ttrpc]',
    `  address = ${q(join(dir, 'c.sock.ttrpc'))}`,
    '',
    '[debug]',
    `  address = ${q(join(dir, 'debug.sock'))}`,
    '  level = "debug"',
    '',
    '[metrics]',
    '  address = ""',
    '',
    // The opt plugin otherwise creates /opt/containerd on the machine.
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(join(dir, 'opt'))}`,
    '',
  ].join('\n');
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function mask(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length > 0).reduce((out, secret) => out.split(secret).join('***'), text);
}

function runCtr(address: string, args: readonly string[], secrets: readonly string[]): Promise<string> {
  const full = ['--address', address, '--namespace', NAMESPACE, ...args];
  return new Promise((resolve, reject) => {
    execFile('ctr', full, { timeout: CTR_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
        reject(new CtrError(mask(full.join('\u0000'), secrets).split('\u0000'), code, mask(`${stderr}${stdout}`, secrets)));
      } else resolve(stdout);
    });
  });
}

/** Starts containerd with a private config under a fresh temp folder and waits until ctr reaches it. */
export async function startContainerd(): Promise<RunningContainerd> {
  if (process.getuid?.() !== 0) throw new Error('startContainerd needs root: containerd refuses to run as another user');
  // A short base path: the socket path must fit in sun_path (108 bytes).
  const dir = await mkdtemp(join(existsSync('/tmp') ? '/tmp' : tmpdir(), 'ferry-ctd-'));
  trackDir(dir);
  const address = join(dir, 'c.sock');
  const logFile = join(dir, 'containerd.log');
  const configFile = join(dir, 'config.toml');
  await mkdir(join(dir, 'root'), { mode: 0o700 });
  await mkdir(join(dir, 'state'), { mode: 0o700 });
  await writeFile(configFile, configToml(dir));
  const logFd = openSync(logFile, 'a');
  // setpriv --pdeathsig makes the kernel kill containerd even if this process is SIGKILLed.
  const usePdeath = existsSync('/usr/bin/setpriv');
  const [cmd, args] = usePdeath ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', 'containerd', '--config', configFile]] : ['containerd', ['--config', configFile]];
  const child = spawn(cmd, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  trackChild(child);
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = '';
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`containerd exited (${child.exitCode ?? child.signalCode}) before ready:\n${tail(logFile)}`);
      if (existsSync(address)) {
        try {
          await runCtr(address, ['version'], []);
          break;
        } catch (error) {
          lastError = (error as Error).message;
        }
      }
      if (Date.now() > deadline) throw new Error(`containerd not ready after ${READY_TIMEOUT_MS} ms (${lastError}):\n${tail(logFile)}`);
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  } catch (error) {
    await killChild(child, STOP_GRACE_MS);
    removeDir(dir);
    throw error;
  }
  const ctr = (ctrArgs: readonly string[], secrets: readonly string[] = []): Promise<string> => runCtr(address, ctrArgs, secrets);
  return {
    address,
    dir,
    namespace: NAMESPACE,
    ctr,
    fetch: (reference, options = {}) => {
      const fetchArgs = ['content', 'fetch'];
      if (options.hostsDir !== undefined) fetchArgs.push('--hosts-dir', options.hostsDir);
      if (options.user !== undefined) fetchArgs.push('--user', options.user);
      if (options.plainHttp === true) fetchArgs.push('--plain-http');
      if (options.allPlatforms === true) fetchArgs.push('--all-platforms');
      else if (options.platform !== undefined) fetchArgs.push('--platform', options.platform);
      fetchArgs.push(reference);
      return ctr(fetchArgs, options.user !== undefined ? [options.user] : []);
    },
    listContent: async () =>
      (await ctr(['content', 'ls', '--quiet']))
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length > 0),
    readLog: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stop: async () => {
      await killChild(child, STOP_GRACE_MS);
      removeDir(dir);
    },
  };
}
