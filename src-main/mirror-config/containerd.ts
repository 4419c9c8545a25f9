/**
 * containerd registry host configuration (`hosts.toml`, containerd 1.5+):
 * https://github.com/containerd/containerd/blob/main/docs/hosts.md
 *
 * containerd mirrors a whole registry HOST, not a repository: for a pull of
 * `quay.io/a/b` it asks each `[host."URL"]` for `URL/a/b/manifests/…`, always
 * appending the repository path unchanged. A host can therefore be expressed
 * only when every repository of it sits at `<mirror host>/<one prefix>/<same
 * path>`, which both import mappings (source host dropped, or kept with
 * --keep-registry-host) satisfy. Anything else (say two repositories squashed
 * into one mirror repository, as the OpenShift docs' example does) is
 * refused with INVALID_ARGUMENT naming the host rather than written wrongly.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { DOCKER_HUB, apiHost } from '../oci/reference.ts';
import { compareText, groupMappings, splitHostPort, splitRepository } from './mapping.ts';
import type { MirrorConfigOptions, MirrorGroup, MirrorTransport, RepositoryMapping } from './mapping.ts';
import { GENERATED_BY, tomlText } from './stringify.ts';

/** Capabilities of the mirror: pull blobs and resolve tags/digests, never push (hosts.md "capabilities field"). */
const MIRROR_CAPABILITIES = ['pull', 'resolve'] as const;

/** Where containerd looks for these folders by default (CRI `config_path`); named in each file's header. */
export const CONTAINERD_CERTS_DIR = '/etc/containerd/certs.d';

/** One `[host."URL"]` entry: a mirror registry host and the path prefix the repositories sit under. */
interface HostMirror {
  mirrorHost: string;
  prefix: string;
}

/** The prefix that maps `sourcePath` onto `mirror`, or undefined when the mirror does not end with the source path. */
function prefixOf(sourcePath: string, mirror: string): HostMirror | undefined {
  const { host, path } = splitRepository(mirror);
  if (path === sourcePath) return { mirrorHost: host, prefix: '' };
  if (!path.endsWith(`/${sourcePath}`)) return undefined;
  return { mirrorHost: host, prefix: path.slice(0, path.length - sourcePath.length - 1) };
}

function key(entry: HostMirror): string {
  return `${entry.mirrorHost}/${entry.prefix}`;
}

/** The single list of host mirrors that serves every repository of one source host, or an INVALID_ARGUMENT explaining why none does. */
function hostMirrors(host: string, groups: readonly MirrorGroup[]): HostMirror[] {
  let expected: HostMirror[] | undefined;
  let expectedFrom = '';
  for (const group of groups) {
    const entries: HostMirror[] = [];
    for (const mirror of group.mirrors) {
      const entry = prefixOf(group.sourcePath, mirror);
      if (entry === undefined) {
        throw new FerryError(
          'INVALID_ARGUMENT',
          `containerd mirrors whole registry hosts, so registry host "${host}" cannot be configured: mirror "${mirror}" of "${group.source}" does not end with the source path "${group.sourcePath}"`,
          { host, source: group.source, mirror },
        );
      }
      entries.push(entry);
    }
    if (expected === undefined) {
      expected = entries;
      expectedFrom = group.source;
    } else if (entries.map(key).join('\n') !== expected.map(key).join('\n')) {
      throw new FerryError(
        'INVALID_ARGUMENT',
        `containerd mirrors whole registry hosts, so registry host "${host}" cannot be configured: "${group.source}" is mirrored under ${entries.map(key).join(', ')} but "${expectedFrom}" under ${expected.map(key).join(', ')}`,
        { host, sources: [expectedFrom, group.source] },
      );
    }
  }
  return expected ?? [];
}

/**
 * The mirror URL containerd should call, in the scheme the mirror really
 * speaks: `http://` for a plain-HTTP mirror (containerd 1.6 then never tries
 * TLS), `https://` otherwise. With a prefix the `/v2` root must be spelled out
 * and override_path set (hosts.md "override_path field").
 */
function hostUrl(entry: HostMirror, transport: MirrorTransport): string {
  const scheme = transport === 'http' ? 'http' : 'https';
  return entry.prefix === '' ? `${scheme}://${entry.mirrorHost}` : `${scheme}://${entry.mirrorHost}/v2/${entry.prefix}`;
}

/**
 * Where hosts.toml finds the mirror's CA: relative to the folder holding
 * hosts.toml (containerd resolves a relative `ca` against it, see
 * parseHostConfig in core/remotes/docker/config), so the tree works wherever
 * it is installed (`config_path` differs between distributions).
 */
export function containerdCaReference(mirrorHost: string): string {
  return `../${hostFolder(mirrorHost)}/ca.crt`;
}

/** Header lines that say how the mirror is trusted, and why skipping verification is risky. */
function trustNote(options: MirrorConfigOptions): string[] {
  switch (options.transport ?? 'https') {
    case 'http':
      return ['The mirror speaks plain HTTP: nothing it sends is encrypted, and only digest pulls are checked by content.'];
    case 'https-skip-verify':
      return [
        'RISK: skip_verify = true, because the import ran with --tls-verify=false. Any machine that can answer',
        "for the mirror's address can serve these nodes its own tag answers, and credentials go to it unchecked.",
        'Give Ferry the CA (--mirror-ca FILE) to drop skip_verify.',
      ];
    default:
      return options.caPem !== undefined ? ["The mirror's certificate is checked against its CA, installed beside this file's folder (ca = ...)."] : [];
  }
}

function hostsToml(host: string, mirrors: readonly HostMirror[], options: MirrorConfigOptions): string {
  const transport = options.transport ?? 'https';
  // Key order is host priority: containerd tries the [host."URL"] tables in file order.
  const hosts: Record<string, Record<string, unknown>> = {};
  for (const entry of mirrors) {
    const settings: Record<string, unknown> = { capabilities: [...MIRROR_CAPABILITIES] };
    if (entry.prefix !== '') settings.override_path = true;
    if (transport === 'https' && options.caPem !== undefined) settings.ca = containerdCaReference(entry.mirrorHost);
    if (transport === 'https-skip-verify') settings.skip_verify = true;
    hosts[hostUrl(entry, transport)] = settings;
  }
  // The server is the fallback when no mirror answers; Docker Hub's API lives on registry-1.docker.io.
  return tomlText({ server: `https://${host === DOCKER_HUB ? apiHost(DOCKER_HUB) : host}`, host: hosts }, [
    GENERATED_BY,
    `containerd mirrors for every repository of ${host}, served by ${options.mirrorRegistry}.`,
    `Install as ${CONTAINERD_CERTS_DIR}/${hostFolder(host)}/hosts.toml.`,
    ...portFolderNote(host),
    ...trustNote(options),
  ]);
}

/**
 * For a host with a port containerd looks up `host_port_` before `host:port`
 * (on Windows, where ":" is not allowed in names, `host_port_` then
 * `hostport`); see hostDirectory/hostPaths in core/remotes/docker/config.
 */
function portFolderNote(host: string): string[] {
  if (hostFolder(host) === host) return [];
  return [`Containerd releases that predate the ${hostFolder(host)} folder name read ${host} instead.`];
}

/**
 * The certs.d folder of a host: `host_port_` for a host with a port, since
 * Ferry writes no ":" in any file name (Windows, FAT32 media) and containerd
 * looks that name up first.
 */
export function hostFolder(host: string): string {
  const parts = splitHostPort(host);
  return parts.port === undefined ? host : `${parts.host}_${parts.port}_`;
}

/**
 * One `certs.d/<host>/hosts.toml` per source registry host, keyed by that
 * relative path; a host with a port gets the `host_port_` folder (see hostFolder).
 * Throws INVALID_ARGUMENT naming the host when its repositories do not share
 * one mirror prefix (see the module comment).
 */
export function containerdHostsToml(mappings: readonly RepositoryMapping[], options: MirrorConfigOptions, skipped?: string[]): Map<string, string> {
  const byHost = new Map<string, MirrorGroup[]>();
  for (const group of groupMappings(mappings, options)) {
    const list = byHost.get(group.sourceHost) ?? [];
    list.push(group);
    byHost.set(group.sourceHost, list);
  }
  const files = new Map<string, string>();
  for (const host of [...byHost.keys()].sort(compareText)) {
    const groups = byHost.get(host) ?? [];
    try {
      files.set(`certs.d/${hostFolder(host)}/hosts.toml`, hostsToml(host, hostMirrors(host, groups), options));
    } catch (error) {
      // With `skipped` the caller wants every expressible host and a reason for each other one.
      if (!skipped || !(error instanceof FerryError)) throw error;
      skipped.push(error.message);
    }
  }
  return files;
}
