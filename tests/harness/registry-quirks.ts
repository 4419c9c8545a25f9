/**
 * Registry quirks the fault proxy plays in front of the real Distribution
 * registry, as the registries that have them answer (docs/registries.md):
 * a repository path-depth limit (Quay, GitLab), manifest media types refused
 * (Harbor's "unknown: artifact", Nexus's 400 MANIFEST_INVALID), and
 * repositories that must exist before a push (ECR), with Quay's
 * repository-creation API to create them. Everything the quirks allow is
 * forwarded to Distribution unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Which quirks to play; each is off unless given. */
export interface QuirkOptions {
  /** Writes to a repository with more path components than this are refused with 400 NAME_INVALID (Quay, GitLab). */
  maxDepth?: number;
  /** Manifest PUTs whose Content-Type is one of these are refused, as Harbor (`UNKNOWN: artifact …`) or Nexus (`MANIFEST_INVALID`) answer. */
  refuseManifestTypes?: { mediaTypes: readonly string[]; style: 'harbor' | 'nexus' };
  /** Writes to a repository not in this list are refused with 404 NAME_UNKNOWN, as ECR answers; the creation API adds to it. */
  repositoriesMustExist?: { known: readonly string[] };
  /** Serve Quay's API discovery document and `POST /api/v1/repository`, which takes only `Authorization: Bearer <token>` (Quay's OAuth application token). */
  creationApi?: { token: string };
}

/** A repository request the quirks look at: its name and what is asked of it. */
interface RepositoryRequest {
  name: string;
  kind: 'upload' | 'blob' | 'manifest' | 'other';
}

/** The repository part of a `/v2/<name>/…` path, and what the request is about. */
export function repositoryRequest(path: string): RepositoryRequest | undefined {
  const pathname = path.split('?')[0] ?? '';
  const match = /^\/v2\/(.+?)\/(blobs\/uploads(?:\/.*)?|blobs\/[^/]+|manifests\/[^/]+|tags\/list|referrers\/[^/]+)$/.exec(pathname);
  if (!match?.[1] || !match[2]) return undefined;
  const rest = match[2];
  const kind = rest.startsWith('blobs/uploads') ? 'upload' : rest.startsWith('blobs/') ? 'blob' : rest.startsWith('manifests/') ? 'manifest' : 'other';
  return { name: match[1], kind };
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The creation API's request body is a small JSON object. */
const API_BODY_LIMIT = 64 * 1024;

function errorBody(code: string, message: string, detail: unknown = null): string {
  return JSON.stringify({ errors: [{ code, message, detail }] });
}

/** Reads a small request body, refusing one past the limit. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > API_BODY_LIMIT) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The quirks of one proxy, with the repositories known so far (for `repositoriesMustExist`). */
export class RegistryQuirks {
  /** Repositories that exist as far as `repositoriesMustExist` is concerned. */
  readonly known: Set<string>;
  /** Repositories created through the creation API, in order. */
  readonly created: string[] = [];

  constructor(readonly options: QuirkOptions) {
    this.known = new Set(options.repositoriesMustExist?.known ?? []);
  }

  /** Answers the request itself when a quirk applies (true), or leaves it to be forwarded (false). */
  async answer(req: IncomingMessage, res: ServerResponse, setStatus: (status: number) => void): Promise<boolean> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const send = (status: number, body: string): true => {
      req.resume();
      setStatus(status);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    };
    if (this.options.creationApi !== undefined && path.split('?')[0] === '/api/v1/discovery' && method === 'GET') {
      return send(200, JSON.stringify({ swagger: '2.0', info: { title: 'Quay Frontend', version: 'v1' }, paths: { '/api/v1/discovery': {}, '/api/v1/repository': {} } }));
    }
    if (this.options.creationApi !== undefined && path.split('?')[0] === '/api/v1/repository' && method === 'POST') {
      if (req.headers.authorization !== `Bearer ${this.options.creationApi.token}`) return send(401, JSON.stringify({ status: 401, error_message: 'Requires authentication', title: 'unauthorized' }));
      return this.create(req, send);
    }
    const repository = repositoryRequest(path);
    if (repository === undefined || !WRITE_METHODS.has(method)) return false;
    const depth = repository.name.split('/').length;
    const { maxDepth, refuseManifestTypes, repositoriesMustExist } = this.options;
    if (maxDepth !== undefined && depth > maxDepth) {
      return send(400, errorBody('NAME_INVALID', 'invalid repository name', `repository path ${repository.name} has ${depth} components; at most ${maxDepth} are allowed`));
    }
    if (repositoriesMustExist !== undefined && !this.known.has(repository.name)) {
      return send(404, errorBody('NAME_UNKNOWN', `The repository with name '${repository.name}' does not exist in the registry with id '000000000000'`));
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    if (refuseManifestTypes !== undefined && repository.kind === 'manifest' && method === 'PUT' && refuseManifestTypes.mediaTypes.includes(contentType)) {
      return refuseManifestTypes.style === 'harbor'
        ? send(400, errorBody('UNKNOWN', `artifact ${repository.name}: unsupported media type ${contentType}`))
        : send(400, errorBody('MANIFEST_INVALID', 'manifest invalid', `Unsupported manifest media type: ${contentType}`));
    }
    return false;
  }

  /** Quay's `POST /api/v1/repository`: `{namespace, repository, visibility, description, repo_kind}` → 201, or 400 when it exists. */
  private async create(req: IncomingMessage, send: (status: number, body: string) => true): Promise<true> {
    let parsed: { namespace?: unknown; repository?: unknown };
    try {
      parsed = JSON.parse(await readBody(req)) as typeof parsed;
    } catch {
      return send(400, JSON.stringify({ error_message: 'Invalid JSON' }));
    }
    const { namespace, repository } = parsed;
    if (typeof namespace !== 'string' || typeof repository !== 'string' || namespace === '' || repository === '') {
      return send(400, JSON.stringify({ error_message: "'namespace' and 'repository' are required" }));
    }
    const name = `${namespace}/${repository}`;
    if (this.known.has(name)) return send(400, JSON.stringify({ error_message: 'Repository already exists' }));
    this.known.add(name);
    this.created.push(name);
    return send(201, JSON.stringify({ namespace, name: repository, kind: 'image' }));
  }
}
