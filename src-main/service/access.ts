/**
 * Turns what a front end sends into engine inputs: registry access (through
 * the CLI's own flag rules, so credentials bind to one host exactly as
 * `--creds` does) and checked arguments (the HTTP and IPC boundaries carry
 * untrusted JSON).
 */
import type { RegistryAccessInput } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import type { RegistryAccess } from '../oci/registry/registries.ts';
import type { ParsedArgs } from '../cli/args.ts';
import { registryAccess } from '../cli/registry-flags.ts';

/** The desktop app's per-host keychain lookup, handed to the registry clients of a call. */
export type SavedLogin = NonNullable<RegistryAccess['savedLogin']>;

/**
 * Registry access for one call. Credentials live only in the returned object
 * for the call's lifetime: never stored, logged or echoed. `savedLogin` is the
 * desktop app's keychain lookup (CredentialVault), consulted per host.
 */
export function accessFrom(input: RegistryAccessInput | undefined, hosts: string[], savedLogin?: SavedLogin): RegistryAccess {
  const values: ParsedArgs['values'] = {};
  if (input?.plainHttp === true) values['plain-http'] = true;
  if (input?.tlsVerify === false) values['tls-verify'] = 'false';
  if (input?.caCertFiles?.length) values['ca-cert'] = input.caCertFiles.map(String);
  if (typeof input?.authFile === 'string' && input.authFile !== '') values.authfile = input.authFile;
  const username = input?.username ?? '';
  const password = input?.password ?? '';
  if (username !== '' || password !== '') {
    if (username === '' || username.includes(':')) throw new FerryError('INVALID_ARGUMENT', 'a registry user name is required and cannot contain ":"');
    values.creds = `${username}:${password}`;
  }
  const access = registryAccess(values, '', hosts);
  if (savedLogin !== undefined) access.savedLogin = savedLogin;
  return access;
}

/** The argument object of a call; anything else is refused before it reaches the engine. */
export function argsObject(args: unknown): Record<string, unknown> {
  if (args === undefined || args === null) return {};
  if (typeof args !== 'object' || Array.isArray(args)) throw new FerryError('INVALID_ARGUMENT', 'the arguments of a call must be a JSON object');
  return args as Record<string, unknown>;
}

/** A required, non-empty string argument. */
export function requireString(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value.trim() === '') throw new FerryError('INVALID_ARGUMENT', `${name} is required`, { argument: name });
  return value;
}

/** An optional string argument. */
export function optionalString(args: Record<string, unknown>, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new FerryError('INVALID_ARGUMENT', `${name} must be a string`, { argument: name });
  return value;
}

/** An optional list of strings. */
export function stringList(args: Record<string, unknown>, name: string): string[] {
  const value = args[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new FerryError('INVALID_ARGUMENT', `${name} must be a list of strings`, { argument: name });
  return value as string[];
}
