/**
 * A test token server for the Docker registry token protocol
 * (https://distribution.github.io/distribution/spec/auth/token/ and
 * https://distribution.github.io/distribution/spec/auth/oauth/). It signs RS256
 * JWTs that Distribution verifies through the `x5c` chain against its
 * `rootcertbundle`, grants only what a per-user policy allows, and records every
 * request so tests can count token round trips.
 */
import { createSign, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makePki, pemToDerBase64 } from './pki.ts';

/** A registry action named in a scope; '*' means every action (used for catalog and delete). */
export type Action = 'pull' | 'push' | 'delete' | '*';

/** Repository glob ('*' matches any run of characters, slashes included) to the actions it allows. */
export type AccessPolicy = Record<string, readonly Action[]>;

/** One account the issuer knows, with what it may do. */
export interface TokenUser {
  username: string;
  password: string;
  access: AccessPolicy;
}

/** One entry of the JWT `access` claim, exactly as Distribution reads it. */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** What the issuer saw and answered for one request, so tests can assert on token traffic. */
export interface TokenRequestRecord {
  method: string;
  /** Authenticated user, or null for an anonymous request. */
  user: string | null;
  service: string | null;
  /** Every scope string requested, in order, split on spaces. */
  scopes: string[];
  granted: AccessEntry[];
  status: number;
  grantType: 'basic' | 'anonymous' | 'password' | 'refresh_token';
}

/** Options for startTokenIssuer; the defaults suit one registry per test file. */
export interface TokenIssuerOptions {
  /** Folder for the signing key and certificates (the caller owns and removes it). */
  dir: string;
  users: readonly TokenUser[];
  /** Policy for requests without credentials; default grants nothing (an empty-access token, as Docker Hub does). */
  anonymous?: AccessPolicy;
  /** `aud` claim and the `service` the registry expects; default 'ferry-test-registry'. */
  service?: string;
  /** `iss` claim; default 'ferry-test-issuer'. */
  issuer?: string;
  /** Token lifetime; default 300 s, long enough for any single test and short enough to be realistic. */
  ttlSeconds?: number;
}

/** A running token issuer; `realm` goes into the registry's auth.token config. */
export interface TokenIssuer {
  url: string;
  realm: string;
  service: string;
  issuer: string;
  /** CA that signed the JWT signing certificate: Distribution's rootcertbundle. */
  rootCertFile: string;
  rootCertPem: string;
  requests: TokenRequestRecord[];
  stop(): Promise<void>;
}

/** Default token lifetime in seconds (see TokenIssuerOptions.ttlSeconds). */
const DEFAULT_TTL_SECONDS = 300;
/** Back-dates nbf so a registry whose clock is a little behind still accepts fresh tokens. */
const NBF_SKEW_SECONDS = 10;

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Parses `type:name:actions` (the name may not hold ':' here, as repository names cannot). */
export function parseScope(scope: string): AccessEntry | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return null;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((a) => a.length > 0);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

/** The subset of the requested actions that the policy allows for this resource. */
export function grantFor(policy: AccessPolicy, requested: AccessEntry): AccessEntry | null {
  const allowed = new Set<string>();
  const subject = requested.type === 'repository' ? requested.name : `${requested.type}:${requested.name}`;
  for (const [glob, actions] of Object.entries(policy)) {
    if (globToRegExp(glob).test(subject)) for (const action of actions) allowed.add(action);
  }
  const actions = requested.actions.filter((a) => allowed.has('*') || allowed.has(a));
  return actions.length > 0 ? { ...requested, actions } : null;
}

function parseBasic(header: string | undefined): { username: string; password: string } | 'invalid' | null {
  if (!header) return null;
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return 'invalid';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'invalid';
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the issuer on 127.0.0.1 with a fresh signing chain; path /token is the realm. */
export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const pki = await makePki(options.dir, 'token', 'signing');
  const service = options.service ?? 'ferry-test-registry';
  const issuer = options.issuer ?? 'ferry-test-issuer';
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const x5c = [pemToDerBase64(pki.leafCertPem)];
  const requests: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>();

  const sign = (sub: string, access: AccessEntry[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c };
    const claims = { iss: issuer, sub, aud: service, exp: now + ttl, nbf: now - NBF_SKEW_SECONDS, iat: now, jti: randomUUID(), access };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(pki.leafKeyPem);
    return `${input}.${base64url(signature)}`;
  };

  const authenticate = (username: string, password: string): TokenUser | null => options.users.find((u) => u.username === username && u.password === password) ?? null;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: TokenRequestRecord = { method: req.method ?? 'GET', user: null, service: null, scopes: [], granted: [], status: 0, grantType: 'anonymous' };
    requests.push(record);
    const reply = (status: number, body: object, headers: Record<string, string> = {}): void => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/token') {
      reply(404, { error: 'not_found' });
      return;
    }

    let policy: AccessPolicy = options.anonymous ?? {};
    let subject = '';
    let scopeStrings: string[];
    let offline = false;
    if (req.method === 'POST') {
      // OAuth2 password and refresh_token grants (distribution spec auth/oauth).
      const form = new URLSearchParams(await readBody(req));
      record.service = form.get('service');
      scopeStrings = (form.get('scope') ?? '').split(' ').filter((s) => s.length > 0);
      const grant = form.get('grant_type');
      let user: TokenUser | null = null;
      if (grant === 'password') {
        record.grantType = 'password';
        user = authenticate(form.get('username') ?? '', form.get('password') ?? '');
      } else if (grant === 'refresh_token') {
        record.grantType = 'refresh_token';
        const name = refreshTokens.get(form.get('refresh_token') ?? '');
        user = options.users.find((u) => u.username === name) ?? null;
      } else {
        record.scopes = scopeStrings;
        reply(400, { error: 'unsupported_grant_type' });
        return;
      }
      if (!user) {
        record.scopes = scopeStrings;
        reply(401, { error: 'invalid_grant' });
        return;
      }
      policy = user.access;
      subject = user.username;
      record.user = user.username;
      offline = form.get('access_type') === 'offline';
    } else if (req.method === 'GET') {
      record.service = url.searchParams.get('service');
      scopeStrings = url.searchParams
        .getAll('scope')
        .flatMap((s) => s.split(' '))
        .filter((s) => s.length > 0);
      offline = url.searchParams.get('offline_token') === 'true';
      const basic = parseBasic(req.headers.authorization);
      if (basic !== null) {
        record.grantType = 'basic';
        const user = basic === 'invalid' ? null : authenticate(basic.username, basic.password);
        record.user = basic === 'invalid' ? null : basic.username;
        if (!user) {
          record.scopes = scopeStrings;
          reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }, { 'www-authenticate': 'Basic realm="ferry-test-issuer"' });
          return;
        }
        policy = user.access;
        subject = user.username;
      }
    } else {
      reply(405, { error: 'method_not_allowed' });
      return;
    }
    record.scopes = scopeStrings;
    if (record.service !== null && record.service !== service) {
      reply(400, { error: 'invalid_request', detail: 'unknown service' });
      return;
    }

    const granted: AccessEntry[] = [];
    for (const scope of scopeStrings) {
      const parsed = parseScope(scope);
      if (!parsed) {
        reply(400, { error: 'invalid_scope', detail: scope });
        return;
      }
      const grant = grantFor(policy, parsed);
      if (grant) granted.push(grant);
    }
    record.granted = granted;
    const token = sign(subject, granted);
    const body: Record<string, unknown> = { token, access_token: token, expires_in: ttl, issued_at: new Date().toISOString() };
    if (offline && subject !== '') {
      const refresh = randomBytes(24).toString('hex');
      refreshTokens.set(refresh, subject);
      body.refresh_token = refresh;
    }
    reply(200, body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    realm: `${url}/token`,
    service,
    issuer,
    rootCertFile: pki.caCertFile,
    rootCertPem: pki.caCertPem,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
