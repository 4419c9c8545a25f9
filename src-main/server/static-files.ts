/**
 * Serving the built renderer from one folder, shared by browser mode's HTTP
 * server and the Electron app's `app://ferry` protocol: one resolver decides
 * which file a URL path names (refusing anything that could leave the
 * folder), one table gives its content type, and `lookupStatic` adds the
 * file-system checks (symlinks out, missing files). Nothing here imports
 * `electron`, so all of it is unit-tested in Node.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

/** The types a Vite build emits; anything else is served as bytes (with nosniff, never executed). */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
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

/**
 * The renderer's security headers: its strict CSP, no sniffing, no framing,
 * no Referer (browser mode's token must not leak) and no caching. Browser
 * mode sends them with every answer and `app://ferry` with every file, so
 * the page runs under the same policy in both front ends.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

/** The fallback type: bytes a browser will neither render nor run (both front ends also send nosniff). */
export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/** The Content-Type of a served file, from its extension alone, so both front ends label every file the same way. */
export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? UNKNOWN_CONTENT_TYPE;
}

/** Why a URL path was refused: 400 for a malformed or suspicious path, 403 for one that would leave the folder. */
export type StaticRefusal = { kind: 'refused'; status: 400 | 403; reason: string };

/** What the resolver decided: the absolute path of a candidate file inside the root, or a refusal. */
export type StaticResolution = { kind: 'path'; path: string } | StaticRefusal;

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/**
 * Maps a raw URL path (the part after the host, before `?`; not normalised
 * by a URL parser, so `..` is still visible) to a path inside `rootDir`,
 * without touching the disk. It exists so that browser mode and `app://`
 * refuse exactly the same things: undecodable escapes, NUL, backslashes,
 * empty segments (`//etc/passwd`), `.` and `..` segments (also when written
 * `%2e%2e` or `..%2f`), and colons (Windows drives and alternate data
 * streams). `/` names index.html. `rootDir` must be absolute.
 */
export function resolveStaticPath(rootDir: string, urlPath: string): StaticResolution {
  if (!urlPath.startsWith('/')) return { kind: 'refused', status: 400, reason: 'not an absolute URL path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { kind: 'refused', status: 400, reason: 'malformed percent-escape' };
  }
  if (decoded.includes('\0')) return { kind: 'refused', status: 400, reason: 'NUL in path' };
  if (decoded.includes('\\')) return { kind: 'refused', status: 400, reason: 'backslash in path' };
  if (decoded === '/') return { kind: 'path', path: resolve(rootDir, 'index.html') };
  const segments = decoded.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '..' || segment === '.') return { kind: 'refused', status: 403, reason: 'dot segment in path' };
    if (segment === '') return { kind: 'refused', status: 400, reason: 'empty segment in path' };
    if (segment.includes(':')) return { kind: 'refused', status: 400, reason: 'colon in path' };
  }
  const candidate = resolve(rootDir, ...segments);
  // Unreachable after the checks above; kept so a future relaxation of them cannot open the folder.
  if (!inside(rootDir, candidate) || candidate === rootDir) return { kind: 'refused', status: 403, reason: 'path leaves the folder' };
  return { kind: 'path', path: candidate };
}

/** What a static lookup found: a file to serve, or the status to answer. */
export type StaticLookup = { kind: 'file'; path: string; size: number; type: string } | { kind: 'status'; status: 400 | 403 | 404 };

/**
 * Resolves a URL path with `resolveStaticPath`, then checks the disk: the
 * file must exist, be a regular file, and not be a symlink that leads out of
 * `rootDir` (which must already be a real path, see `realRoot`).
 */
export async function lookupStatic(rootDir: string, urlPath: string): Promise<StaticLookup> {
  const resolved = resolveStaticPath(rootDir, urlPath);
  if (resolved.kind === 'refused') return { kind: 'status', status: resolved.status };
  try {
    const real = await realpath(resolved.path);
    if (!inside(rootDir, real)) return { kind: 'status', status: 403 };
    const info = await stat(real);
    if (!info.isFile()) return { kind: 'status', status: 404 };
    return { kind: 'file', path: real, size: info.size, type: contentTypeFor(real) };
  } catch {
    return { kind: 'status', status: 404 };
  }
}

/** Streams a looked-up file over HTTP (security headers already set by the caller). */
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
