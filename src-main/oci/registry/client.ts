/**
 * The HTTP layer for one registry host: a bounded keep-alive connection pool,
 * authentication, manual redirects and retries of temporary failures.
 * Everything above (manifests, blobs, uploads) goes through `send`.
 */
import type { Readable } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { apiHost } from '../reference.ts';
import { Authenticator, parseChallenges, type Scope } from './auth.ts';
import type { Credential } from './credentials.ts';
import type { ResolvedTls } from './tls-config.ts';
import { errorForNetwork, errorForStatus, isTemporary, redactUrl, RegistryError, tooLongToWait } from './errors.ts';
import { InFlightSlots } from './in-flight-slots.ts';
import { sharedPacer, type RequestPacer } from './rate-limit.ts';
import { requestedWaitMs } from './rate-limit-headers.ts';
import { ThrottlingLog } from './throttling.ts';
import { dispatchRequest, firstHeader, readCapped, type RegistryResponse } from './response-body.ts';
import { Agent } from './undici-agent.ts';

export { readCapped };
export type { RegistryResponse, ResponseBody, ResponseHeaders } from './response-body.ts';

/**
 * undici parses HTTP with llhttp compiled to WebAssembly, which V8 compiles
 * twice by default: with its baseline compiler (Liftoff) when the first
 * connection opens, and again with its optimising compiler (TurboFan) on
 * background threads: about 0.2 s of CPU per process, more than the parsing
 * of a whole 390 MB export costs. The baseline code is enough: a blob body
 * with a Content-Length is handed on as spans, so parsing is a few calls per
 * chunk and headers are a few hundred bytes. The flag is process-wide and
 * must be set before undici compiles its parser (on its first connection),
 * which is why it is set as this module loads: every request Ferry sends,
 * and sources/http-download.ts, import this module first.
 */
setFlagsFromString('--liftoff-only');

/** How often and how patiently to retry temporary failures. */
export interface RetryPolicy {
  /** Total attempts including the first. */
  attempts: number;
  /** First backoff delay; doubled each attempt, with jitter. */
  baseDelayMs: number;
  /** Ceiling for one backoff delay. */
  maxDelayMs: number;
  /** Ceiling for a server's Retry-After (or rate-limit reset): a longer wait fails at once, naming the limit, instead of stalling a job for hours. */
  maxRetryAfterMs: number;
  /** Total attempts for a request the registry refused with 429 (default 8): more patient than for a failure, still bounded. */
  throttledAttempts?: number;
}

/** Five attempts waiting about 0.25 s, 0.5 s, 1 s, 2 s: rides out a registry restart without hanging a job. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

/** Attempts for a 429 without a policy's own: with no wait asked, about 1, 2, 4, 8, 8, 8, 8 s, under 40 s in all. */
const THROTTLED_ATTEMPTS = 8;

/** Sixteen connections per host: enough to keep loopback and LAN registries busy, few enough not to trip rate limits. */
export const DEFAULT_MAX_CONNECTIONS = 16;

/** A throttled request (429 without Retry-After, GOAWAY ENHANCE_YOUR_CALM) backs off this many times longer: about 1 s, 2 s, 4 s, 8 s. */
export const THROTTLED_BACKOFF_FACTOR = 4;

/** How long close() waits for in-flight requests before destroying the pool. */
const CLOSE_GRACE_MS = 2_000;
/** A redirect chain longer than this is a loop (Go's net/http uses 10; registries need one hop). */
const MAX_REDIRECTS = 5;
/** Error bodies are read only this far: enough for the distribution-spec error list. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Everything needed to talk to one registry host. */
export interface RegistryClientOptions {
  registry: string;
  plainHttp: boolean;
  tls: ResolvedTls;
  credential: () => Promise<Credential | undefined>;
  retry?: RetryPolicy;
  maxConnections?: number;
  userAgent?: string;
  /** Requests per second at most to this host (rate-limit.ts); none when undefined. */
  rateLimit?: number;
  /**
   * Offer HTTP/2 in the TLS handshake (ALPN); the registry picks. Off unless asked
   * (docs/registry-client.md "HTTP/2"): over HTTP/2 undici multiplexes every
   * request of a host onto one connection, which costs Ferry more CPU per byte
   * than its HTTP/1.1 pool. Never used for plain HTTP (no h2c).
   */
  http2?: boolean;
}

/** A request body: bytes (replayable on retry) or a factory of a stream (sent once). */
export type RequestBody = Buffer | string | (() => AsyncIterable<Uint8Array>);

/** One registry request, described by what it needs rather than how to send it. */
export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path under the registry (`/v2/…`) or an absolute URL the registry handed out (upload Location). */
  path: string;
  scopes: Scope[];
  /** Statuses the caller handles; any other becomes a RegistryError. */
  expect: number[];
  /** What the request concerns, for error messages: a reference, blob or repository. */
  subject: string;
  /**
   * Headers to send. An `authorization` here is sent as given, in place of the
   * registry login's (Quay's `/api/v1` takes the OAuth token itself as Bearer,
   * not the `/v2` registry token), and only to the registry's own host.
   */
  headers?: Record<string, string>;
  body?: RequestBody;
  followRedirects?: boolean;
  /** Never retry inside `send`: the caller must first ask the registry what state it is in (upload chunks). */
  noRetry?: boolean;
  signal?: AbortSignal;
}

/**
 * One parsed TLS context per client. Handing `ca` to every connection makes
 * Node parse the whole trust list (the ~140 system roots plus the extra CAs) again
 * for each TLS connection: about 20 ms of CPU each, which made imports into a
 * TLS registry with its own CA several times slower than without TLS.
 */
function tlsContext(resolved: ResolvedTls): { secureContext?: SecureContext } {
  if (resolved.ca === undefined && resolved.cert === undefined && resolved.key === undefined) return {};
  return { secureContext: createSecureContext({ ca: resolved.ca, cert: resolved.cert, key: resolved.key }) };
}

/** The registry client for one host. Cheap to call concurrently; share one per host. */
export class RegistryClient {
  readonly registry: string;
  readonly baseUrl: string;
  readonly auth: Authenticator;
  private readonly dispatcher: Agent;
  private readonly retry: RetryPolicy;
  private readonly userAgent: string;
  private ping: Promise<void> | undefined;
  /** Counts requests by method, for tests and benchmarks. */
  readonly requestCounts = new Map<string, number>();
  /** Spaces the requests to this host (its rate limit) and holds them after a 429 asked for a pause; shared by every client of the host at that rate. */
  readonly pacer: RequestPacer;
  private readonly releasePacer: () => void;
  /** With a rate set, the requests out at once, bounded by the pool (in-flight-slots.ts), so a paced request never queues in undici. */
  private readonly slots: InFlightSlots | undefined;
  /** The stored login for this host, for APIs beside `/v2` that take its secret directly (Quay's `/api/v1`). Never logged. */
  readonly credential: () => Promise<Credential | undefined>;
  /** What the registry said about its request budget, for `ferry registry check` and tests. */
  readonly throttling = new ThrottlingLog();

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.baseUrl = `${options.plainHttp ? 'http' : 'https'}://${apiHost(options.registry)}`;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.userAgent = options.userAgent ?? 'ferry';
    this.credential = options.credential;
    ({ pacer: this.pacer, release: this.releasePacer } = sharedPacer(this.baseUrl, options.rateLimit));
    if (options.rateLimit !== undefined) this.throttling.rateLimit = options.rateLimit;
    this.slots = options.rateLimit === undefined ? undefined : new InFlightSlots(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
    this.dispatcher = new Agent({
      connections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      keepAliveTimeout: 30_000,
      // A slow USB drive or a throttled link may stall a body for minutes; headers should come quickly.
      headersTimeout: 60_000,
      bodyTimeout: 300_000,
      connect: { rejectUnauthorized: options.tls.rejectUnauthorized, ...tlsContext(options.tls) },
      allowH2: options.http2 === true && !options.plainHttp,
    });
    // A token realm on the registry's own host counts against its budget; one elsewhere (auth.docker.io) has its own.
    const pace = (origin: string, signal?: AbortSignal): Promise<void> | undefined => (origin === this.baseUrl ? this.pacer.turn(signal) : undefined);
    this.auth = new Authenticator(options.registry, options.credential, this.dispatcher, options.plainHttp, pace);
  }

  /** Sends a request, retrying temporary failures when the body can be replayed. */
  async send(request: RegistryRequest): Promise<RegistryResponse> {
    const replayable = typeof request.body !== 'function' && request.noRetry !== true;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.sendOnce(request);
      } catch (error) {
        const attempts = isTooManyRequests(error) ? (this.retry.throttledAttempts ?? THROTTLED_ATTEMPTS) : this.retry.attempts;
        if (!replayable || attempt >= attempts || !isTemporary(error) || request.signal?.aborted) throw error;
        await sleep(this.backoff(attempt, error), undefined, { signal: request.signal });
      }
    }
  }

  /**
   * Backoff before the next attempt. A 429 waits as long as the registry
   * asked (Retry-After, or its window's reset with nothing left) and holds
   * every request to the host that long; a wait beyond maxRetryAfterMs throws
   * the final error naming the limit. Otherwise the server's Retry-After
   * (capped), else capped exponential with jitter, starting
   * THROTTLED_BACKOFF_FACTOR times longer when the server asked Ferry to slow
   * down (a 429 without a wait, an HTTP/2 GOAWAY ENHANCE_YOUR_CALM).
   */
  backoff(attempt: number, error: unknown): number {
    if (isTooManyRequests(error)) {
      const asked = requestedWaitMs(error.retryAfterMs, error.rateLimit);
      if (asked !== undefined && asked > this.retry.maxRetryAfterMs) throw tooLongToWait(error, asked, this.retry.maxRetryAfterMs);
      if (asked !== undefined) {
        this.pacer.hold(asked);
        return asked;
      }
    }
    const retryAfter = error instanceof RegistryError ? error.retryAfterMs : undefined;
    if (retryAfter !== undefined) return Math.min(retryAfter, this.retry.maxRetryAfterMs);
    const base = error instanceof RegistryError && error.throttled ? this.retry.baseDelayMs * THROTTLED_BACKOFF_FACTOR : this.retry.baseDelayMs;
    const ceiling = Math.min(this.retry.maxDelayMs, base * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /**
   * Closes the connection pool: gracefully, but a request whose body nobody
   * reads any more (an abandoned stream after a failure) must not keep the
   * process alive, so after a short grace period the pool is destroyed.
   */
  async close(): Promise<void> {
    this.releasePacer();
    this.slots?.close();
    const graceful = this.dispatcher.close().then(() => true);
    const timedOut = sleep(CLOSE_GRACE_MS, false, { ref: false });
    if (!(await Promise.race([graceful, timedOut]))) await this.dispatcher.destroy();
  }

  /** Learns once per host whether and how it wants authentication (`GET /v2/`). */
  private async ensurePinged(signal?: AbortSignal): Promise<void> {
    if (this.auth.knowsChallenge) return;
    this.ping ??= (async () => {
      const url = `${this.baseUrl}/v2/`;
      let response: RegistryResponse;
      const onDone = await this.slotAndTurn(signal);
      try {
        response = await dispatchRequest(this.dispatcher, { origin: this.baseUrl, path: '/v2/', method: 'GET', headers: { 'user-agent': this.userAgent }, signal, onDone });
      } catch (error) {
        throw this.throttling.failed(errorForNetwork(error, { method: 'GET', url, subject: this.registry }));
      }
      const body = await readCapped(response.body, ERROR_BODY_LIMIT, this.registry).catch(() => Buffer.alloc(0));
      const rateLimit = this.throttling.observe(response.statusCode, response.headers);
      if (response.statusCode === 200) this.auth.setChallenge(null);
      else if (response.statusCode === 401) this.auth.setChallenge(parseChallenges(response.headers['www-authenticate']));
      else
        throw errorForStatus({
          status: response.statusCode,
          method: 'GET',
          url,
          subject: response.statusCode === 429 ? this.registry : `${this.registry} is not an OCI registry or is unavailable`,
          body: body.toString(),
          registry: this.registry,
          retryAfter: firstHeader(response.headers['retry-after']),
          rateLimit,
        });
    })().catch((error: unknown) => {
      this.ping = undefined;
      throw error;
    });
    await this.ping;
  }

  /**
   * Waits for a free connection (with a rate set) and then for the pacer's
   * turn, in that order: the turn is taken only when the request can leave at
   * once. Returns the slot's release, for when undici is done with the request.
   */
  private async slotAndTurn(signal: AbortSignal | undefined): Promise<(() => void) | undefined> {
    const release = await this.slots?.acquire(signal);
    try {
      await this.pacer.turn(signal);
    } catch (error) {
      release?.();
      throw error;
    }
    return release;
  }

  private count(method: string): void {
    this.requestCounts.set(method, (this.requestCounts.get(method) ?? 0) + 1);
  }

  /** One attempt: authorise, send, answer one 401 by re-authenticating, follow redirects by hand. */
  private async sendOnce(request: RegistryRequest): Promise<RegistryResponse> {
    // A cancelled job must not open connections only to tear them down (undici connects before it checks the signal).
    request.signal?.throwIfAborted();
    await this.ensurePinged(request.signal);
    let scopes = request.scopes;
    let url = new URL(request.path, this.baseUrl);
    // A caller's own authorization (an API token) replaces the registry login's and is never traded or refreshed.
    const ownAuthorization = request.headers?.authorization !== undefined;
    let authorization = ownAuthorization ? request.headers?.authorization : await this.auth.authorization(scopes, request.signal);
    let reauthenticated = false;
    for (let hop = 0; ;) {
      const sameHost = url.origin === this.baseUrl;
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...request.headers };
      // Credentials go only to the registry itself, never to a redirect target (blob storage, CDN).
      if (authorization && sameHost) headers.authorization = authorization;
      else delete headers.authorization;
      // A stream body goes to undici as the async iterable it is (undici's documented `AsyncIterable` body, missing from
      // its types): wrapping it in a Readable added a stream buffer, events and a promise hop per chunk, for nothing.
      // An empty body goes as none: undici's HTTP/2 path (7.x, client-h2.js) never ends a stream whose body is present but
      // empty, so a zero-length PUT (an empty blob, the closing PUT of a chunked upload) would wait out the headers timeout.
      const empty = request.headers?.['content-length'] === '0';
      const body = empty ? undefined : typeof request.body === 'function' ? (request.body() as unknown as Readable) : request.body;
      let response: RegistryResponse;
      const onDone = sameHost ? await this.slotAndTurn(request.signal) : undefined;
      this.count(request.method);
      try {
        // undici closes the connection after every HEAD unless told otherwise (for servers that wrongly send a body);
        // registries answer HEAD without one, and a new TCP + TLS connection per existence check is the costlier risk.
        const keepAlive = request.method === 'HEAD' ? { reset: false } : {};
        response = await dispatchRequest(this.dispatcher, { origin: url.origin, path: url.pathname + url.search, method: request.method, headers, body, signal: request.signal, onDone, ...keepAlive });
      } catch (error) {
        throw this.throttling.failed(errorForNetwork(error, { method: request.method, url: url.href, subject: request.subject }));
      }
      const status = response.statusCode;
      const rateLimit = sameHost ? this.throttling.observe(status, response.headers) : undefined;
      if (status === 401 && sameHost && !reauthenticated && !ownAuthorization && typeof request.body !== 'function') {
        await response.body.dump();
        const challenges = parseChallenges(response.headers['www-authenticate']);
        this.auth.setChallenge(challenges);
        scopes = this.auth.scopesAfterRefusal(challenges, scopes);
        authorization = await this.auth.authorization(scopes, request.signal);
        reauthenticated = true;
        continue;
      }
      if (request.followRedirects && [301, 302, 303, 307, 308].includes(status) && !request.expect.includes(status)) {
        await response.body.dump();
        hop += 1;
        url = redirectTarget(url, response.headers.location, hop, request.subject);
        continue;
      }
      if (request.expect.includes(status)) return response;
      const errorBody = await readCapped(response.body, ERROR_BODY_LIMIT, request.subject).catch(() => Buffer.alloc(0));
      throw errorForStatus({
        status,
        method: request.method,
        url: url.href,
        subject: request.subject,
        body: errorBody.toString(),
        registry: this.registry,
        retryAfter: firstHeader(response.headers['retry-after']),
        rateLimit,
      });
    }
  }
}

/** A 429: the registry refused the request for its request budget, and backoff reads what it said about it. */
function isTooManyRequests(error: unknown): error is RegistryError {
  return error instanceof RegistryError && error.status === 429;
}

/** Checks a redirect before following it: bounded hops, a Location present, and never from https down to http. */
export function redirectTarget(from: URL, location: string | string[] | undefined, hop: number, subject: string): URL {
  const target = firstHeader(location);
  if (!target) throw new RegistryError('REGISTRY_ERROR', `${subject}: redirect from ${redactUrl(from.href)} without a Location`, { temporary: false });
  if (hop > MAX_REDIRECTS) throw new RegistryError('REGISTRY_ERROR', `${subject}: more than ${MAX_REDIRECTS} redirects`, { temporary: false });
  const next = new URL(target, from);
  if (from.protocol === 'https:' && next.protocol !== 'https:') {
    throw new RegistryError('INSECURE_REDIRECT', `${subject}: refused redirect from https to ${redactUrl(next.href)}`, { temporary: false });
  }
  return next;
}
