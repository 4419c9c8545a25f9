/**
 * Serving the built renderer in browser mode: files from one folder only,
 * with a path that is resolved and checked to stay inside it (no `..`, no
 * symlink out), and a content type from a short allowlist.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

/** The types a Vite build emits; anything else is served as bytes (with nosniff, never executed). */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** What a static lookup found: a file to stream, or the status to answer. */
export type StaticLookup = { kind: 'file'; path: string; size: number; type: string } | { kind: 'status'; status: 400 | 403 | 404 };

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/** Maps a URL path to a file inside `rootDir` (already a real path), refusing anything that leaves it. */
export async function lookupStatic(rootDir: string, urlPath: string): Promise<StaticLookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { kind: 'status', status: 400 };
  }
  if (decoded.includes('\0')) return { kind: 'status', status: 400 };
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const candidate = resolve(rootDir, relative);
  if (!inside(rootDir, candidate)) return { kind: 'status', status: 403 };
  try {
    // A symlink inside the folder must not lead out of it either.
    const real = await realpath(candidate);
    if (!inside(rootDir, real)) return { kind: 'status', status: 403 };
    const info = await stat(real);
    if (!info.isFile()) return { kind: 'status', status: 404 };
    return { kind: 'file', path: real, size: info.size, type: CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return { kind: 'status', status: 404 };
  }
}

/** Streams a looked-up file (headers already set by the caller). */
export function sendFile(res: ServerResponse, file: { path: string; size: number; type: string }, headOnly: boolean): void {
  res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': String(file.size) });
  if (headOnly) {
    res.end();
    return;
  }
  const stream = createReadStream(file.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** The renderer folder as a real path, so every later containment check compares like with like. */
export async function realRoot(dir: string): Promise<string> {
  return realpath(resolve(dir));
}
