/**
 * containerd's hosts.toml read back the way containerd reads it
 * (core/remotes/docker/config): the folder of the source host under the
 * certs.d root (`host_port_`, then `host:port`, then `_default`), its
 * `[host."URL"]` tables in file order that may pull, then `server` (the
 * source host itself when unset). A URL's path becomes the API root: `/v2`
 * is appended unless `override_path = true`, and the repository path of the
 * image is appended unchanged. Only a root of the form `/v2` or `/v2/PREFIX`
 * is a registry repository (`host/PREFIX/path`); any other root is reported.
 */
import { parse as parseToml } from 'smol-toml';
import { FerryError } from '../../src-shared/errors.ts';
import { DOCKER_HUB, apiHost } from '../oci/reference.ts';
import type { PullCandidate } from './resolve-registries-conf.ts';

/** One parsed hosts.toml: the file (relative to the checked folder) and its pull endpoints in order, server last. */
export interface HostsFile {
  file: string;
  /** The folder it was found under (`quay.io`, `mirror.local_5000_`, `_default`). */
  folder: string;
  endpoints: HostEndpoint[];
}

/** One endpoint as containerd builds it from a `[host."URL"]` table or `server`. */
export interface HostEndpoint {
  /** The URL as the file spells it; undefined for an unset server. */
  url: string | undefined;
  role: PullCandidate['role'];
  canPull: boolean;
  overridePath: boolean;
}

function invalid(file: string, message: string): FerryError {
  return new FerryError('INVALID_CONTENT', `${file}: ${message}`, { file });
}

function endpoint(url: string | undefined, table: Record<string, unknown>, file: string, where: string, role: PullCandidate['role']): HostEndpoint {
  const capabilities = table.capabilities;
  if (capabilities !== undefined && (!Array.isArray(capabilities) || capabilities.some((c) => typeof c !== 'string'))) throw invalid(file, `${where}.capabilities must be a list of strings`);
  const override = table.override_path;
  if (override !== undefined && typeof override !== 'boolean') throw invalid(file, `${where}.override_path must be true or false`);
  // No capabilities listed: pull, resolve, push (and referrers) — containerd's default.
  const canPull = capabilities === undefined || capabilities.length === 0 || (capabilities as string[]).some((c) => c.toLowerCase() === 'pull');
  return { url, role, canPull, overridePath: override === true };
}

/** Parses one hosts.toml into its endpoints, `[host."URL"]` tables in file order, then the server. */
export function parseHostsToml(source: string, file: string, folder: string): HostsFile {
  let document: Record<string, unknown>;
  try {
    document = parseToml(source);
  } catch (error) {
    throw new FerryError('INVALID_CONTENT', `${file}: not valid TOML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { file }, { cause: error });
  }
  const hosts = document.host ?? {};
  if (typeof hosts !== 'object' || Array.isArray(hosts)) throw invalid(file, 'host must be a table of [host."URL"] tables');
  const endpoints: HostEndpoint[] = [];
  // smol-toml keeps keys in the order the file first names them: containerd's order (getSortedHosts).
  for (const [url, settings] of Object.entries(hosts as Record<string, unknown>)) {
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) throw invalid(file, `host."${url}" must be a table`);
    endpoints.push(endpoint(url, settings as Record<string, unknown>, file, `host."${url}"`, 'mirror'));
  }
  const server = document.server;
  if (server !== undefined && typeof server !== 'string') throw invalid(file, 'server must be a URL string');
  endpoints.push(endpoint(server === '' ? undefined : server, document, file, 'server', 'primary'));
  return { file, folder, endpoints };
}

/** containerd's hostDirectory: `host:port` → `host_port_`. */
export function containerdHostFolder(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon > 0 ? `${host.slice(0, colon)}_${host.slice(colon + 1)}_` : host;
}

/** The folders containerd looks up for a source host, in order (hostPaths). */
export function hostFolderCandidates(host: string): string[] {
  const folder = containerdHostFolder(host);
  return [...(folder !== host ? [folder] : []), host, '_default'];
}

/**
 * The repository an endpoint would be asked for `sourcePath` (the image's
 * path below its source host): `<URL host>/<root below /v2/>/<sourcePath>`.
 * `sourceHost` stands in for an unset server.
 */
export function endpointCandidate(endpoint: HostEndpoint, sourceHost: string, sourcePath: string): PullCandidate {
  const fallback = sourceHost === DOCKER_HUB ? `https://${apiHost(DOCKER_HUB)}` : `https://${sourceHost}`;
  const written = endpoint.url ?? fallback;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(written) ? written : `https://${written}`);
  } catch {
    return { role: endpoint.role, location: written, unusable: `"${written}" is not a URL` };
  }
  let root = url.pathname.replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  if (!endpoint.overridePath && !root.endsWith('/v2')) root = `${root}/v2`;
  // The default server of Docker Hub is registry-1.docker.io: the same registry as docker.io.
  const host = endpoint.url === undefined ? sourceHost : url.host;
  if (root === '/v2') return { role: endpoint.role, location: written, repository: `${host}/${sourcePath}` };
  if (root.startsWith('/v2/')) return { role: endpoint.role, location: written, repository: `${host}/${root.slice(4)}/${sourcePath}` };
  return {
    role: endpoint.role,
    location: written,
    unusable: `containerd would ask ${url.host}${root}/${sourcePath}/manifests/…, which is not under the registry API root /v2/${endpoint.overridePath ? '' : ' (set override_path = true for a URL that spells its /v2/ root)'}`,
  };
}
