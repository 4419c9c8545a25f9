/**
 * A referrers-API shim in front of a real registry: Distribution 2.8 (Debian's
 * docker-registry) has no `GET /v2/<name>/referrers/<digest>`, so this proxy
 * answers it, as an OCI 1.1 registry would, from the manifests the registry
 * really holds (read from its storage folder: every manifest revision of the
 * repository whose `subject` is the digest). Everything else passes through
 * untouched, so pushes, pulls and tags are the real registry's. Plain HTTP
 * upstream only (the anonymous harness registry).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { RunningRegistry } from './registry.ts';

/** A running shim: point clients at `host`; `requests` records what reached the referrers route. */
export interface ReferrersProxy {
  url: string;
  host: string;
  /** Referrers requests answered, as `name@digest`. */
  referrersAsked: string[];
  stop(): Promise<void>;
}

/** Options: `failWith` answers every referrers request with this status instead (a registry whose referrers lookup breaks). */
export interface ReferrersProxyOptions {
  failWith?: number;
}

const REFERRERS_PATH = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Manifests are small; a revision bigger than this is no manifest worth reading here. */
const MANIFEST_LIMIT = 4 * 1024 * 1024;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

interface ManifestFields {
  mediaType?: string;
  artifactType?: string;
  config?: { mediaType?: string };
  subject?: { digest?: string };
  annotations?: Record<string, string>;
}

/** Every manifest revision of `repository` whose subject is `digest`, as referrers-list descriptors. */
async function referrersFromStorage(storageDir: string, repository: string, digest: string, artifactType: string | null): Promise<object[]> {
  const root = join(storageDir, 'docker', 'registry', 'v2');
  const revisions = join(root, 'repositories', ...repository.split('/'), '_manifests', 'revisions', 'sha256');
  const hexes = await readdir(revisions).catch(() => [] as string[]);
  const found: object[] = [];
  for (const hex of hexes.sort()) {
    const file = join(root, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const size = await stat(file).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0 || size > MANIFEST_LIMIT) continue;
    const bytes = await readFile(file);
    let fields: ManifestFields;
    try {
      fields = JSON.parse(bytes.toString('utf8')) as ManifestFields;
    } catch {
      continue;
    }
    if (fields.subject?.digest !== digest) continue;
    const type = fields.artifactType ?? fields.config?.mediaType;
    if (artifactType !== null && type !== artifactType) continue;
    found.push({
      mediaType: fields.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      size: bytes.length,
      ...(type !== undefined ? { artifactType: type } : {}),
      ...(fields.annotations ? { annotations: fields.annotations } : {}),
    });
  }
  return found;
}

function forwardHeaders(headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** Starts the shim on 127.0.0.1 in front of an anonymous harness registry. */
export async function startReferrersProxy(registry: RunningRegistry, options: ReferrersProxyOptions = {}): Promise<ReferrersProxy> {
  if (!registry.url.startsWith('http:')) throw new Error('the referrers shim fronts a plain-HTTP registry only');
  const upstream = new URL(registry.url);
  const agent = new Agent({ keepAlive: true });
  const referrersAsked: string[] = [];
  let selfOrigin = '';

  const answerReferrers = async (req: IncomingMessage, res: ServerResponse, repository: string, digest: string): Promise<void> => {
    req.resume();
    referrersAsked.push(`${repository}@${digest}`);
    if (options.failWith !== undefined) {
      const body = JSON.stringify({ errors: [{ code: 'DENIED', message: 'referrers lookup refused by the test shim' }] });
      res.writeHead(options.failWith, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://shim');
    const artifactType = url.searchParams.get('artifactType');
    const manifests = await referrersFromStorage(registry.storageDir, repository, digest, artifactType);
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
    res.writeHead(200, { 'content-type': OCI_INDEX, 'content-length': Buffer.byteLength(body), ...(artifactType !== null ? { 'oci-filters-applied': 'artifactType' } : {}) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const pass = (req: IncomingMessage, res: ServerResponse): void => {
    const upReq = httpRequest(new URL(req.url ?? '/', upstream), { method: req.method, headers: { ...forwardHeaders(req.headers), host: upstream.host }, agent }, (upRes) => {
      const headers = forwardHeaders(upRes.headers);
      const location = headers.location;
      if (typeof location === 'string' && location.startsWith(upstream.origin)) headers.location = selfOrigin + location.slice(upstream.origin.length);
      res.writeHead(upRes.statusCode ?? 502, headers);
      upRes.pipe(res);
    });
    upReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upReq);
  };

  const server: Server = createServer((req, res) => {
    const match = REFERRERS_PATH.exec(new URL(req.url ?? '/', 'http://shim').pathname);
    if (match?.[1] && match[2] && (req.method === 'GET' || req.method === 'HEAD')) {
      answerReferrers(req, res, match[1], match[2]).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`referrers shim: ${String(error)}`);
      });
      return;
    }
    pass(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  selfOrigin = `http://127.0.0.1:${port}`;
  return {
    url: selfOrigin,
    host: `127.0.0.1:${port}`,
    referrersAsked,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          agent.destroy();
          resolve();
        });
      }),
  };
}
