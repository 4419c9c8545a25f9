/**
 * The registry flags every command shares (auth file, credentials, CA, TLS
 * verification, plain HTTP), with `--src-*` / `--dest-*` variants for copies
 * whose two sides differ.
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { RegistrySettings } from '../usecases/access.ts';
import { booleanFlag, type FlagSpec, type ParsedArgs } from './args.ts';

/** The flags of one side; `prefix` is '' for both sides, or 'src-' / 'dest-'. */
export function registryFlags(prefix: '' | 'src-' | 'dest-'): Record<string, FlagSpec> {
  const side = prefix === 'src-' ? ' for the source' : prefix === 'dest-' ? ' for the destination' : '';
  return {
    [`${prefix}authfile`]: { type: 'string', value: 'FILE', description: `auth file (containers auth.json or Docker config.json)${side}; default: REGISTRY_AUTH_FILE, then the usual locations` },
    [`${prefix}creds`]: { type: 'string', value: 'USER:PASSWORD', description: `credentials${side}; they win over any auth file and are never logged` },
    [`${prefix}ca-cert`]: { type: 'string', multiple: true, value: 'FILE', description: `extra CA certificate (PEM) to trust${side}` },
    [`${prefix}cert-dir`]: {
      type: 'string',
      value: 'DIR',
      description: `certs.d-style folder (<host>/ca.crt, client.cert, client.key)${side}; replaces /etc/containers/certs.d and /etc/docker/certs.d`,
    },
    [`${prefix}tls-verify`]: { type: 'string', value: 'BOOL', description: `verify the registry's TLS certificate${side} (default true)` },
    [`${prefix}plain-http`]: { type: 'boolean', description: `use plain HTTP instead of HTTPS${side}; only for registries that have no TLS` },
  };
}

/**
 * The registry settings of one side from its flags: the side's own flag wins,
 * then the flag without prefix, then the default. A `--creds` login binds to
 * the one registry of its side in the use case, which refuses it for several.
 */
export function registrySettings(values: ParsedArgs['values'], prefix: '' | 'src-' | 'dest-'): RegistrySettings {
  const pick = (name: string): ParsedArgs['values'][string] => values[`${prefix}${name}`] ?? values[name];
  const pickedName = (name: string): string => (values[`${prefix}${name}`] !== undefined ? `${prefix}${name}` : name);
  const authFile = pick('authfile');
  const creds = pick('creds');
  const caCerts = pick('ca-cert');
  const certDir = pick('cert-dir');
  const settings: RegistrySettings = {
    tlsVerify: booleanFlag(values, pickedName('tls-verify'), true),
    caCertFiles: Array.isArray(caCerts) ? caCerts.map(String) : [],
    certDirs: typeof certDir === 'string' ? [certDir] : [],
    plainHttp: pick('plain-http') === true,
  };
  if (typeof authFile === 'string') settings.authFile = authFile;
  if (typeof creds === 'string') {
    const colon = creds.indexOf(':');
    if (colon <= 0) throw new FerryError('INVALID_ARGUMENT', `--${pickedName('creds')} must be USER:PASSWORD`);
    settings.login = { username: creds.slice(0, colon), password: creds.slice(colon + 1) };
  }
  return settings;
}
