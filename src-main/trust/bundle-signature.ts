/**
 * A signature over a bundle's ferry.json (issue 14, docs/trust.md "Bundle
 * signatures"): a Sigstore bundle (v0.3) holding a DSSE envelope whose payload
 * is an in-toto Statement v1 naming ferry.json by its SHA-256. Signing is
 * offline, with a Ferry key (trust/keys.ts): no transparency log, no
 * certificate, no timestamp. Verifying checks the exact bundle shape, the
 * signature with a trusted key (before the payload is read), then the
 * statement and its subject digest against the ferry.json bytes at hand.
 */
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type { SerializedBundle } from '@sigstore/bundle';
import type { Signer } from '@sigstore/sign';
import type { TrustMaterial } from '@sigstore/verify';
import { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';
import { parseStrictJson } from '../../src-shared/strict-json.ts';
import { sha256Digest } from '../oci/digest.ts';
import { keyFingerprint } from './keys.ts';

/**
 * The Sigstore libraries (about 90 modules, the sign side with a network
 * stack) load on the first signature made or checked, never at start-up:
 * every CLI command reaches this file through the use cases, and most never
 * sign. They are CommonJS, so a synchronous require keeps verification sync.
 */
const requireLazily = createRequire(import.meta.url);
const sigstore = {
  bundle: (): typeof import('@sigstore/bundle') => requireLazily('@sigstore/bundle') as typeof import('@sigstore/bundle'),
  sign: (): typeof import('@sigstore/sign') => requireLazily('@sigstore/sign') as typeof import('@sigstore/sign'),
  verify: (): typeof import('@sigstore/verify') => requireLazily('@sigstore/verify') as typeof import('@sigstore/verify'),
};

/** The only Sigstore bundle media type Ferry writes or accepts. */
export const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** The DSSE payloadType of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The in-toto Statement v1 `_type`. */
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** Ferry's predicate type: "the signer vouches for this ferry.json"; an identifier, never fetched. */
export const FERRY_JSON_PREDICATE_TYPE = 'https://ferry.dev/attestations/ferry-json/v1';
/** The predicate type of an officer's decision on a bundle (approval or rejection, docs/trust.md "Approvals"). */
export const APPROVAL_PREDICATE_TYPE = 'https://ferry.dev/attestations/approval/v1';
/** The subject name the statement gives ferry.json. */
export const FERRY_JSON_SUBJECT = 'ferry.json';

/** A statement payload larger than this is not a Ferry statement. */
const MAX_STATEMENT_BYTES = 1024 * 1024;

/** What a signature carries beside the digest: free-form JSON object, empty by default. */
export type FerryPredicate = Record<string, unknown>;

/** The key a signature is made with: its private half and its id (the public key's fingerprint). */
export interface FerrySigner {
  privateKey: KeyObject;
  keyId: string;
}

/** What a verified signature says: who signed, and the statement's predicate. */
export interface VerifiedFerrySignature {
  keyId: string;
  predicateType: string;
  predicate: FerryPredicate;
}

const statementSchema = z
  .object({
    _type: z.literal(IN_TOTO_STATEMENT_TYPE),
    subject: z
      .array(
        z
          .object({
            name: z.string(),
            digest: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
          })
          .strict(),
      )
      .length(1),
    predicateType: z.string().min(1),
    predicate: z.record(z.string(), z.unknown()),
  })
  .strict();

/** The hex SHA-256 of some bytes, as in-toto subjects write it (the project's digest helper without its `sha256:` prefix). */
function sha256Hex(bytes: Buffer): string {
  return sha256Digest(bytes).slice('sha256:'.length);
}

/** A plain JSON object (not null, not an array). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuse(reason: string, details: Record<string, unknown> = {}, cause?: unknown): never {
  throw new FerryError('BUNDLE_INVALID', `ferry.json signature: ${reason}`, { part: 'signature', ...details }, cause === undefined ? undefined : { cause });
}

/**
 * Signs ferry.json's exact bytes: returns the Sigstore bundle JSON to write
 * beside it. The key id must be the signing key's fingerprint, so a verifier
 * can find the public key by it.
 */
export async function signFerryJson(ferryJson: Buffer, signer: FerrySigner, predicate: FerryPredicate = {}): Promise<SerializedBundle> {
  return signFerryStatement(ferryJson, signer, FERRY_JSON_PREDICATE_TYPE, predicate);
}

/**
 * Signs a statement of any Ferry predicate type over ferry.json's exact bytes
 * (the exporter's signature, an officer's approval or rejection).
 */
export async function signFerryStatement(ferryJson: Buffer, signer: FerrySigner, predicateType: string, predicate: FerryPredicate): Promise<SerializedBundle> {
  const publicKey = createPublicKey(signer.privateKey);
  const fingerprint = keyFingerprint(publicKey);
  if (signer.keyId !== fingerprint) {
    throw new FerryError('INVALID_ARGUMENT', `signing key id ${signer.keyId} is not the key's fingerprint ${fingerprint}`, { keyId: signer.keyId, fingerprint });
  }
  const statement = {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: FERRY_JSON_SUBJECT, digest: { sha256: sha256Hex(ferryJson) } }],
    predicateType,
    predicate,
  };
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const dsseSigner: Signer = {
    // `data` is the DSSE PAE the builder made from payloadType and payload.
    sign: async (data) => ({
      // ECDSA signs a SHA-256 digest; Ed25519 signs the message itself (Node takes no digest name for it).
      signature: sign(signer.privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, signer.privateKey),
      key: { $case: 'publicKey', publicKey: publicKeyPem, hint: signer.keyId },
    }),
  };
  const builder = new (sigstore.sign().DSSEBundleBuilder)({ signer: dsseSigner, witnesses: [] });
  const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement), 'utf8'), type: IN_TOTO_PAYLOAD_TYPE });
  return sigstore.bundle().bundleToJSON(bundle);
}

/**
 * Verifies a signature over ferry.json with one of the trusted keys (by key
 * id): returns who signed and the predicate, or throws BUNDLE_INVALID naming
 * what is wrong (shape, unknown key, bad signature, statement, digest).
 */
export function verifyFerryJsonSignature(bundleJson: unknown, ferryJson: Buffer, trustedKeys: ReadonlyMap<string, KeyObject>): VerifiedFerrySignature {
  // The library accepts more than Ferry writes (other versions, unknown keys, both content kinds): check the outline first.
  if (!isPlainObject(bundleJson)) refuse('the Sigstore bundle is not a JSON object');
  if (bundleJson.mediaType !== SIGSTORE_BUNDLE_MEDIA_TYPE) {
    refuse(`media type ${JSON.stringify(bundleJson.mediaType)} is not ${SIGSTORE_BUNDLE_MEDIA_TYPE}`, { mediaType: bundleJson.mediaType });
  }
  const keys = Object.keys(bundleJson).sort();
  const expected = ['dsseEnvelope', 'mediaType', 'verificationMaterial'];
  if (keys.join(',') !== expected.join(',')) refuse(`the Sigstore bundle has members ${keys.join(', ')}; expected exactly ${expected.join(', ')}`, { members: keys });
  const envelope = bundleJson.dsseEnvelope;
  if (!isPlainObject(envelope) || !Array.isArray(envelope.signatures) || envelope.signatures.length !== 1) {
    refuse('the DSSE envelope must carry exactly one signature');
  }
  let bundle;
  try {
    bundle = sigstore.bundle().bundleFromJSON(bundleJson);
  } catch (error) {
    refuse(`not a valid Sigstore bundle: ${error instanceof Error ? error.message : String(error)}`, {}, error);
  }
  if (!sigstore.bundle().isBundleWithDsseEnvelope(bundle)) refuse('the Sigstore bundle holds no DSSE envelope');
  const material = bundle.verificationMaterial.content;
  if (material.$case !== 'publicKey') refuse(`verification material is ${material.$case}; Ferry signs with a public key only`);
  const keyId = material.publicKey.hint;
  const publicKey = trustedKeys.get(keyId);
  if (publicKey === undefined) refuse(`signed by key ${JSON.stringify(keyId)}, which is not a trusted key`, { keyId });

  const trust: TrustMaterial = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    publicKey: (hint) => {
      if (hint !== keyId) throw new Error(`unknown key ${hint}`);
      return { publicKey, validFor: () => true };
    },
  };
  try {
    const { Verifier, toSignedEntity } = sigstore.verify();
    new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
  } catch (error) {
    refuse(`the DSSE signature does not verify with key ${keyId}`, { keyId }, error);
  }

  // Only now, with the signature checked, is the payload read.
  const { payloadType, payload } = bundle.content.dsseEnvelope;
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) refuse(`payload type ${JSON.stringify(payloadType)} is not ${IN_TOTO_PAYLOAD_TYPE}`, { payloadType });
  const parsed = statementSchema.safeParse(parseStrictJson(payload, { file: 'ferry.json signature statement', maxBytes: MAX_STATEMENT_BYTES, code: 'BUNDLE_INVALID' }));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    refuse(`the in-toto statement is not one Ferry accepts: ${issue === undefined ? 'invalid' : `${issue.path.join('.') || '$'}: ${issue.message}`}`);
  }
  const statement = parsed.data;
  const [subject] = statement.subject;
  if (subject === undefined || subject.name !== FERRY_JSON_SUBJECT) refuse(`the statement's subject is not ${FERRY_JSON_SUBJECT}`);
  const actual = sha256Hex(ferryJson);
  if (subject.digest.sha256 !== actual) {
    refuse(`the signed ferry.json digest sha256:${subject.digest.sha256} is not this ferry.json's sha256:${actual}`, { expected: subject.digest.sha256, actual });
  }
  return { keyId, predicateType: statement.predicateType, predicate: statement.predicate };
}
