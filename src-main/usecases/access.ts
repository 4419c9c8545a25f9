/**
 * Registry access as one typed value for every front end: the CLI builds it
 * from its flags, the app from its form, and only here is it turned into the
 * engine's RegistryAccess, so credentials bind to one host the same way
 * whichever front end the user came through.
 */
import { FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import type { RegistryAccess } from '../oci/registry/registries.ts';

/** A login typed by the user for one side of a job (never stored, logged or echoed). */
export interface Login {
  username: string;
  password: string;
}

/** How to reach the registries of one side of a job, as the user asked for it. */
export interface RegistrySettings {
  /** An auth file (containers auth.json or Docker config.json); otherwise the usual files and credential helpers. */
  authFile?: string;
  /** A login for the one registry this side talks to; it wins over any auth file there. */
  login?: Login;
  /** Extra CA certificates (PEM files) to trust. */
  caCertFiles?: string[];
  /** certs.d-style folders (<host>/ca.crt, client.cert, client.key), replacing the system ones. */
  certDirs?: string[];
  /** Verify the registry's TLS certificate (default true). */
  tlsVerify?: boolean;
  /** Talk plain HTTP: only for registries that have no TLS, never chosen silently. */
  plainHttp?: boolean;
  /** Offer HTTP/2 to TLS registries (the registry chooses); HTTP/1.1 when unset (docs/registry-client.md "HTTP/2"). */
  http2?: boolean;
  /** The desktop app's keychain lookup of saved logins, consulted per host after `login` and before auth files. */
  savedLogin?: RegistryAccess['savedLogin'];
  /** Requests per second at most to each registry of this side (`--rate-limit N/s`). */
  rateLimit?: number;
  /** The desktop app's saved request rate per registry host; where both are set, the stricter applies. */
  savedRateLimit?: RegistryAccess['savedRateLimit'];
}

/** Which side of a job a login was given for, so an error names it the way the user gave it. */
export type AccessSide = 'source' | 'destination' | 'registry';

/**
 * The engine's access for `hosts`: a typed login binds to the one host the
 * job talks to on that side, so it can never be sent to another registry.
 */
export function registryAccessFor(settings: RegistrySettings, hosts: string[], side: AccessSide = 'registry'): RegistryAccess {
  const access: RegistryAccess = {
    tls: { verify: settings.tlsVerify ?? true, caCertFiles: settings.caCertFiles ?? [], certDirs: settings.certDirs ?? [] },
    plainHttp: settings.plainHttp === true,
  };
  if (settings.authFile !== undefined && settings.authFile !== '') access.authFile = settings.authFile;
  if (settings.http2 === true) access.http2 = true;
  if (settings.savedLogin !== undefined) access.savedLogin = settings.savedLogin;
  if (settings.rateLimit !== undefined) access.rateLimit = settings.rateLimit;
  if (settings.savedRateLimit !== undefined) access.savedRateLimit = settings.savedRateLimit;
  if (settings.login !== undefined) {
    const { username, password } = settings.login;
    if (username === '' || username.includes(':')) throw new FerryError('INVALID_ARGUMENT', 'a registry user name is required and cannot contain ":"', { argument: 'login', side });
    const distinct = [...new Set(hosts)];
    const [host] = distinct;
    if (distinct.length !== 1 || host === undefined) {
      throw new FerryError(
        'INVALID_ARGUMENT',
        `a typed login is for one registry, but these images come from ${distinct.join(', ') || 'no registry'}; put each registry's login in an auth file instead`,
        {
          argument: 'login',
          side,
          hosts: distinct,
          hint: { kind: 'auth-file-per-registry' } satisfies ErrorHint,
        },
      );
    }
    access.creds = { username, password, host };
  }
  return access;
}
