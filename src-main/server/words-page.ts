/**
 * Browser mode's answers to a person rather than to the renderer: when the
 * page is opened without its session token (or with the token of an earlier
 * run), at an address Ferry has no page for, or under a name that is not
 * Ferry's, the browser shows a short page in words saying what happened and
 * where the full address is (the terminal `ferry ui` or `npm start` runs in),
 * instead of a JSON error body. The API keeps answering JSON: its client is
 * the renderer. The pages carry no script and no style (the CSP allows
 * neither inline), nothing from the request but its path, escaped, and never
 * the token.
 */
import type { ServerResponse } from 'node:http';
import { escapeHtml } from '../../src-shared/html-text.ts';

/** What one page says: a heading, then paragraphs of plain text (escaped here, never HTML; `backticks` mark a command). */
export interface WordsPage {
  status: number;
  title: string;
  paragraphs: string[];
}

/** A paragraph's text as HTML: escaped, with `backticked` commands set as code. */
function paragraphHtml(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** The whole HTML document of a words page. */
export function renderWordsPage(page: WordsPage): string {
  const paragraphs = page.paragraphs.map((text) => `    <p>${paragraphHtml(text)}</p>\n`).join('');
  return (
    '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n' +
    '    <meta name="viewport" content="width=device-width, initial-scale=1" />\n    <meta name="color-scheme" content="light dark" />\n' +
    `    <title>${escapeHtml(page.title)} · Ferry</title>\n  </head>\n  <body>\n  <main>\n    <h1>${escapeHtml(page.title)}</h1>\n${paragraphs}  </main>\n  </body>\n</html>\n`
  );
}

/** Sends a words page (the caller has set the security headers). HEAD gets the headers only. */
export function sendWordsPage(res: ServerResponse, page: WordsPage, headOnly = false): void {
  const html = renderWordsPage(page);
  res.writeHead(page.status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(Buffer.byteLength(html)) });
  res.end(headOnly ? undefined : html);
}

/** Where the printed address is and how it looks, said the same way on every page. */
function whereTheAddressIs(origin: string): string[] {
  return [
    `The full address, with its token, is printed in the terminal where \`ferry ui\` or \`npm start\` runs, on the line "Ferry is running at ${origin}/?token=…". Copy that whole line's address into the address bar.`,
    'If that terminal is closed or Ferry has stopped, start it again: every start prints a new address, and the addresses of earlier starts stop working.',
  ];
}

/**
 * The page for the app opened without a usable session token: the address has
 * none (typed by hand, or cut short when copied), or the token of an earlier
 * start of Ferry (the renderer comes here when the API refuses its token).
 */
export function sessionNeededPage(origin: string): WordsPage {
  return {
    status: 401,
    title: 'Open Ferry with its full address',
    paragraphs: [
      "Ferry opens only at the full address it printed, which carries a session token. This address has none, or the token of an earlier start of Ferry. The token keeps other programs and other users of this computer out of Ferry's jobs and settings.",
      ...whereTheAddressIs(origin),
    ],
  };
}

/** The page for a path Ferry serves nothing at (a typo, an old bookmark). */
export function notFoundPage(origin: string): WordsPage {
  return { status: 404, title: 'Ferry has no page here', paragraphs: ['Nothing is served at this path.', ...whereTheAddressIs(origin)] };
}

/** The page for a path refused because it would reach outside the app's own files. */
export function refusedPathPage(status: number, origin: string): WordsPage {
  return { status, title: 'Ferry refused this path', paragraphs: ["The path points outside the app's own files, so Ferry does not serve it.", ...whereTheAddressIs(origin)] };
}

/** The page for a method other than GET or HEAD on a page's path. */
export function wrongMethodPage(origin: string): WordsPage {
  return { status: 405, title: 'Ferry only shows pages here', paragraphs: ["The app's pages are only read, never sent to.", ...whereTheAddressIs(origin)] };
}

/**
 * The page for a request under a name that is not Ferry's (DNS rebinding, a
 * mistyped host): it says which names work and names nothing of the request.
 */
export function foreignHostPage(origin: string): WordsPage {
  return {
    status: 403,
    title: "This address is not Ferry's",
    paragraphs: [
      `Ferry answers only at ${origin} (or the same port on localhost), so a page under another name cannot reach it.`,
      `Open the address printed in the terminal where \`ferry ui\` or \`npm start\` runs: it starts with ${origin}/?token=.`,
    ],
  };
}
