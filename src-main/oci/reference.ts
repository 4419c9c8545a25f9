/**
 * Image reference parsing: the full distribution grammar plus Docker's
 * normalisation (`nginx` → `docker.io/library/nginx:latest`).
 * Grammar: https://github.com/distribution/reference/blob/main/reference.go
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { refuseUserInfo } from '../../src-shared/registry-address.ts';
import { parseDigest } from './digest.ts';

/** Docker Hub's canonical name; references without a registry host land here (Docker normalisation). */
export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's registry API. */
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** A repository name (host included) may not exceed this many characters (distribution's NameTotalLengthMax). */
const NAME_MAX_LENGTH = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST_PORT = new RegExp(`^(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Parses a reference string and applies Docker's defaults; throws INVALID_REFERENCE naming the bad part. */
export function parseReference(input: string): Reference {
  const fail = (part: string, why: string): never => {
    throw new FerryError('INVALID_REFERENCE', `invalid reference "${input}": ${part} ${why}`, { reference: input, part });
  };
  // Before anything that echoes the input: a login in it must reach no message, event or log.
  refuseUserInfo(input, 'the reference', 'reference', 'INVALID_REFERENCE');
  if (input.length === 0) fail('reference', 'is empty');
  if (input !== input.trim()) fail('reference', 'has leading or trailing spaces');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      parseDigest(digest);
    } catch (error) {
      fail(`digest "${digest}"`, `is invalid (${error instanceof Error ? error.message.replace(/^invalid digest "[^"]*": /, '') : 'bad digest'})`);
    }
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) fail(`tag "${tag}"`, 'is invalid: it must be 1-128 characters of letters, digits, "_", "." or "-", not starting with "." or "-"');
  }

  if (rest.length === 0) fail('repository name', 'is empty');
  const { registry, path } = splitRegistry(rest);
  if (registry !== undefined && !HOST_PORT.test(registry)) fail(`registry host "${registry}"`, 'is not a valid host[:port]');
  const components = path.split('/');
  for (const component of components) {
    if (component.length === 0) fail('repository name', `"${path}" has an empty path component`);
    if (component !== component.toLowerCase()) fail(`repository name "${path}"`, 'must be lowercase');
    if (!PATH_COMPONENT.test(component)) {
      fail(`path component "${component}"`, 'is invalid: use lowercase letters and digits, separated by ".", "_", "__" or "-"');
    }
  }
  const name = registry === undefined ? path : `${registry}/${path}`;
  if (name.length > NAME_MAX_LENGTH) fail('repository name', `is longer than ${NAME_MAX_LENGTH} characters`);

  let normalisedRegistry = registry ?? DOCKER_HUB;
  if (normalisedRegistry === 'index.docker.io' || normalisedRegistry === DOCKER_HUB_API_HOST) normalisedRegistry = DOCKER_HUB;
  const repository = normalisedRegistry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path;

  const reference: Reference = { registry: normalisedRegistry, repository };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  if (tag === undefined && digest === undefined) reference.tag = 'latest';
  return reference;
}

/**
 * Splits off the registry host the way Docker does: the first component is a
 * host only if it contains "." or ":" or is "localhost" (or has uppercase,
 * which a path component never may).
 */
function splitRegistry(name: string): { registry: string | undefined; path: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { registry: undefined, path: name };
  const first = name.slice(0, slash);
  const looksLikeHost = first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
  return looksLikeHost ? { registry: first, path: name.slice(slash + 1) } : { registry: undefined, path: name };
}

/** The canonical string form: `registry/repository[:tag][@digest]`. */
export function formatReference(reference: Reference): string {
  let out = `${reference.registry}/${reference.repository}`;
  if (reference.tag !== undefined) out += `:${reference.tag}`;
  if (reference.digest !== undefined) out += `@${reference.digest}`;
  return out;
}

/** The repository without tag or digest, e.g. `docker.io/library/nginx`: the key for mirror mappings. */
export function repositoryName(reference: Reference): string {
  return `${reference.registry}/${reference.repository}`;
}

/** What to ask the registry for: the digest when pinned (it wins over a tag), else the tag. */
export function manifestIdentifier(reference: Reference): string {
  return reference.digest ?? reference.tag ?? 'latest';
}

/** The host that serves the registry API for a registry name (Docker Hub's API lives elsewhere). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** A copy of a reference that points at a digest instead of a tag, for pushes and pulls by digest. */
export function withDigest(reference: Reference, digest: string): Reference {
  return { registry: reference.registry, repository: reference.repository, digest };
}

/**
 * How many path components a repository path or prefix has (`mirror/a/b` is 3, the empty prefix 0): the
 * one way repository depth is counted, by the registry check's `maxDepth`, the import preflight and
 * `--max-nested-paths` alike.
 */
export function pathDepth(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}

/** Parses a `REGISTRY[/PREFIX]` destination such as `mirror.local:5000/ocp`, as `--to` takes it. */
export function parseRegistryPrefix(input: string): { registry: string; prefix: string } {
  refuseUserInfo(input, 'the destination', 'address', 'INVALID_REFERENCE');
  const trimmed = input.replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  const registry = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const prefix = slash < 0 ? '' : trimmed.slice(slash + 1);
  if (!HOST_PORT.test(registry)) {
    throw new FerryError('INVALID_REFERENCE', `invalid destination "${input}": registry host "${registry}" is not a valid host[:port]`, { reference: input, part: 'registry' });
  }
  for (const component of prefix === '' ? [] : prefix.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw new FerryError('INVALID_REFERENCE', `invalid destination "${input}": prefix component "${component}" must be lowercase letters and digits separated by ".", "_", "__" or "-"`, {
        reference: input,
        part: 'prefix',
      });
    }
  }
  return { registry, prefix };
}
