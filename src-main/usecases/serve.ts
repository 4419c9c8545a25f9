/**
 * `ferry serve` as a registry (issue 15), one use case for the CLI and the
 * app: open what is served (a store folder read-write or read-only, or a
 * verified bundle read-only), set up TLS (a local CA made with --tls auto,
 * or the operator's certificate files) and logins (an htpasswd file or one
 * user), and start the OCI Distribution server on it. `serveGarbage` gives
 * the front ends the store's gc without reaching below the use-case layer.
 */
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import { defaultDataFolder } from '../base/data-folder.ts';
import { ioError } from '../base/fs-errors.ts';
import { htpasswdAuthenticator, singleUserAuthenticator, type Authenticator } from '../serve/auth.ts';
import { openBundleReader } from '../serve/bundle-reader.ts';
import { collectGarbage, type GarbageReport } from '../serve/gc.ts';
import { startRegistryServer } from '../serve/registry-server.ts';
import { parseServiceKind, serviceDefinition, type ServiceDefinition } from '../serve/service-definition.ts';
import type { RegistryReader } from '../serve/storage.ts';
import { openStore } from '../serve/store.ts';
import { ensureAutoTls, normaliseNames } from '../serve/tls-auto.ts';

/** The realm in `WWW-Authenticate: Basic realm="…"`: what a client's password prompt shows. */
const AUTH_REALM = 'Ferry registry';
/** Certificate files larger than this are not PEM certificates or keys (a wrong path). */
const MAX_PEM_BYTES = 1024 * 1024;

/** What to serve and how: exactly one of `storage` (a store folder) or `bundle` (a verified bundle folder). */
export interface ServeInput {
  storage?: string;
  bundle?: string;
  listen: { host: string; port: number };
  /** `auto`: a local CA under `<storage>/tls` (for a bundle: the data folder's `serve-tls`) signs a certificate for `names` plus the listen address. */
  tls?: { mode: 'auto'; names: string[] } | { mode: 'files'; certFile: string; keyFile: string };
  /** An htpasswd file of bcrypt hashes (`htpasswd -B`). */
  htpasswd?: string;
  /** One user and password; excludes `htpasswd`. */
  user?: { name: string; password: string };
  /** Serve a store without accepting writes (a bundle is always read-only). */
  readOnly?: boolean;
  /** Told every answered request (never the Authorization header). */
  onRequest?: (line: { method: string; path: string; status: number }) => void;
  /** Told the cause of every server fault (a 500, a failed write such as a full disk) that the client is only told to look up in the server log; carries no headers. */
  onError?: (error: unknown, line: { method: string; path: string }) => void;
  /** Told what the operator should know before trusting the setup: a registry open to the network, logins in clear text, a key file others can read. */
  onWarning?: (message: string) => void;
  /** Told while a bundle is verified before it is served. */
  onVerifyBytes?: (n: number) => void;
  signal?: AbortSignal;
}

/** A running registry: where clients reach it, the CA they must trust (TLS auto), and how to stop it. */
export interface ServeHandle {
  /** `https://HOST:PORT` or `http://HOST:PORT`, with the name clients should use. */
  url: string;
  /** `HOST:PORT` as clients write it in image references and import targets. */
  address: string;
  /** The local CA's certificate file and PEM text (TLS auto only). */
  caFile?: string;
  caPem?: string;
  readOnly: boolean;
  /** The store folder, absolute (absent when a bundle is served). */
  storage?: string;
  /** Stops the server (answers in flight get a few seconds to finish, then are cut) and releases the store. */
  close(): Promise<void>;
}

/** Addresses that mean "every interface": not a name a client can use. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** Addresses that only this machine reaches. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** A name that normaliseNames accepts, or undefined (the machine's own names may be odd; only the operator's --name values are refused). */
function acceptableName(name: string): string | undefined {
  try {
    return normaliseNames([name])[0];
  } catch {
    return undefined;
  }
}

/**
 * The names a `--tls auto` certificate covers: every `--name`, the listen
 * address, and, when listening on loopback, localhost and 127.0.0.1; on every
 * interface (0.0.0.0), the machine's host name, its non-internal IP addresses
 * and loopback too, so clients on the network and on this machine all match.
 */
export function certificateNames(listenHost: string, names: readonly string[]): string[] {
  const wanted = names.length > 0 ? normaliseNames(names) : [];
  const extra: string[] = [];
  if (isWildcard(listenHost)) {
    extra.push(hostname(), 'localhost', '127.0.0.1');
    for (const list of Object.values(networkInterfaces())) for (const entry of list ?? []) if (!entry.internal) extra.push(entry.address.replace(/%.*$/, ''));
  } else {
    extra.push(listenHost);
    if (isLoopback(listenHost)) extra.push('localhost', '127.0.0.1');
  }
  for (const name of extra) {
    const ok = acceptableName(name);
    if (ok !== undefined) wanted.push(ok);
  }
  return normaliseNames(wanted.length > 0 ? wanted : ['localhost']);
}

/**
 * What an operator should hear about a registry reachable beyond this
 * machine (`address` is where it listens): anonymous access anyone on the
 * network can use, and Basic logins sent in clear text over plain HTTP.
 * Loopback-only listening is what the default is for, so it says nothing.
 */
export function exposureWarnings(input: Pick<ServeInput, 'listen' | 'tls' | 'htpasswd' | 'user' | 'readOnly' | 'bundle'>, address: string): string[] {
  if (isLoopback(input.listen.host)) return [];
  const login = input.htpasswd !== undefined || input.user !== undefined;
  if (!login) {
    const readOnly = input.readOnly === true || input.bundle !== undefined;
    return [
      readOnly
        ? `anyone who reaches ${address} can pull every image (add --htpasswd or --user to require a login)`
        : `anyone who reaches ${address} can push and delete images (add --htpasswd or --user, or --read-only)`,
    ];
  }
  if (input.tls === undefined) return [`logins to ${address} cross the network in clear text over plain HTTP (add --tls auto or --cert/--key)`];
  return [];
}

/** A warning when a private key file is readable by every local user (POSIX only), else undefined. */
async function exposedKeyWarning(path: string, what: string): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined;
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || (info.mode & 0o004) === 0) return undefined;
  return `${what} ${path} is readable by every local user (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`;
}

/** Reads a PEM file the operator named with --cert/--key; a missing or oversized one is named. */
async function readPem(path: string, flag: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw ioError(`read ${flag}`, path, error);
  }
  const text = bytes.toString('utf8');
  if (bytes.length > MAX_PEM_BYTES || !text.includes('-----BEGIN ')) throw new FerryError('INVALID_ARGUMENT', `${flag} ${path} is not a PEM file`, { path });
  return text;
}

/** The login check the input asks for, or undefined for anonymous access. */
async function authenticatorFor(input: ServeInput): Promise<Authenticator | undefined> {
  if (input.htpasswd !== undefined && input.user !== undefined) throw new FerryError('INVALID_ARGUMENT', '--htpasswd and --user exclude each other: put every user in the htpasswd file');
  if (input.htpasswd !== undefined) return htpasswdAuthenticator(resolve(input.htpasswd));
  if (input.user !== undefined) return singleUserAuthenticator(input.user.name, input.user.password);
  return undefined;
}

/** The host name clients should write: the first --name, else the listen address (for 0.0.0.0, the machine's name). */
function clientHost(listenHost: string, tls: ServeInput['tls']): string {
  if (tls?.mode === 'auto' && tls.names.length > 0 && tls.names[0] !== undefined) return tls.names[0].trim().replace(/^\[(.*)\]$/, '$1');
  return isWildcard(listenHost) ? hostname() : listenHost;
}

/** `host:port` with IPv6 in brackets, as image references write it. */
function hostPort(host: string, port: string): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * Starts the server; a port another program holds, or one this user may not
 * open, becomes a FerryError naming the address and saying to pick another
 * port, instead of Node's bare "listen EADDRINUSE".
 */
async function listenOrExplain(listen: ServeInput['listen'], options: Parameters<typeof startRegistryServer>[0]): ReturnType<typeof startRegistryServer> {
  try {
    return await startRegistryServer(options);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
    const address = hostPort(listen.host === '' ? '0.0.0.0' : listen.host, String(listen.port));
    const details = { argument: 'port', address, hint: { kind: 'listen-port', address } satisfies ErrorHint };
    if (code === 'EADDRINUSE')
      throw new FerryError('INVALID_ARGUMENT', `port ${String(listen.port)} on ${address} is already in use by another program: choose another port`, details, { cause: error });
    if (code === 'EACCES')
      throw new FerryError('INVALID_ARGUMENT', `this user may not listen on ${address} (ports below 1024 need extra privileges): choose another port, above 1023`, details, { cause: error });
    throw error;
  }
}

/**
 * Starts `ferry serve` as a registry. A store folder is created on first use
 * and locked while served (gc and a second server refuse); a bundle is
 * verified first and refused when it fails. Nothing of a password is kept
 * beyond the authenticator.
 */
export async function startServe(input: ServeInput): Promise<ServeHandle> {
  if ((input.storage === undefined) === (input.bundle === undefined))
    throw new FerryError('INVALID_ARGUMENT', 'give exactly one of --storage DIR (a registry store) or --bundle DIR (a bundle, read-only)');
  const authenticate = await authenticatorFor(input);
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    let reader: RegistryReader;
    let storage: string | undefined;
    if (input.storage !== undefined) {
      storage = resolve(input.storage);
      const store = await openStore(storage, { readOnly: input.readOnly === true });
      closers.push(() => store.close());
      reader = store;
    } else {
      reader = await openBundleReader(resolve(input.bundle ?? ''), { ...(input.signal ? { signal: input.signal } : {}), ...(input.onVerifyBytes ? { onBytes: input.onVerifyBytes } : {}) });
    }
    let tls: { cert: string; key: string } | undefined;
    let ca: { caFile: string; caPem: string } | undefined;
    const keyFiles: Array<[string, string]> = [];
    if (input.tls?.mode === 'auto') {
      const dir = storage !== undefined ? join(storage, 'tls') : join(defaultDataFolder(), 'serve-tls');
      // A --read-only store is not written to: the CA must exist, and a certificate for new names is made in memory only.
      const made = await ensureAutoTls(dir, certificateNames(input.listen.host, input.tls.names), { readOnly: storage !== undefined && input.readOnly === true });
      tls = { cert: made.certPem, key: made.keyPem };
      ca = { caFile: made.caFile, caPem: made.caPem };
      keyFiles.push([join(dir, 'ca.key'), 'the CA key'], [made.keyFile, 'the server key']);
    } else if (input.tls?.mode === 'files') {
      tls = { cert: await readPem(resolve(input.tls.certFile), '--cert'), key: await readPem(resolve(input.tls.keyFile), '--key') };
      keyFiles.push([resolve(input.tls.keyFile), '--key']);
    }
    const server = await listenOrExplain(input.listen, {
      reader,
      host: input.listen.host,
      port: input.listen.port,
      ...(tls ? { tls } : {}),
      ...(authenticate ? { authenticate, realm: AUTH_REALM } : {}),
      ...(input.onRequest ? { onRequest: input.onRequest } : {}),
      ...(input.onError ? { onError: input.onError } : {}),
    });
    closers.push(() => server.close());
    const port = new URL(server.url).port;
    const address = hostPort(clientHost(input.listen.host, input.tls), port);
    const url = `${tls ? 'https' : 'http'}://${address}`;
    if (input.onWarning) {
      const warnings = exposureWarnings(input, address);
      for (const [file, what] of keyFiles) warnings.push(...[await exposedKeyWarning(file, what)].filter((w): w is string => w !== undefined));
      for (const warning of warnings) input.onWarning(warning);
    }
    let closed: Promise<void> | undefined;
    return {
      url,
      address,
      ...(ca ?? {}),
      readOnly: reader.readOnly,
      ...(storage !== undefined ? { storage } : {}),
      close: () => (closed ??= closeAll()),
    };
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
}

/** `ferry serve gc`: removes blobs no repository needs, stale uploads and kill leftovers from a store no server has open. */
export async function serveGarbage(storage: string, dryRun: boolean): Promise<GarbageReport> {
  return collectGarbage(resolve(storage), { dryRun });
}

/** `ferry serve --print-service KIND`: the service definition that runs `command` (absolute paths) at boot; KIND is checked by name. */
export function serveServiceDefinition(kind: string, command: string[], description: string, runAs?: string): ServiceDefinition {
  return serviceDefinition({ kind: parseServiceKind(kind), command, description, ...(runAs !== undefined ? { runAs } : {}) });
}
