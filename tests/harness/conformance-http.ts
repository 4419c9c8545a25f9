/**
 * The raw-HTTP half of the differential conformance test: one request sender
 * (undici, no redirects, no retries, nothing Ferry's client would smooth over)
 * and the normaliser that turns a response into the facts clients rely on —
 * status, distribution-spec error codes and the headers skopeo, containerd and
 * Docker read — so two registries' transcripts compare field by field.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 */
import { createHash } from 'node:crypto';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';

/** Where the script runs and as whom; `credentials` makes every request carry Basic auth unless the step says anonymous. */
export interface ConformanceTarget {
  /** 'http(s)://127.0.0.1:PORT' */
  url: string;
  /** CA for an https target (verified, never skipped). */
  caPem?: string;
  credentials?: { username: string; password: string };
}

/** One normalised exchange of the transcript; only fields that are set were sent by the registry (or apply to the step). */
export interface TranscriptEntry {
  /** Stable step name from the script, the key the comparison and the allow-list use. */
  step: string;
  request: string;
  status: number;
  /** distribution-spec error codes of a JSON error body, in order. */
  codes?: string[];
  /** Set when the exchange broke below HTTP: no response at all, or a body shorter than announced. */
  transport?: string;
  /** Client-relevant headers, normalised (see normaliseHeaders). */
  headers: Record<string, string>;
  /** What a client reads from a success body: sha256 and length of a blob or manifest, canonical JSON of a listing. */
  body?: string;
}

/** One request of the script. */
export interface StepRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path ('/v2/…') or an absolute Location the registry handed out. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** 'none': no Authorization header; 'wrong': a wrong password. Default: the target's credentials if any. */
  auth?: 'none' | 'wrong';
  /** How the body is summarised: 'digest' (blob/manifest bytes) or 'json' (listings). Default: not recorded. */
  bodyAs?: 'digest' | 'json';
}

/** What the script needs back from a request besides the transcript entry: the raw Location, to follow it. */
export interface StepResult {
  entry: TranscriptEntry;
  location?: string;
  bytes: Buffer;
}

/** Longest one request may take: everything is small and on loopback. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Headers whose exact value clients use; compared verbatim after the per-header normalisation below. */
const VERBATIM_HEADERS = ['docker-content-digest', 'range', 'content-range', 'oci-subject', 'oci-filters-applied', 'accept-ranges'] as const;
/** Docker's client checks this header on the `/v2/` ping only (the spec calls it optional everywhere), so only there is it compared. */
const API_VERSION_HEADER = 'docker-distribution-api-version';

/** Opens an HTTP client for one target; close it when the script is done. */
export function openClient(target: ConformanceTarget): { send: (step: string, req: StepRequest) => Promise<StepResult>; close: () => Promise<void> } {
  const dispatcher: Dispatcher = new Agent(target.caPem ? { connect: { ca: target.caPem } } : {});
  const base = new URL(target.url);
  const send = async (step: string, req: StepRequest): Promise<StepResult> => {
    const url = new URL(req.path, base);
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    const creds = target.credentials;
    if (creds && req.auth !== 'none') {
      const password = req.auth === 'wrong' ? `${creds.password}-wrong` : creds.password;
      headers.authorization = `Basic ${Buffer.from(`${creds.username}:${password}`).toString('base64')}`;
    }
    if (req.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(req.body.length);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        dispatcher,
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
    } catch (error) {
      // A registry that drops the connection is a result too (status 0), not a reason to stop the script.
      return { entry: { step, request: `${req.method} ${describePath(url, base)}`, status: 0, transport: `no response (${errorName(error)})`, headers: {} }, bytes: Buffer.alloc(0) };
    }
    let bytes = Buffer.alloc(0);
    let transport: string | undefined;
    try {
      bytes = Buffer.from(await response.body.arrayBuffer());
    } catch (error) {
      // Distribution 2.8 announces the whole blob's length on a 416 and then closes early: keep the status and headers.
      transport = `body cut short (${errorName(error)})`;
    }
    const entry: TranscriptEntry = {
      step,
      request: `${req.method} ${describePath(url, base)}`,
      status: response.statusCode,
      headers: normaliseHeaders(response.headers, base, response.statusCode, req.method),
    };
    const apiVersion = headerValue(response.headers, API_VERSION_HEADER);
    if (url.pathname === '/v2/') entry.headers[API_VERSION_HEADER] = apiVersion ?? '(absent)';
    if (transport !== undefined) entry.transport = transport;
    const codes = errorCodes(bytes, response.statusCode);
    if (codes) entry.codes = codes;
    // A listing's JSON is compared as parsed JSON; its length only says whether the encoder added a newline.
    if (req.bodyAs === 'json') delete entry.headers['content-length'];
    const body = summariseBody(bytes, response.statusCode, req.bodyAs);
    if (body !== undefined) entry.body = body;
    const location = headerValue(response.headers, 'location');
    return { entry, bytes, ...(location !== undefined ? { location } : {}) };
  };
  return { send, close: () => dispatcher.close() };
}

function errorName(error: unknown): string {
  return (error as { code?: string }).code ?? (error instanceof Error ? error.name : 'error');
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Upload session ids and Distribution's `_state` differ per run and per registry: the path shape is what matters. */
function describePath(url: URL, base: URL): string {
  const sameOrigin = url.origin === base.origin;
  const path = uploadShape(url.pathname);
  const query = [...url.searchParams.entries()].filter(([k]) => k !== '_state').map(([k, v]) => `${k}=${v}`);
  return `${sameOrigin ? '' : url.origin}${path}${query.length > 0 ? `?${query.sort().join('&')}` : ''}`;
}

/** `/v2/<name>/blobs/uploads/<anything>` → `/v2/<name>/blobs/uploads/<id>` (the spec leaves the session URL to the registry). */
function uploadShape(pathname: string): string {
  return pathname.replace(/(\/blobs\/uploads\/)[^/]+$/, '$1<id>');
}

/**
 * Location: resolved against the target and reduced to its path shape
 * (absolute and relative are both allowed, spec "POST then PUT"); Link: the
 * next-page path with sorted query; WWW-Authenticate: scheme and realm
 * present; Content-Type: media type without parameters; Content-Length: only
 * where it describes content (success responses), since error texts differ.
 */
function normaliseHeaders(headers: Record<string, string | string[] | undefined>, base: URL, status: number, method: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of VERBATIM_HEADERS) {
    const value = headerValue(headers, name);
    if (value !== undefined) out[name] = value;
  }
  const location = headerValue(headers, 'location');
  if (location !== undefined) out.location = describePath(new URL(location, base), base);
  const link = headerValue(headers, 'link');
  if (link !== undefined) out.link = normaliseLink(link, base);
  const challenge = headerValue(headers, 'www-authenticate');
  if (challenge !== undefined) out['www-authenticate'] = `${challenge.split(/\s+/)[0] ?? ''}${/realm="[^"]+"/i.test(challenge) ? ' realm=<set>' : ''}`;
  const success = status >= 200 && status < 300;
  const contentType = headerValue(headers, 'content-type');
  if (contentType !== undefined && (status === 200 || status === 206)) out['content-type'] = contentType.split(';')[0]?.trim() ?? '';
  const length = headerValue(headers, 'content-length');
  if (length !== undefined && success) out['content-length'] = length;
  else if (length === undefined && success && method !== 'HEAD' && status !== 204) out['content-length'] = '(absent)';
  return out;
}

function normaliseLink(link: string, base: URL): string {
  const match = /^<([^>]*)>\s*;\s*rel="?next"?/.exec(link.trim());
  if (!match?.[1]) return `unparsed: ${link}`;
  const next = new URL(match[1], base);
  const query = [...next.searchParams.entries()].map(([k, v]) => `${k}=${v}`).sort();
  return `<${next.pathname}?${query.join('&')}>; rel="next"`;
}

function errorCodes(bytes: Buffer, status: number): string[] | undefined {
  if (status < 400 || bytes.length === 0) return undefined;
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { errors?: Array<{ code?: unknown }> };
    if (!Array.isArray(parsed.errors)) return ['(json without errors)'];
    return parsed.errors.map((e) => (typeof e.code === 'string' ? e.code : '(no code)'));
  } catch {
    return ['(not json)'];
  }
}

function summariseBody(bytes: Buffer, status: number, as: StepRequest['bodyAs']): string | undefined {
  if (as === undefined || status < 200 || status >= 300) return undefined;
  if (as === 'digest') return `sha256:${createHash('sha256').update(bytes).digest('hex')} (${bytes.length} bytes)`;
  try {
    return JSON.stringify(JSON.parse(bytes.toString('utf8')));
  } catch {
    return `(not json: ${bytes.length} bytes)`;
  }
}
