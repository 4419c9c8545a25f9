/**
 * The schema of the credential vault's file (`credentials.sealed.json`) and
 * of one sealed login once the keychain opened it. The file holds no secret
 * in the clear, but its keys pick which registry a login is sent to, so it is
 * read as strictly as any other document.
 */
import { z } from 'zod';
import type { JsonDocumentKind } from './document.ts';

/** One saved login: the user name (shown in Settings) and the sealed `{ host, username, password }` JSON, base64. */
export const VaultEntrySchema = z.strictObject({ username: z.string(), sealed: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64') });

/** The vault file, version 1: registry host → saved login. */
export const VaultFileSchema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  entries: z.record(z.string(), VaultEntrySchema),
});

/** One login as sealed: it names its host, so an entry moved to another key is refused. */
export const SealedLoginSchema = z.strictObject({ host: z.string(), username: z.string(), password: z.string() });

/** How the vault file is read: a damaged one is INVALID_CONTENT naming the JSON path (never a value). */
export const VAULT_DOCUMENT: JsonDocumentKind<typeof VaultFileSchema> = {
  schema: VaultFileSchema,
  name: 'the saved logins schema',
  maxBytes: 4 * 1024 * 1024,
  code: 'INVALID_CONTENT',
};

/** How an opened login is read. */
export const SEALED_LOGIN_DOCUMENT: JsonDocumentKind<typeof SealedLoginSchema> = {
  schema: SealedLoginSchema,
  name: 'a sealed login',
  maxBytes: 64 * 1024,
  code: 'CREDENTIALS_ERROR',
};
