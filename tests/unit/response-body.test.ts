/**
 * The network half of a blob read, against a real HTTP server on loopback
 * through a real undici pool: dispatchRequest's body hands out the bytes in
 * order and keeps the connection, hands out what came before a broken
 * connection and then throws its error, pauses the connection while its
 * reader lags (memory stays bounded), aborts the request when its reader
 * leaves early, and honours an abort signal.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatchRequest, type RegistryResponse } from '../../src-main/oci/registry/response-body.ts';

const CHUNK = 64 * 1024;
/** Far more than loopback's socket buffers hold, so a body that is never paused piles up in the reader's queue. */
const BIG_BYTES = 96 * 1024 * 1024;

let server: Server;
let origin: string;
let agent: Agent;
let connections = 0;
/** Set by /big: when the server last found the socket full (write() returned false). */
let blockedAt: number | undefined;
/** Set by every route once its response closed, and whether it was sent in full. */
let closed: Promise<boolean>;

function chunkOf(index: number, size: number): Buffer {
  return Buffer.alloc(size, index % 251);
}

/** Writes `total` bytes in CHUNK pieces, waiting for 'drain' whenever the socket is full. */
async function writeBig(response: ServerResponse, total: number): Promise<void> {
  for (let sent = 0; sent < total && !response.destroyed; sent += CHUNK) {
    if (!response.write(chunkOf(sent / CHUNK, CHUNK))) {
      blockedAt = Date.now();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          response.off('drain', done);
          response.off('close', done);
          resolve();
        };
        response.on('drain', done);
        response.on('close', done);
      });
    }
  }
  response.end();
}

function route(request: IncomingMessage, response: ServerResponse): void {
  closed = new Promise((resolve) => response.once('close', () => resolve(response.writableFinished)));
  if (request.url === '/chunks') {
    response.writeHead(200, { 'content-length': 6000 });
    response.write(chunkOf(1, 1000));
    setTimeout(() => response.end(Buffer.concat([chunkOf(2, 2000), chunkOf(3, 3000)])), 20);
  } else if (request.url === '/broken') {
    response.writeHead(200, { 'content-length': 10_000 });
    response.write(chunkOf(1, 500));
    setTimeout(() => request.socket.destroy(), 50);
  } else if (request.url === '/big') {
    response.writeHead(200, { 'content-length': BIG_BYTES });
    void writeBig(response, BIG_BYTES);
  } else if (request.url === '/slow-headers') {
    setTimeout(() => response.end('late'), 2_000);
  } else {
    response.writeHead(404).end();
  }
}

beforeEach(async () => {
  connections = 0;
  blockedAt = undefined;
  server = createServer(route);
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = new Agent({ connections: 1 });
});

afterEach(async () => {
  await agent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function get(path: string, signal?: AbortSignal): Promise<RegistryResponse> {
  return dispatchRequest(agent, { origin, path, method: 'GET', headers: {}, signal });
}

async function readAll(response: RegistryResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('dispatchRequest', () => {
  it('hands out the body in order, ends with it, and keeps the connection for the next request', async () => {
    const first = await get('/chunks');
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-length']).toBe('6000');
    expect((await readAll(first)).equals(Buffer.concat([chunkOf(1, 1000), chunkOf(2, 2000), chunkOf(3, 3000)]))).toBe(true);
    const second = await get('/chunks');
    expect((await readAll(second)).length).toBe(6000);
    expect(connections).toBe(1);
  });

  it('hands out what arrived before the connection broke, then throws a temporary socket error', async () => {
    const response = await get('/broken');
    const got: Buffer[] = [];
    const reading = (async () => {
      for await (const chunk of response.body) got.push(chunk);
    })();
    await expect(reading).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
    expect(Buffer.concat(got).equals(chunkOf(1, 500))).toBe(true);
  });

  it('pauses the connection while its reader lags, so unread bytes stay near a megabyte, and delivers every byte after', async () => {
    const response = await get('/big');
    const iterator: AsyncIterator<Buffer, undefined> = response.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    let bytes = first.done ? 0 : first.value.length;
    // Wait until the server has found the socket full and nothing moved for a while.
    for (let waited = 0; waited < 10_000 && (blockedAt === undefined || Date.now() - blockedAt < 300); waited += 50) await sleep(50);
    expect(blockedAt).toBeDefined();
    expect(response.body.queuedBytes).toBeLessThan(4 * 1024 * 1024);
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      bytes += next.value.length;
    }
    expect(bytes).toBe(BIG_BYTES);
    expect(await closed).toBe(true);
  });

  it('aborts the request when its reader leaves early, and the pool still serves the next request', async () => {
    const response = await get('/big');
    for await (const _chunk of response.body) break;
    expect(await closed).toBe(false);
    expect((await readAll(await get('/chunks'))).length).toBe(6000);
  });

  it('rejects with the signal’s reason when aborted before the headers, and refuses an already aborted signal', async () => {
    const controller = new AbortController();
    const pending = get('/slow-headers', controller.signal);
    setTimeout(() => controller.abort(new Error('job cancelled')), 50);
    await expect(pending).rejects.toThrow('job cancelled');
    await expect(get('/chunks', AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
  });

  it('fails the body with the signal’s reason when aborted while the body streams', async () => {
    const controller = new AbortController();
    const response = await get('/big', controller.signal);
    const reading = (async () => {
      let chunks = 0;
      for await (const _chunk of response.body) {
        chunks += 1;
        if (chunks === 1) controller.abort(new Error('job cancelled'));
      }
    })();
    await expect(reading).rejects.toThrow('job cancelled');
  });
});
