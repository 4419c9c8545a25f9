/**
 * The schema of an import receipt (`ferry-receipt.json`): what a site's
 * registry holds after an import, carried back to the connected side. It
 * travels on removable media, so it is read as strictly as ferry.json.
 */
import { z } from 'zod';
import { FERRY_JSON_LIMIT, Sha256DigestSchema } from './bundle-manifest.ts';
import type { JsonDocumentKind } from './document.ts';

/** One imported image: where it came from and where it now is. */
export const ReceiptImageSchema = z.strictObject({ name: z.string(), source: z.string(), destination: z.string(), digest: Sha256DigestSchema });

/**
 * The site policy's decision on the import (issue 14): the policy file's
 * digest, that it passed (a refused import writes no receipt), each rule's
 * result, and the keys that signed and approved. Absent without a policy.
 */
export const ReceiptPolicySchema = z.strictObject({
  digest: Sha256DigestSchema,
  ok: z.boolean(),
  rules: z.array(z.strictObject({ id: z.string(), ok: z.boolean() })),
  signedBy: z.array(z.string()),
  approvedBy: z.array(z.string()),
});

/** The content of a receipt, version 1. No credential is ever part of it. */
export const ImportReceiptSchema = z.strictObject({
  receiptVersion: z.literal(1, 'must be 1'),
  site: z.string().nullable(),
  /** The target registry and prefix, e.g. `mirror.local:5000/ocp`. */
  registry: z.string(),
  bundleId: z.string().nullable(),
  importedAt: z.string(),
  images: z.array(ReceiptImageSchema),
  /** Every blob and manifest digest the registry now holds for this bundle. */
  digests: z.array(Sha256DigestSchema),
  /** Added by issue 14, optional: how the site policy judged the bundle. */
  policy: ReceiptPolicySchema.optional(),
});

/** How a receipt is read: a malformed one is INVALID_CONTENT naming the file and the JSON path. */
export const RECEIPT_DOCUMENT: JsonDocumentKind<typeof ImportReceiptSchema> = {
  schema: ImportReceiptSchema,
  name: 'a Ferry receipt (receiptVersion 1 with registry, images and sha256 digests)',
  // A receipt lists every digest of a bundle, so it may be as large as that bundle's ferry.json.
  maxBytes: FERRY_JSON_LIMIT,
  code: 'INVALID_CONTENT',
};
