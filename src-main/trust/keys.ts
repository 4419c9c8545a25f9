/**
 * Ferry's signing keys (issue 14, docs/trust.md): an ECDSA P-256 key pair made
 * with Node's own crypto, kept as two files in a keys folder — `NAME.pub`, the
 * public key as SPKI PEM, and `NAME.key`, the private key as PKCS#8 PEM
 * encrypted with AES-256-CBC under a passphrase. Both are written durably, the
 * private key readable by its owner only, and an existing key is never
 * replaced. The passphrase is the caller's (a terminal or a private file);
 * nothing here logs or stores it.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { FerryError } from '../../src-shared/errors.ts';
import { defaultDataFolder } from '../base/data-folder.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';

/** A key name is a plain file name: letters, digits, `.`, `_` and `-`, starting with a letter or digit (so never `..` or a hidden file). */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** File name suffix of a public key (SPKI PEM). */
export const PUBLIC_KEY_SUFFIX = '.pub';
/** File name suffix of a private key (encrypted PKCS#8 PEM). */
export const PRIVATE_KEY_SUFFIX = '.key';

/** The default algorithm of `ferry key generate`, in the words `ferry key list` prints. */
export const KEY_ALGORITHM = 'ECDSA P-256';
/** Ed25519, in the words `ferry key list` prints. */
export const ED25519_ALGORITHM = 'Ed25519';

/** The algorithms `ferry key generate --algorithm` makes: both verify with @sigstore/verify from the public key alone (docs/trust.md "Keys"). */
export const KEY_ALGORITHMS = ['ecdsa-p256', 'ed25519'] as const;
/** One of KEY_ALGORITHMS. */
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** The cipher that seals a private key file (OpenSSL's name, as PKCS#8 PEM records it). */
const PRIVATE_KEY_CIPHER = 'aes-256-cbc';

/** A key file larger than this is not one P-256 or Ed25519 key (public or encrypted private). */
const MAX_KEY_FILE_BYTES = 16 * 1024;

const generateKeyPairAsync = promisify(generateKeyPair);

/** One key in a keys folder, as `ferry key list` shows it. */
export interface KeyInfo {
  name: string;
  /** `ECDSA P-256`, or what else the public key file holds (e.g. `rsa`). */
  algorithm: string;
  /** `sha256:<hex>` of the public key's SPKI DER encoding, the same as `openssl pkey -pubin -outform DER | sha256sum`. */
  fingerprint: string;
  publicKeyPath: string;
  /** Where the matching private key is, when this folder has it. */
  privateKeyPath?: string;
}

/** What `generateSigningKey` wrote. */
export interface GeneratedKey extends KeyInfo {
  privateKeyPath: string;
}

/** The default keys folder: `keys/` inside Ferry's per-user data folder. */
export function defaultKeysFolder(env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultDataFolder(env), 'keys');
}

/** Refuses a key name that is not a plain, safe file name, naming it. */
export function checkKeyName(name: string): void {
  if (!KEY_NAME_PATTERN.test(name)) {
    throw new FerryError('INVALID_ARGUMENT', `key name ${JSON.stringify(name)} is not allowed: use letters, digits, '.', '_' and '-' (starting with a letter or digit, at most 100 characters)`, {
      name,
    });
  }
}

/**
 * The SHA-256 fingerprint of a public key: over its canonical SPKI DER bytes,
 * so any tool can compute it from a .pub file Ferry wrote
 * (`openssl pkey -pubin -outform DER | sha256sum`). Canonical means re-encoded
 * through JWK, which always gives an EC point uncompressed: the same key
 * written with a compressed point gets the same fingerprint, so one key can
 * never pass as two (the two-person rule counts distinct fingerprints).
 */
export function keyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const canonical = createPublicKey({ key: publicKey.export({ format: 'jwk' }), format: 'jwk' });
  const der = canonical.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

/** How a key's algorithm is named in a listing: P-256 EC keys as `ECDSA P-256`, others by Node's type and curve. */
function algorithmOf(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve === 'prime256v1') return KEY_ALGORITHM;
  if (key.asymmetricKeyType === 'ed25519') return ED25519_ALGORITHM;
  return curve === undefined ? (key.asymmetricKeyType ?? 'unknown') : `${key.asymmetricKeyType ?? 'unknown'} ${curve}`;
}

/** Whether a path exists at all (a symlink, even a dangling one, counts). */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw ioError('check', path, error);
  }
}

/**
 * Makes a key pair (ECDSA P-256 unless Ed25519 is asked for) and writes it to
 * `dir` as `NAME.pub` and `NAME.key` (mode 0600, encrypted under
 * `passphrase`). Refuses a bad name, an unknown algorithm, an empty
 * passphrase, and a name either file already exists for.
 */
export async function generateSigningKey(dir: string, name: string, passphrase: string, algorithm: KeyAlgorithm = 'ecdsa-p256'): Promise<GeneratedKey> {
  checkKeyName(name);
  if (!KEY_ALGORITHMS.includes(algorithm)) {
    throw new FerryError('INVALID_ARGUMENT', `key algorithm ${JSON.stringify(algorithm)} is not one Ferry makes: ${KEY_ALGORITHMS.join(' or ')}`, { algorithm });
  }
  if (passphrase === '') throw new FerryError('INVALID_ARGUMENT', 'an empty passphrase is not allowed: the private key would be readable by anyone who copies the file');
  const publicKeyPath = join(dir, `${name}${PUBLIC_KEY_SUFFIX}`);
  const privateKeyPath = join(dir, `${name}${PRIVATE_KEY_SUFFIX}`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw ioError('create folder', dir, error);
  }
  for (const path of [privateKeyPath, publicKeyPath]) {
    if (await exists(path)) throw new FerryError('INVALID_ARGUMENT', `key ${name} already exists (${path}); choose another name, or remove the old key first`, { name, path });
  }
  const encodings = {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: PRIVATE_KEY_CIPHER, passphrase },
  } as const;
  const pair = algorithm === 'ed25519' ? await generateKeyPairAsync('ed25519', encodings) : await generateKeyPairAsync('ec', { namedCurve: 'prime256v1', ...encodings });
  // The private key first: a .pub without its .key would block the name for nothing.
  await writeFileDurable(privateKeyPath, pair.privateKey, { mode: 0o600 });
  try {
    await writeFileDurable(publicKeyPath, pair.publicKey, { mode: 0o644 });
  } catch (error) {
    await rm(privateKeyPath, { force: true });
    throw error;
  }
  const publicKey = createPublicKey(pair.publicKey);
  return { name, algorithm: algorithmOf(publicKey), fingerprint: keyFingerprint(publicKey), publicKeyPath, privateKeyPath };
}

/** Reads a small key file whole: a regular file, never through a symlink, never waited on, capped; names the file when it is not one. */
async function readKeyFileText(path: string, what: string): Promise<string> {
  // O_NOFOLLOW | O_NONBLOCK: a symlink or FIFO put where a key belongs is refused, not followed or waited on.
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') throw new FerryError('NOT_FOUND', `no ${what} at ${path}`, { path });
    throw ioError('open', path, error);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FerryError('INVALID_CONTENT', `${path} is not a regular file`, { path });
    if (info.size > MAX_KEY_FILE_BYTES) throw new FerryError('INVALID_CONTENT', `${path} is larger than a ${what} (${info.size} bytes)`, { path });
    return (await handle.readFile()).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Reads a public key file (SPKI PEM) and parses it, naming the file when it is not a public key. */
export async function readPublicKeyFile(path: string): Promise<KeyObject> {
  const text = await readKeyFileText(path, 'public key');
  try {
    return createPublicKey({ key: text, format: 'pem' });
  } catch (error) {
    throw new FerryError('INVALID_CONTENT', `${path} does not hold a PEM public key (${error instanceof Error ? error.message : String(error)})`, { path });
  }
}

/** A private key opened for signing: the key, its id (the public key's fingerprint) and the name its file gives it. */
export interface SigningKey {
  name: string;
  privateKey: KeyObject;
  keyId: string;
}

/**
 * Opens a private key for signing: `key` is a key name in `dir` (NAME.key) or
 * a path to a `.key` file. A wrong passphrase, or a file that is not an
 * encrypted private key, is refused by name; the passphrase is never echoed.
 */
export async function readSigningKey(key: string, passphrase: string, dir: string): Promise<SigningKey> {
  const isName = KEY_NAME_PATTERN.test(key) && !key.endsWith(PRIVATE_KEY_SUFFIX);
  const path = isName ? join(dir, `${key}${PRIVATE_KEY_SUFFIX}`) : key;
  const name = isName ? key : basename(path).replace(/\.key$/, '');
  const text = await readKeyFileText(path, 'private key');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem', passphrase });
  } catch (error) {
    const reason = error instanceof Error && /decrypt|bad pass|interrupted or cancelled/i.test(error.message) ? 'the passphrase is wrong' : 'it does not hold an encrypted PEM private key';
    throw new FerryError('INVALID_ARGUMENT', `cannot open the signing key ${path}: ${reason}`, { path });
  }
  if (privateKey.asymmetricKeyType !== 'ec' && privateKey.asymmetricKeyType !== 'ed25519') {
    throw new FerryError('INVALID_ARGUMENT', `${path} is a ${String(privateKey.asymmetricKeyType)} key; Ferry signs with ECDSA P-256 or Ed25519 keys`, { path });
  }
  return { name, privateKey, keyId: keyFingerprint(createPublicKey(privateKey)) };
}

/** Describes one key of a folder from its public key file. */
async function describeKey(dir: string, name: string): Promise<KeyInfo> {
  checkKeyName(name);
  const publicKeyPath = join(dir, `${name}${PUBLIC_KEY_SUFFIX}`);
  const key = await readPublicKeyFile(publicKeyPath);
  const privateKeyPath = join(dir, `${name}${PRIVATE_KEY_SUFFIX}`);
  const info: KeyInfo = { name, algorithm: algorithmOf(key), fingerprint: keyFingerprint(key), publicKeyPath };
  if (await exists(privateKeyPath)) info.privateKeyPath = privateKeyPath;
  return info;
}

/** Every key in a keys folder (one per `NAME.pub`), by name; a missing folder holds none. A .pub file that is not a public key is refused by name. */
export async function listSigningKeys(dir: string): Promise<KeyInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw ioError('read folder', dir, error);
  }
  const keyNames = names
    .filter((file) => file.endsWith(PUBLIC_KEY_SUFFIX))
    .map((file) => file.slice(0, -PUBLIC_KEY_SUFFIX.length))
    .filter((name) => KEY_NAME_PATTERN.test(name))
    .sort();
  const keys: KeyInfo[] = [];
  for (const name of keyNames) keys.push(await describeKey(dir, name));
  return keys;
}

/** The public key `NAME` as SPKI PEM, re-encoded from the parsed key so only a public key is ever printed. */
export async function exportPublicKey(dir: string, name: string): Promise<string> {
  checkKeyName(name);
  const key = await readPublicKeyFile(join(dir, `${name}${PUBLIC_KEY_SUFFIX}`));
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
