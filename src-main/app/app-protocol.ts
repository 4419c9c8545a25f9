/**
 * The `app://ferry` origin the Electron window loads the renderer from,
 * instead of file:// (Electron security checklist item 18:
 * https://www.electronjs.org/docs/latest/tutorial/security#18-avoid-usage-of-the-file-protocol-and-prefer-usage-of-custom-protocols).
 * A file:// page may read any file the user can; this origin answers only
 * for the files of dist/renderer, through the same resolver and headers as
 * browser mode (../server/static-files.ts).
 *
 * Nothing here imports `electron` at run time (only its types): main.ts
 * registers the scheme and hands `createAppProtocolHandler` to
 * `protocol.handle`, and tests call the handler with plain Fetch API Requests.
 */
import { readFile } from 'node:fs/promises';
import type { CustomScheme } from 'electron';
import { lookupStatic, realRoot, SECURITY_HEADERS } from '../server/static-files.ts';

/** The scheme, registered as privileged before the app is ready. */
export const APP_SCHEME = 'app';
/** The one host the scheme answers for; any other host gets 404. */
export const APP_HOST = 'ferry';
/** The page's origin: what the CSP's 'self' means in the desktop app. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The one page the window loads and the only one it may navigate to. */
export const APP_PAGE_URL = `${APP_ORIGIN}/index.html`;

/**
 * The scheme's privileges, for `protocol.registerSchemesAsPrivileged`:
 * standard (relative URLs and web storage work as on http), secure (a secure
 * context, like https) and fetch-able; no CSP bypass, no service workers, and
 * no corsEnabled (which would let other origins read these files).
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/**
 * Whether a URL is the app's own page (its fragment ignored), so that IPC
 * sender checks and navigation limits compare against one definition.
 */
export function isAppPage(url: string): boolean {
  return url.split('#')[0] === APP_PAGE_URL;
}

/**
 * Whether a request may leave the page at all: only `app://ferry/…` (and
 * devtools: for the inspector). Everything else, http(s), file:, other
 * schemes and other `app://` hosts, is cancelled, so the page cannot reach
 * a registry or the disk; the main process does that work.
 */
export function isAllowedRequest(url: string): boolean {
  return url.startsWith(`${APP_ORIGIN}/`) || url.startsWith('devtools:');
}

/**
 * Splits an `app:` URL into host and raw path without normalising it: the
 * WHATWG parser would quietly turn `/../x` and `/%2e%2e/x` into `/x`, and the
 * resolver should see (and refuse) what was asked for.
 */
export function splitAppUrl(url: string): { host: string; path: string } | undefined {
  const match = /^app:\/\/([^/?#]*)([^?#]*)/i.exec(url);
  if (!match) return undefined;
  return { host: (match[1] ?? '').toLowerCase(), path: match[2] === '' || match[2] === undefined ? '/' : match[2] };
}

function refusal(status: 400 | 403 | 404 | 405, text: string, extra: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...extra } });
}

/**
 * Builds the `protocol.handle('app', …)` handler serving `rendererDir`:
 * GET and HEAD only, host `ferry` only, paths through the shared resolver
 * (traversal refused, unknown files 404), each file with its content type and
 * the same security headers browser mode sends.
 */
export async function createAppProtocolHandler(rendererDir: string): Promise<(request: Request) => Promise<Response>> {
  const root = await realRoot(rendererDir);
  return async (request) => {
    const target = splitAppUrl(request.url);
    if (target === undefined || target.host !== APP_HOST) return refusal(404, 'not found');
    if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405, 'static files are read with GET', { Allow: 'GET, HEAD' });
    const found = await lookupStatic(root, target.path);
    if (found.kind === 'status') return refusal(found.status, found.status === 404 ? 'not found' : 'path refused');
    const headers = { ...SECURITY_HEADERS, 'Content-Type': found.type };
    if (request.method === 'HEAD') return new Response(null, { status: 200, headers: { ...headers, 'Content-Length': String(found.size) } });
    try {
      // Whole files, not streams: the renderer's files are small, and a read error then becomes a clean 404.
      const bytes = await readFile(found.path);
      return new Response(bytes, { status: 200, headers: { ...headers, 'Content-Length': String(bytes.length) } });
    } catch {
      // Removed between the lookup and the read (a rebuild while the app runs).
      return refusal(404, 'not found');
    }
  };
}
