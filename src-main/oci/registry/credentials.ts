/**
 * Registry credentials from the files and helpers users already have: the
 * containers auth.json (podman, skopeo, buildah) and the docker config.json,
 * including `credHelpers` and `credsStore` helper programs.
 *
 * Resolution follows containers/image `pkg/docker/config` so that a login made
 * with podman, skopeo or docker works unchanged:
 * https://github.com/containers/image/blob/main/docs/containers-auth.json.5.md
 * Helper programs speak the docker-credential-helpers protocol:
 * https://github.com/docker/docker-credential-helpers#development
 *
 * Secrets never enter an error message, a `details` object or an error
 * `cause`: errors name the file, the key or the helper, never the content.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../../src-shared/errors.ts';
import { errnoCode } from '../../base/fs-errors.ts';
import { credentialHelperGet, isCredentialHelperName } from './credential-helper.ts';

/** What a registry accepts: a password for Basic auth / the token flow, or an OAuth2 refresh token. */
export type Credential = { kind: 'basic'; username: string; password: string } | { kind: 'identity-token'; token: string };

/** Looks credentials up lazily, so helper programs only run for registries actually contacted. */
export interface CredentialStore {
  /**
   * Credentials for `registryHost` (host[:port], as in a reference). `repository`
   * (path without host, e.g. `library/nginx`) enables repository-scoped auth.json keys.
   */
  get(registryHost: string, repository?: string): Promise<Credential | undefined>;
  /** Where credentials for the host come from, for error messages; never contains secrets. */
  describeSource(registryHost: string): string;
}

/** Options for {@link loadCredentialStore}; `env` and `homeDir` exist so tests need not touch the real ones. */
export interface CredentialStoreOptions {
  /** `--authfile`: when set, the only file consulted. */
  authFile?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
}

/** The key `docker login` writes for Docker Hub, and the server URL docker passes to helpers for it. */
const DOCKER_HUB_LEGACY_KEY = 'https://index.docker.io/v1/';
/** Aliases of Docker Hub that must share one credential (containers/image normalizeRegistry). */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

interface RawAuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

interface AuthFile {
  path: string;
  /** Normalised key (host or host/repo path) → entry; exact keys win over URL-form keys. */
  auths: Map<string, RawAuthEntry>;
  /** Normalised host → helper name. */
  credHelpers: Map<string, string>;
  credsStore: string | undefined;
}

/** A found credential plus a secret-free description of where it came from. */
interface Found {
  credential: Credential;
  source: string;
}

/**
 * Reads the auth files in containers/image order and returns a store over them.
 * Why async and eager: a broken auth file should fail at startup, naming the file.
 */
export async function loadCredentialStore(options: CredentialStoreOptions): Promise<CredentialStore> {
  return new FileCredentialStore(await readAuthFiles(options), options.env ?? process.env);
}

/** The auth files that exist, in lookup order: the one named (flag or REGISTRY_AUTH_FILE) alone, else the fallbacks. */
async function readAuthFiles(options: CredentialStoreOptions): Promise<AuthFile[]> {
  const env = options.env ?? process.env;
  const home = options.homeDir ?? homedir();
  const files: AuthFile[] = [];
  const explicit = options.authFile ?? nonEmpty(env.REGISTRY_AUTH_FILE);
  if (explicit !== undefined) {
    // Like containers/image, a user-specified file (flag or env) disables the fallbacks.
    const origin = options.authFile !== undefined ? 'auth file' : 'REGISTRY_AUTH_FILE';
    const file = await readAuthFile(explicit, true, origin);
    if (file !== undefined) files.push(file);
  } else {
    for (const path of fallbackAuthPaths(env, home)) {
      const file = await readAuthFile(path, false, 'auth file');
      if (file !== undefined) files.push(file);
    }
  }
  return files;
}

/**
 * The default keychain the user chose for logins: the first `credsStore`
 * among the auth files registry logins are read from (usually
 * ~/.docker/config.json, where Docker Desktop writes "desktop",
 * "osxkeychain" or "wincred"), with the file that names it; `searched` lists
 * the files read, for an error that says where to set one. `ferry serve`
 * keeps its password in the same keychain unless told another.
 */
export async function configuredCredsStore(options: CredentialStoreOptions): Promise<{ helper: string; file: string } | { helper: undefined; searched: string[] }> {
  const files = await readAuthFiles(options);
  for (const file of files) if (file.credsStore !== undefined) return { helper: file.credsStore, file: file.path };
  const env = options.env ?? process.env;
  const explicit = options.authFile ?? nonEmpty(env.REGISTRY_AUTH_FILE);
  return { helper: undefined, searched: explicit !== undefined ? [explicit] : fallbackAuthPaths(env, options.homeDir ?? homedir()) };
}

/** The implicit auth file locations, first match wins; exported so `ferry doctor`-style output can list them. */
export function fallbackAuthPaths(env: NodeJS.ProcessEnv, home: string): string[] {
  const paths: string[] = [];
  const runtimeDir = nonEmpty(env.XDG_RUNTIME_DIR);
  if (runtimeDir !== undefined) paths.push(join(runtimeDir, 'containers', 'auth.json'));
  paths.push(join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(home, '.config'), 'containers', 'auth.json'));
  paths.push(join(nonEmpty(env.DOCKER_CONFIG) ?? join(home, '.docker'), 'config.json'));
  return paths;
}

class FileCredentialStore implements CredentialStore {
  private readonly files: AuthFile[];
  private readonly env: NodeJS.ProcessEnv;
  /** Helpers may prompt (pass, gpg) or be slow: ask once per host and repository. */
  private readonly cache = new Map<string, Promise<Found | undefined>>();
  private readonly sources = new Map<string, string>();

  constructor(files: AuthFile[], env: NodeJS.ProcessEnv) {
    this.files = files;
    this.env = env;
  }

  get(registryHost: string, repository?: string): Promise<Credential | undefined> {
    const host = normalizeHost(registryHost);
    const cacheKey = repository === undefined ? host : `${host}/${repository}`;
    let pending = this.cache.get(cacheKey);
    if (pending === undefined) {
      pending = this.lookup(host, repository);
      this.cache.set(cacheKey, pending);
      // A failed helper (locked keychain) may work on the next attempt.
      pending.catch(() => this.cache.delete(cacheKey));
    }
    return pending.then((found) => {
      if (found === undefined) return undefined;
      this.sources.set(host, found.source);
      return found.credential;
    });
  }

  describeSource(registryHost: string): string {
    const host = normalizeHost(registryHost);
    const seen = this.sources.get(host);
    if (seen !== undefined) return seen;
    for (const file of this.files) {
      const helper = file.credHelpers.get(host);
      if (helper !== undefined) return `credential helper docker-credential-${helper} (credHelpers in ${file.path})`;
      if ([...file.auths.keys()].some((key) => key === host || key.startsWith(`${host}/`))) return `auth file ${file.path}`;
      if (file.credsStore !== undefined) return `credential helper docker-credential-${file.credsStore} (credsStore in ${file.path})`;
    }
    const searched = this.files.map((file) => file.path);
    return searched.length === 0 ? 'no auth file found' : `no credentials in ${searched.join(', ')}`;
  }

  private async lookup(host: string, repository: string | undefined): Promise<Found | undefined> {
    const keys = candidateKeys(host, repository);
    for (const file of this.files) {
      const helper = file.credHelpers.get(host);
      if (helper !== undefined) {
        // An explicit per-host helper is authoritative, as in docker and containers/image.
        const credential = await runHelper(helper, host, this.env);
        const source = `credential helper docker-credential-${helper} (credHelpers in ${file.path})`;
        return credential === undefined ? undefined : { credential, source };
      }
      for (const key of keys) {
        const entry = file.auths.get(key);
        if (entry === undefined) continue;
        const credential = decodeEntry(entry, file.path, key);
        // An empty entry is a placeholder (docker writes `{}` when a credsStore holds the secret).
        if (credential !== undefined) return { credential, source: `auth file ${file.path}` };
      }
      if (file.credsStore !== undefined) {
        const credential = await runHelper(file.credsStore, host, this.env);
        const source = `credential helper docker-credential-${file.credsStore} (credsStore in ${file.path})`;
        if (credential !== undefined) return { credential, source };
      }
    }
    return undefined;
  }
}

/** Most specific first: host/a/b/c, host/a/b, host/a, host (containers/image authKeysForKey). */
function candidateKeys(host: string, repository: string | undefined): string[] {
  const keys: string[] = [];
  if (repository !== undefined && repository !== '') {
    const parts = repository.split('/');
    for (let n = parts.length; n > 0; n--) keys.push(`${host}/${parts.slice(0, n).join('/')}`);
  }
  keys.push(host);
  return keys;
}

/** Lowercases and folds Docker Hub aliases, so `registry-1.docker.io` finds a `docker.io` login. */
function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? 'docker.io' : lower;
}

/**
 * Turns an auths/credHelpers key into a lookup key. URL-form keys
 * (`https://host/v1/`) keep only the host; plain keys keep their repository
 * path (containers/image normalizeAuthFileKey).
 */
function normalizeKey(key: string, hostOnly: boolean): string {
  const stripped = key.replace(/^https?:\/\//i, '');
  const isUrl = stripped !== key;
  const slash = stripped.indexOf('/');
  const hostPart = slash === -1 ? stripped : stripped.slice(0, slash);
  const rest = slash === -1 || isUrl || hostOnly ? '' : stripped.slice(slash).replace(/\/+$/, '');
  return normalizeHost(hostPart) + rest;
}

async function readAuthFile(path: string, required: boolean, origin: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (!required && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'unknown error'})`;
    throw new FerryError('CREDENTIALS_ERROR', `${origin} ${path} ${what}`, { path });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // No cause: JSON.parse messages quote the file's text, which may hold a password.
    throw new FerryError('CREDENTIALS_ERROR', `${origin} ${path} is not valid JSON`, { path });
  }
  if (!isRecord(parsed)) throw new FerryError('CREDENTIALS_ERROR', `${origin} ${path} is not a JSON object`, { path });
  return parseAuthFile(path, parsed);
}

function parseAuthFile(path: string, json: Record<string, unknown>): AuthFile {
  const invalid = (field: string): FerryError => new FerryError('CREDENTIALS_ERROR', `auth file ${path} has an invalid "${field}" field`, { path, field });
  const auths = new Map<string, RawAuthEntry>();
  if (json.auths !== undefined && json.auths !== null) {
    if (!isRecord(json.auths)) throw invalid('auths');
    // Exact (non-URL) keys are inserted first so they win over `https://…` forms of the same host.
    const entries = Object.entries(json.auths).sort(([a], [b]) => Number(/^https?:\/\//i.test(a)) - Number(/^https?:\/\//i.test(b)));
    for (const [key, value] of entries) {
      if (!isRecord(value)) throw invalid(`auths.${key}`);
      const normalized = normalizeKey(key, false);
      if (!auths.has(normalized)) auths.set(normalized, value);
    }
  }
  const credHelpers = new Map<string, string>();
  if (json.credHelpers !== undefined && json.credHelpers !== null) {
    if (!isRecord(json.credHelpers)) throw invalid('credHelpers');
    for (const [key, value] of Object.entries(json.credHelpers)) {
      if (typeof value !== 'string' || !isCredentialHelperName(value)) throw invalid(`credHelpers.${key}`);
      credHelpers.set(normalizeKey(key, true), value);
    }
  }
  let credsStore: string | undefined;
  if (json.credsStore !== undefined && json.credsStore !== null && json.credsStore !== '') {
    if (typeof json.credsStore !== 'string' || !isCredentialHelperName(json.credsStore)) throw invalid('credsStore');
    credsStore = json.credsStore;
  }
  return { path, auths, credHelpers, credsStore };
}

/** Decodes one auths entry; identitytoken wins over a password, as in docker and containers/image. */
function decodeEntry(entry: RawAuthEntry, path: string, key: string): Credential | undefined {
  const bad = (why: string): FerryError => new FerryError('CREDENTIALS_ERROR', `auth file ${path}: entry "${key}" ${why}`, { path, key });
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    return { kind: 'identity-token', token: entry.identitytoken };
  }
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const encoded = entry.auth.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) throw bad('has an "auth" value that is not base64');
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw bad('has an "auth" value that is not base64 of "username:password"');
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && entry.username !== '' && typeof entry.password === 'string') {
    return { kind: 'basic', username: entry.username, password: entry.password };
  }
  return undefined;
}

/**
 * Runs `docker-credential-<name> get` without a shell. Docker Hub is asked
 * under docker's legacy URL first, then as `docker.io` (podman's key).
 */
async function runHelper(name: string, host: string, env: NodeJS.ProcessEnv): Promise<Credential | undefined> {
  const serverUrls = host === 'docker.io' ? [DOCKER_HUB_LEGACY_KEY, 'docker.io'] : [host];
  for (const serverUrl of serverUrls) {
    const found = await credentialHelperGet(name, serverUrl, env);
    if (found === undefined) continue;
    // docker-credential-helpers marks identity tokens with this username.
    if (found.username === '<token>') return { kind: 'identity-token', token: found.secret };
    return { kind: 'basic', username: found.username, password: found.secret };
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
