/**
 * Opening browser mode in the desktop's browser without putting the session
 * token in any process's argv, which every local user can read
 * (/proc/PID/cmdline, `ps`). Jupyter's `*-open.html` is the model: a small
 * HTML file, readable by this user only, that sends the browser on to the
 * tokened address; the opener is given the file's path, never the address.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FerryError } from '../../src-shared/errors.ts';
import { defaultDataFolder } from '../base/data-folder.ts';

/**
 * The private folder redirect files are written in: `$XDG_RUNTIME_DIR/ferry`
 * (a per-user folder the login session owns, cleared at logout) when there is
 * one, else `runtime` in Ferry's per-user data folder.
 */
export function redirectFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (platform !== 'win32' && platform !== 'darwin' && runtime !== undefined && isAbsolute(runtime)) return join(runtime, 'ferry');
  return join(defaultDataFolder(env, platform, home), 'runtime');
}

/** A written redirect file: where it is, and how to remove it when the server stops. */
export interface RedirectFile {
  path: string;
  remove(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Creates `folder` 0700, or makes sure an existing one is a real directory of this user that no one else can enter. */
async function privateFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const info = await lstat(folder);
  if (!info.isDirectory()) throw new FerryError('IO_ERROR', `${folder} is not a folder (a symlink?); browser mode will not write its address there`, { path: folder });
  if (process.platform === 'win32') return;
  if (typeof process.getuid === 'function' && info.uid !== process.getuid())
    throw new FerryError('IO_ERROR', `${folder} belongs to another user; browser mode will not write its address there`, { path: folder });
  if ((info.mode & 0o077) !== 0) await chmod(folder, 0o700);
}

/**
 * Writes the redirect page for `url` as a new 0600 file in a 0700 `folder`
 * (created exclusively, never through a symlink): it exists so the browser
 * can be handed a file path instead of the tokened address.
 */
export async function writeRedirectFile(url: string, folder: string = redirectFolder()): Promise<RedirectFile> {
  await privateFolder(folder);
  const path = join(folder, `ferry-ui-${process.pid}-${randomBytes(6).toString('hex')}-open.html`);
  const target = escapeHtml(url);
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="referrer" content="no-referrer">',
    `<meta http-equiv="refresh" content="0;url=${target}">`,
    '<title>Opening Ferry</title>',
    '</head>',
    `<body><p>Opening Ferry… If nothing happens, <a href="${target}">open Ferry</a>.</p></body>`,
    '</html>',
    '',
  ].join('\n');
  // O_EXCL: a new file, never one someone placed there; O_NOFOLLOW (absent on Windows): never through a symlink.
  const noFollow = process.platform === 'win32' ? 0 : constants.O_NOFOLLOW;
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | noFollow, 0o600);
  try {
    await handle.writeFile(html, 'utf8');
  } finally {
    await handle.close();
  }
  return { path, remove: () => rm(path, { force: true }) };
}

/**
 * The command that opens a file in the desktop's browser: `$BROWSER` when set
 * (as xdg-open and Python's webbrowser honour it: the first of a
 * colon-separated list, `%s` replaced by the file or else appended), else the
 * platform's opener. Only the file's `file:` URL is ever put in the arguments.
 */
export function openerCommand(fileUrl: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): [string, string[]] {
  const browser = (env.BROWSER ?? '').split(platform === 'win32' ? ';' : ':')[0]?.trim() ?? '';
  if (browser !== '') {
    const [command = browser, ...rest] = browser.split(/\s+/);
    return [command, rest.some((arg) => arg.includes('%s')) ? rest.map((arg) => arg.replaceAll('%s', fileUrl)) : [...rest, fileUrl]];
  }
  if (platform === 'darwin') return ['open', [fileUrl]];
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""', fileUrl]];
  return ['xdg-open', [fileUrl]];
}

/** Opens a redirect file in the browser; failing to is not an error (the address is printed). */
export function openInBrowser(file: RedirectFile): void {
  const [command, args] = openerCommand(pathToFileURL(file.path).href);
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine (a headless import station): the printed address is enough.
  }
}
