/**
 * Registry authentication: challenge parsing, Basic, and the bearer token
 * flow with one token per set of repository scopes.
 * https://distribution.github.io/distribution/spec/auth/token/ and
 * https://distribution.github.io/distribution/spec/auth/oauth/
 */
import type { Dispatcher } from 'undici';
import { FerryError, type ErrorHint } from '../../../src-shared/errors.ts';
import type { Credential } from './credentials.ts';
import { errorForNetwork, errorForStatus, redactUrl } from './errors.ts';
import { dispatchRequest, readCapped, type RegistryResponse } from './response-body.ts';

/** Access a request needs on one repository; a mount needs push on the target and pull on the source. With `type: 'registry'` a registry-wide resource instead: the catalog (`registry:catalog:*`). */
export interface Scope {
  type?: 'registry';
  repository: string;
  /** `delete` is what Distribution's token auth asks for any DELETE (a manifest, a blob, an upload's cancel). */
  actions: Array<'pull' | 'push' | 'delete' | '*'>;
}

/** The scope `GET /v2/_catalog` needs (distribution's token scope documentation). */
export const CATALOG_SCOPE: Scope = { type: 'registry', repository: 'catalog', actions: ['*'] };

/** One parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Tokens are refreshed this long before they expire, so a slow request never carries a stale one. */
const TOKEN_EXPIRY_MARGIN_MS = 10_000;
/** The token spec's default lifetime when the issuer does not say (60 s). */
const DEFAULT_TOKEN_LIFETIME_S = 60;
/** Sent as client_id in the OAuth2 flow, as the spec asks. */
const CLIENT_ID = 'ferry';
/** A token answer is read this far: tokens are a few kilobytes, a larger answer is not one. */
const TOKEN_BODY_LIMIT = 1024 * 1024;

/** Parses one or more challenges (`Bearer realm="…",service="…", Basic realm="…"`), quoted strings included. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const challenges: Challenge[] = [];
  let i = 0;
  const skip = (chars: string): void => {
    while (i < text.length && chars.includes(text[i] ?? '')) i += 1;
  };
  const readToken = (): string => {
    const start = i;
    while (i < text.length && !' \t,="'.includes(text[i] ?? '')) i += 1;
    return text.slice(start, i);
  };
  while (i < text.length) {
    skip(' \t,');
    const word = readToken();
    if (word === '') {
      i += 1;
      continue;
    }
    skip(' \t');
    if (text[i] !== '=') {
      challenges.push({ scheme: word, params: {} });
      continue;
    }
    i += 1;
    skip(' \t');
    let value = '';
    if (text[i] === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i += 1;
        value += text[i] ?? '';
        i += 1;
      }
      i += 1;
    } else {
      value = readToken();
    }
    const current = challenges.at(-1);
    if (current) current.params[word.toLowerCase()] = value;
  }
  return challenges;
}

/** Scope strings in the token spec's form, merged per repository and sorted so equal sets share a cache key. */
export function scopeStrings(scopes: Scope[]): string[] {
  const merged = new Map<string, Set<string>>();
  for (const scope of scopes) {
    const key = `${scope.type ?? 'repository'}:${scope.repository}`;
    const actions = merged.get(key) ?? new Set<string>();
    for (const action of scope.actions) actions.add(action);
    merged.set(key, actions);
  }
  return [...merged.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`);
}

/** Parses a scope string from a challenge back into a Scope, or undefined for non-repository scopes. */
function parseScopeString(scope: string): Scope | undefined {
  if (scope === 'registry:catalog:*') return CATALOG_SCOPE;
  const match = /^repository(?:\([^)]*\))?:([^:]+):(.+)$/.exec(scope);
  if (!match) return undefined;
  const actions = (match[2] ?? '').split(',').filter((a): a is 'pull' | 'push' => a === 'pull' || a === 'push');
  return { repository: match[1] ?? '', actions };
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * Holds what one registry host asked for (its challenge) and the tokens it
 * issued, and turns a request's scopes into an Authorization header.
 * Secrets live only in memory here and never enter an error message.
 */
export class Authenticator {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  /** Counts token requests, so tests and benchmarks can see that scopes were batched. */
  tokenRequests = 0;

  constructor(
    private readonly registry: string,
    private readonly credential: () => Promise<Credential | undefined>,
    private readonly dispatcher: Dispatcher,
    /** Only a registry the user reaches over plain HTTP may send us to a plain-HTTP token realm. */
    private readonly allowHttpRealm = false,
    /** Waits for a token request's turn under the registry's request rate (only for a realm on the registry's own host). */
    private readonly pace?: (origin: string, signal?: AbortSignal) => Promise<void> | undefined,
  ) {}

  /** True once the registry has said which scheme it wants. */
  get knowsChallenge(): boolean {
    return this.challenge !== undefined;
  }

  /** The scheme the registry asked for on its challenge ('none' for no authentication), once known: `ferry registry check` reports it. */
  get scheme(): 'none' | 'basic' | 'bearer' | undefined {
    const scheme = this.challenge?.scheme.toLowerCase();
    return scheme === 'none' || scheme === 'basic' || scheme === 'bearer' ? scheme : undefined;
  }

  /** Records the registry's challenge (from the /v2/ ping or a 401); `null` means the registry wants no auth. */
  setChallenge(challenges: Challenge[] | null): void {
    if (challenges === null) {
      this.challenge = { scheme: 'none', params: {} };
      return;
    }
    this.challenge = challenges.find((c) => c.scheme.toLowerCase() === 'bearer') ?? challenges.find((c) => c.scheme.toLowerCase() === 'basic') ?? this.challenge;
  }

  /** Adds the scope a 401 names (insufficient_scope) and forgets the token that was refused. */
  scopesAfterRefusal(challenges: Challenge[], scopes: Scope[]): Scope[] {
    this.tokens.delete(scopeStrings(scopes).join(' '));
    const named = challenges.find((c) => c.scheme.toLowerCase() === 'bearer')?.params.scope;
    const extra = (named ?? '')
      .split(' ')
      .map(parseScopeString)
      .filter((s): s is Scope => s !== undefined);
    return [...scopes, ...extra];
  }

  /** The Authorization header for a request needing these scopes, or undefined for anonymous access. */
  async authorization(scopes: Scope[], signal?: AbortSignal): Promise<string | undefined> {
    const scheme = this.challenge?.scheme.toLowerCase();
    if (scheme === undefined || scheme === 'none') return undefined;
    if (scheme === 'basic') {
      const credential = await this.credential();
      if (credential?.kind !== 'basic') return undefined;
      return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
    }
    if (scheme !== 'bearer') {
      throw new FerryError('UNAUTHORIZED', `${this.registry}: unsupported authentication scheme "${this.challenge?.scheme}"`, { registry: this.registry });
    }
    const key = scopeStrings(scopes).join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now() + TOKEN_EXPIRY_MARGIN_MS) return `Bearer ${cached.token}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchToken(scopes, signal).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const token = await pending;
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  /** Asks the token realm for a token covering every scope in one request. */
  private async fetchToken(scopes: Scope[], signal?: AbortSignal): Promise<CachedToken> {
    const params = this.challenge?.params ?? {};
    const realm = params.realm;
    if (!realm) throw new FerryError('UNAUTHORIZED', `${this.registry}: bearer challenge without a realm`, { registry: this.registry });
    const realmUrl = new URL(realm);
    if (realmUrl.protocol !== 'https:' && !(realmUrl.protocol === 'http:' && this.allowHttpRealm)) {
      throw new FerryError(
        'UNAUTHORIZED',
        `${this.registry}: refusing token realm ${redactUrl(realm)}: credentials go only to an https token server, or to an http one when the registry itself is reached over plain HTTP`,
        { registry: this.registry, hint: { kind: 'plain-http', host: this.registry } satisfies ErrorHint },
      );
    }
    const credential = await this.credential();
    const scopeList = scopeStrings(scopes);
    this.tokenRequests += 1;
    const subject = `token for ${this.registry}`;
    let response: RegistryResponse;
    await this.pace?.(realmUrl.origin, signal);
    try {
      if (credential?.kind === 'identity-token') {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.token, client_id: CLIENT_ID });
        if (params.service) form.set('service', params.service);
        if (scopeList.length > 0) form.set('scope', scopeList.join(' '));
        response = await dispatchRequest(this.dispatcher, {
          origin: realmUrl.origin,
          path: realmUrl.pathname + realmUrl.search,
          method: 'POST',
          signal,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        });
      } else {
        if (params.service) realmUrl.searchParams.set('service', params.service);
        for (const scope of scopeList) realmUrl.searchParams.append('scope', scope);
        if (credential?.kind === 'basic') realmUrl.searchParams.set('account', credential.username);
        const headers: Record<string, string> = {};
        if (credential?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
        response = await dispatchRequest(this.dispatcher, { origin: realmUrl.origin, path: realmUrl.pathname + realmUrl.search, method: 'GET', headers, signal });
      }
    } catch (error) {
      throw errorForNetwork(error, { method: 'GET', url: realmUrl.href, subject });
    }
    const body = (await readCapped(response.body, TOKEN_BODY_LIMIT, subject, 'REGISTRY_ERROR')).toString('utf8');
    if (response.statusCode !== 200) {
      throw errorForStatus({ status: response.statusCode, method: 'GET', url: realmUrl.href, subject, body, registry: this.registry });
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      throw new FerryError('UNAUTHORIZED', `${subject}: the token server at ${redactUrl(realmUrl.href)} answered with something other than JSON`, { registry: this.registry });
    }
    const token = typeof parsed.token === 'string' ? parsed.token : typeof parsed.access_token === 'string' ? parsed.access_token : undefined;
    if (!token) throw new FerryError('UNAUTHORIZED', `${subject}: the token server returned no token`, { registry: this.registry });
    const lifetime = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_LIFETIME_S;
    return { token, expiresAt: Date.now() + lifetime * 1000 };
  }
}
