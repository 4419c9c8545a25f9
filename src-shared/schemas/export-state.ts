/**
 * The schema of the export journal (`.ferry-export.json`), the resume state
 * an export keeps in its bundle folder. A journal that does not match is not
 * trusted: the export starts afresh rather than reuse parts it cannot vouch for.
 */
import { z } from 'zod';
import { BundlePartSchema, FERRY_JSON_LIMIT, Sha256DigestSchema } from './bundle-manifest.ts';
import type { JsonDocumentKind } from './document.ts';

/** What a resumed export needs to continue exactly where the last run stopped. */
export const ExportStateSchema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  bundleId: z.string(),
  created: z.string(),
  form: z.enum(['directory', 'archive'], 'must be "directory" or "archive"'),
  partSize: z.number().int().min(1).nullable(),
  /** Digests of the content in write order; a different plan means the parts cannot be reused. */
  content: z.array(Sha256DigestSchema),
  /** sha256 of index.json: the same blobs under other names are a different bundle. */
  index: z.string(),
  /** The archive parts already completed, as ferry.json will list them. */
  parts: z.array(BundlePartSchema),
});

/** How the journal is read; the journal of a huge export lists every digest, like ferry.json. */
export const EXPORT_STATE_DOCUMENT: JsonDocumentKind<typeof ExportStateSchema> = {
  schema: ExportStateSchema,
  name: 'an export journal',
  maxBytes: FERRY_JSON_LIMIT,
  code: 'INVALID_CONTENT',
};
