/**
 * Starts Debian's real `docker-registry` (Distribution 2.8) on 127.0.0.1 in one
 * of the three auth modes Ferry must support (DESIGN.md, decision 7). Every run
 * gets its own temp folder for storage, config, certificates and the log.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeDir, trackChild, trackDir } from './cleanup.ts';
import { makePki } from './pki.ts';
import { startTokenIssuer } from './token-issuer.ts';
import type { AccessPolicy, TokenIssuer, TokenUser } from './token-issuer.ts';

const execFileAsync = promisify(execFile);

/** The three registry set-ups Ferry is tested against. */
export type RegistryMode = 'anonymous' | 'tls-basic' | 'token';

/** An htpasswd account for 'tls-basic' mode. */
export interface BasicUser {
  username: string;
  password: string;
}

/** Options per mode; every field has a default so `{ mode }` alone is enough. */
export type StartRegistryOptions = (
  | { mode: 'anonymous' }
  | { mode: 'tls-basic'; users?: readonly BasicUser[] }
  | {
      mode: 'token';
      /** Accounts and their repository policies; default one `ferry` user with a random password and full access. */
      users?: readonly TokenUser[];
      /** Policy for anonymous token requests; default grants nothing. */
      anonymous?: AccessPolicy;
      /** Serve the registry itself over HTTPS too; default false (plain HTTP on loopback, the issuer is always HTTP). */
      tls?: boolean;
    }
) & {
  /** Distribution's `storage.delete.enabled` (default true); false makes every DELETE answer 405 UNSUPPORTED, as many site registries do. */
  deleteEnabled?: boolean;
};

/** A running registry and everything a client needs to reach it. */
export interface RunningRegistry {
  mode: RegistryMode;
  /** '127.0.0.1:PORT', the registry part of an image reference. */
  host: string;
  /** 'http(s)://127.0.0.1:PORT' */
  url: string;
  /** Distribution's filesystem root (docker/registry/v2/... lives below it). */
  storageDir: string;
  /** CA certificate file and PEM when the registry serves HTTPS. */
  caFile?: string;
  caPem?: string;
  /** Folder holding only `ca.crt`, the layout skopeo's --cert-dir and containers' certs.d expect. */
  certDir?: string;
  /** The first configured user's credentials (tls-basic and token modes). */
  username?: string;
  password?: string;
  tokenIssuer?: TokenIssuer;
  /** Registry stdout+stderr; removed on stop() unless FERRY_HARNESS_KEEP=1. */
  logFile: string;
  /** The registry's process id, so benchmarks can read its CPU time from /proc. */
  pid: number;
  /** Current log text, for failure messages. */
  readLog(): string;
  stop(): Promise<void>;
}

/** How long readiness polling may take: Distribution starts in well under a second on 2 cores. */
const READY_TIMEOUT_MS = 15_000;
/** Pause between readiness probes. */
const READY_POLL_MS = 50;
/** Grace period after SIGTERM before SIGKILL on stop(). */
const STOP_GRACE_MS = 3_000;
/** Attempts at picking a free port, since another process may take it between probe and bind. */
const PORT_ATTEMPTS = 3;

/** Asks the kernel for a free loopback port (Distribution needs a fixed addr in its config). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function randomPassword(): string {
  return randomBytes(12).toString('base64url');
}

async function htpasswdLine(user: BasicUser): Promise<string> {
  // -B: bcrypt, the only hash Distribution's htpasswd auth accepts; -b: password from argv; -n: print.
  const { stdout } = await execFileAsync('htpasswd', ['-Bbn', user.username, user.password], { timeout: 30_000 });
  return stdout.trim();
}

function renderConfig(fields: { addr: string; storage: string; tls?: { cert: string; key: string }; auth: string[]; deleteEnabled: boolean }): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(fields.storage)}`,
    '  delete:',
    `    enabled: ${fields.deleteEnabled ? 'true' : 'false'}`,
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(fields.addr)}`,
    `  secret: ${q(randomBytes(16).toString('hex'))}`,
  ];
  if (fields.tls) lines.push('  tls:', `    certificate: ${q(fields.tls.cert)}`, `    key: ${q(fields.tls.key)}`);
  lines.push(...fields.auth);
  return `${lines.join('\n')}\n`;
}

function probe(url: string, caPem: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL('/v2/', url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(target, { method: 'GET', timeout: 2_000, ...(caPem ? { ca: caPem } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('probe timeout')));
    req.on('error', reject);
    req.end();
  });
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function spawnRegistry(configFile: string, logFile: string): ChildProcess {
  const logFd = openSync(logFile, 'a');
  // Distribution lets REGISTRY_* variables override the config; drop them so the file is the whole truth.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
  // setpriv --pdeathsig makes the kernel kill the registry even if this process is SIGKILLed.
  const usePdeath = existsSync('/usr/bin/setpriv');
  const [cmd, args] = usePdeath ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', 'docker-registry', 'serve', configFile]] : ['docker-registry', ['serve', configFile]];
  const child = spawn(cmd, args, { stdio: ['ignore', logFd, logFd], env });
  closeSync(logFd);
  trackChild(child);
  return child;
}

async function waitReady(child: ChildProcess, url: string, caPem: string | undefined, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}) before ready:\n${tail(logFile)}`);
    }
    try {
      const status = await probe(url, caPem);
      if (status === 200 || status === 401) return;
      lastError = `status ${status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  throw new Error(`docker-registry not ready after ${READY_TIMEOUT_MS} ms (${lastError}):\n${tail(logFile)}`);
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. Shared by every harness that runs a server. */
export async function killChild(child: ChildProcess, graceMs = STOP_GRACE_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Starts a real Distribution registry in the given mode and waits until /v2/ answers. */
export async function startRegistry(options: StartRegistryOptions): Promise<RunningRegistry> {
  const runDir = await mkdtemp(join(tmpdir(), `ferry-registry-${options.mode}-`));
  trackDir(runDir);
  const storageDir = join(runDir, 'storage');
  await mkdir(storageDir);
  const logFile = join(runDir, 'registry.log');
  const configFile = join(runDir, 'config.yml');
  let issuer: TokenIssuer | undefined;
  try {
    const useTls = options.mode === 'tls-basic' || (options.mode === 'token' && options.tls === true);
    let tls: { cert: string; key: string } | undefined;
    let caFile: string | undefined;
    let caPem: string | undefined;
    let certDir: string | undefined;
    if (useTls) {
      const pki = await makePki(runDir, 'server', 'server');
      tls = { cert: pki.leafCertFile, key: pki.leafKeyFile };
      caPem = pki.caCertPem;
      certDir = join(runDir, 'client-certs');
      await mkdir(certDir);
      caFile = join(certDir, 'ca.crt');
      await copyFile(pki.caCertFile, caFile);
    }

    let auth: string[] = [];
    let username: string | undefined;
    let password: string | undefined;
    if (options.mode === 'tls-basic') {
      const users = options.users ?? [{ username: 'ferry', password: randomPassword() }];
      const htpasswdFile = join(runDir, 'htpasswd');
      await writeFile(htpasswdFile, `${(await Promise.all(users.map(htpasswdLine))).join('\n')}\n`);
      auth = ['auth:', '  htpasswd:', '    realm: ferry-test', `    path: ${JSON.stringify(htpasswdFile)}`];
      username = users[0]?.username;
      password = users[0]?.password;
    } else if (options.mode === 'token') {
      const users = options.users ?? [{ username: 'ferry', password: randomPassword(), access: { '*': ['*'] } }];
      issuer = await startTokenIssuer({ dir: runDir, users, ...(options.anonymous ? { anonymous: options.anonymous } : {}) });
      auth = [
        'auth:',
        '  token:',
        `    realm: ${JSON.stringify(issuer.realm)}`,
        `    service: ${JSON.stringify(issuer.service)}`,
        `    issuer: ${JSON.stringify(issuer.issuer)}`,
        `    rootcertbundle: ${JSON.stringify(issuer.rootCertFile)}`,
      ];
      username = users[0]?.username;
      password = users[0]?.password;
    }

    let child: ChildProcess | undefined;
    let host = '';
    let url = '';
    for (let attempt = 1; attempt <= PORT_ATTEMPTS && !child; attempt++) {
      const port = await freePort();
      host = `127.0.0.1:${port}`;
      url = `${useTls ? 'https' : 'http'}://${host}`;
      await writeFile(configFile, renderConfig({ addr: host, storage: storageDir, auth, deleteEnabled: options.deleteEnabled ?? true, ...(tls ? { tls } : {}) }));
      const candidate = spawnRegistry(configFile, logFile);
      try {
        await waitReady(candidate, url, caPem, logFile);
        child = candidate;
      } catch (error) {
        await killChild(candidate);
        const bindRace = /address already in use/.test(tail(logFile));
        if (!bindRace || attempt === PORT_ATTEMPTS) throw error;
      }
    }
    if (!child) throw new Error('docker-registry did not start');
    const running = child;
    const tokenIssuer = issuer;
    return {
      mode: options.mode,
      host,
      url,
      storageDir,
      ...(caFile !== undefined && caPem !== undefined && certDir !== undefined ? { caFile, caPem, certDir } : {}),
      ...(username !== undefined && password !== undefined ? { username, password } : {}),
      ...(tokenIssuer ? { tokenIssuer } : {}),
      logFile,
      pid: running.pid ?? 0,
      readLog: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
      stop: async () => {
        await killChild(running);
        await tokenIssuer?.stop();
        removeDir(runDir);
      },
    };
  } catch (error) {
    await issuer?.stop();
    removeDir(runDir);
    throw error;
  }
}
