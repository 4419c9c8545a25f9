/**
 * The import wizard's values checked where they are typed (issue 17): a bad
 * bundle folder or registry address is marked on its own step, with what
 * fixes it, instead of failing after the push started. The same rules as the
 * engine's (oci/reference.ts parseRegistryPrefix), which still checks again.
 */
import type { ErrorEnvelope } from '../../../src-shared/errors.ts';
import { addressCarriesUserInfo } from '../../../src-shared/registry-address.ts';

/** A full path on any of the systems the app runs on: /…, C:\…, or a \\server\share path. */
const ABSOLUTE = /^(?:\/|[A-Za-z]:[\\/]|\\\\)/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const EXAMPLE = 'for example registry.local:5000/mirror';

/** What is wrong with a typed folder path, or undefined (an empty field is not wrong yet: the step asks for it when going on). */
export function folderProblem(path: string): string | undefined {
  const value = path.trim();
  if (value === '') return undefined;
  if (!ABSOLUTE.test(value)) return 'Type the full path of the folder, starting with / (or a drive letter such as E:\\), or choose it with Browse….';
  return undefined;
}

/** What is wrong with a typed registry address and prefix, or undefined. */
export function registryAddressProblem(address: string): string | undefined {
  const value = address.trim().replace(/\/+$/, '');
  if (value === '') return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return `Give the address without http:// or https:// (${EXAMPLE}); tick Plain HTTP below for a registry without TLS.`;
  if (/\s/.test(value)) return `The address cannot contain spaces (${EXAMPLE}).`;
  if (addressCarriesUserInfo(value)) return 'Give the address without a user name or password; type the login in the access fields below.';
  const slash = value.indexOf('/');
  const hostPort = slash < 0 ? value : value.slice(0, slash);
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::([^:]*))?$/.exec(hostPort);
  const host = match?.[1] ?? '';
  const port = match?.[2];
  if (!(DOMAIN.test(host) || IPV6.test(host))) return `"${hostPort}" is not a registry host and port (${EXAMPLE}).`;
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return `The port after ":" must be a number (${EXAMPLE}).`;
  const prefix = slash < 0 ? '' : value.slice(slash + 1);
  const bad = prefix === '' ? undefined : prefix.split('/').find((component) => !PATH_COMPONENT.test(component));
  if (bad !== undefined) return `The part "${bad}" after the host must be lowercase letters and digits, separated by ".", "_" or "-" (${EXAMPLE}).`;
  return undefined;
}

/** The engine's refusal of one field (its `argument` or `part`), so the field that fixes it is marked even when the check above let it through. */
export function engineProblem(error: ErrorEnvelope | null, ...names: string[]): string | undefined {
  const details = error?.details as { argument?: unknown; part?: unknown } | undefined;
  const named = [details?.argument, details?.part].some((name) => typeof name === 'string' && names.includes(name));
  return named ? error?.message : undefined;
}
