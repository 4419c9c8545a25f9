/** The desktop app's keychain-sealed registry logins: host binding, no plaintext on disk, atomic file, clear refusals. */
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialVault, vaultHost } from '../../src-main/service/credential-vault.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { testCipher } from '../harness/test-cipher.ts';

let dir: string;
let path: string;
const PASSWORD = 'pa55-w0rd-that-must-never-appear';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-vault-'));
  path = join(dir, 'credentials.sealed.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('vaultHost', () => {
  it('binds a login to host[:port] as references write it', () => {
    expect(vaultHost('registry.local:5000')).toBe('registry.local:5000');
    expect(vaultHost('registry.local:5000/site/prefix/')).toBe('registry.local:5000');
    expect(vaultHost(' Registry.Example.com ')).toBe('registry.example.com');
  });
  it('refuses a scheme, spaces or nothing, naming the argument', () => {
    for (const bad of ['https://registry.local', 'a b', '  ']) {
      const error = (() => {
        try {
          vaultHost(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(FerryError);
      expect((error as FerryError).details?.argument).toBe('registry');
    }
  });
});

describe('CredentialVault', () => {
  it('keeps a login per host, sealed: neither the password nor the sealed JSON is readable in the file', async () => {
    const vault = new CredentialVault(path, testCipher());
    await vault.save('registry.local:5000/prefix', 'mirror', PASSWORD);
    await vault.save('other.local', 'reader', 'another-secret');
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('another-secret');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await vault.lookup('registry.local:5000')).toEqual({ username: 'mirror', password: PASSWORD });
    expect(await vault.lookup('registry.local')).toBeUndefined();
    expect(await vault.status()).toEqual({
      available: true,
      reason: null,
      registries: [
        { registry: 'other.local', username: 'reader' },
        { registry: 'registry.local:5000', username: 'mirror' },
      ],
    });
    expect(JSON.stringify(await vault.status())).not.toContain(PASSWORD);
    // No temp file is left behind by the atomic writes.
    expect(await readdir(dir)).toEqual(['credentials.sealed.json']);
  });

  it('replaces a login and deletes it', async () => {
    const vault = new CredentialVault(path, testCipher());
    await vault.save('registry.local', 'a', 'one');
    await vault.save('registry.local', 'b', 'two');
    expect(await vault.lookup('registry.local')).toEqual({ username: 'b', password: 'two' });
    expect(await vault.delete('registry.local')).toBe(true);
    expect(await vault.delete('registry.local')).toBe(false);
    expect(await vault.lookup('registry.local')).toBeUndefined();
  });

  it('refuses an entry moved under another host instead of sending it there', async () => {
    const vault = new CredentialVault(path, testCipher());
    await vault.save('trusted.local', 'mirror', PASSWORD);
    const file = JSON.parse(await readFile(path, 'utf8')) as { entries: Record<string, unknown> };
    file.entries['evil.local'] = file.entries['trusted.local'];
    await writeFile(path, JSON.stringify(file));
    await expect(vault.lookup('evil.local')).rejects.toMatchObject({ code: 'CREDENTIALS_ERROR', message: expect.stringContaining('another registry') });
    expect(await vault.lookup('trusted.local')).toEqual({ username: 'mirror', password: PASSWORD });
  });

  it('cannot open what another keychain sealed, and says what to do', async () => {
    await new CredentialVault(path, testCipher()).save('registry.local', 'mirror', PASSWORD);
    await expect(new CredentialVault(path, testCipher()).lookup('registry.local')).rejects.toThrow(/cannot be decrypted.*save it again in Settings/);
  });

  it('in browser mode (no keychain) refuses to keep a password and says to name an auth file', async () => {
    const vault = new CredentialVault(path, undefined);
    await expect(vault.save('registry.local', 'mirror', PASSWORD)).rejects.toThrow(/Browser mode keeps no passwords.*auth file/);
    expect((await vault.status()).available).toBe(false);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses when the keychain only obscures (Linux without a keyring), and never decrypts through it', async () => {
    const good = testCipher();
    await new CredentialVault(path, good).save('registry.local', 'mirror', PASSWORD);
    const plain = new CredentialVault(path, { ...good, unavailableReason: async () => 'No keyring is running' });
    await expect(plain.save('registry.local', 'x', 'y')).rejects.toThrow('No keyring is running');
    expect(await plain.lookup('registry.local')).toBeUndefined();
    expect(await plain.status()).toMatchObject({ available: false, reason: 'No keyring is running' });
  });

  it('checks the user name and password before storing', async () => {
    const vault = new CredentialVault(path, testCipher());
    await expect(vault.save('registry.local', '', PASSWORD)).rejects.toMatchObject({ details: { argument: 'username' } });
    await expect(vault.save('registry.local', 'a:b', PASSWORD)).rejects.toMatchObject({ details: { argument: 'username' } });
    await expect(vault.save('registry.local', 'mirror', '')).rejects.toMatchObject({ details: { argument: 'password' } });
  });

  it('names a damaged file and how to recover', async () => {
    await writeFile(path, '{"version": 1, "entries": {"r": 5}}');
    await expect(new CredentialVault(path, testCipher()).status()).rejects.toThrow(/credentials.sealed.json is damaged; delete it/);
  });
});
