/**
 * A real cipher (AES-256-GCM with a per-process random key) standing in for
 * the system keychain, which only exists inside Electron: the vault's rules
 * are tested against genuine encryption, not an identity function.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretCipher } from '../../src-main/service/credential-vault.ts';

/** An AES-256-GCM SecretCipher; `unavailable` makes it report a missing keyring as safeStorage's basic_text would. */
export function testCipher(options: { unavailable?: string } = {}): SecretCipher & { key: Buffer } {
  const key = randomBytes(32);
  return {
    key,
    unavailableReason: async () => options.unavailable ?? null,
    encrypt: async (plain) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decrypt: async (sealed) => {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
