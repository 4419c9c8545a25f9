/**
 * The small pieces every `ferry serve` route answers with: JSON bodies, the
 * spec's error body, bounded request bodies and streamed blob bodies. Kept
 * apart from the routes so each route file reads as the spec's section for it.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { RegistryProblem } from './problems.ts';

/** One error in the spec's `{"errors":[…]}` body. */
interface ErrorBodyEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** Sends a JSON body with its length; HEAD gets the headers only. */
export function sendJson(request: IncomingMessage, response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { ...headers, 'Content-Type': headers['Content-Type'] ?? 'application/json; charset=utf-8', 'Content-Length': String(bytes.length) });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}

/** Sends a status with no body (`Content-Length: 0`), as the spec's 201/202/204 answers are. */
export function sendEmpty(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  response.writeHead(status, status === 204 ? headers : { ...headers, 'Content-Length': '0' });
  response.end();
}

/**
 * The problem an error stands for: a RegistryProblem as thrown, a FerryError
 * about a digest as DIGEST_INVALID, anything else undefined (a server fault).
 */
export function problemOf(error: unknown): RegistryProblem | undefined {
  if (error instanceof RegistryProblem) return error;
  if (error instanceof FerryError && error.code === 'INVALID_DIGEST') return new RegistryProblem('DIGEST_INVALID', error.message);
  return undefined;
}

/**
 * Sends an error as the spec's JSON body. A fault that is no RegistryProblem
 * is a 500 whose message says only that the server failed (the cause goes to
 * the caller's log, never to the client).
 */
export function sendError(request: IncomingMessage, response: ServerResponse, error: unknown, headers: Record<string, string> = {}): void {
  const problem = problemOf(error);
  const entry: ErrorBodyEntry = problem
    ? { code: problem.code, message: problem.message, ...(problem.detail === undefined ? {} : { detail: problem.detail }) }
    : { code: 'UNKNOWN', message: 'the registry failed to answer this request; see the server log' };
  sendJson(request, response, problem?.status ?? 500, { errors: [entry] }, headers);
}

/** Throws the RegistryProblem for a body over `limit` bytes; status 413 as the spec asks for manifests. */
function tooLarge(limit: number, what: string): RegistryProblem {
  return new RegistryProblem('MANIFEST_INVALID', `${what} is larger than the ${limit} bytes this registry accepts`, { status: 413, detail: { limit } });
}

/**
 * Reads a whole request body of at most `limit` bytes (manifests): refused
 * by its Content-Length before a byte is read, or as soon as it grows past
 * the limit, so a client cannot make the server hold more than `limit`.
 */
export async function readBoundedBody(request: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, what);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
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
  if (request.readableEnded) return;
  request.resume();
  await new Promise<void>((resolve) => {
    request.once('end', resolve);
    request.once('close', resolve);
  });
}

/** A download the client stopped reading (it closed the connection): no fault of the server's. */
export class ClientLeft extends Error {
  constructor(cause: unknown) {
    super('the client closed the connection before the body was complete', { cause });
    this.name = 'ClientLeft';
  }
}

/**
 * Streams a blob to the client with backpressure (pipeline waits on the
 * socket's drain), closing the file when the client goes away mid-body.
 * Whichever side failed first decides the error: the client leaving is
 * ClientLeft, the source failing (a drive read, a digest re-check) is the
 * source's own error, so the operator's log tells the two apart.
 */
export async function streamBody(source: Readable, response: ServerResponse): Promise<void> {
  let first: 'source' | 'client' | undefined;
  source.once('error', () => (first ??= 'source'));
  response.once('close', () => (first ??= response.writableFinished ? undefined : 'client'));
  try {
    await pipeline(source, response);
  } catch (error) {
    throw first === 'source' ? error : new ClientLeft(error);
  }
}
