/**
 * One place that turns the user's registry flags into clients: one
 * RegistryClient (and so one connection pool and one token cache) per host,
 * shared by every image of a job.
 */
import { resolveTlsForHost, type ResolvedTls, type TlsOptions } from './tls-config.ts';
import { loadCredentialStore, type Credential, type CredentialStore } from './credentials.ts';
import { DEFAULT_MAX_CONNECTIONS, RegistryClient, type RetryPolicy } from './client.ts';

/** How to reach registries: the flags `ferry copy` and friends take, for one side of a copy. */
export interface RegistryAccess {
  /** `--authfile`; otherwise the usual auth files and credential helpers. */
  authFile?: string;
  /**
   * `--creds user:password` and the one registry host they were given for; they
   * win over any auth file there and are never sent to any other host.
   */
  creds?: { username: string; password: string; host: string };
  /**
   * Logins the desktop app keeps in the system keychain, looked up per host:
   * after `creds`, before any auth file (an explicit choice in the app wins
   * over files it did not write).
   */
  savedLogin?: (host: string) => Promise<{ username: string; password: string } | undefined>;
  tls: TlsOptions;
  /** `--plain-http`: talk HTTP, not HTTPS. Never chosen silently. */
  plainHttp: boolean;
  maxConnections?: number;
  retry?: RetryPolicy;
  /** `--rate-limit N/s`: requests per second at most to each registry host of this side. */
  rateLimit?: number;
  /** The desktop app's saved request rate per registry host (Settings → Registries); the stricter of it and `rateLimit` applies. */
  savedRateLimit?: (host: string) => Promise<number | undefined>;
  /** Offer HTTP/2 to TLS registries (the registry chooses in the handshake); HTTP/1.1 only when unset. */
  http2?: boolean;
}

/** Defaults for a registry reached over HTTPS with system trust and the usual credential files. */
export const DEFAULT_ACCESS: RegistryAccess = { tls: { verify: true, caCertFiles: [], certDirs: [] }, plainHttp: false };

/** The registry clients of one job, created on first use and closed together. */
export class Registries {
  private readonly clients = new Map<string, Promise<RegistryClient>>();
  private store: Promise<CredentialStore> | undefined;

  constructor(
    private readonly access: RegistryAccess,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The client for a registry host, as written in references (`docker.io`, `127.0.0.1:5000`). */
  client(registry: string): Promise<RegistryClient> {
    let pending = this.clients.get(registry);
    if (!pending) {
      pending = this.create(registry);
      this.clients.set(registry, pending);
      pending.catch(() => this.clients.delete(registry));
    }
    return pending;
  }

  /**
   * The TLS settings for any HTTPS host of the job, from the same flags and
   * certs.d folders as its registries: a chart repository behind the same
   * private CA is trusted the same way.
   */
  tlsFor(host: string): Promise<ResolvedTls> {
    return resolveTlsForHost(host, this.access.tls);
  }

  /** Closes every connection pool. */
  async close(): Promise<void> {
    const clients = await Promise.allSettled(this.clients.values());
    await Promise.all(clients.flatMap((c) => (c.status === 'fulfilled' ? [c.value.close()] : [])));
    this.clients.clear();
  }

  private async create(registry: string): Promise<RegistryClient> {
    const tls = await resolveTlsForHost(registry, this.access.tls);
    // Basic auth asks for the credential on every request: the saved login (a file read and a keychain decrypt) is looked up
    // once per client, like the credential store's own cache, and again only after a failed lookup.
    let savedLogin: Promise<{ username: string; password: string } | undefined> | undefined;
    const lookupSaved = (): Promise<{ username: string; password: string } | undefined> | undefined => {
      if (this.access.savedLogin === undefined) return undefined;
      if (savedLogin === undefined) {
        savedLogin = this.access.savedLogin(registry);
        savedLogin.catch(() => {
          savedLogin = undefined;
        });
      }
      return savedLogin;
    };
    const credential = async (): Promise<Credential | undefined> => {
      const creds = this.access.creds;
      if (creds && creds.host === registry) return { kind: 'basic', username: creds.username, password: creds.password };
      const saved = await lookupSaved();
      if (saved) return { kind: 'basic', username: saved.username, password: saved.password };
      this.store ??= loadCredentialStore({ authFile: this.access.authFile, env: this.env });
      return (await this.store).get(registry);
    };
    // A settings file that cannot be read leaves the host unpaced rather than failing the job: the flag still applies.
    const saved = await this.access.savedRateLimit?.(registry).catch(() => undefined);
    const rates = [this.access.rateLimit, saved].filter((rate): rate is number => rate !== undefined);
    return new RegistryClient({
      registry,
      ...(rates.length > 0 ? { rateLimit: Math.min(...rates) } : {}),
      plainHttp: this.access.plainHttp,
      tls,
      credential,
      retry: this.access.retry,
      maxConnections: this.access.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      userAgent: 'ferry/0.1',
      ...(this.access.http2 === true ? { http2: true } : {}),
    });
  }
}
