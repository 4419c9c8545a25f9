/**
 * Request bodies as `ferry serve` reads them. Three rules: a body is read
 * through an iterator that never destroys the request when reading stops
 * early (so the server can still answer 413 or 500 instead of resetting the
 * connection); a chunk is held to the length its Content-Range announces
 * (SIZE_INVALID otherwise, whatever the transfer encoding); and a client
 * that stops sending is dropped after BODY_STALL_MS of silence or when it
 * sends less than MIN_BODY_BYTES in a BODY_WINDOW_MS of waiting (a slow-body
 * guard that never counts the time the server itself is busy writing).
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { RegistryProblem } from './problems.ts';

/** Longest silence from a client in the middle of a body: longer than any sane network hiccup, short enough to free the socket. */
const BODY_STALL_MS = 60_000;
/** The window over which the slow-body floor is measured (time spent waiting for the client only). */
const BODY_WINDOW_MS = 60_000;
/** Bytes a client must send per window of waiting: 16 KiB a minute is far below any real link and far above a trickle attack. */
const MIN_BODY_BYTES = 16 * 1024;

/** Error codes that mean the client closed or reset the connection (node:http, node:stream). */
const CLIENT_ABORT_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** A client that closed the connection before its request or our answer was complete: no fault of the server's. */
export class ClientLeft extends Error {
  constructor(cause: unknown) {
    super('the client closed the connection before the exchange was complete', { cause });
    this.name = 'ClientLeft';
  }
}

/**
 * True when an error (or any error in its `cause` chain, as the store wraps
 * what it read) says the client went away, rather than the server failing.
 */
export function isClientAbort(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof ClientLeft) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CLIENT_ABORT_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}

/** The problem for a client too slow to be worth a socket (408: the spec has no code for it). */
function tooSlow(what: string): RegistryProblem {
  return new RegistryProblem('BLOB_UPLOAD_INVALID', `${what}: the client sent too little for too long; the request was dropped`, { status: 408 });
}

/**
 * The request's body chunks, read without ever destroying the request
 * (destroyOnReturn: false), with the slow-body guard applied to the time
 * spent waiting for the client.
 */
async function* guardedChunks(request: IncomingMessage, what: string): AsyncGenerator<Buffer> {
  const iterator = request.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let waited = 0;
  let windowBytes = 0;
  try {
    for (;;) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), BODY_STALL_MS)));
      const next = await Promise.race([iterator.next(), stalled]).finally(() => clearTimeout(timer));
      if (next === 'stalled') throw tooSlow(what);
      if (next.done === true) return;
      waited += Date.now() - started;
      windowBytes += next.value.length;
      if (waited >= BODY_WINDOW_MS) {
        if (windowBytes < MIN_BODY_BYTES) throw tooSlow(what);
        waited = 0;
        windowBytes = 0;
      }
      yield next.value;
    }
  } finally {
    // Not awaited: after a stall a read is still pending, and return() would wait for it; the request is never destroyed here.
    void iterator.return?.().catch(() => undefined);
  }
}

/**
 * The body as a stream for the storage: when `expected` is given (from
 * Content-Range), more or fewer bytes than that fail the stream with
 * SIZE_INVALID, which the store treats as a cut chunk (truncated back,
 * nothing acknowledged). The storage may destroy this stream freely; the
 * request itself stays open so the server can still answer.
 */
export function bodyStream(request: IncomingMessage, what: string, expected?: number): Readable {
  async function* checked(): AsyncGenerator<Buffer> {
    let received = 0;
    for await (const chunk of guardedChunks(request, what)) {
      received += chunk.length;
      if (expected !== undefined && received > expected) {
        throw new RegistryProblem('SIZE_INVALID', `${what}: more than the ${expected} bytes Content-Range announced arrived`, { detail: { expected } });
      }
      yield chunk;
    }
    if (expected !== undefined && received !== expected) {
      throw new RegistryProblem('SIZE_INVALID', `${what}: ${received} bytes arrived, Content-Range announced ${expected}`, { detail: { expected, received } });
    }
  }
  return Readable.from(checked(), { objectMode: false });
}

/** Throws the RegistryProblem for a body over `limit` bytes; status 413 as the spec asks for manifests. */
function tooLarge(limit: number, what: string): RegistryProblem {
  return new RegistryProblem('MANIFEST_INVALID', `${what} is larger than the ${limit} bytes this registry accepts`, { status: 413, detail: { limit } });
}

/**
 * Reads a whole request body of at most `limit` bytes (manifests): refused
 * by its Content-Length before a byte is read, or as soon as it grows past
 * the limit (chunked bodies), so a client cannot make the server hold more
 * than `limit`; the request stays open for the 413 answer.
 */
export async function readBoundedBody(request: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, what);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of guardedChunks(request, what)) {
    total += chunk.length;
    if (total > limit) throw tooLarge(limit, what);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** True when the request carries a body (a non-zero Content-Length or a chunked transfer). */
export function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return request.headers['transfer-encoding'] !== undefined;
}

/** Reads and drops a body the endpoint does not use, so the connection can carry the next request. */
export async function discardBody(request: IncomingMessage): Promise<void> {
  if (request.readableEnded || request.destroyed) return;
  request.resume();
  await new Promise<void>((resolve) => {
    request.once('end', resolve);
    request.once('close', resolve);
  });
}
