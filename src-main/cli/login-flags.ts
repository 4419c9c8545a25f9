/**
 * The registry login flags, with the password kept off the command line: a
 * password in argv is readable by every local user in `ps` and
 * /proc/PID/cmdline for the whole job. `--password-stdin` (as `docker login`
 * and `podman login` take it) and `--creds-file` carry it instead; `--creds
 * USER:PASSWORD` still works but warns. In a copy each side has its own
 * flags (`--src-…`, `--dest-…`); standard input holds one password, so only
 * one flag may ask for it.
 */
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { FerryError } from '../../src-shared/errors.ts';
import type { Login } from '../usecases/access.ts';
import type { CommandIo, FlagSpec, ParsedArgs } from './args.ts';

/** Which side's flags: '' for both sides, or 'src-' / 'dest-'. */
export type FlagPrefix = '' | 'src-' | 'dest-';

/** Standard input or a credentials file larger than this is not a password. */
const MAX_SECRET_BYTES = 64 * 1024;

/** The login flags of one side. */
export function loginFlags(prefix: FlagPrefix, side: string): Record<string, FlagSpec> {
  return {
    [`${prefix}creds`]: {
      type: 'string',
      value: 'USER[:PASSWORD]',
      description: `login${side}; wins over any auth file and is never logged. A password here is visible to other users in the process list: give USER alone with --${prefix}password-stdin, or use --${prefix}creds-file`,
    },
    [`${prefix}username`]: { type: 'string', value: 'USER', description: `user name${side} for --${prefix}password-stdin` },
    [`${prefix}password-stdin`]: { type: 'boolean', description: `read the password${side} from standard input, to its end (one trailing newline is dropped)` },
    [`${prefix}creds-file`]: { type: 'string', value: 'FILE', description: `a file holding USER:PASSWORD${side}; refused if other users can read it (chmod 600)` },
  };
}

/** How one side's login is to be had, before any stdin or file is read. */
type LoginPlan = { kind: 'none' } | { kind: 'inline'; flag: string; login: Login } | { kind: 'stdin'; flag: string; username: string } | { kind: 'file'; flag: string; path: string };

/** The login flags a side uses: its own when it has any, else the ones without prefix. */
function planFor(values: ParsedArgs['values'], prefix: FlagPrefix): LoginPlan {
  const names = ['creds', 'username', 'password-stdin', 'creds-file'];
  const own = prefix !== '' && names.some((name) => values[`${prefix}${name}`] !== undefined);
  const p = own ? prefix : '';
  const creds = values[`${p}creds`];
  const username = values[`${p}username`];
  const stdin = values[`${p}password-stdin`] === true;
  const file = values[`${p}creds-file`];
  const given = [typeof creds === 'string', typeof username === 'string' && !stdin, stdin, typeof file === 'string'].filter(Boolean).length;
  if (typeof file === 'string') {
    if (given > 1) throw new FerryError('INVALID_ARGUMENT', `--${p}creds-file holds the whole login: leave out --${p}creds, --${p}username and --${p}password-stdin`);
    return { kind: 'file', flag: `--${p}creds-file`, path: file };
  }
  if (stdin) {
    if (typeof creds === 'string' && typeof username === 'string') throw new FerryError('INVALID_ARGUMENT', `give the user name once: --${p}username USER or --${p}creds USER`);
    const user = typeof username === 'string' ? username : typeof creds === 'string' ? creds : undefined;
    if (user === undefined || user === '') throw new FerryError('INVALID_ARGUMENT', `--${p}password-stdin needs --${p}username USER (or --${p}creds USER)`);
    if (user.includes(':')) throw new FerryError('INVALID_ARGUMENT', `with --${p}password-stdin, --${p}creds takes the user name alone; the password comes from standard input`);
    return { kind: 'stdin', flag: `--${p}password-stdin`, username: user };
  }
  if (typeof username === 'string') throw new FerryError('INVALID_ARGUMENT', `--${p}username USER needs --${p}password-stdin (the password from standard input)`);
  if (typeof creds === 'string') {
    const colon = creds.indexOf(':');
    if (colon <= 0) throw new FerryError('INVALID_ARGUMENT', `--${p}creds must be USER:PASSWORD, or USER alone with --${p}password-stdin`);
    return { kind: 'inline', flag: `--${p}creds`, login: { username: creds.slice(0, colon), password: creds.slice(colon + 1) } };
  }
  return { kind: 'none' };
}

/** Reads a stream to its end, refusing more than a password could be (also `ferry serve --password-stdin`). */
export async function readAll(stream: NodeJS.ReadableStream, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += buffer.length;
    if (size > MAX_SECRET_BYTES) throw new FerryError('INVALID_ARGUMENT', `${what} holds more than ${MAX_SECRET_BYTES / 1024} KiB; it should hold only the password`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Drops one trailing newline (`\n` or `\r\n`), as `docker login --password-stdin` does. */
export function withoutTrailingNewline(text: string): string {
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

/**
 * The text of a file that holds a secret (a login, a key's passphrase): a
 * regular file only its owner can read, no larger than a secret could be.
 * Refusals name the flag and the file, never a byte of its content.
 */
export async function readPrivateFile(path: string, flag: string): Promise<string> {
  // O_NONBLOCK: a FIFO given by mistake is refused below instead of waiting for a writer forever.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: unknown) => {
    throw new FerryError('INVALID_ARGUMENT', `${flag} ${path}: cannot open it (${error instanceof Error && 'code' in error ? String(error.code) : 'error'})`, { path });
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FerryError('INVALID_ARGUMENT', `${flag} ${path} is not a regular file`, { path });
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new FerryError('INVALID_ARGUMENT', `${flag} ${path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); make it private with chmod 600 ${path}`, { path });
    }
    if (info.size > MAX_SECRET_BYTES) throw new FerryError('INVALID_ARGUMENT', `${flag} ${path} is larger than a secret (${info.size} bytes)`, { path });
    return (await handle.readFile()).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The login in a credentials file: a private file (readPrivateFile) holding USER:PASSWORD. */
async function readCredsFile(path: string, flag: string): Promise<Login> {
  const text = withoutTrailingNewline(await readPrivateFile(path, flag));
  const colon = text.indexOf(':');
  if (colon <= 0 || text.includes('\n')) throw new FerryError('INVALID_ARGUMENT', `${flag} ${path} must hold one line USER:PASSWORD`, { path });
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * The login of each side the command has (one side, or a copy's two), from
 * its flags: standard input is read at most once, and only when one flag
 * asks for it; two sides asking for it by different flags is refused by name.
 * A password typed into --creds gets a warning on `io.err`, never echoing it.
 */
export async function resolveLogins<P extends FlagPrefix>(values: ParsedArgs['values'], prefixes: readonly P[], io: CommandIo): Promise<Record<P, Login | undefined>> {
  const plans = prefixes.map((prefix) => [prefix, planFor(values, prefix)] as const);
  const stdinFlags = [...new Set(plans.flatMap(([, plan]) => (plan.kind === 'stdin' ? [plan.flag] : [])))];
  if (stdinFlags.length > 1) {
    throw new FerryError('INVALID_ARGUMENT', `${stdinFlags.join(' and ')} both ask for standard input, which holds one password: give the other side's login with its --…-creds-file or an auth file`);
  }
  let stdinPassword: string | undefined;
  if (stdinFlags.length === 1) {
    // process.stdin is touched only here, so no other command holds the terminal's input open.
    stdinPassword = withoutTrailingNewline(await readAll(io.input ?? process.stdin, 'standard input'));
    if (stdinPassword === '') throw new FerryError('INVALID_ARGUMENT', `${stdinFlags[0] ?? '--password-stdin'}: standard input held no password`);
  }
  const warned = new Set<string>();
  const logins = {} as Record<P, Login | undefined>;
  for (const [prefix, plan] of plans) {
    if (plan.kind === 'none') logins[prefix] = undefined;
    else if (plan.kind === 'stdin') logins[prefix] = { username: plan.username, password: stdinPassword ?? '' };
    else if (plan.kind === 'file') logins[prefix] = await readCredsFile(plan.path, plan.flag);
    else {
      if (plan.login.password !== '' && !warned.has(plan.flag)) {
        warned.add(plan.flag);
        io.err.write(
          `ferry: warning: ${plan.flag} puts the password on the command line, visible to other users in the process list; use ${plan.flag.replace(/creds$/, 'password-stdin')} or ${plan.flag}-file\n`,
        );
      }
      logins[prefix] = plan.login;
    }
  }
  return logins;
}
