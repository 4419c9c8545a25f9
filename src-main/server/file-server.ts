/**
 * `ferry serve --files DIR`: a small read-only HTTP file server, so nodes on
 * the disconnected side can use what `ferry extract` wrote (a Debian or RPM
 * repository for apt-get or dnf). GET and HEAD only; a folder is listed as a
 * plain HTML page; every file is opened through base/safe-file.ts, so a
 * symlink at any level, a FIFO or a device under DIR is never read, and a
 * `..`, backslash or NUL in the path is refused before the disk is touched.
 * A single byte range is honoured (apt resumes with it). Issue 15's `ferry
 * serve` registry will sit beside this: `--files` keeps that addition clean.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { entryKind, listBundleFolder, safeFileProblem } from '../base/safe-file.ts';
import { streamBundleFile } from '../base/safe-read.ts';

/** Where and what to serve. */
export interface FileServerOptions {
  /** The folder served as `/`. */
  root: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Told every answered request (method, path as asked, status), for the command's log. */
  onRequest?: (line: { method: string; path: string; status: number }) => void;
}

/** A running file server. */
export interface FileServer {
  /** `http://HOST:PORT/` as clients reach it. */
  url: string;
  close(): Promise<void>;
}

/** The request path as folder-relative components, or undefined for a path that could leave the folder. */
function requestParts(rawPath: string): string[] | undefined {
  const path = rawPath.split('?')[0] ?? '';
  const parts: string[] = [];
  for (const encoded of path.split('/')) {
    if (encoded === '') continue;
    let part: string;
    try {
      part = decodeURIComponent(encoded);
    } catch {
      return undefined;
    }
    if (part === '.') continue;
    if (part === '..' || part.includes('/') || part.includes('\\') || part.includes('\0')) return undefined;
    parts.push(part);
  }
  return parts;
}

/** Text safe inside HTML. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One byte range of `size` bytes (`bytes=A-B`, `bytes=A-`, `bytes=-N`), 'bad' when unsatisfiable, undefined when absent or not a single range. */
function byteRange(header: string | undefined, size: number): { start: number; end: number } | 'bad' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return 'bad';
  let start: number;
  let end: number;
  if (from === '') {
    const suffix = Number(to);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  return start > end || start >= size ? 'bad' : { start, end };
}

/** Answers one request; never throws (a failure becomes a status). */
async function answer(root: string, request: IncomingMessage, response: ServerResponse): Promise<number> {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('read-only: GET and HEAD only\n');
    return 405;
  }
  const parts = requestParts(request.url ?? '/');
  if (parts === undefined) {
    response.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('bad path\n');
    return 400;
  }
  const relative = parts.join('/');
  const head = request.method === 'HEAD';
  try {
    const kind = relative === '' ? { kind: 'directory' as const, size: 0 } : await entryKind(root, relative, { code: 'NOT_FOUND' });
    if (kind === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return 404;
    }
    if (kind.kind === 'directory') {
      if (!(request.url ?? '/').split('?')[0]?.endsWith('/')) {
        response.writeHead(301, { Location: `/${parts.map(encodeURIComponent).join('/')}/` }).end();
        return 301;
      }
      const entries = (await listBundleFolder(root, relative, { code: 'NOT_FOUND' })) ?? [];
      const links = entries
        .filter((e) => e.kind === 'file' || e.kind === 'directory')
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((e) => {
          const name = e.kind === 'directory' ? `${e.name}/` : e.name;
          return `<li><a href="${escapeHtml(encodeURIComponent(e.name))}${e.kind === 'directory' ? '/' : ''}">${escapeHtml(name)}</a></li>`;
        });
      const body = Buffer.from(`<!doctype html><meta charset="utf-8"><title>/${escapeHtml(relative)}</title><ul>\n${links.join('\n')}\n</ul>\n`);
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': body.length, 'Content-Security-Policy': "default-src 'none'" });
      response.end(head ? undefined : body);
      return 200;
    }
    if (kind.kind !== 'file') {
      response.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not a regular file\n');
      return 403;
    }
    const range = byteRange(request.headers.range, kind.size);
    if (range === 'bad') {
      response.writeHead(416, { 'Content-Range': `bytes */${kind.size}` }).end();
      return 416;
    }
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : kind.size;
    // Opened before the headers go out, so a symlink or a FIFO is refused with a status, not a broken body.
    const chunks = streamBundleFile(root, relative, { code: 'NOT_FOUND', start, length });
    const first = head ? undefined : await chunks.next();
    const status = range ? 206 : 200;
    response.writeHead(status, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': length,
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${kind.size}` } : {}),
    });
    if (head || !first || first.done) {
      response.end();
      await chunks.return(undefined);
      return status;
    }
    if (!response.write(first.value)) await new Promise((resolve) => response.once('drain', resolve));
    for await (const chunk of chunks) {
      if (!response.write(chunk)) await new Promise((resolve) => response.once('drain', resolve));
    }
    response.end();
    return status;
  } catch (error) {
    const problem = safeFileProblem(error);
    const status = problem === 'missing' ? 404 : problem === 'bad-name' ? 400 : problem === 'io' || problem === undefined ? 500 : 403;
    if (!response.headersSent)
      response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(status === 403 ? 'refused: not a regular file inside the served folder\n' : `${status}\n`);
    else response.destroy();
    return status;
  }
}

/** Starts serving `root` read-only; resolves once it listens. */
export async function startFileServer(options: FileServerOptions): Promise<FileServer> {
  const root = resolve(options.root);
  const top = await listBundleFolder(root, '', { code: 'INVALID_ARGUMENT' }).catch((error: unknown) => {
    throw new FerryError('INVALID_ARGUMENT', `cannot serve ${root}: ${error instanceof Error ? error.message : String(error)}`, { path: root });
  });
  if (top === undefined) throw new FerryError('INVALID_ARGUMENT', `cannot serve ${root}: it does not exist`, { path: root });
  const server: Server = createServer((request, response) => {
    void answer(root, request, response).then((status) => options.onRequest?.({ method: request.method ?? '?', path: request.url ?? '', status }));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new FerryError('INVALID_ARGUMENT', `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`, { host: options.host, port: options.port })),
    );
    server.listen(options.port, options.host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
