/**
 * An HTTP/2 TLS front for the real Distribution registry, standing in for the
 * nginx or envoy in front of Docker Hub and Harbor that throttles HTTP/2
 * clients with GOAWAY ENHANCE_YOUR_CALM (RFC 9113 §6.8, error code 0xb), a
 * fault the registry itself cannot produce. Requests are forwarded as they
 * come (method, path, headers, body); GOAWAY rules decide when the proxy
 * tells the client to go away instead. Loopback only, its own per-run PKI,
 * and every request and GOAWAY recorded with a timestamp for assertions.
 */
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { constants, createSecureServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir, trackDir } from './cleanup.ts';
import { makePki } from './pki.ts';

/** When to send GOAWAY ENHANCE_YOUR_CALM instead of forwarding a request. */
export interface GoAwayRule {
  /** Forward this many matching requests first (default 0: the first match goes away). */
  afterRequests?: number;
  /** Only requests whose path (with query) matches count; default every request. */
  path?: RegExp;
  method?: string;
  /** GOAWAYs this rule sends before it is spent (Infinity: a persistently throttling registry). */
  times: number;
  /** After a GOAWAY, every new connection for this long gets a GOAWAY at once and is closed (default 0). */
  refuseMs?: number;
}

/** One request the proxy received. */
export interface H2Request {
  at: number;
  method: string;
  path: string;
  streamId: number;
  /** Status sent back, 0 when the request was refused by a GOAWAY (or the stream failed before an answer). */
  status: number;
  goAway: boolean;
}

/** One GOAWAY the proxy sent: on a request (its stream was not processed), or to a connection opened while refusing. */
export interface GoAwaySent {
  at: number;
  lastStreamId: number;
  reason: 'request' | 'refused-connection';
  path?: string;
}

/** A running proxy: point a client at `host` over HTTPS, trusting `caFile` (or `certDir`, a certs.d folder). */
export interface H2Proxy {
  url: string;
  host: string;
  caFile: string;
  caPem: string;
  certDir: string;
  requests: H2Request[];
  goAways: GoAwaySent[];
  /** Connections (HTTP/2 sessions) opened by clients, refused ones included. */
  sessions(): number;
  addGoAway(rule: GoAwayRule): void;
  clearGoAways(): void;
  stop(): Promise<void>;
}

/** HTTP/2 pseudo-headers and connection-specific headers, which HTTP/1.1 upstream requests must not carry (RFC 9113 §8.2.2). */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host', 'http2-settings']);
/** The most requests kept in the record, so a runaway client cannot grow the harness without bound. */
const MAX_RECORDED = 100_000;
/** How long streams below a GOAWAY's last stream id may take to finish before the connection is destroyed. */
const GOAWAY_DRAIN_MS = 1_000;

/** Starts the proxy on 127.0.0.1 in front of `upstream` (a registry URL, plus its CA when it serves HTTPS). */
export async function startH2Proxy(options: { upstream: string | { url: string; caPem?: string } }): Promise<H2Proxy> {
  const upstream = typeof options.upstream === 'string' ? { url: options.upstream } : options.upstream;
  const upstreamUrl = new URL(upstream.url);
  const isHttps = upstreamUrl.protocol === 'https:';
  const agent = isHttps ? new HttpsAgent({ keepAlive: true, ...(upstream.caPem ? { ca: upstream.caPem } : {}) }) : new HttpAgent({ keepAlive: true });
  const dir = await mkdtemp(join(tmpdir(), 'ferry-h2-proxy-'));
  trackDir(dir);
  const pki = await makePki(dir, 'h2proxy', 'server');
  const certDir = join(dir, 'certs');
  await mkdir(certDir);
  await copyFile(pki.caCertFile, join(certDir, 'ca.crt'));

  const rules: Array<GoAwayRule & { seen: number }> = [];
  const requests: H2Request[] = [];
  const goAways: GoAwaySent[] = [];
  const sessions = new Set<Http2Session>();
  let sessionCount = 0;
  let refuseUntil = 0;
  let proxyOrigin = '';
  /** The highest stream id forwarded upstream per session: what a GOAWAY may honestly name as processed. */
  const forwarded = new WeakMap<Http2Session, number>();

  const server: Http2Server = createSecureServer({ key: pki.leafKeyPem, cert: pki.leafCertPem, allowHTTP1: false });

  const sendGoAway = (session: Http2Session, lastStreamId: number, reason: GoAwaySent['reason'], path?: string): void => {
    goAways.push({ at: Date.now(), lastStreamId, reason, ...(path === undefined ? {} : { path }) });
    if (!session.closed && !session.destroyed) session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, lastStreamId);
    // Streams up to lastStreamId may finish; nghttp2 ignores any the client opens after the GOAWAY. Then the connection closes.
    session.close();
    setTimeout(() => session.destroy(), GOAWAY_DRAIN_MS).unref();
  };

  server.on('session', (session: Http2Session) => {
    sessionCount += 1;
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => undefined);
    if (Date.now() < refuseUntil) {
      setTimeout(() => sendGoAway(session, 0, 'refused-connection'), 0);
    }
  });

  const takeGoAway = (method: string, path: string): GoAwayRule | undefined => {
    for (const rule of rules) {
      if (rule.times <= 0) continue;
      if (rule.path && !rule.path.test(path)) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      rule.seen += 1;
      if (rule.seen <= (rule.afterRequests ?? 0)) return undefined;
      rule.times -= 1;
      return rule;
    }
    return undefined;
  };

  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const method = headers[':method'] ?? 'GET';
    const path = headers[':path'] ?? '/';
    const record: H2Request = { at: Date.now(), method, path, streamId: stream.id ?? 0, status: 0, goAway: false };
    if (requests.length < MAX_RECORDED) requests.push(record);
    stream.on('error', () => undefined);
    const session = stream.session;
    if (!session) return;
    const rule = takeGoAway(method, path);
    if (rule) {
      record.goAway = true;
      if (rule.refuseMs) refuseUntil = Date.now() + rule.refuseMs;
      // This stream was not processed: it lies above the GOAWAY's last stream id, so the client may safely send it again.
      sendGoAway(session, forwarded.get(session) ?? 0, 'request', path);
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    forwarded.set(session, Math.max(forwarded.get(session) ?? 0, stream.id ?? 0));
    const out: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith(':') || value === undefined || NOT_FORWARDED.has(name)) continue;
      out[name] = value;
    }
    out.host = upstreamUrl.host;
    const send = isHttps ? httpsRequest : httpRequest;
    const upReq = send(new URL(path, upstreamUrl), { method, headers: out, agent }, (upRes: IncomingMessage) => {
      const answer: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(upRes.headers)) {
        if (value === undefined || NOT_FORWARDED.has(name)) continue;
        answer[name] = value;
      }
      const location = answer.location;
      if (typeof location === 'string' && location.startsWith(upstreamUrl.origin)) answer.location = proxyOrigin + location.slice(upstreamUrl.origin.length);
      record.status = upRes.statusCode ?? 502;
      if (stream.destroyed || stream.closed) {
        upRes.resume();
        return;
      }
      stream.respond({ ':status': record.status, ...answer });
      upRes.pipe(stream);
    });
    upReq.on('error', () => {
      if (!stream.destroyed && !stream.headersSent) stream.respond({ ':status': 502 });
      stream.end();
    });
    stream.on('close', () => {
      if (!upReq.writableEnded) upReq.destroy();
    });
    stream.pipe(upReq);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  proxyOrigin = `https://${host}`;
  return {
    url: proxyOrigin,
    host,
    caFile: pki.caCertFile,
    caPem: pki.caCertPem,
    certDir,
    requests,
    goAways,
    sessions: () => sessionCount,
    addGoAway: (rule) => rules.push({ ...rule, seen: 0 }),
    clearGoAways: () => {
      rules.length = 0;
      refuseUntil = 0;
    },
    stop: async () => {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      removeDir(dir);
    },
  };
}
