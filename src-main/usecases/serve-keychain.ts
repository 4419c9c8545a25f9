/**
 * `ferry serve --user NAME --password-keychain`: the registry's one password
 * kept in the system keychain instead of a file or standard input, so an
 * operator types it once (`ferry serve password set`) and a restart needs
 * nothing typed. The keychain is reached the way docker and podman reach it,
 * through a docker-credential-helpers program (osxkeychain, wincred,
 * secretservice, pass, desktop), by default the `credsStore` the user already
 * chose in ~/.docker/config.json. The app's own vault (Electron safeStorage)
 * is out of reach of the CLI, which is why this path exists.
 *
 * The entry's key (the protocol's ServerURL) is `https://ferry-serve.invalid/USER`:
 * - `.invalid` is reserved (RFC 2606), so no registry login (`docker login
 *   HOST`) can ever have or overwrite this key, and `docker-credential-NAME
 *   list` shows plainly whose entry it is;
 * - it is an https URL with a host, because osxkeychain parses the key as a
 *   URL (lowercased, https:// added when missing) and keeps host and path
 *   apart; a full URL means the same to every helper;
 * - one entry per user name, whatever store folder or port is served, so
 *   `password set` needs no --storage and a moved store keeps its login
 *   (two registries on one machine wanting different passwords use two user names).
 * The password itself is never logged and never in an error.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { credentialHelperErase, credentialHelperGet, credentialHelperProgram, credentialHelperStore } from '../oci/registry/credential-helper.ts';
import { configuredCredsStore } from '../oci/registry/credentials.ts';

/** The host of every `ferry serve` keychain key: reserved, never a registry. */
const KEY_HOST = 'ferry-serve.invalid';

/** Which helper to run, and the environment it (and the auth-file lookup) sees. */
export interface ServeKeychainOptions {
  /** A helper name (`pass` runs docker-credential-pass); default: the auth files' `credsStore`. */
  helper?: string;
  env?: NodeJS.ProcessEnv;
  /** Where ~/.docker/config.json is looked for (tests). */
  homeDir?: string;
}

/** Where a password was read from, written to or deleted from: the helper program and the key, never the secret. */
export interface KeychainEntry {
  /** `docker-credential-NAME`. */
  program: string;
  /** The helper name alone (`pass`), as --credential-helper takes it. */
  helper: string;
  key: string;
  /** Why this helper: given, or the auth file whose credsStore named it. */
  chosenBy: string;
}

/** The keychain key of `user`'s password (see the module comment for why this form). */
export function servePasswordKey(user: string): string {
  return `https://${KEY_HOST}/${encodeURIComponent(user)}`;
}

/** Refuses a user name the registry could not take (empty, or with ":" which Basic auth cannot carry). */
function checkUser(user: string): void {
  if (user === '' || user.includes(':')) throw new FerryError('INVALID_ARGUMENT', 'the registry user must be a non-empty name without ":"');
}

/** The helper to run: the one given, else the first credsStore of the auth files; none is an error saying what to do per OS. */
async function chooseEntry(user: string, options: ServeKeychainOptions): Promise<KeychainEntry> {
  checkUser(user);
  const key = servePasswordKey(user);
  if (options.helper !== undefined) return { helper: options.helper, program: credentialHelperProgram(options.helper), key, chosenBy: 'given' };
  const configured = await configuredCredsStore({ ...(options.env ? { env: options.env } : {}), ...(options.homeDir !== undefined ? { homeDir: options.homeDir } : {}) });
  if (configured.helper === undefined) {
    throw new FerryError(
      'INVALID_ARGUMENT',
      `no keychain is configured for the registry password of user ${user}: give --credential-helper NAME (secretservice or pass on Linux, osxkeychain on macOS, wincred on Windows; ` +
        `the program docker-credential-NAME must be on PATH), or set "credsStore" in ${configured.searched.join(' or ')}`,
      { user },
    );
  }
  return { helper: configured.helper, program: credentialHelperProgram(configured.helper), key, chosenBy: `credsStore in ${configured.file}` };
}

/**
 * The registry password of `user` from the keychain. A missing entry, or
 * one holding another user, is an error naming the helper and the key and
 * saying how to store one.
 */
export async function readServePassword(user: string, options: ServeKeychainOptions = {}): Promise<{ password: string; entry: KeychainEntry }> {
  const entry = await chooseEntry(user, options);
  const found = await credentialHelperGet(entry.helper, entry.key, options.env ?? process.env);
  const where = `${entry.program} (key ${entry.key}${entry.chosenBy === 'given' ? '' : `, ${entry.chosenBy}`})`;
  if (found === undefined) {
    throw new FerryError('CREDENTIALS_ERROR', `no password for registry user ${user} in ${where}: store one with ferry serve password set --user ${user} --credential-helper ${entry.helper}`, {
      user,
      helper: entry.program,
      key: entry.key,
    });
  }
  if (found.username !== user) {
    throw new FerryError('CREDENTIALS_ERROR', `the entry in ${where} is for user "${found.username}", not ${user}: store it again with ferry serve password set --user ${user}`, {
      user,
      helper: entry.program,
      key: entry.key,
    });
  }
  if (found.secret.includes('\n')) throw new FerryError('CREDENTIALS_ERROR', `the password of registry user ${user} in ${where} is not one line`, { user, helper: entry.program, key: entry.key });
  return { password: found.secret, entry };
}

/** Keeps `password` as `user`'s registry password in the keychain, replacing an older one. */
export async function storeServePassword(user: string, password: string, options: ServeKeychainOptions = {}): Promise<KeychainEntry> {
  const entry = await chooseEntry(user, options);
  if (password === '' || password.includes('\n')) throw new FerryError('INVALID_ARGUMENT', `the password of registry user ${user} must be one non-empty line`, { user });
  await credentialHelperStore(entry.helper, entry.key, { username: user, secret: password }, options.env ?? process.env);
  return entry;
}

/** Removes `user`'s registry password from the keychain; none there is an error (nothing was deleted), as `rm` of a missing file is. */
export async function deleteServePassword(user: string, options: ServeKeychainOptions = {}): Promise<KeychainEntry> {
  const entry = await chooseEntry(user, options);
  const env = options.env ?? process.env;
  // Helpers word a missing entry differently on erase (pass: "is not in the password store"); get tells it reliably.
  if ((await credentialHelperGet(entry.helper, entry.key, env)) === undefined) {
    throw new FerryError('CREDENTIALS_ERROR', `no password for registry user ${user} in ${entry.program} (key ${entry.key}): nothing deleted`, { user, helper: entry.program, key: entry.key });
  }
  await credentialHelperErase(entry.helper, entry.key, env);
  return entry;
}
