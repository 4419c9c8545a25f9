/**
 * Browser mode (DESIGN.md decision 2): the renderer and the whole contract
 * over HTTP on 127.0.0.1, behind a random session token.
 *
 * The contract with the renderer's HTTP client; every name is a constant of
 * src-shared/api/wire.ts, which both ends import, so they cannot drift:
 * - Every request whose `Host` is not exactly `127.0.0.1:PORT` or
 *   `localhost:PORT` gets 403 before anything else is looked at: a page of
 *   another site that a rebinding DNS name points here is refused even if it
 *   learnt the token.
 * - The page and its assets are served to anyone on this machine (they are the
 *   public renderer build, no secret). What a person's browser is refused
 *   outside the API (no usable token on SESSION_NEEDED_PATH or in the page
 *   address, an unknown path, a foreign Host) is a page in words saying where
 *   the full address is (words-page.ts); the API answers JSON. `ferry ui` opens
 *   `http://127.0.0.1:PORT/?TOKEN_QUERY=T`; the page reads the token from the
 *   address once, keeps it in sessionStorage (bound to this origin, port
 *   included) and removes it from the address bar with history.replaceState.
 * - No cookie is ever set: browsers send a cookie to every port of
 *   127.0.0.1, whatever its name, so a token in a cookie would reach any other
 *   local listener the user opens.
 * - Methods: `POST methodPath(method)` (API_PATH_PREFIX + a name from
 *   API_METHODS), header TOKEN_HEADER: T, `Content-Type: application/json`,
 *   body = the method's args as JSON. The answer is always JSON:
 *   `{ ok: true, result }` (200) or `{ ok: false, error: { code, message,
 *   details } }` with 400 (bad arguments), 401 (no or malformed token), 403
 *   (foreign Host or Origin), 404 (unknown method), 413 (body over 1 MiB), 415
 *   (not JSON), 422 (the engine refused: read error.code) or 500 (INTERNAL).
 * - Events: `GET EVENTS_PATH` with header TOKEN_HEADER: T, as server-sent
 *   events, one `event: eventChannel(name)` per API_EVENTS entry, `data:` its
 *   JSON payload. The client reads the stream with fetch (EventSource cannot
 *   send a header); the token is never accepted from a URL.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_EVENTS, type ApiEvent } from '../../src-shared/api/contract.ts';
import { API_PATH_PREFIX, eventChannel, EVENTS_PATH, SESSION_NEEDED_PATH, TOKEN_HEADER, TOKEN_QUERY } from '../../src-shared/api/wire.ts';
import { FerryError, toErrorEnvelope, type ErrorEnvelope } from '../../src-shared/errors.ts';
import { isApiMethod, type Service } from '../service.ts';
import { lookupStatic, realRoot, SECURITY_HEADERS, sendFile } from './static-files.ts';
import { foreignHostPage, notFoundPage, refusedPathPage, sendWordsPage, sessionNeededPage, wrongMethodPage } from './words-page.ts';

// Re-exported: browser mode sends these with every answer, API and events included.
export { SECURITY_HEADERS };

/** What `startBrowserServer` needs. */
export interface BrowserServerOptions {
  service: Service;
  /** 0 or absent: a free port chosen by the OS. */
  port?: number;
  /** Loopback only: browser mode is never reachable from another machine. */
  host: '127.0.0.1';
  /** The built renderer (index.html and its assets). */
  rendererDir: string;
}

/** A running browser-mode server. */
export interface BrowserServer {
  /** `http://127.0.0.1:PORT/?` + TOKEN_QUERY + `=…`: the one address that opens the app. */
  url: string;
  token: string;
  close(): Promise<void>;
}

/** API request bodies are small JSON objects; more is refused before parsing. */
const MAX_BODY_BYTES = 1024 * 1024;
/** A comment line this often keeps idle SSE connections open through proxies and sleep-happy browsers. */
const SSE_HEARTBEAT_MS = 25_000;

/** The one shape a session token has (32 random bytes in lower-case hex); anything else is refused before comparing. */
const TOKEN_SHAPE = /^[0-9a-f]{64}$/;

/** Whether a request's token header is the session token: malformed values are refused as such, well-formed ones compared in constant time. */
function sameToken(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string' || !TOKEN_SHAPE.test(given)) return false;
  return timingSafeEqual(Buffer.from(given, 'ascii'), Buffer.from(token, 'ascii'));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, error: ErrorEnvelope): void {
  sendJson(res, status, { ok: false, error });
}

/** The HTTP status of an engine error: the code in the body is what clients switch on. */
function statusFor(error: ErrorEnvelope): number {
  if (error.code === 'INTERNAL') return 500;
  if (error.code === 'INVALID_ARGUMENT' || error.code === 'INVALID_REFERENCE') return 400;
  return 422;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new FerryError('INVALID_ARGUMENT', `request body over ${MAX_BODY_BYTES} bytes`, { status: 413 });
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts browser mode; resolves once it listens. */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the type stops TypeScript callers; this stops a cast or a JavaScript caller from putting the API on the network.
  if (options.host !== '127.0.0.1') throw new FerryError('INVALID_ARGUMENT', 'browser mode listens on 127.0.0.1 only');
  const { service } = options;
  const root = await realRoot(options.rendererDir).catch((error: unknown) => {
    throw new FerryError('IO_ERROR', `renderer folder ${options.rendererDir} cannot be read`, { path: options.rendererDir }, { cause: error });
  });
  const token = randomBytes(32).toString('hex');
  const streams = new Set<ServerResponse>();
  let origin = '';
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const callMethod = async (req: IncomingMessage, res: ServerResponse, method: string): Promise<void> => {
    if (!isApiMethod(method)) {
      sendError(res, 404, { code: 'NOT_FOUND', message: `unknown method ${method}` });
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendError(res, 405, { code: 'INVALID_ARGUMENT', message: `${method} is called with POST` });
      return;
    }
    // JSON needs a CORS preflight cross-origin, which this server never answers: one more reason a foreign page cannot call in.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      sendError(res, 415, { code: 'INVALID_ARGUMENT', message: 'send the arguments as application/json' });
      return;
    }
    let args: unknown;
    try {
      const text = await readBody(req);
      args = text.trim() === '' ? {} : JSON.parse(text);
    } catch (error) {
      const status = error instanceof FerryError && error.details?.status === 413 ? 413 : 400;
      sendError(res, status, status === 413 ? toErrorEnvelope(error) : { code: 'INVALID_ARGUMENT', message: 'the request body is not valid JSON' });
      return;
    }
    // A client that disconnects before its answer (page closed, fetch aborted) cancels the call: a browse call stops reading layers.
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) gone.abort();
    });
    try {
      sendJson(res, 200, { ok: true, result: await service.call(method, args, { signal: gone.signal }) });
    } catch (error) {
      const envelope = toErrorEnvelope(error);
      sendError(res, statusFor(envelope), envelope);
    }
  };

  const openEvents = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    const unsubscribe = API_EVENTS.map((event: ApiEvent) =>
      service.on(event, (payload) => {
        res.write(`event: ${eventChannel(event)}\ndata: ${JSON.stringify(payload)}\n\n`);
      }),
    );
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    streams.add(res);
    const stop = (): void => {
      clearInterval(heartbeat);
      for (const off of unsubscribe) off();
      streams.delete(res);
    };
    req.on('close', stop);
    res.on('close', stop);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // https://webpack.js.org/configuration/dev-server/#devserverallowedhosts is the model: the exact names this server is reached by, nothing else.
    const headOnly = req.method === 'HEAD';
    if (!allowedHosts.has(req.headers.host ?? '') || (req.headers.origin !== undefined && !allowedOrigins.has(req.headers.origin))) {
      // Refused before the URL is even parsed; only the form of the answer looks at the path: JSON for the API's client, words for a person.
      if ((req.url ?? '/').startsWith(API_PATH_PREFIX)) sendError(res, 403, { code: 'DENIED', message: "this address is not Ferry's; open the address `ferry ui` printed" });
      else sendWordsPage(res, foreignHostPage(origin), headOnly);
      return;
    }
    const url = new URL(req.url ?? '/', origin);
    const isApi = url.pathname === EVENTS_PATH || url.pathname.startsWith(API_PATH_PREFIX);
    if (isApi && !sameToken(req.headers[TOKEN_HEADER.toLowerCase()], token)) {
      sendError(res, 401, { code: 'UNAUTHORIZED', message: 'open Ferry with the address `ferry ui` printed; it carries the session token' });
      return;
    }
    if (url.pathname === EVENTS_PATH) {
      if (req.method !== 'GET') {
        sendError(res, 405, { code: 'INVALID_ARGUMENT', message: `${EVENTS_PATH} is read with GET` });
        return;
      }
      openEvents(req, res);
      return;
    }
    if (url.pathname.startsWith(API_PATH_PREFIX)) {
      let method: string;
      try {
        method = decodeURIComponent(url.pathname.slice(API_PATH_PREFIX.length));
      } catch {
        sendError(res, 404, { code: 'NOT_FOUND', message: 'unknown method' });
        return;
      }
      return callMethod(req, res, method);
    }
    // Below here a person's browser is asking for a page: refusals are pages in words, not JSON.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendWordsPage(res, wrongMethodPage(origin));
      return;
    }
    // The page opened with a token that is not this start's (an earlier start's address, or one cut short): words, not an app whose every call fails.
    const pageToken = url.searchParams.get(TOKEN_QUERY);
    if (url.pathname === SESSION_NEEDED_PATH || (pageToken !== null && !sameToken(pageToken, token))) {
      sendWordsPage(res, sessionNeededPage(origin), headOnly);
      return;
    }
    // The raw path, not the URL parser's normalised one: `/../x` must be refused, not quietly turned into `/x`.
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const found = await lookupStatic(root, rawPath);
    if (found.kind === 'status') {
      sendWordsPage(res, found.status === 404 ? notFoundPage(origin) : refusedPathPage(found.status, origin), headOnly);
      return;
    }
    sendFile(res, found, headOnly);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, toErrorEnvelope(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${options.host}:${port}`;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([...allowedHosts].map((host) => `http://${host}`));
  return {
    url: `${origin}/?${new URLSearchParams({ [TOKEN_QUERY]: token }).toString()}`,
    token,
    close: async () => {
      for (const res of streams) res.end();
      streams.clear();
      await new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
    },
  };
}
