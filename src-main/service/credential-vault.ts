/**
 * Registry passwords the desktop app keeps for the user, encrypted by the
 * operating system's keychain (Electron `safeStorage`: Keychain on macOS,
 * DPAPI on Windows, libsecret/KWallet on Linux). The vault never sees a key:
 * it stores what the cipher returns, one sealed entry per registry host, in
 * its own file beside the settings — never in the catalog, the settings, a
 * bundle or a log. Browser mode has no keychain and so no vault: there the
 * user names an auth file, and `credentials:save` says so.
 *
 * This module is Electron-free so its rules (host binding, atomic writes,
 * refusing a plaintext keychain) are tested in Node; src-main/app adapts
 * `safeStorage` to `SecretCipher`.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { z } from 'zod';
import type { CredentialsStatus } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { SEALED_LOGIN_DOCUMENT, VAULT_DOCUMENT, type SealedLoginSchema, type VaultFileSchema } from '../../src-shared/schemas/credential-vault.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { parseReference } from '../oci/reference.ts';

/** What the vault needs from a keychain: seal and open strings, and whether sealing is real encryption. */
export interface SecretCipher {
  /** Null when encryption is available; otherwise why not, in words the Settings screen shows. */
  unavailableReason(): Promise<string | null>;
  encrypt(plain: string): Promise<Buffer>;
  decrypt(sealed: Buffer): Promise<string>;
}

/** A saved login, as the engine uses it for one host. */
export interface SavedCredential {
  username: string;
  password: string;
}

/** The vault file's name, in the catalog's folder (beside settings.json). */
export const VAULT_FILE = 'credentials.sealed.json';

/** Only the owner reads the file, even though every entry is sealed. */
const VAULT_MODE = 0o600;
const VAULT_VERSION = 1;

/** The vault file: registry host → user name (shown in Settings) and the sealed login, inferred from its schema. */
type VaultFile = z.infer<typeof VaultFileSchema>;

/** Where the vault of a catalog lives. */
export function vaultPathFor(catalogPath: string): string {
  return join(dirname(catalogPath), VAULT_FILE);
}

/**
 * The registry host a login is for: `host[:port]` as references write it,
 * from what the user typed (`registry.local:5000`, `registry.local:5000/prefix`,
 * `docker.io`). A login always binds to exactly one host.
 */
export function vaultHost(registry: string): string {
  const trimmed = registry.trim().replace(/\/+$/, '');
  if (trimmed === '' || /^[a-z]+:\/\//i.test(trimmed) || /\s/.test(trimmed)) {
    throw new FerryError('INVALID_ARGUMENT', 'write the registry as host[:port], without a scheme or spaces', { argument: 'registry' });
  }
  // Host names are case-insensitive; the key is lower case, and lookups lower-case the host they are asked for.
  return parseReference(`${trimmed.split('/')[0] ?? trimmed}/ferry-credential`).registry.toLowerCase();
}

/** The keychain-backed store of registry logins; absent cipher means browser mode. */
export class CredentialVault {
  constructor(
    private readonly path: string,
    private readonly cipher: SecretCipher | undefined,
  ) {}

  /** Why passwords cannot be kept here, or null when they can. */
  async unavailableReason(): Promise<string | null> {
    if (this.cipher === undefined) return 'Browser mode keeps no passwords. Name an auth file (containers auth.json, as "podman login" writes it) for each registry instead.';
    return this.cipher.unavailableReason();
  }

  /** credentials:status — never returns a password. */
  async status(): Promise<CredentialsStatus> {
    const reason = await this.unavailableReason();
    const file = await this.read();
    const registries = Object.entries(file.entries)
      .map(([registry, entry]) => ({ registry, username: entry.username }))
      .sort((a, b) => a.registry.localeCompare(b.registry));
    return { available: reason === null, reason, registries };
  }

  /** credentials:save — seals and stores the login for one host, replacing any earlier one. */
  async save(registry: string, username: string, password: string): Promise<void> {
    const cipher = await this.requireCipher();
    const host = vaultHost(registry);
    if (username === '' || username.includes(':')) throw new FerryError('INVALID_ARGUMENT', 'a registry user name is required and cannot contain ":"', { argument: 'username' });
    if (password === '') throw new FerryError('INVALID_ARGUMENT', 'the password is empty', { argument: 'password' });
    const file = await this.read();
    const sealed = (await cipher.encrypt(JSON.stringify({ host, username, password }))).toString('base64');
    file.entries[host] = { username, sealed };
    await this.write(file);
  }

  /** credentials:delete — true when a login was stored for the host. */
  async delete(registry: string): Promise<boolean> {
    const host = vaultHost(registry);
    const file = await this.read();
    if (!(host in file.entries)) return false;
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- entries is a null-prototype record keyed by host, read from the vault file; removing one key is the operation
    delete file.entries[host];
    await this.write(file);
    return true;
  }

  /**
   * The login saved for `host`, for the registry client. The sealed text
   * names its host too, so an entry moved to another key in the file is
   * refused rather than sent to the wrong registry.
   */
  async lookup(registryHost: string): Promise<SavedCredential | undefined> {
    const host = registryHost.toLowerCase();
    if (this.cipher === undefined || (await this.cipher.unavailableReason()) !== null) return undefined;
    const entry = (await this.read()).entries[host];
    if (entry === undefined) return undefined;
    let login: z.infer<typeof SealedLoginSchema>;
    try {
      // No file name and no cause in the error: the opened text is the password.
      login = parseJsonDocument(await this.cipher.decrypt(Buffer.from(entry.sealed, 'base64')), SEALED_LOGIN_DOCUMENT, `the saved login for ${host}`);
    } catch {
      throw new FerryError('CREDENTIALS_ERROR', `the saved login for ${host} cannot be decrypted (the system keychain changed?); save it again in Settings`, { registry: host });
    }
    if (login.host !== host) {
      throw new FerryError('CREDENTIALS_ERROR', `the saved login for ${host} was made for another registry; save it again in Settings`, { registry: host });
    }
    return { username: login.username, password: login.password };
  }

  private async requireCipher(): Promise<SecretCipher> {
    const reason = await this.unavailableReason();
    if (reason !== null || this.cipher === undefined) throw new FerryError('INVALID_ARGUMENT', reason ?? 'no keychain');
    return this.cipher;
  }

  private async read(): Promise<VaultFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: VAULT_VERSION, entries: Object.create(null) as VaultFile['entries'] };
      throw new FerryError('IO_ERROR', `cannot read the saved logins ${this.path}: ${(error as Error).message}`);
    }
    try {
      // A null-prototype copy: hosts are looked up by key, and no key may reach a prototype.
      const parsed = parseJsonDocument(text, VAULT_DOCUMENT, this.path);
      return { version: VAULT_VERSION, entries: Object.assign(Object.create(null) as VaultFile['entries'], parsed.entries) };
    } catch (error) {
      const path = error instanceof FerryError && typeof error.details?.path === 'string' ? error.details.path : '$';
      throw new FerryError('INVALID_CONTENT', `the saved logins file ${this.path} is damaged; delete it and save the logins again (the problem is at ${path})`, { file: this.path, path });
    }
  }

  /** Durably (temp file, fsync, rename), so a crash leaves the old file or the new one, never half of one. */
  private async write(file: VaultFile): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await writeFileDurable(this.path, `${JSON.stringify(file, null, 2)}\n`, { mode: VAULT_MODE });
  }
}
