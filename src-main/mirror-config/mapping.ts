/**
 * The input every mirror-configuration writer shares: which source repository
 * was copied to which mirror repository, checked and grouped once so each
 * output format only decides how to spell it.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { parseReference, parseRegistryPrefix } from '../oci/reference.ts';

/** One source repository and where the import put it; the import computes one per source repository. */
export interface RepositoryMapping {
  /** Fully qualified source repository, e.g. `quay.io/openshift-release-dev/ocp-release` or `docker.io/library/nginx`. */
  source: string;
  /** The repository in the site's registry, e.g. `mirror.local:5000/ocp/openshift-release-dev/ocp-release`. */
  mirror: string;
}

/** Settings shared by every output, so the UI and the CLI pass one object. */
export interface MirrorConfigOptions {
  /** The import target `REGISTRY[/PREFIX]`; every mirror must live under it (catches a mapping from another import). */
  mirrorRegistry: string;
  /** metadata.name of the OpenShift objects; defaults to {@link DEFAULT_OBJECT_NAME}. */
  name?: string;
  /** How the nodes reach the mirror, as the import itself reached it; default 'https' (TLS, verified). */
  transport?: MirrorTransport;
  /**
   * The CA certificate(s) of the mirror, PEM text already checked by
   * mirror-ca.ts: written as `certs.d/<host:port>/ca.crt` and referenced by
   * every format that takes a CA (containerd `ca`, OpenShift additionalTrustedCA,
   * KET's plan, Deckhouse's registryCA).
   */
  caPem?: string;
}

/**
 * How a client reaches the mirror: 'https' verified TLS; 'http' plain HTTP
 * (`--plain-http`); 'https-skip-verify' TLS whose certificate is not checked
 * (`--tls-verify=false`), which every format must spell as the risk it is.
 */
export type MirrorTransport = 'https' | 'http' | 'https-skip-verify';

/** Default metadata.name: one fixed name so re-applying the config replaces Ferry's objects instead of adding more. */
export const DEFAULT_OBJECT_NAME = 'ferry-mirror';

/** A source repository with its mirrors in priority order, the shape every format groups by. */
export interface MirrorGroup {
  /** Normalised source repository (`docker.io/library/nginx`, never `nginx` or `index.docker.io/...`). */
  source: string;
  /** Registry host of the source, with its port (`127.0.0.1:5000`). */
  sourceHost: string;
  /** Repository path of the source below its host (`library/nginx`). */
  sourcePath: string;
  /** Mirror repositories, first-seen order kept because runtimes try mirrors in list order. */
  mirrors: string[];
}

/** Kubernetes object names are DNS-1123 subdomains; checked here so `oc apply` never rejects our file. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Longest Kubernetes object name (DNS-1123 subdomain limit). */
const NAME_MAX_LENGTH = 253;

/** Splits `host[:port]/path` at the first slash; callers have already checked the name is qualified. */
export function splitRepository(repository: string): { host: string; path: string } {
  const slash = repository.indexOf('/');
  return { host: repository.slice(0, slash), path: repository.slice(slash + 1) };
}

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): FerryError {
  return new FerryError('INVALID_ARGUMENT', message, details, cause === undefined ? undefined : { cause });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Normalises a source repository the way container runtimes do before they
 * match mirrors (`index.docker.io/nginx` → `docker.io/library/nginx`), and
 * refuses tags and digests: mirror rules match repositories, not images.
 */
export function normaliseSource(source: string): string {
  const lastSegment = source.slice(source.lastIndexOf('/') + 1);
  if (source.includes('@') || lastSegment.includes(':')) {
    throw invalid(`mapping source "${source}" must be a repository without tag or digest`, { source });
  }
  try {
    const reference = parseReference(source);
    return `${reference.registry}/${reference.repository}`;
  } catch (error) {
    throw invalid(`mapping source "${source}" is not a valid repository name: ${reason(error)}`, { source }, error);
  }
}

/** Checks a mirror is a fully qualified repository written in canonical form, since it is copied verbatim into every file. */
export function checkMirror(mirror: string): string {
  let canonical: string;
  try {
    const reference = parseReference(mirror);
    canonical = `${reference.registry}/${reference.repository}`;
  } catch (error) {
    throw invalid(`mapping mirror "${mirror}" is not a valid repository name: ${reason(error)}`, { mirror }, error);
  }
  if (canonical !== mirror) {
    throw invalid(`mapping mirror "${mirror}" must be a fully qualified repository (host/path) without tag or digest`, { mirror });
  }
  return mirror;
}

/** Resolves options.name, checked as a DNS-1123 subdomain so the API server accepts the objects. */
export function objectName(options: MirrorConfigOptions): string {
  const name = options.name ?? DEFAULT_OBJECT_NAME;
  if (name.length > NAME_MAX_LENGTH || !DNS_SUBDOMAIN.test(name)) {
    throw invalid(`object name "${name}" must be a lowercase DNS-1123 subdomain (letters, digits, "-" and ".")`, { name });
  }
  return name;
}

/**
 * Validates the mappings and groups them by source, sorted by source so the
 * output is stable; several mappings of one source become one entry with
 * several mirrors. Throws INVALID_ARGUMENT for an empty list, a malformed
 * name, or a mirror outside `options.mirrorRegistry`.
 */
export function groupMappings(mappings: readonly RepositoryMapping[], options: MirrorConfigOptions): MirrorGroup[] {
  if (mappings.length === 0) {
    throw invalid('no repository mappings: there is nothing to mirror', {});
  }
  const target = mirrorRegistryParts(options);
  const under = target.prefix === '' ? `${target.registry}/` : `${target.registry}/${target.prefix}/`;
  const groups = new Map<string, MirrorGroup>();
  for (const mapping of mappings) {
    const source = normaliseSource(mapping.source);
    const mirror = checkMirror(mapping.mirror);
    // A Deckhouse edition root lands at the prefix itself.
    if (!mirror.startsWith(under) && !(target.prefix !== '' && mirror === `${target.registry}/${target.prefix}`)) {
      throw invalid(`mapping mirror "${mirror}" is not under the mirror registry "${options.mirrorRegistry}"`, { source, mirror, mirrorRegistry: options.mirrorRegistry });
    }
    if (mirror === source) {
      throw invalid(`mapping of "${source}" points at itself`, { source, mirror });
    }
    let group = groups.get(source);
    if (group === undefined) {
      const { host, path } = splitRepository(source);
      group = { source, sourceHost: host, sourcePath: path, mirrors: [] };
      groups.set(source, group);
    }
    if (!group.mirrors.includes(mirror)) group.mirrors.push(mirror);
  }
  return [...groups.values()].sort((a, b) => compareText(a.source, b.source));
}

/**
 * The registry host (`host[:port]`) of `options.mirrorRegistry`: the name
 * certs.d folders, ConfigMap keys and plan files are keyed by. Throws
 * INVALID_ARGUMENT for a malformed REGISTRY[/PREFIX].
 */
export function mirrorRegistryParts(options: MirrorConfigOptions): { registry: string; prefix: string } {
  try {
    return parseRegistryPrefix(options.mirrorRegistry);
  } catch (error) {
    throw invalid(`mirror registry "${options.mirrorRegistry}" is not a valid REGISTRY[/PREFIX]: ${reason(error)}`, { mirrorRegistry: options.mirrorRegistry }, error);
  }
}

/** Code-unit order, independent of the machine's locale, so two machines write identical files. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Splits a registry host `host[:port]` at its port, the one place every
 * format (containerd's `host_port_` folder, OpenShift's `host..port` key,
 * KET's address/port) takes it apart; a bracketed IPv6 literal without a port
 * (`[::1]`) has none.
 */
export function splitHostPort(host: string): { host: string; port?: string } {
  const colon = host.lastIndexOf(':');
  if (colon <= 0 || host.endsWith(']')) return { host };
  return { host: host.slice(0, colon), port: host.slice(colon + 1) };
}
