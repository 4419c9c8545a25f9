/**
 * Per-registry TLS settings from the `certs.d` layout that Docker, containerd
 * and containers/image share, plus Ferry's `--tls-verify`, `--ca-cert` and
 * `--cert-dir` flags. Air-gapped mirrors almost always use a private CA, so
 * this is what makes them reachable without turning verification off.
 *
 * Layout (https://docs.docker.com/engine/security/certificates/ and
 * https://github.com/containers/image/blob/main/docs/containers-certs.d.5.md):
 *   <dir>/<host[:port]>/*.crt          extra CA certificates
 *   <dir>/<host[:port]>/<name>.cert    client certificate, with <name>.key beside it
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { FerryError } from '../../../src-shared/errors.ts';
import { errnoCode } from '../../base/fs-errors.ts';

/** The user's TLS flags, kept apart from transport code so the CLI and the app parse them once. */
export interface TlsOptions {
  /** `--tls-verify`; false skips server verification (client certificates are still sent). */
  verify: boolean;
  /** `--ca-cert FILE`, repeatable: CAs trusted for every registry. */
  caCertFiles: string[];
  /** `--cert-dir DIR`: replaces the default certs.d roots (skopeo semantics). */
  certDirs: string[];
}

/** What an https Agent / undici connector needs for one registry host. */
export interface ResolvedTls {
  rejectUnauthorized: boolean;
  /** PEM certificates: the default roots followed by the extra CAs; undefined means "defaults only". */
  ca?: string[];
  /** PEM client certificate and its key, for registries that require mutual TLS. */
  cert?: string;
  key?: string;
}

/** A user's own certs.d comes first, as in containers/image, so it can override a system directory without root. */
export function defaultCertsDirs(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  const configHome = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(home, '.config');
  return [join(configHome, 'containers', 'certs.d'), '/etc/containers/certs.d', '/etc/docker/certs.d'];
}

/** Every connection pool asks once per host; reading and parsing PEM files each time would be wasted work. */
const cache = new Map<string, Promise<ResolvedTls>>();
/** Bounds the cache for a long-running app that meets many hosts or option sets. */
const CACHE_LIMIT = 64;

/**
 * Resolves TLS settings for one registry host (host[:port]).
 * Why: one place decides trust, so the CLI, the app and tests agree.
 */
export async function resolveTlsForHost(host: string, options: TlsOptions, systemCertDirs: string[] = defaultCertsDirs()): Promise<ResolvedTls> {
  checkHost(host);
  const key = JSON.stringify([host, options.verify, options.caCertFiles, options.certDirs, systemCertDirs]);
  let pending = cache.get(key);
  if (pending === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    pending = resolveUncached(host, options, systemCertDirs);
    cache.set(key, pending);
    // A missing key file fixed by the user must be picked up on the next attempt.
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

/** The app's settings screen calls this after the user adds or removes certificates. */
export function clearTlsCache(): void {
  cache.clear();
}

async function resolveUncached(host: string, options: TlsOptions, systemCertDirs: string[]): Promise<ResolvedTls> {
  const extraCas: string[] = [];
  for (const file of options.caCertFiles) extraCas.push(...(await readCaFile(file)));

  const explicit = options.certDirs.length > 0;
  const location = await findCertLocation(host, explicit ? options.certDirs : systemCertDirs, explicit);
  let pair: { cert: string; key: string } | undefined;
  if (location !== undefined) {
    const found = await readCertLocation(location);
    extraCas.push(...found.cas);
    pair = found.pair;
  }

  const resolved: ResolvedTls = { rejectUnauthorized: options.verify };
  // Passing `ca` replaces Node's roots, so the defaults are prepended: public registries must keep working.
  // A Set drops exact duplicates, e.g. a CA both in NODE_EXTRA_CA_CERTS and in certs.d.
  if (extraCas.length > 0) resolved.ca = Object.freeze([...new Set([...(await defaultRootCertificates()), ...extraCas])]) as string[];
  if (pair !== undefined) {
    resolved.cert = pair.cert;
    resolved.key = pair.key;
  }
  return Object.freeze(resolved);
}

/**
 * The first root that has `<root>/<host>` wins (containers/image dockerCertDir).
 * For `--cert-dir` a root without a host folder is itself the folder, as skopeo
 * reads `--cert-dir` as a flat directory of *.crt / *.cert / *.key files.
 */
async function findCertLocation(host: string, roots: string[], explicit: boolean): Promise<string | undefined> {
  for (const root of roots) {
    const perHost = join(root, host);
    if ((await listDir(perHost, false)) !== undefined) return perHost;
    if (explicit) {
      if ((await listDir(root, false)) === undefined) {
        throw new FerryError('INVALID_ARGUMENT', `certificate folder ${root} does not exist or is not a directory`, { path: root, argument: 'certDir' });
      }
      return root;
    }
  }
  return undefined;
}

async function readCertLocation(dir: string): Promise<{ cas: string[]; pair: { cert: string; key: string } | undefined }> {
  const entries = (await listDir(dir, true)) ?? [];
  const names = new Set(entries.filter((entry) => !entry.isDirectory()).map((entry) => entry.name));
  const sorted = [...names].sort();
  const cas: string[] = [];
  for (const name of sorted.filter((n) => n.endsWith('.crt'))) cas.push(...(await readCaFile(join(dir, name))));

  let pair: { cert: string; key: string } | undefined;
  for (const name of sorted.filter((n) => n.endsWith('.cert'))) {
    const keyName = `${name.slice(0, -'.cert'.length)}.key`;
    if (!names.has(keyName)) {
      throw new FerryError('TLS_ERROR', `client certificate ${join(dir, name)} has no matching key ${keyName}`, { path: join(dir, name) });
    }
    // Node takes one client pair; extra pairs are still validated so a typo is not silent.
    const loaded = await readClientPair(join(dir, name), join(dir, keyName));
    pair ??= loaded;
  }
  for (const name of sorted.filter((n) => n.endsWith('.key'))) {
    const certName = `${name.slice(0, -'.key'.length)}.cert`;
    if (!names.has(certName)) {
      throw new FerryError('TLS_ERROR', `client key ${join(dir, name)} has no matching certificate ${certName}`, { path: join(dir, name) });
    }
  }
  return { cas, pair };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits a PEM bundle into certificates, checking each parses, so a DER or garbage file fails here by name. */
async function readCaFile(path: string): Promise<string[]> {
  const text = await readTlsFile(path, 'CA certificate');
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new FerryError('TLS_ERROR', `CA certificate ${path} contains no PEM certificate`, { path });
  }
  for (const block of blocks) parseCertificate(block, path, 'CA certificate');
  return blocks;
}

async function readClientPair(certPath: string, keyPath: string): Promise<{ cert: string; key: string }> {
  const cert = await readTlsFile(certPath, 'client certificate');
  const key = await readTlsFile(keyPath, 'client key');
  const blocks = cert.match(PEM_CERTIFICATE) ?? [];
  const first = blocks[0];
  if (first === undefined) {
    throw new FerryError('TLS_ERROR', `client certificate ${certPath} contains no PEM certificate`, { path: certPath });
  }
  const x509 = parseCertificate(first, certPath, 'client certificate');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    // No cause: key parsing errors must never carry key material into logs.
    throw new FerryError('TLS_ERROR', `client key ${keyPath} is not an unencrypted PEM private key`, { path: keyPath });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new FerryError('TLS_ERROR', `client key ${keyPath} does not match certificate ${certPath}`, { path: keyPath });
  }
  return { cert, key };
}

function parseCertificate(pem: string, path: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new FerryError('TLS_ERROR', `${what} ${path} contains an invalid certificate`, { path }, { cause: error });
  }
}

async function readTlsFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'unknown error'})`;
    throw new FerryError('TLS_ERROR', `${what} ${path} ${why}`, { path });
  }
}

/** Lists a directory; a missing one is undefined, other failures are errors only when `required`. */
async function listDir(dir: string, required: boolean): Promise<Dirent[] | undefined> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = errnoCode(error);
    // containers/image also skips a certs folder it may not read (rootless users and /etc/containers).
    if (!required || code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new FerryError('TLS_ERROR', `certificate directory ${dir} cannot be read (${code ?? 'unknown error'})`, { path: dir });
  }
}

/**
 * Node's default trust, which an explicit `ca` would otherwise replace:
 * `tls.getCACertificates('default')` where it exists (Node ≥ 22.15); on Node 20
 * the bundled roots plus NODE_EXTRA_CA_CERTS, which `tls.rootCertificates` omits.
 */
async function defaultRootCertificates(): Promise<readonly string[]> {
  const withGetter = tls as typeof tls & { getCACertificates?: (type: 'default') => string[] };
  if (typeof withGetter.getCACertificates === 'function') return withGetter.getCACertificates('default');
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  if (extraFile === undefined || extraFile === '') return tls.rootCertificates;
  try {
    const extra = (await readFile(extraFile, 'utf8')).match(PEM_CERTIFICATE) ?? [];
    return [...tls.rootCertificates, ...extra];
  } catch {
    // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; do the same by ignoring it.
    return tls.rootCertificates;
  }
}

/** A host becomes a path segment, so it must be a host[:port] and nothing that walks the tree. */
function checkHost(host: string): void {
  const ok = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:[0-9]{1,5})?$/.test(host) && !/^\.+(:|$)/.test(host);
  if (!ok) throw new FerryError('INVALID_ARGUMENT', `registry host "${host}" is not a host[:port]`, { host });
}
