/**
 * The registry flags every command shares (auth file, credentials, CA, TLS
 * verification, plain HTTP), with `--src-*` / `--dest-*` variants for copies
 * whose two sides differ.
 */
import { FerryError } from '../../src-shared/errors.ts';
import type { RegistryAccess } from '../oci/registry/registries.ts';
import { booleanFlag, type FlagSpec, type ParsedArgs } from './args.ts';

/** The flags of one side; `prefix` is '' for both sides, or 'src-' / 'dest-'. */
export function registryFlags(prefix: '' | 'src-' | 'dest-'): Record<string, FlagSpec> {
  const side = prefix === 'src-' ? ' for the source' : prefix === 'dest-' ? ' for the destination' : '';
  return {
    [`${prefix}authfile`]: { type: 'string', value: 'FILE', description: `auth file (containers auth.json or Docker config.json)${side}; default: REGISTRY_AUTH_FILE, then the usual locations` },
    [`${prefix}creds`]: { type: 'string', value: 'USER:PASSWORD', description: `credentials${side}; they win over any auth file and are never logged` },
    [`${prefix}ca-cert`]: { type: 'string', multiple: true, value: 'FILE', description: `extra CA certificate (PEM) to trust${side}` },
    [`${prefix}cert-dir`]: { type: 'string', value: 'DIR', description: `certs.d-style folder (<host>/ca.crt, client.cert, client.key)${side}; replaces /etc/containers/certs.d and /etc/docker/certs.d` },
    [`${prefix}tls-verify`]: { type: 'string', value: 'BOOL', description: `verify the registry's TLS certificate${side} (default true)` },
    [`${prefix}plain-http`]: { type: 'boolean', description: `use plain HTTP instead of HTTPS${side}; only for registries that have no TLS` },
  };
}

/** Parses USER:PASSWORD and binds it to the one registry it is for, so it can never reach another host. */
function parseCreds(raw: string, flag: string, hosts: string[]): { username: string; password: string; host: string } {
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new FerryError('INVALID_ARGUMENT', `--${flag} must be USER:PASSWORD`);
  const distinct = [...new Set(hosts)];
  const [host] = distinct;
  if (distinct.length !== 1 || host === undefined) {
    throw new FerryError('INVALID_ARGUMENT', `--${flag} is for one registry, but these images come from ${distinct.join(', ') || 'no registry'}; put each registry's credentials in an auth file (--authfile) instead`);
  }
  return { username: raw.slice(0, colon), password: raw.slice(colon + 1), host };
}

/**
 * Builds the access settings of one side: the side's own flag wins, then the
 * flag without prefix, then the default. `hosts` are the registries this side
 * talks to; credentials given on the command line bind to them.
 */
export function registryAccess(values: ParsedArgs['values'], prefix: '' | 'src-' | 'dest-', hosts: string[]): RegistryAccess {
  const pick = (name: string): ParsedArgs['values'][string] => values[`${prefix}${name}`] ?? values[name];
  const pickedName = (name: string): string => (values[`${prefix}${name}`] !== undefined ? `${prefix}${name}` : name);
  const authFile = pick('authfile');
  const creds = pick('creds');
  const caCerts = pick('ca-cert');
  const certDir = pick('cert-dir');
  const access: RegistryAccess = {
    tls: {
      verify: booleanFlag(values, pickedName('tls-verify'), true),
      caCertFiles: Array.isArray(caCerts) ? caCerts.map(String) : [],
      certDirs: typeof certDir === 'string' ? [certDir] : [],
    },
    plainHttp: pick('plain-http') === true,
  };
  if (typeof authFile === 'string') access.authFile = authFile;
  if (typeof creds === 'string') access.creds = parseCreds(creds, pickedName('creds'), hosts);
  return access;
}
