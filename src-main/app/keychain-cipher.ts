/**
 * The system keychain as the credential vault's cipher: Electron safeStorage
 * (Keychain on macOS, DPAPI on Windows, libsecret or KWallet on Linux).
 * https://www.electronjs.org/docs/latest/api/safe-storage
 */
import { safeStorage } from 'electron';
import type { SecretCipher } from '../service/credential-vault.ts';

/**
 * Adapts safeStorage to SecretCipher. On Linux without a keyring Electron
 * falls back to `basic_text`, a key built into the program, which protects
 * nothing; the vault then refuses to keep passwords and Settings says why.
 */
export function keychainCipher(): SecretCipher {
  return {
    unavailableReason: async () => {
      if (!(await safeStorage.isAsyncEncryptionAvailable())) return 'The system keychain is not available, so Ferry keeps no passwords. Name an auth file for each registry instead.';
      if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
        return 'No keyring (GNOME Keyring or KWallet) is running, so a saved password would only be obscured, not encrypted. Start a keyring, or name an auth file for each registry instead.';
      }
      return null;
    },
    encrypt: (plain) => safeStorage.encryptStringAsync(plain),
    decrypt: async (sealed) => (await safeStorage.decryptStringAsync(sealed)).result,
  };
}
