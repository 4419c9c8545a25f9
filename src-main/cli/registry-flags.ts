/**
 * The registry flags every command shares (auth file, credentials, CA, TLS
 * verification, plain HTTP), with `--src-*` / `--dest-*` variants for copies
 * whose two sides differ.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { RATE_LIMIT_RANGE } from '../../src-shared/model/throttling.ts';
import type { Login, RegistrySettings } from '../usecases/access.ts';
import { booleanFlag, type CommandIo, type FlagSpec, type ParsedArgs } from './args.ts';
import { loginFlags, resolveLogins, type FlagPrefix } from './login-flags.ts';

/** The flags of one side; `prefix` is '' for both sides, or 'src-' / 'dest-'. */
export function registryFlags(prefix: FlagPrefix): Record<string, FlagSpec> {
  const side = prefix === 'src-' ? ' for the source' : prefix === 'dest-' ? ' for the destination' : '';
  return {
    [`${prefix}authfile`]: { type: 'string', value: 'FILE', description: `auth file (containers auth.json or Docker config.json)${side}; default: REGISTRY_AUTH_FILE, then the usual locations` },
    ...loginFlags(prefix, side),
    [`${prefix}ca-cert`]: { type: 'string', multiple: true, value: 'FILE', description: `extra CA certificate (PEM) to trust${side}` },
    [`${prefix}cert-dir`]: {
      type: 'string',
      value: 'DIR',
      description: `certs.d-style folder (<host>/ca.crt, client.cert, client.key)${side}; replaces /etc/containers/certs.d and /etc/docker/certs.d`,
    },
    [`${prefix}tls-verify`]: { type: 'string', value: 'BOOL', description: `verify the registry's TLS certificate${side} (default true)` },
    [`${prefix}plain-http`]: { type: 'boolean', description: `use plain HTTP instead of HTTPS${side}; only for registries that have no TLS` },
    [`${prefix}rate-limit`]: {
      type: 'string',
      value: 'N/s',
      description: `send at most N requests a second to each registry${side} (5/s, 0.5/s); retries and token requests count too`,
    },
    [`${prefix}http2`]: { type: 'boolean', description: `offer HTTP/2 to TLS registries${side} (default HTTP/1.1)` },
  };
}

/**
 * Reads `--rate-limit`: requests per second as `N/s` or a bare `N`, decimals
 * allowed (`0.5/s` is one request every two seconds). Anything else is
 * refused naming the flag, never guessed at.
 */
export function parseRateLimit(text: string, flag = 'rate-limit'): number {
  const match = /^\s*(\d{1,6}(?:\.\d{1,6})?|\.\d{1,6})\s*(?:\/\s*s(?:ec(?:ond)?)?)?\s*$/i.exec(text);
  const value = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  if (!(value >= RATE_LIMIT_RANGE.min && value <= RATE_LIMIT_RANGE.max)) {
    throw new FerryError('INVALID_ARGUMENT', `--${flag} must be requests per second, such as 5/s or 0.5/s (more than 0, at most ${RATE_LIMIT_RANGE.max}/s), got "${text}"`, { argument: flag });
  }
  return value;
}

/**
 * The registry settings of one side from its flags: the side's own flag wins,
 * then the flag without prefix, then the default. `login` is the side's, as
 * resolveLogins read it; the use case binds it to the one registry of its
 * side and refuses it for several.
 */
function settingsOf(values: ParsedArgs['values'], prefix: FlagPrefix, login: Login | undefined): RegistrySettings {
  const pick = (name: string): ParsedArgs['values'][string] => values[`${prefix}${name}`] ?? values[name];
  const pickedName = (name: string): string => (values[`${prefix}${name}`] !== undefined ? `${prefix}${name}` : name);
  const authFile = pick('authfile');
  const caCerts = pick('ca-cert');
  const certDir = pick('cert-dir');
  const settings: RegistrySettings = {
    tlsVerify: booleanFlag(values, pickedName('tls-verify'), true),
    caCertFiles: Array.isArray(caCerts) ? caCerts.map(String) : [],
    certDirs: typeof certDir === 'string' ? [certDir] : [],
    plainHttp: pick('plain-http') === true,
  };
  if (pick('http2') === true) settings.http2 = true;
  if (typeof authFile === 'string') settings.authFile = authFile;
  if (login !== undefined) settings.login = login;
  const rateLimit = pick('rate-limit');
  if (typeof rateLimit === 'string') settings.rateLimit = parseRateLimit(rateLimit, pickedName('rate-limit'));
  return settings;
}

/** The registry settings of each side a command has (`['']`, or a copy's `['src-', 'dest-']`), the logins read from their flags, stdin or file. */
export async function registrySides<P extends FlagPrefix>(values: ParsedArgs['values'], prefixes: readonly P[], io: CommandIo): Promise<Record<P, RegistrySettings>> {
  const logins = await resolveLogins(values, prefixes, io);
  const sides = {} as Record<P, RegistrySettings>;
  for (const prefix of prefixes) sides[prefix] = settingsOf(values, prefix, logins[prefix]);
  return sides;
}

/** The registry settings of a command with one side (export, import, inspect). */
export async function registrySettings(values: ParsedArgs['values'], io: CommandIo): Promise<RegistrySettings> {
  return (await registrySides(values, [''] as const, io))[''];
}
