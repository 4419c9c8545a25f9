/**
 * Blob endpoints of `ferry serve`: GET/HEAD `/v2/<name>/blobs/<digest>` with
 * one byte range (206, or 416 with `Content-Range: bytes *\/size`), and
 * DELETE (unlink; the bytes go at `ferry serve gc`). The body streams from
 * the storage to the socket with backpressure, never whole in memory.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#deleting-blobs
 */
import { RegistryProblem } from './problems.ts';
import { sendEmpty, sendError, streamBody } from './http-answer.ts';
import { checkDigest, writable, type RouteContext } from './route-context.ts';
import type { ByteRange } from './storage.ts';

/**
 * How long clients may cache a blob: its URL names its content by digest,
 * so it never changes (Distribution sends the same year).
 */
const BLOB_CACHE_CONTROL = 'max-age=31536000';

/**
 * The single range a `Range` header asks of a `size`-byte blob (RFC 9110
 * §14.1.2: `bytes=A-B`, `bytes=A-`, `bytes=-N`); 'unsatisfiable' when it
 * asks for none of the bytes; undefined when absent or not one range (then
 * the whole blob is sent, which RFC 9110 allows).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (to !== '' && Number(to) < start) return undefined;
  return start >= size ? 'unsatisfiable' : { start, end };
}

/** GET or HEAD of a blob: 200 whole, 206 one range, 416 unsatisfiable, 404 BLOB_UNKNOWN. */
async function getBlob(context: RouteContext, name: string, digest: string): Promise<void> {
  const { request, response, reader } = context;
  const size = await reader.blobSize(name, digest);
  if (size === undefined) {
    throw new RegistryProblem('BLOB_UNKNOWN', `blob ${digest} is not in repository ${name}`, { detail: { digest } });
  }
  const common = { 'Docker-Content-Digest': digest, ETag: `"${digest}"`, 'Accept-Ranges': 'bytes', 'Cache-Control': BLOB_CACHE_CONTROL };
  const range = parseByteRange(request.headers.range, size);
  if (range === 'unsatisfiable') {
    const problem = new RegistryProblem('RANGE_INVALID', `range "${request.headers.range}" is outside blob ${digest} (${size} bytes)`, { detail: { size } });
    sendError(request, response, problem, { ...common, 'Content-Range': `bytes */${size}` });
    return;
  }
  const length = range ? range.end - range.start + 1 : size;
  const headers = {
    ...common,
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(length),
    ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${size}` } : {}),
  };
  if (request.method === 'HEAD') {
    // The headers GET would send for the same Range, without the body.
    response.writeHead(range ? 206 : 200, headers).end();
    return;
  }
  // Opened before the status goes out, so a blob that cannot be read is an error status, not a cut body.
  const source = await reader.openBlob(name, digest, range);
  response.writeHead(range ? 206 : 200, headers);
  await streamBody(source, response);
}

/** Answers a blob endpoint (the server has checked the method against ROUTE_METHODS). */
export async function blobRoute(context: RouteContext, name: string, rawDigest: string): Promise<void> {
  const digest = checkDigest(rawDigest);
  if (context.request.method !== 'DELETE') return getBlob(context, name, digest);
  const storage = writable(context, 'deleting a blob');
  if (!(await storage.deleteBlob(name, digest))) {
    throw new RegistryProblem('BLOB_UNKNOWN', `blob ${digest} is not in repository ${name}`, { detail: { digest } });
  }
  // No Docker-Content-Digest here: the spec lists none for end-10 and Distribution sends none.
  sendEmpty(context.response, 202);
}
