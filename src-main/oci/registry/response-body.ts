/**
 * A registry response read straight from undici's dispatch handler, without
 * undici's `request()` layer. That layer pushes every chunk through a
 * Readable stream (its buffering, events and, for a reader using the async
 * iterator, a concatenating `read()`), and a blob's bytes pass it once per
 * network chunk: measurable CPU on an export of hundreds of megabytes. Here
 * the handler queues the chunks themselves and the reader takes them as they
 * are; past a megabyte of unread chunks the connection is paused, so memory
 * stays bounded when the disk is slower than the network.
 *
 * undici still does everything about the connection: the pool, TLS, proxies,
 * HTTP parsing (llhttp), keep-alive, header and body timeouts.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { FerryError } from '../../../src-shared/errors.ts';

/** Response headers as undici parses them: lower-case names, repeated ones as arrays. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** The first value of a response header that may come repeated (undici gives an array then): Location, Content-Type, Retry-After. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** One response: the status and headers, and the body as the caller reads, dumps or destroys it. */
export interface RegistryResponse {
  readonly statusCode: number;
  readonly headers: ResponseHeaders;
  readonly body: ResponseBody;
}

/**
 * Unread bytes at which the connection is paused: about one gathered disk
 * write's worth (base/gathered-write.ts), so the network keeps filling the
 * next batch while the last one is hashed and written.
 */
const QUEUE_BYTES = 1024 * 1024;
/** A body being dumped is read this far to keep its connection, then the request is aborted (undici's dump() does the same). */
const DUMP_BYTES = 128 * 1024;

/** Why a body nobody finished reading was torn down; never seen by a caller, only by undici. */
class BodyAbandoned extends Error {
  constructor() {
    super('response body abandoned before its end');
    this.name = 'BodyAbandoned';
  }
}

/**
 * A response body: the chunks exactly as undici parsed them off the socket
 * (no copy, no concatenation), read once with `for await`. Leaving the loop
 * early, `dump()` past its limit or `destroy()` aborts the request, which
 * frees its connection; a body read to its end keeps the connection alive.
 */
export class ResponseBody implements AsyncIterable<Buffer> {
  private queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private read = false;

  constructor(
    private readonly controller: Dispatcher.DispatchController,
    /** Called once when the body ends or fails (the connection is free again). */
    private readonly onSettled?: () => void,
  ) {}

  /** The handler's side: a chunk arrived. */
  push(chunk: Buffer): void {
    if (this.ended || this.failure) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued >= QUEUE_BYTES) this.controller.pause();
    this.notify();
  }

  /** The handler's side: the body ended cleanly. */
  end(): void {
    this.ended = true;
    this.onSettled?.();
    this.notify();
  }

  /** The handler's side: the connection failed or the request was aborted. Chunks already queued are still handed out first. */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure ??= error;
    this.onSettled?.();
    this.notify();
  }

  /** Bytes received and not yet handed to the reader; bounded by the pause (QUEUE_BYTES plus the chunk that crossed it). */
  get queuedBytes(): number {
    return this.queued;
  }

  /** True once the body has ended cleanly or failed: nothing more will arrive. */
  get settled(): boolean {
    return this.ended || this.failure !== undefined;
  }

  private notify(): void {
    const resolve = this.wake;
    this.wake = undefined;
    resolve?.();
  }

  /** The chunks in order; throws the connection's error after the chunks that came before it. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.read) throw new Error('a response body can be read only once');
    this.read = true;
    try {
      for (;;) {
        if (this.queue.length > 0) {
          const batch = this.queue;
          this.queue = [];
          this.queued = 0;
          // resume() may hand over the next chunks synchronously; they land in the fresh queue.
          if (this.controller.paused) this.controller.resume();
          for (const chunk of batch) yield chunk;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      if (!this.settled) this.destroy();
    }
  }

  /** Aborts the request (closing its connection) unless the body already ended; queued chunks are dropped. */
  destroy(): void {
    this.queue = [];
    this.queued = 0;
    if (this.settled) return;
    this.fail(new BodyAbandoned());
    if (!this.controller.aborted) this.controller.abort(new BodyAbandoned());
  }

  /** Reads and drops a body that is not wanted (an error, a redirect): small ones keep their connection, longer ones are aborted. */
  async dump(): Promise<void> {
    let bytes = 0;
    try {
      for await (const chunk of this) {
        bytes += chunk.length;
        if (bytes > DUMP_BYTES) break;
      }
    } catch {
      // A body that failed while being thrown away changes nothing.
    }
  }
}

/**
 * Destroys a Readable request body of a failed request (as undici's request()
 * does), so it releases what it holds now. The registry client's uploads are
 * async iterables instead (client.ts): undici ends those itself, leaving its
 * `for await` on the socket's error, which runs the generator's cleanup.
 */
function releaseRequestBody(body: Dispatcher.DispatchOptions['body'], error: Error): void {
  if (body instanceof Readable && !body.destroyed) {
    body.on('error', () => undefined);
    body.destroy(error);
  }
}

/** Options of one dispatched request: undici's, plus the signal that aborts it and a callback for when undici is done with it. */
export type DispatchRequest = Dispatcher.DispatchOptions & { signal?: AbortSignal | undefined; onDone?: () => void };

/**
 * Sends one request through `dispatcher` and resolves with its response once
 * the headers are in; the body follows through the returned ResponseBody.
 * Connection errors before the headers reject; after them they fail the body.
 */
export function dispatchRequest(dispatcher: Dispatcher, options: DispatchRequest): Promise<RegistryResponse> {
  const { signal, onDone, ...dispatchOptions } = options;
  let finished = false;
  // Once, whichever way the request ends: its body ended or failed, or it failed before any headers.
  const done = (): void => {
    if (finished) return;
    finished = true;
    onDone?.();
  };
  return new Promise<RegistryResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let body: ResponseBody | undefined;
    const onAbort = (): void => {
      const reason = signal?.reason instanceof Error ? signal.reason : new Error('request aborted');
      if (controller) controller.abort(reason);
      else reject(reason);
    };
    const stopListening = (): void => signal?.removeEventListener('abort', onAbort);
    if (signal?.aborted) {
      onAbort();
      done();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (signal?.aborted) started.abort(signal.reason instanceof Error ? signal.reason : new Error('request aborted'));
      },
      onResponseStart(started, statusCode, headers) {
        // 1xx answers (100 Continue) are informational; the final response follows.
        if (statusCode < 200) return;
        body = new ResponseBody(started, done);
        resolve({ statusCode, headers, body });
      },
      onResponseData(_controller, chunk) {
        body?.push(chunk);
      },
      onResponseEnd() {
        stopListening();
        body?.end();
        done();
      },
      onResponseError(_controller, error) {
        stopListening();
        releaseRequestBody(dispatchOptions.body, error);
        if (body) body.fail(error);
        else reject(error);
        done();
      },
    };
    try {
      dispatcher.dispatch(dispatchOptions, handler);
    } catch (error) {
      stopListening();
      const failure = error instanceof Error ? error : new Error(String(error));
      releaseRequestBody(dispatchOptions.body, failure);
      reject(failure);
      done();
    }
  });
}

/** Reads a response body into memory, refusing more than `limit` bytes (manifests, error bodies). */
export async function readCapped(
  body: AsyncIterable<Uint8Array> & { destroy(): void },
  limit: number,
  subject: string,
  code: 'MANIFEST_TOO_LARGE' | 'REGISTRY_ERROR' = 'MANIFEST_TOO_LARGE',
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) {
      body.destroy();
      throw new FerryError(code, `${subject}: response is larger than ${limit} bytes`, { limit });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
