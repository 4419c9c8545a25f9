/**
 * A fault-injecting HTTP proxy in front of a real registry: the one place the
 * harness fakes anything, and only faults Distribution cannot produce on its
 * own (DESIGN.md, decision 7). Everything else is forwarded byte for byte.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Agent as HttpAgent, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { RegistryQuirks, type QuirkOptions } from './registry-quirks.ts';

/** One fault to inject in place of (or into) the upstream answer. */
export type Fault =
  /** 400 and 405 stand for a registry that has no route for the request (e.g. no referrers API) and says so that way. */
  /** `headers` are sent with it: a 429's rate-limit headers (`ratelimit-limit: 100;w=21600`, `x-ratelimit-reset`). */
  | { kind: 'status'; status: 400 | 405 | 429 | 500 | 503; retryAfter?: string; headers?: Record<string, string> }
  | { kind: 'reset-mid-body'; afterBytes: number }
  | { kind: 'slow-body'; bytesPerSecond: number }
  | { kind: 'ignore-range' }
  | { kind: 'redirect'; to: 'second-host' }
  /** Serves a tag list in pages of `n` (or `pageSize`) with `Link` headers, which Distribution 2.8 does not do itself. */
  | { kind: 'paginate-tags'; pageSize: number }
  /** Drops `mount` and `from` from a blob upload POST, so the registry opens a plain session (202) as registries that refuse mounts do. */
  | { kind: 'ignore-mount' }
  /** Pads the upstream body with spaces to `bytes`, sent chunked (no Content-Length) so only a reading limit can catch it. */
  | { kind: 'oversize-body'; bytes: number };

/** When a fault fires: the first `times` requests matching method and path. */
export interface FaultRule {
  method?: string;
  path: RegExp;
  times: number;
  fault: Fault;
}

/** A request as the proxy or the redirect host saw it, for assertions. */
export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Status sent to the client (0 until the head is written). */
  status: number;
  /** When the request's head arrived, in ms on performance.now()'s clock: request rates are measured from these. */
  at: number;
  fault: Fault['kind'] | null;
}

/** The second server that redirected blob GETs land on, standing in for a CDN or object store. */
export interface RedirectHost {
  url: string;
  host: string;
  requests: RecordedRequest[];
}

/** Where to forward: a URL plus the CA if it is HTTPS, and Distribution's storage root for the redirect host. */
export interface FaultProxyOptions {
  upstream: string | { url: string; caPem?: string; storageDir?: string };
  /** Registry quirks to play in front of the registry (registry-quirks.ts): depth limit, refused manifest types, repositories that must exist. */
  quirks?: QuirkOptions;
}

/** A running proxy. Point clients at `url`; faults are consumed in the order they were added. */
export interface FaultProxy {
  url: string;
  host: string;
  requests: RecordedRequest[];
  redirectHost: RedirectHost;
  /** The quirks being played, with the repositories they know (absent without `quirks`). */
  quirks?: RegistryQuirks;
  addFault(rule: FaultRule): void;
  /** Faults still armed (sum of remaining `times`), to assert that every injected fault fired. */
  pendingFaults(): number;
  clearFaults(): void;
  stop(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Pacing interval for slow-body: ten writes a second gives a smooth rate without a busy timer. */
const SLOW_TICK_MS = 100;
/** Pause between the last partial write and the reset, so the bytes leave the socket before the RST. */
const RESET_FLUSH_MS = 25;

/**
 * The most requests that arrived within any window of `windowMs` (sliding:
 * every window that starts at a request), for the request-rate tests.
 */
export function maxInAnyWindow(requests: readonly { at: number }[], windowMs = 1000): number {
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; start < times.length; start += 1) {
    while (end < times.length && (times[end] as number) < (times[start] as number) + windowMs) end += 1;
    most = Math.max(most, end - start);
  }
  return most;
}

/** An HTTP-date (RFC 9110 §5.6.7) `seconds` from now, for Retry-After in date form. */
export function httpDateAfter(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toUTCString();
}

function forwardHeaders(headers: IncomingHttpHeaders, drop: readonly string[] = []): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || drop.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function listen(server: Server): Promise<{ url: string; host: string }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

const BLOB_PATH = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/;

/** Starts the proxy and its redirect host on 127.0.0.1. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = typeof options.upstream === 'string' ? { url: options.upstream } : options.upstream;
  const upstreamUrl = new URL(upstream.url);
  const isHttps = upstreamUrl.protocol === 'https:';
  const agent = isHttps ? new HttpsAgent({ keepAlive: true, ...(upstream.caPem ? { ca: upstream.caPem } : {}) }) : new HttpAgent({ keepAlive: true });
  const rules: FaultRule[] = [];
  const requests: RecordedRequest[] = [];
  const redirectRequests: RecordedRequest[] = [];
  const quirks = options.quirks ? new RegistryQuirks(options.quirks) : undefined;
  let proxyUrl = '';
  let redirectUrl = '';

  const takeFault = (req: IncomingMessage): Fault | null => {
    const path = req.url ?? '/';
    const rule = rules.find((r) => r.times > 0 && r.path.test(path) && (!r.method || r.method.toUpperCase() === req.method));
    if (!rule) return null;
    rule.times--;
    return rule.fault;
  };

  /** Sends `path` upstream with the given headers; the caller consumes the response. */
  const upstreamRequest = (method: string, path: string, headers: OutgoingHttpHeaders, body: IncomingMessage | null): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const target = new URL(path, upstreamUrl);
      const request = isHttps ? httpsRequest : httpRequest;
      const upReq = request(target, { method, headers: { ...headers, host: upstreamUrl.host }, agent }, resolve);
      upReq.on('error', reject);
      if (body) body.pipe(upReq);
      else upReq.end();
    });

  /** Fetches the whole tag list upstream and answers one page of it, as the distribution-spec describes `n` and `last`. */
  const servePagedTags = async (req: IncomingMessage, writeHead: (status: number, headers: OutgoingHttpHeaders) => void, res: ServerResponse, pageSize: number): Promise<void> => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://proxy');
    const upRes = await upstreamRequest('GET', url.pathname, forwardHeaders(req.headers), null);
    const chunks: Buffer[] = [];
    for await (const chunk of upRes) chunks.push(chunk as Buffer);
    const listing = JSON.parse(Buffer.concat(chunks).toString()) as { name: string; tags: string[] };
    const n = Number(url.searchParams.get('n') ?? pageSize) || pageSize;
    const size = Math.min(n, pageSize);
    const last = url.searchParams.get('last');
    const sorted = [...listing.tags].sort();
    const rest = last === null ? sorted : sorted.filter((tag) => tag > last);
    const page = rest.slice(0, size);
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/json' };
    if (rest.length > size && page.length > 0) headers.link = `<${url.pathname}?n=${size}&last=${encodeURIComponent(page.at(-1) ?? '')}>; rel="next"`;
    const body = JSON.stringify({ name: listing.name, tags: page });
    writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const rewriteLocation = (headers: OutgoingHttpHeaders): void => {
    const location = headers.location;
    if (typeof location === 'string' && location.startsWith(upstreamUrl.origin)) headers.location = proxyUrl + location.slice(upstreamUrl.origin.length);
  };

  const handleProxy = async (req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> => {
    if (quirks !== undefined && (await quirks.answer(req, res, (status) => (record.status = status)))) return;
    const fault = takeFault(req);
    record.fault = fault?.kind ?? null;
    const writeHead = (status: number, headers: OutgoingHttpHeaders): void => {
      record.status = status;
      res.writeHead(status, headers);
    };
    if (fault?.kind === 'status') {
      req.resume();
      const code = fault.status === 429 ? 'TOOMANYREQUESTS' : fault.status === 400 || fault.status === 405 ? 'UNSUPPORTED' : 'UNAVAILABLE';
      const body = JSON.stringify({ errors: [{ code, message: `injected ${fault.status}`, detail: null }] });
      writeHead(fault.status, {
        ...fault.headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
      });
      res.end(body);
      return;
    }
    if (fault?.kind === 'redirect') {
      req.resume();
      writeHead(307, { location: `${redirectUrl}${req.url ?? '/'}`, 'content-length': 0 });
      res.end();
      return;
    }
    if (fault?.kind === 'oversize-body') {
      req.resume();
      const upRes = await upstreamRequest(req.method ?? 'GET', req.url ?? '/', forwardHeaders(req.headers), null);
      const headers = forwardHeaders(upRes.headers);
      delete headers['content-length'];
      writeHead(upRes.statusCode ?? 502, headers);
      let sent = 0;
      for await (const chunk of upRes) {
        sent += (chunk as Buffer).length;
        res.write(chunk);
      }
      const padding = Buffer.alloc(64 * 1024, 0x20);
      while (sent < fault.bytes && !res.destroyed) {
        const part = padding.subarray(0, Math.min(padding.length, fault.bytes - sent));
        sent += part.length;
        if (!res.write(part)) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
      }
      res.end();
      return;
    }
    if (fault?.kind === 'paginate-tags') {
      await servePagedTags(req, writeHead, res, fault.pageSize);
      return;
    }
    const drop = fault?.kind === 'ignore-range' ? ['range', 'if-range'] : [];
    if (fault?.kind === 'ignore-mount') {
      const url = new URL(req.url ?? '/', 'http://proxy');
      url.searchParams.delete('mount');
      url.searchParams.delete('from');
      req.url = url.pathname + (url.search === '?' ? '' : url.search);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const upRes = await upstreamRequest(req.method ?? 'GET', req.url ?? '/', forwardHeaders(req.headers, drop), hasBody ? req : null);
    const headers = forwardHeaders(upRes.headers);
    rewriteLocation(headers);
    writeHead(upRes.statusCode ?? 502, headers);
    res.on('close', () => upRes.destroy());

    if (fault?.kind === 'reset-mid-body') {
      let sent = 0;
      for await (const chunk of upRes) {
        const part = (chunk as Buffer).subarray(0, fault.afterBytes - sent);
        sent += part.length;
        if (part.length > 0) await new Promise<void>((resolve) => res.write(part, () => resolve()));
        if (sent >= fault.afterBytes) break;
      }
      res.flushHeaders();
      await sleep(RESET_FLUSH_MS);
      upRes.destroy();
      res.socket?.resetAndDestroy();
      return;
    }
    if (fault?.kind === 'slow-body') {
      const slice = Math.max(1, Math.floor((fault.bytesPerSecond * SLOW_TICK_MS) / 1000));
      for await (const chunk of upRes) {
        const buf = chunk as Buffer;
        for (let offset = 0; offset < buf.length; offset += slice) {
          if (res.destroyed) return;
          res.write(buf.subarray(offset, offset + slice));
          await sleep(SLOW_TICK_MS);
        }
      }
      res.end();
      return;
    }
    upRes.pipe(res);
  };

  const server = createServer((req, res) => {
    const record: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, status: 0, fault: null, at: performance.now() };
    requests.push(record);
    handleProxy(req, res, record).catch((error: unknown) => {
      if (!res.headersSent) {
        record.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault-proxy: ${String(error)}`);
      } else {
        res.destroy();
      }
    });
  });

  /** Serves a redirected blob from Distribution's storage (like a presigned object-store URL) or, without it, anonymously from upstream. */
  const handleRedirect = async (req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = BLOB_PATH.exec(url.pathname);
    const send = (status: number, headers: OutgoingHttpHeaders): void => {
      record.status = status;
      res.writeHead(status, headers);
    };
    if (!match?.[2] || (req.method !== 'GET' && req.method !== 'HEAD')) {
      send(404, { 'content-length': 0 });
      res.end();
      return;
    }
    const digest = match[2];
    if (typeof options.upstream !== 'string' && options.upstream.storageDir) {
      const hex = digest.slice('sha256:'.length);
      const file = join(options.upstream.storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
      const size = await stat(file).then(
        (s) => s.size,
        () => -1,
      );
      if (size < 0) {
        send(404, { 'content-length': 0 });
        res.end();
        return;
      }
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      const start = range?.[1] ? Number(range[1]) : 0;
      const end = range?.[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      const base = { 'content-type': 'application/octet-stream', 'docker-content-digest': digest, 'accept-ranges': 'bytes' };
      if (range && start >= size) {
        send(416, { ...base, 'content-range': `bytes */${size}`, 'content-length': 0 });
        res.end();
        return;
      }
      send(range ? 206 : 200, { ...base, 'content-length': end - start + 1, ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) });
      if (req.method === 'HEAD' || size === 0) res.end();
      else createReadStream(file, { start, end }).pipe(res);
      return;
    }
    const upRes = await upstreamRequest(req.method ?? 'GET', url.pathname, forwardHeaders(req.headers, ['authorization', 'cookie']), null);
    send(upRes.statusCode ?? 502, forwardHeaders(upRes.headers));
    upRes.pipe(res);
  };

  const redirectServer = createServer((req, res) => {
    const record: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, status: 0, fault: null, at: performance.now() };
    redirectRequests.push(record);
    handleRedirect(req, res, record).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`redirect-host: ${String(error)}`);
    });
  });

  const proxyAddr = await listen(server);
  const redirectAddr = await listen(redirectServer);
  proxyUrl = proxyAddr.url;
  redirectUrl = redirectAddr.url;
  return {
    url: proxyAddr.url,
    host: proxyAddr.host,
    requests,
    redirectHost: { url: redirectAddr.url, host: redirectAddr.host, requests: redirectRequests },
    ...(quirks ? { quirks } : {}),
    addFault: (rule) => {
      rules.push({ ...rule });
    },
    pendingFaults: () => rules.reduce((sum, r) => sum + r.times, 0),
    clearFaults: () => {
      rules.length = 0;
    },
    stop: async () => {
      await Promise.all([close(server), close(redirectServer)]);
      agent.destroy();
    },
  };
}
