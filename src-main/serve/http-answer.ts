/**
 * The small pieces every `ferry serve` route answers with: JSON bodies, the
 * spec's error body and streamed blob bodies (request bodies: request-body.ts). Kept
 * apart from the routes so each route file reads as the spec's section for it.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { RegistryProblem } from './problems.ts';
import { ClientLeft } from './request-body.ts';

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
  // A 429 says when to come back (RFC 6585 §4, as the spec asks).
  const retryAfter = (problem?.detail as { retryAfter?: unknown } | undefined)?.retryAfter;
  const extra: Record<string, string> = problem?.code === 'TOOMANYREQUESTS' && typeof retryAfter === 'number' ? { 'Retry-After': String(retryAfter) } : {};
  sendJson(request, response, problem?.status ?? 500, { errors: [entry] }, { ...headers, ...extra });
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
