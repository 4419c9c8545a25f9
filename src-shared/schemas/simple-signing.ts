/**
 * The simple signing payload cosign signs for a container image (sigstore's
 * `payload.SimpleContainerImage`, the "cosign container image signature"
 * form of containers/image's simple signing): what image digest a signature
 * vouches for. Read only after a trusted key verified its exact bytes, and
 * then strictly: `critical` may hold nothing it does not declare, since a
 * verifier that ignored a critical field would accept what its signer did not
 * mean; `optional` is free-form by definition and only checked for shape.
 * https://github.com/containers/image/blob/main/docs/containers-signature.5.md
 */
import { z } from 'zod';
import type { JsonDocumentKind } from './document.ts';
import { Sha256DigestSchema } from './bundle-manifest.ts';

/** `critical.type` of every payload cosign writes for an image. */
export const COSIGN_PAYLOAD_TYPE = 'cosign container image signature';

/** The payload: what was signed (`critical`) and the signer's free-form notes (`optional`). */
export const SimpleSigningPayloadSchema = z.strictObject({
  critical: z.strictObject({
    identity: z.strictObject({ 'docker-reference': z.string().max(4096, 'is longer than 4096 characters') }),
    image: z.strictObject({ 'docker-manifest-digest': Sha256DigestSchema }),
    type: z.literal(COSIGN_PAYLOAD_TYPE, `must be "${COSIGN_PAYLOAD_TYPE}"`),
  }),
  optional: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** A simple signing payload, as read. */
export type SimpleSigningPayload = z.infer<typeof SimpleSigningPayloadSchema>;

/** A real payload is a few hundred bytes; more is not a payload cosign wrote (and is never read into memory). */
export const SIMPLE_SIGNING_PAYLOAD_LIMIT = 64 * 1024;

/** How a payload's bytes are read: a malformed one is malformed content of the bundle that carried it. */
export const SIMPLE_SIGNING_PAYLOAD_DOCUMENT: JsonDocumentKind<typeof SimpleSigningPayloadSchema> = {
  schema: SimpleSigningPayloadSchema,
  name: 'the cosign simple signing payload schema',
  maxBytes: SIMPLE_SIGNING_PAYLOAD_LIMIT,
  code: 'INVALID_CONTENT',
};
