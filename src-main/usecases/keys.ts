/**
 * The signing-key use cases behind `ferry key generate | list | export-public`
 * (and, later, the app's key settings): each takes an optional keys folder and
 * falls back to `keys/` in Ferry's data folder. The key files themselves are
 * trust/keys.ts's business.
 */
import { defaultKeysFolder, exportPublicKey, generateSigningKey, listSigningKeys, type GeneratedKey, type KeyAlgorithm, type KeyInfo } from '../trust/keys.ts';

/** The keys folder a command works in: the one given, else the default in the data folder. */
export function keysFolder(dir?: string): string {
  return dir !== undefined && dir !== '' ? dir : defaultKeysFolder();
}

/** Makes a new signing key `name` in `dir` (ECDSA P-256, or Ed25519 when asked), its private key sealed by `passphrase`. */
export async function generateKey(name: string, passphrase: string, dir?: string, algorithm?: KeyAlgorithm): Promise<GeneratedKey> {
  return generateSigningKey(keysFolder(dir), name, passphrase, algorithm);
}

export { KEY_ALGORITHMS, type KeyAlgorithm } from '../trust/keys.ts';

/** The keys a folder holds, with algorithm and fingerprint, for listing. */
export async function listKeys(dir?: string): Promise<KeyInfo[]> {
  return listSigningKeys(keysFolder(dir));
}

/** A key's public half as PEM, to hand to the other side of the air gap. */
export async function publicKeyPem(name: string, dir?: string): Promise<string> {
  return exportPublicKey(keysFolder(dir), name);
}
