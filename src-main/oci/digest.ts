/**
 * Content digests: parsing, computing and verifying while streaming.
 * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
 */
import { createHash, type Hash } from 'node:crypto';
import { FerryError } from '../../src-shared/errors.ts';

/** Algorithms Ferry can verify, with the exact length of their hex encoding (image-spec "Registered algorithms"). */
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

/** The general digest grammar from the image spec, so unknown algorithms get a precise error. */
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** A validated digest split into its parts. */
export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** Parses and validates a digest; throws INVALID_DIGEST naming what is wrong. */
export function parseDigest(digest: string): ParsedDigest {
  if (!DIGEST_GRAMMAR.test(digest)) {
    throw new FerryError('INVALID_DIGEST', `invalid digest "${digest}": expected ALGORITHM:HEX, e.g. sha256:<64 hex digits>`, { digest });
  }
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = HEX_LENGTH[algorithm];
  if (length === undefined) {
    throw new FerryError('INVALID_DIGEST', `invalid digest "${digest}": unsupported algorithm "${algorithm}" (sha256 and sha512 are supported)`, { digest });
  }
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) {
    throw new FerryError('INVALID_DIGEST', `invalid digest "${digest}": ${algorithm} needs exactly ${length} lowercase hex digits`, { digest });
  }
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

/** True when the string is a digest Ferry can verify; cheap enough for every request (no exception on a tag). */
export function isDigest(value: string): boolean {
  const colon = value.indexOf(':');
  const length = HEX_LENGTH[value.slice(0, colon)];
  return colon > 0 && length !== undefined && value.length - colon - 1 === length && /^[a-f0-9]+$/.test(value.slice(colon + 1));
}

/** sha256 digest of bytes in memory (manifests, configs). */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Digest of bytes with the algorithm of an expected digest, so sha512 content verifies too. */
export function digestWithAlgorithmOf(expected: string, bytes: Uint8Array): string {
  const { algorithm } = parseDigest(expected);
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * Checks bytes as they stream past: counts them, hashes them, and refuses the
 * first byte beyond the expected size. `finish()` must be called at the end;
 * until it returns, the bytes are untrusted.
 */
export class DigestVerifier {
  readonly expectedDigest: string;
  readonly expectedSize: number;
  readonly subject: string;
  private readonly hash: Hash;
  private readonly algorithm: string;
  private received = 0;
  private finished = false;

  /** `subject` names the thing being checked (blob and repository) in error messages. */
  constructor(expectedDigest: string, expectedSize: number, subject: string) {
    const { algorithm } = parseDigest(expectedDigest);
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
    this.expectedDigest = expectedDigest;
    this.expectedSize = expectedSize;
    this.subject = subject;
  }

  /** Bytes seen so far. */
  get bytesVerified(): number {
    return this.received;
  }

  /** Feeds a chunk; throws SIZE_MISMATCH as soon as the content runs past its declared size. */
  update(chunk: Uint8Array): void {
    this.received += chunk.byteLength;
    if (this.expectedSize >= 0 && this.received > this.expectedSize) {
      throw new FerryError('SIZE_MISMATCH', `${this.subject}: more data than the declared ${this.expectedSize} bytes (trailing data)`, {
        digest: this.expectedDigest,
        expectedSize: this.expectedSize,
      });
    }
    this.hash.update(chunk);
  }

  /** Ends the check: throws SIZE_MISMATCH for short content, DIGEST_MISMATCH for altered content. */
  finish(): void {
    if (this.finished) return;
    if (this.expectedSize >= 0 && this.received !== this.expectedSize) {
      throw new FerryError('SIZE_MISMATCH', `${this.subject}: got ${this.received} bytes, expected ${this.expectedSize}`, {
        digest: this.expectedDigest,
        expectedSize: this.expectedSize,
        actualSize: this.received,
      });
    }
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expectedDigest) {
      throw new FerryError('DIGEST_MISMATCH', `${this.subject}: content digest ${actual} does not match ${this.expectedDigest}`, {
        expected: this.expectedDigest,
        actual,
      });
    }
    this.finished = true;
  }
}

/** Verifies a whole async stream of chunks and passes them through; the last chunk is released only after the check passes. */
export async function* verifyingStream<T extends Uint8Array>(source: AsyncIterable<T>, verifier: DigestVerifier): AsyncGenerator<T> {
  let pending: T | undefined;
  for await (const chunk of source) {
    verifier.update(chunk);
    if (pending) yield pending;
    pending = chunk;
  }
  verifier.finish();
  if (pending) yield pending;
}
