/**
 * Runs docker-credential-helpers programs (`docker-credential-NAME get |
 * store | erase`), the one way Ferry reaches the system keychains: macOS
 * Keychain (osxkeychain), Windows Credential Manager (wincred), the Secret
 * Service of GNOME/KDE (secretservice) and pass. Registry logins read through
 * `credHelpers`/`credsStore` (credentials.ts) and `ferry serve`'s own password
 * (usecases/serve-keychain.ts) share it, so both run helpers the same way:
 * without a shell, with a timeout, output capped.
 *
 * Protocol: https://github.com/docker/docker-credential-helpers#development
 *
 * A secret never enters an error: a failing `get` is reported by helper,
 * server URL and exit status only (a confused helper may print the secret),
 * and a failing `store`/`erase` shows the helper's own words with the
 * secret it was given cut out.
 */
import { execFile } from 'node:child_process';
import { FerryError } from '../../../src-shared/errors.ts';
import { errnoCode } from '../../base/fs-errors.ts';

/** A login as a helper holds it: the protocol's Username and Secret (`<token>` as Username marks an identity token). */
export interface HelperCredential {
  username: string;
  secret: string;
}

/** docker-credential-helpers' timeout is ours too: a helper waiting on a GUI prompt must not hang a job forever. */
const HELPER_TIMEOUT_MS = 10_000;
/** Helpers answer a few hundred bytes; anything near this is broken output, not credentials. */
const HELPER_MAX_OUTPUT_BYTES = 1024 * 1024;
/** How much of a failing store/erase's own message an error repeats. */
const HELPER_MESSAGE_CHARS = 300;
/** A helper name becomes part of an executable name, so a path separator must never get in. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** True when `name` can be a helper's NAME in `docker-credential-NAME` (no path separator, no leading dot or dash). */
export function isCredentialHelperName(name: string): boolean {
  return HELPER_NAME.test(name);
}

/** The program a helper name runs, `docker-credential-NAME`; a name that could reach another path is refused. */
export function credentialHelperProgram(name: string): string {
  if (!isCredentialHelperName(name))
    throw new FerryError('INVALID_ARGUMENT', `credential helper name "${name}" is not a helper name (letters, digits, ".", "_", "-"; the program is docker-credential-NAME)`, { helper: name });
  return `docker-credential-${name}`;
}

type Verb = 'get' | 'store' | 'erase';

/** One finished run: stdout and stderr, or the failure already turned into words. */
type Outcome = { ok: true; stdout: string } | { ok: false; stdout: string; stderr: string; why: string };

/** Runs `program verb` with `input` on standard input; a missing program or a timeout is thrown, a failing exit is returned. */
function run(program: string, verb: Verb, input: string, env: NodeJS.ProcessEnv, fail: (why: string) => FerryError): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = execFile(program, [verb], { env, timeout: HELPER_TIMEOUT_MS, maxBuffer: HELPER_MAX_OUTPUT_BYTES, encoding: 'utf8', windowsHide: true }, (error, stdout, stderr) => {
      if (error === null) return resolve({ ok: true, stdout });
      const code = errnoCode(error);
      if (code === 'ENOENT') return reject(fail('was not found on PATH'));
      if (code === 'EACCES') return reject(fail('is not executable'));
      // Node sets `signal` to null (not undefined, as its type says) when the helper exited by itself.
      if (error.killed === true || typeof error.signal === 'string') {
        return reject(fail(error.signal === 'SIGTERM' ? `timed out after ${HELPER_TIMEOUT_MS / 1000}s` : `was killed by ${String(error.signal)}`));
      }
      resolve({ ok: false, stdout, stderr, why: `failed with exit code ${String(error.code)}` });
    });
    // A helper that exits before reading stdin makes the write fail with EPIPE; the exit status reports it.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** The protocol reports a missing entry as a failing exit with this text (older helpers: an empty Secret). */
function saysNotFound(outcome: Outcome): boolean {
  return !outcome.ok && /credentials not found/i.test(`${outcome.stdout}\n${outcome.stderr}`);
}

/**
 * `docker-credential-NAME get` for `serverUrl`: the entry, or undefined when
 * the helper holds none. Helper output is withheld from errors on purpose.
 */
export async function credentialHelperGet(name: string, serverUrl: string, env: NodeJS.ProcessEnv): Promise<HelperCredential | undefined> {
  const program = credentialHelperProgram(name);
  const fail = (why: string): FerryError => new FerryError('CREDENTIALS_ERROR', `credential helper ${program} ${why} (server ${serverUrl})`, { helper: program, serverUrl });
  const outcome = await run(program, 'get', serverUrl, env, fail);
  if (saysNotFound(outcome)) return undefined;
  if (!outcome.ok) throw fail(outcome.why);
  let parsed: unknown;
  try {
    parsed = JSON.parse(outcome.stdout);
  } catch {
    throw fail('printed output that is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || !('Username' in parsed) || !('Secret' in parsed) || typeof parsed.Username !== 'string' || typeof parsed.Secret !== 'string') {
    throw fail('printed JSON without string "Username" and "Secret" fields');
  }
  if (parsed.Secret === '') return undefined;
  return { username: parsed.Username, secret: parsed.Secret };
}

/** A failing helper's own message, one line, capped, with `secret` cut out: what the operator needs to fix the keychain (e.g. "pass not initialized"). */
function helperMessage(outcome: Outcome, secret: string | undefined): string {
  if (outcome.ok) return '';
  let text = `${outcome.stdout}\n${outcome.stderr}`;
  // The secret as given and as it sat in the JSON the helper read (quotes and backslashes escaped), cut before anything else changes the text.
  if (secret !== undefined && secret !== '') for (const form of [secret, JSON.stringify(secret).slice(1, -1)]) text = text.split(form).join('[secret]');
  text = text.replace(/\s+/g, ' ').trim();
  if (text.length > HELPER_MESSAGE_CHARS) text = `${text.slice(0, HELPER_MESSAGE_CHARS)}…`;
  return text === '' ? '' : `: ${text}`;
}

/** `docker-credential-NAME store`: keeps `credential` under `serverUrl`, replacing what was there. */
export async function credentialHelperStore(name: string, serverUrl: string, credential: HelperCredential, env: NodeJS.ProcessEnv): Promise<void> {
  const program = credentialHelperProgram(name);
  const fail = (why: string): FerryError => new FerryError('CREDENTIALS_ERROR', `credential helper ${program} could not store server ${serverUrl}: it ${why}`, { helper: program, serverUrl });
  const input = JSON.stringify({ ServerURL: serverUrl, Username: credential.username, Secret: credential.secret });
  const outcome = await run(program, 'store', input, env, fail);
  if (!outcome.ok) throw fail(`${outcome.why}${helperMessage(outcome, credential.secret)}`);
}

/** `docker-credential-NAME erase`: removes the entry of `serverUrl` (callers that must tell "there was none" ask `get` first). */
export async function credentialHelperErase(name: string, serverUrl: string, env: NodeJS.ProcessEnv): Promise<void> {
  const program = credentialHelperProgram(name);
  const fail = (why: string): FerryError => new FerryError('CREDENTIALS_ERROR', `credential helper ${program} could not erase server ${serverUrl}: it ${why}`, { helper: program, serverUrl });
  const outcome = await run(program, 'erase', serverUrl, env, fail);
  if (!outcome.ok) throw fail(`${outcome.why}${helperMessage(outcome, undefined)}`);
}
