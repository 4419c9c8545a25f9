/**
 * Turns what a front end sends into use-case inputs: registry settings (a
 * typed value; the use case binds a login to its one host) and checked
 * arguments (the HTTP and IPC boundaries carry untrusted JSON).
 */
import type { RegistryAccessInput } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import type { RegistrySettings } from '../usecases/access.ts';

/**
 * The desktop app's per-host keychain lookup, handed to the registry clients
 * of a call. It carries the per-host lookup of the request rate saved in
 * Settings → Registries as well, so every call that hands the saved login on
 * to a job hands the saved rate on with it, and no call can forget one.
 */
export type SavedLogin = NonNullable<RegistrySettings['savedLogin']> & { rateLimit?: NonNullable<RegistrySettings['savedRateLimit']> };

/** The part of a call's arguments that says how to reach registries, checked field by field. */
function accessInput(raw: unknown): RegistryAccessInput {
  if (raw === undefined || raw === null) return {};
  const args = argsObject(raw);
  const input: RegistryAccessInput = {};
  if (args.plainHttp === true) input.plainHttp = true;
  if (args.tlsVerify === false) input.tlsVerify = false;
  const caCertFiles = stringList(args, 'caCertFiles');
  if (caCertFiles.length > 0) input.caCertFiles = caCertFiles;
  const authFile = optionalString(args, 'authFile');
  if (authFile !== undefined) input.authFile = authFile;
  const username = optionalString(args, 'username');
  if (username !== undefined) input.username = username;
  const password = optionalString(args, 'password');
  if (password !== undefined) input.password = password;
  return input;
}

/**
 * Registry settings for one call from the untrusted `access` argument.
 * Credentials live only in the returned value for the call's lifetime:
 * never stored, logged or echoed. `savedLogin` is the desktop app's keychain
 * lookup (CredentialVault), consulted per host.
 */
export function settingsFrom(raw: unknown, savedLogin?: SavedLogin): RegistrySettings {
  const input = accessInput(raw);
  const settings: RegistrySettings = { plainHttp: input.plainHttp === true, tlsVerify: input.tlsVerify !== false, caCertFiles: input.caCertFiles ?? [] };
  if (input.authFile !== undefined) settings.authFile = input.authFile;
  const username = input.username ?? '';
  const password = input.password ?? '';
  if (username !== '' || password !== '') settings.login = { username, password };
  if (savedLogin !== undefined) settings.savedLogin = savedLogin;
  if (savedLogin?.rateLimit !== undefined) settings.savedRateLimit = savedLogin.rateLimit;
  return settings;
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
