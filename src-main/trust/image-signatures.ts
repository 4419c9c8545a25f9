/**
 * Offline checking of cosign's key-based image signatures that travel in a
 * bundle (issue 14, docs/trust.md "Image signatures"): for every image, which
 * trusted keys signed it. A signature is a manifest the bundle carries as a
 * referrer of the image (ferry.json images[].referrer, kind `signature`),
 * whose `application/vnd.dev.cosign.simplesigning.v1+json` layers are
 * payloads and whose `dev.cosignproject.cosign/signature` annotations are
 * base64 signatures over the payload's exact bytes. A key counts for an image
 * only when its signature verifies over the payload (read from the bundle
 * through the digest check) AND the payload, parsed strictly after that, is a
 * cosign container image signature naming this image's digest — so a genuine
 * signature of another image, moved next to this one, counts for nothing.
 * Keys only: no Rekor entry, Fulcio certificate or timestamp is looked at.
 */
import { verify, type KeyObject } from 'node:crypto';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { IMAGE_MANIFEST_DOCUMENT } from '../../src-shared/schemas/oci.ts';
import { SIMPLE_SIGNING_PAYLOAD_DOCUMENT, SIMPLE_SIGNING_PAYLOAD_LIMIT } from '../../src-shared/schemas/simple-signing.ts';
import { FerryError } from '../../src-shared/errors.ts';
import type { BlobRef } from '../oci/blob-io.ts';
import { sha256Digest } from '../oci/digest.ts';
import type { LayerReader } from '../oci/image-files.ts';

/** The layer media type of a cosign simple signing payload. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The media type prefix of a Sigstore bundle, what cosign's new bundle format stores instead of simple signing (not checked here). */
const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle';
/** The layer annotation holding the base64 signature over the payload. */
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** cosign stops at 1000 layers in one signature manifest; so does this check, per manifest. */
export const MAX_SIGNATURE_LAYERS = 1000;
/**
 * Payload bytes read for one check at most: real bundles carry a few hundred
 * bytes per signed image, so 64 MiB covers ~100,000 signatures while a drive
 * stuffed with fake signature layers cannot exhaust memory or CPU.
 */
export const MAX_PAYLOAD_BYTES_TOTAL = 64 * 1024 * 1024;

/** What this check needs of a trusted key: its name (what reports and the policy say) and public key. trust/statements.ts KnownKey fits. */
export interface ImageSignatureKey {
  readonly name: string;
  readonly publicKey: KeyObject;
}

/** What this check needs of a verified bundle; bundle/bundle-view.ts VerifiedBundle fits (trust/ may not import bundle/). */
export interface ImageSignatureView {
  /** ferry.json as verified; undefined for a plain OCI layout, which carries no referrer entries. */
  readonly manifest: Pick<BundleManifest, 'images'> | undefined;
  /** Every verified manifest's exact bytes, by digest. */
  readonly manifests: ReadonlyMap<string, { readonly bytes: Buffer }>;
  /** Every blob the bundle holds, by digest (an incremental bundle may leave some out). */
  readonly sizes: ReadonlyMap<string, number>;
}

/** One image's answer: the keys whose signatures hold for it, and what was wrong with the signatures that did not. */
export interface ImageSignatureResult {
  /** Trusted key names, in the order the keys were given, each once. */
  signedBy: string[];
  /**
   * Signatures that count for nothing, each in plain words naming the signature manifest: made by no trusted key,
   * naming another image, malformed, or missing from the bundle. An image signed by a required key may still list
   * problems (another signer's signature, say): the policy rule looks at `signedBy`.
   */
  problems: string[];
}

/** One payload layer to check: where it is and what it claims. */
interface Candidate {
  subject: string;
  where: string;
  payload: BlobRef;
  signature: Buffer;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The base64 signature as bytes, or why it is not one. */
function decodeSignature(text: string | undefined): Buffer | string {
  if (text === undefined) return `has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`;
  if (text.length === 0 || !BASE64.test(text)) return `has a ${COSIGN_SIGNATURE_ANNOTATION} annotation that is not base64`;
  return Buffer.from(text, 'base64');
}

/** True when `key` verifies `signature` over `payload`: ECDSA P-256 with SHA-256 (DER, as cosign writes it) or Ed25519. */
export function verifiesPayload(key: KeyObject, payload: Buffer, signature: Buffer): boolean {
  const algorithm = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'sha256' : key.asymmetricKeyType === 'ed25519' ? null : undefined;
  if (algorithm === undefined) return false;
  try {
    return verify(algorithm, payload, key, signature);
  } catch {
    // A signature that is not even DER is simply one that does not verify.
    return false;
  }
}

/** The payload layers of one signature manifest, or the problem that stops it being read. */
function candidatesOf(digest: string, subject: string, view: ImageSignatureView): { candidates: Candidate[]; problems: string[] } {
  const where = `signature ${digest}`;
  const held = view.manifests.get(digest);
  if (!held) return { candidates: [], problems: [`${where}: its manifest is not in the bundle's verified graph`] };
  let manifest;
  try {
    manifest = parseJsonDocument(held.bytes, IMAGE_MANIFEST_DOCUMENT, where);
  } catch (error) {
    return { candidates: [], problems: [error instanceof FerryError ? error.message : `${where}: not an image manifest`] };
  }
  const problems: string[] = [];
  if (manifest.subject !== undefined && manifest.subject.digest !== subject) problems.push(`${where}: its manifest's subject is ${manifest.subject.digest}, not the image ${subject}`);
  const payloads = manifest.layers.map((layer, i) => ({ layer, i })).filter(({ layer }) => layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
  if (payloads.length === 0) {
    const sigstore = [manifest.artifactType, ...manifest.layers.map((layer) => layer.mediaType)].some((type) => type?.startsWith(SIGSTORE_BUNDLE_MEDIA_TYPE) === true);
    problems.push(
      sigstore
        ? `${where}: is a Sigstore bundle (cosign's new bundle format), which this check does not read: only simple signing signatures count`
        : `${where}: holds no ${SIMPLE_SIGNING_MEDIA_TYPE} layer, so it is no cosign simple signing signature (the only kind checked)`,
    );
  }
  if (payloads.length > MAX_SIGNATURE_LAYERS) return { candidates: [], problems: [...problems, `${where}: has ${payloads.length} payload layers, more than ${MAX_SIGNATURE_LAYERS}`] };
  const candidates: Candidate[] = [];
  for (const { layer, i } of payloads) {
    const at = `${where} layer ${i}`;
    const signature = decodeSignature(layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION]);
    if (typeof signature === 'string') problems.push(`${at}: ${signature}`);
    else if (!layer.digest.startsWith('sha256:')) problems.push(`${at}: its payload digest ${layer.digest} is not sha256`);
    else if (layer.size > SIMPLE_SIGNING_PAYLOAD_LIMIT) problems.push(`${at}: its payload is ${layer.size} bytes, more than a simple signing payload (${SIMPLE_SIGNING_PAYLOAD_LIMIT})`);
    else if (view.sizes.get(layer.digest) !== layer.size) problems.push(`${at}: its payload ${layer.digest} is not in this bundle (an incremental bundle may have left it out)`);
    else candidates.push({ subject, where: at, payload: { digest: layer.digest, size: layer.size }, signature });
  }
  return { candidates, problems };
}

/** Splits candidates into those whose distinct payloads fit MAX_PAYLOAD_BYTES_TOTAL (in bundle order) and the rest, which are not read. */
function withinPayloadBudget(candidates: readonly Candidate[]): { kept: Candidate[]; dropped: Candidate[] } {
  const counted = new Set<string>();
  let bytes = 0;
  const kept: Candidate[] = [];
  const dropped: Candidate[] = [];
  for (const candidate of candidates) {
    const fresh = !counted.has(candidate.payload.digest);
    if (fresh && bytes + candidate.payload.size > MAX_PAYLOAD_BYTES_TOTAL) {
      dropped.push(candidate);
      continue;
    }
    if (fresh) {
      counted.add(candidate.payload.digest);
      bytes += candidate.payload.size;
    }
    kept.push(candidate);
  }
  return { kept, dropped };
}

/** Reads every wanted payload through the reader's digest check (and checks it again here, since these bytes decide trust). */
async function readPayloads(blobs: LayerReader, wanted: readonly BlobRef[], signal?: AbortSignal): Promise<Map<string, Buffer>> {
  const unique = [...new Map(wanted.map((blob) => [blob.digest, blob])).values()];
  const payloads = new Map<string, Buffer>();
  await blobs.each(
    unique,
    async (blob, bytes) => {
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const chunk of bytes()) {
        length += chunk.byteLength;
        if (length > blob.size) throw new FerryError('SIZE_MISMATCH', `payload ${blob.digest} is longer than its ${blob.size} bytes`, { digest: blob.digest });
        chunks.push(Buffer.from(chunk));
      }
      const data = Buffer.concat(chunks);
      if (sha256Digest(data) !== blob.digest) throw new FerryError('DIGEST_MISMATCH', `payload ${blob.digest} does not match its digest`, { digest: blob.digest });
      payloads.set(blob.digest, data);
    },
    signal,
  );
  return payloads;
}

/** Which keys a verified payload counts for, or the problem when it names something other than this image. */
function judge(candidate: Candidate, payload: Buffer, keys: readonly ImageSignatureKey[]): { signers: string[]; problem?: string } {
  const signers = keys.filter((key) => verifiesPayload(key.publicKey, payload, candidate.signature)).map((key) => key.name);
  if (signers.length === 0) return { signers, problem: `${candidate.where}: made by no trusted key` };
  // Verified first, parsed second: nothing of an unverified payload is read.
  let parsed;
  try {
    parsed = parseJsonDocument(payload, SIMPLE_SIGNING_PAYLOAD_DOCUMENT, `payload ${candidate.payload.digest}`);
  } catch (error) {
    // One line per problem: the schema's list becomes `; `-separated.
    const why = error instanceof FerryError ? error.message.replace(/:?\n\s*/g, (m) => (m.startsWith(':') ? ': ' : '; ')) : 'it cannot be read';
    return { signers: [], problem: `${candidate.where}: signed by ${signers.join(', ')}, but its payload is not a cosign image signature: ${why}` };
  }
  const named = parsed.critical.image['docker-manifest-digest'];
  if (named !== candidate.subject) return { signers: [], problem: `${candidate.where}: signed by ${signers.join(', ')} for the image ${named}, not this image ${candidate.subject}` };
  return { signers };
}

/**
 * Checks the cosign simple signing signatures a verified bundle carries
 * against `keys`. Returns one result per image digest the bundle exports
 * (referrer entries themselves are not images here); an image with no
 * signature gets empty `signedBy` and `problems`. `blobs` hands out the
 * bundle's blobs through their digest check (bundle/view-blobs.ts
 * viewBlobReader for either form). Throws only when a payload's bytes no
 * longer match their digest: the media changed after verification.
 * Policy's `image-signatures` rule passes an image when every required key
 * name is in its `signedBy` (the check itself knows no policy).
 */
export async function checkImageSignatures(view: ImageSignatureView, keys: readonly ImageSignatureKey[], blobs: LayerReader, signal?: AbortSignal): Promise<Map<string, ImageSignatureResult>> {
  const results = new Map<string, ImageSignatureResult>();
  const images = view.manifest?.images ?? [];
  for (const image of images) if (image.referrer === undefined && !results.has(image.digest)) results.set(image.digest, { signedBy: [], problems: [] });
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  for (const entry of images) {
    if (entry.referrer?.kind !== 'signature') continue;
    const result = results.get(entry.referrer.subject);
    const key = `${entry.referrer.subject} ${entry.digest}`;
    if (!result || seen.has(key)) continue;
    seen.add(key);
    const found = candidatesOf(entry.digest, entry.referrer.subject, view);
    result.problems.push(...found.problems);
    candidates.push(...found.candidates);
  }
  if (candidates.length === 0) return results;
  const within = withinPayloadBudget(candidates);
  for (const candidate of within.dropped)
    results.get(candidate.subject)?.problems.push(`${candidate.where}: not checked, the bundle's signature payloads exceed ${MAX_PAYLOAD_BYTES_TOTAL} bytes in all`);
  const payloads = await readPayloads(
    blobs,
    within.kept.map((candidate) => candidate.payload),
    signal,
  );
  for (const candidate of within.kept) {
    const result = results.get(candidate.subject);
    const payload = payloads.get(candidate.payload.digest);
    if (!result) continue;
    if (!payload) {
      result.problems.push(`${candidate.where}: its payload ${candidate.payload.digest} could not be read from the bundle`);
      continue;
    }
    const verdict = judge(candidate, payload, keys);
    if (verdict.problem !== undefined) result.problems.push(verdict.problem);
    for (const signer of verdict.signers) if (!result.signedBy.includes(signer)) result.signedBy.push(signer);
  }
  for (const result of results.values()) result.signedBy.sort((a, b) => keys.findIndex((k) => k.name === a) - keys.findIndex((k) => k.name === b));
  return results;
}
