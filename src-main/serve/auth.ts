/**
 * Who may use `ferry serve`: HTTP Basic logins checked against an htpasswd
 * file of bcrypt hashes (as `htpasswd -B` writes them, the only kind
 * Distribution accepts too) or against one user given at start (the app's
 * "a user" and `--user NAME --password-stdin`). The registry server calls
 * the returned Authenticator with the raw Authorization header; a password
 * is never logged, kept only as given, and compared in constant time.
 * bcryptjs is loaded only when an htpasswd file is used.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { ioError } from '../base/fs-errors.ts';

/** Checks one request's Authorization header; true lets it in. Absent header → false (the server answers 401 with a challenge). */
export type Authenticator = (authorization: string | undefined) => Promise<boolean>;

/** An Authorization header longer than this is refused unread: no login is that long. */
const MAX_AUTHORIZATION_CHARS = 8 * 1024;
/** An htpasswd file larger than this is not a user list (a mistaken path, a disk image). */
const MAX_HTPASSWD_BYTES = 4 * 1024 * 1024;
/** How many verified logins are remembered, so a pull's hundreds of requests cost one bcrypt check, not one each. */
const VERIFIED_CACHE_SIZE = 256;
/** A bcrypt hash as `htpasswd -B` (2y), OpenBSD (2b) and older libraries (2a) write it: cost and 53 characters of salt and hash. */
const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

/** The user and password of a `Basic` Authorization header (RFC 7617), or undefined when it is not one. */
export function parseBasicAuthorization(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined || header.length > MAX_AUTHORIZATION_CHARS) return undefined;
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Equality of two strings in time that does not depend on where they differ (hashing first makes the lengths equal). */
function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** One user with a password given at start (the app, `--user NAME --password-stdin`); both parts are always compared, so timing says nothing about which was wrong. */
export function singleUserAuthenticator(name: string, password: string): Authenticator {
  if (name === '' || name.includes(':')) throw new FerryError('INVALID_ARGUMENT', '--user must be a non-empty name without ":"');
  if (password === '') throw new FerryError('INVALID_ARGUMENT', `user ${name} needs a non-empty password`);
  return (authorization) => {
    const login = parseBasicAuthorization(authorization);
    if (!login) return Promise.resolve(false);
    const userOk = sameText(login.user, name);
    const passwordOk = sameText(login.password, password);
    return Promise.resolve(userOk && passwordOk);
  };
}

/** The hash kinds htpasswd files hold that are not bcrypt, named so the refusal says what was found. */
function otherHashKind(hash: string): string {
  if (hash.startsWith('$apr1$')) return 'an Apache MD5 ($apr1$, htpasswd -m)';
  if (hash.startsWith('{SHA}')) return 'a SHA-1 ({SHA}, htpasswd -s)';
  if (hash.startsWith('$1$')) return 'an MD5-crypt ($1$)';
  if (hash.startsWith('$5$')) return 'a SHA-256-crypt ($5$)';
  if (hash.startsWith('$6$')) return 'a SHA-512-crypt ($6$)';
  if (hash.startsWith('$2')) return 'a malformed bcrypt';
  if (/^[./A-Za-z0-9]{13}$/.test(hash)) return 'a DES crypt (htpasswd -d)';
  return 'a plain-text or unknown';
}

/**
 * The users of an htpasswd file: `user:hash` lines, blank lines and `#`
 * comments skipped (as Distribution reads it). Every hash must be bcrypt;
 * any other kind, a duplicate user or a line without a colon is refused
 * naming the file and line number, never echoing a hash.
 */
export function parseHtpasswd(text: string, file: string): Map<string, string> {
  const users = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${file} line ${index + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new FerryError('INVALID_CONTENT', `${where} is not "user:hash" as htpasswd writes it`, { path: file, line: index + 1 });
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (!BCRYPT_HASH.test(hash)) {
      throw new FerryError('INVALID_CONTENT', `${where}: user "${user}" has ${otherHashKind(hash)} hash; ferry serve accepts bcrypt only: set the password again with htpasswd -B ${file} ${user}`, {
        path: file,
        line: index + 1,
      });
    }
    if (users.has(user)) throw new FerryError('INVALID_CONTENT', `${where}: user "${user}" appears a second time`, { path: file, line: index + 1 });
    users.set(user, hash);
  }
  if (users.size === 0) throw new FerryError('INVALID_CONTENT', `${file} holds no users; add one with htpasswd -B ${file} USER`, { path: file });
  return users;
}

/**
 * Logins checked against an htpasswd file of bcrypt hashes, read once at
 * start (restart `ferry serve` after changing it). An unknown user costs a
 * bcrypt check too, so timing does not tell which users exist. Verified
 * logins are remembered by a keyed hash of the header (never the password
 * itself), so a pull's many requests cost one bcrypt check; this is the
 * only login cache (the server keeps none), and it lives as long as the
 * file's users do: until restart.
 */
export async function htpasswdAuthenticator(file: string): Promise<Authenticator> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_HTPASSWD_BYTES) throw new FerryError('INVALID_CONTENT', `${file} is larger than an htpasswd file (${bytes.length} bytes)`, { path: file });
    text = bytes.toString('utf8');
  } catch (error) {
    throw ioError('read the htpasswd file', file, error);
  }
  const users = parseHtpasswd(text, file);
  const { default: bcrypt } = await import('bcryptjs');
  const highestCost = Math.max(...[...users.values()].map((hash) => Number(BCRYPT_HASH.exec(hash)?.[1] ?? 10)));
  const decoy = await bcrypt.hash(randomBytes(16).toString('hex'), highestCost);
  const cacheKey = randomBytes(32);
  const verified = new Set<string>();
  return async (authorization) => {
    const login = parseBasicAuthorization(authorization);
    if (!login) return false;
    const remembered = createHmac('sha256', cacheKey)
      .update(authorization ?? '')
      .digest('hex');
    if (verified.has(remembered)) return true;
    const hash = users.get(login.user);
    const ok = await bcrypt.compare(login.password, hash ?? decoy);
    if (!ok || hash === undefined) return false;
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.clear();
    verified.add(remembered);
    return true;
  };
}
