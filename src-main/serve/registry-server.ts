/**
 * The HTTP side of `ferry serve`: an OCI Distribution Specification v1.1
 * registry over a RegistryReader (a verified bundle, read-only) or a
 * RegistryStorage (a store folder), so a site without a registry gets one.
 * This file owns the server itself: HTTP or HTTPS, Basic authentication, the
 * request log, dispatch to the routes (routes-*.ts) by the endpoint the path
 * names (routes-path.ts), and turning every refusal into the spec's error
 * body. Bodies stream in both directions; nothing holds a whole blob.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIPv6, type AddressInfo } from 'node:net';
import { RegistryProblem } from './problems.ts';
import { sendError, sendJson } from './http-answer.ts';
import { hasBody, isClientAbort } from './request-body.ts';
import type { RouteContext } from './route-context.ts';
import { blobRoute } from './routes-blobs.ts';
import { catalogRoute, tagsRoute } from './routes-listing.ts';
import { manifestRoute, referrersRoute } from './routes-manifests.ts';
import { parseRegistryPath, type RegistryRoute } from './routes-path.ts';
import { uploadRoute, uploadsRoute } from './routes-uploads.ts';
import type { RegistryReader, RegistryStorage } from './storage.ts';
import { UploadLimiter } from './upload-limits.ts';

/** How to run the registry; see TEAM.md's `server` section for the contract with `ferry serve`. */
export interface RegistryServerOptions {
  /** What is served; writes are accepted only when `!reader.readOnly` (then it is a RegistryStorage). */
  reader: RegistryReader | RegistryStorage;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM text of the certificate chain and key; HTTPS when given. */
  tls?: { cert: string; key: string };
  /** Checks a request's Authorization header; absent means anonymous access. */
  authenticate?: (authorization: string | undefined) => Promise<boolean>;
  /** The realm of `WWW-Authenticate: Basic realm="…"`. */
  realm?: string;
  /** Told every answered request (status 499 when the client left before the answer was complete); never carries the Authorization header or the query. */
  onRequest?: (line: { method: string; path: string; status: number }) => void;
  /** Bounds on open upload sessions; defaults in upload-limits.ts (MAX_OPEN_UPLOADS, SESSION_IDLE_MS). */
  limits?: { maxOpenUploads?: number; uploadIdleMs?: number };
  /** Told every fault that is not a refusal (a 500), so the operator's log has the cause the client is not shown. */
  onError?: (error: unknown, line: { method: string; path: string }) => void;
}

/** A running registry. */
export interface RunningRegistryServer {
  /** `http(s)://HOST:PORT` */
  url: string;
  /** `HOST:PORT` as clients write it in an image reference (IPv6 in brackets). */
  address: string;
  /** Stops accepting, lets answers in flight finish (a short grace), then closes every connection. */
  close(): Promise<void>;
}

/** The methods each endpoint has (a 405 with `Allow` for any other). */
const ROUTE_METHODS: Readonly<Record<RegistryRoute['kind'], readonly string[]>> = {
  base: ['GET', 'HEAD'],
  catalog: ['GET', 'HEAD'],
  tags: ['GET', 'HEAD'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  blob: ['GET', 'HEAD', 'DELETE'],
  uploads: ['POST'],
  upload: ['GET', 'PATCH', 'PUT', 'DELETE'],
  referrers: ['GET', 'HEAD'],
};

/** Idle time after which a connection is dropped: long enough for a slow client between chunks, short enough to free stuck sockets. */
const IDLE_TIMEOUT_MS = 5 * 60_000;
/** Time allowed for a request's headers (a slow-loris guard); bodies are unbounded in time, large blobs take long. */
const HEADERS_TIMEOUT_MS = 60_000;
/**
 * How long an idle keep-alive connection stays open: longer than Go's 90 s
 * idle-connection timeout (skopeo, containerd, Docker), so the client closes
 * first and never sends a PATCH or PUT into a socket the server is closing.
 */
const KEEP_ALIVE_MS = 100_000;
/** Grace for requests in flight at close() before their connections are cut. */
const CLOSE_GRACE_MS = 3_000;
/**
 * Authentication checks running at once: a bcrypt compare costs a core for
 * milliseconds, so a flood of wrong passwords is answered with 429 beyond
 * this instead of queueing CPU work without end (auth.ts remembers good logins).
 */
const MAX_AUTH_IN_FLIGHT = 8;
/** Seconds a client refused for too many logins at once is asked to wait. */
const AUTH_RETRY_AFTER_SECONDS = 1;
/** Connections served at once; beyond it the kernel queues them. Bounds sockets held by slow or idle clients. */
const MAX_CONNECTIONS = 512;

/** The handler of one endpoint. */
function dispatch(route: RegistryRoute, context: RouteContext): Promise<void> {
  switch (route.kind) {
    case 'base':
      sendJson(context.request, context.response, 200, {});
      return Promise.resolve();
    case 'catalog':
      return catalogRoute(context);
    case 'tags':
      return tagsRoute(context, route.name);
    case 'manifest':
      return manifestRoute(context, route.name, route.reference);
    case 'blob':
      return blobRoute(context, route.name, route.digest);
    case 'uploads':
      return uploadsRoute(context, route.name);
    case 'upload':
      return uploadRoute(context, route.name, route.id);
    case 'referrers':
      return referrersRoute(context, route.name, route.digest);
  }
}

/** The status the request log shows for a request whose client left before the answer was complete (nginx's convention). */
const CLIENT_CLOSED_STATUS = 499;
/** The status the request log shows for a request cut by a server fault after its answer had begun. */
const SERVER_FAULT_STATUS = 500;

/** What one server shares between its requests. */
interface ServerState {
  options: RegistryServerOptions;
  uploads: UploadLimiter;
  /** Authentication checks in flight. */
  authenticating: number;
}

/** What the request log says about one request that did not end with a complete answer. */
interface RequestOutcome {
  fault: boolean;
}

/** Checks the request's credentials (when the server has users), refusing with 401 or, under a login flood, 429. */
async function authenticate(state: ServerState, request: IncomingMessage, extraHeaders: Record<string, string>): Promise<void> {
  const check = state.options.authenticate;
  if (check === undefined) return;
  if (state.authenticating >= MAX_AUTH_IN_FLIGHT) {
    throw new RegistryProblem('TOOMANYREQUESTS', 'too many logins are being checked at once; retry shortly', { detail: { retryAfter: AUTH_RETRY_AFTER_SECONDS } });
  }
  state.authenticating += 1;
  let accepted: boolean;
  try {
    accepted = await check(request.headers.authorization);
  } finally {
    state.authenticating -= 1;
  }
  if (!accepted) {
    extraHeaders['WWW-Authenticate'] = `Basic realm=${quoted(state.options.realm ?? 'ferry')}`;
    throw new RegistryProblem('UNAUTHORIZED', 'authentication required: send a user name and password (HTTP Basic)');
  }
}

/** A header value safe inside a quoted string. */
function quoted(text: string): string {
  return `"${text.replace(/["\\\r\n]/g, '')}"`;
}

/** Answers one request; never throws. */
async function answer(state: ServerState, request: IncomingMessage, response: ServerResponse, url: URL, outcome: RequestOutcome): Promise<void> {
  const extraHeaders: Record<string, string> = {};
  const pathname = url.pathname;
  try {
    await authenticate(state, request, extraHeaders);
    const route = parseRegistryPath(pathname);
    if (route === undefined) throw new RegistryProblem('UNSUPPORTED', `no registry endpoint at ${pathname}`, { status: 404 });
    const allowed = ROUTE_METHODS[route.kind];
    if (!allowed.includes(request.method ?? '')) {
      extraHeaders.Allow = allowed.join(', ');
      throw new RegistryProblem('UNSUPPORTED', `method ${request.method ?? '?'} is not supported on ${pathname} (allowed: ${allowed.join(', ')})`);
    }
    // `Expect: 100-continue` is answered only now, after authentication, so a refused client never sends its body.
    if (request.headers.expect?.toLowerCase() === '100-continue') response.writeContinue();
    await dispatch(route, { request, response, query: url.searchParams, reader: state.options.reader, uploads: state.uploads });
  } catch (error) {
    if (isClientAbort(error)) {
      // The client went away (mid-upload or mid-download): nothing to answer, and no server fault to report.
      response.destroy();
      return;
    }
    if (!(error instanceof RegistryProblem)) {
      outcome.fault = true;
      state.options.onError?.(error, { method: request.method ?? '?', path: pathname });
    }
    if (response.headersSent || response.destroyed) {
      // The body was under way: cutting the connection is the only honest way to say it is incomplete.
      response.destroy();
      return;
    }
    // A body left unread would be read as the next request; close the connection instead of draining it.
    if (!request.readableEnded && hasBody(request)) extraHeaders.Connection = 'close';
    sendError(request, response, error, extraHeaders);
  }
}

/** `HOST:PORT` as a client writes it. */
function clientAddress(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Starts the registry and resolves once it listens. */
export async function startRegistryServer(options: RegistryServerOptions): Promise<RunningRegistryServer> {
  const state: ServerState = {
    options,
    uploads: new UploadLimiter({
      ...(options.limits?.maxOpenUploads === undefined ? {} : { max: options.limits.maxOpenUploads }),
      ...(options.limits?.uploadIdleMs === undefined ? {} : { idleMs: options.limits.uploadIdleMs }),
    }),
    authenticating: 0,
  };
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://registry.invalid');
    const outcome: RequestOutcome = { fault: false };
    response.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.once('close', () => {
      const status = response.writableFinished ? response.statusCode : outcome.fault ? SERVER_FAULT_STATUS : CLIENT_CLOSED_STATUS;
      options.onRequest?.({ method: request.method ?? '?', path: url.pathname, status });
    });
    answer(state, request, response, url, outcome).catch((error: unknown) => {
      // answer() catches everything; this is the last guard so no request can ever end the process.
      options.onError?.(error, { method: request.method ?? '?', path: url.pathname });
      response.destroy();
    });
  };
  const serverOptions = { requestTimeout: 0, headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_MS };
  const server: Server = options.tls ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(serverOptions, handler);
  server.setTimeout(IDLE_TIMEOUT_MS);
  server.maxConnections = MAX_CONNECTIONS;
  // With this listener Node no longer sends `100 Continue` by itself; answer() sends it after authentication.
  server.on('checkContinue', handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const address = clientAddress(options.host, port);
  return {
    url: `${options.tls ? 'https' : 'http'}://${address}`,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
