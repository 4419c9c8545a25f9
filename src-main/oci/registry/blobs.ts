/**
 * Blob downloads that verify while streaming and survive broken connections:
 * a dropped body resumes with `Range` from the last byte received, and a
 * server that ignores Range is handled by skipping what we already have.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError } from '../../../src-shared/errors.ts';
import { DigestVerifier, verifyingStream } from '../digest.ts';
import type { RegistryClient } from './client.ts';
import { isTemporary } from './errors.ts';

/** A body that breaks this many times in a row without a byte of progress is given up on. */
const MAX_STALLED_RESUMES = 5;
/** Hard cap on resumes of one blob, whatever progress each made, so a hostile server cannot loop forever. */
const MAX_TOTAL_RESUMES = 100;

/** Options of a blob read. */
export interface ReadBlobOptions {
  /** First byte wanted; a resumed local file passes its length here. */
  start?: number;
  /**
   * The check the bytes go through. Required when `start` > 0: the caller has
   * fed it the bytes before `start`, so the whole blob is still verified.
   */
  verifier?: DigestVerifier;
  signal?: AbortSignal;
  /** Told whenever the read had to reconnect, for progress and logs. */
  onResume?: (offset: number, error: unknown) => void;
}

/**
 * Streams a blob's bytes from `start` to the end. Every chunk goes through the
 * verifier; the last chunk is held back until the digest and size match, so a
 * consumer that commits on end-of-stream never commits bad content.
 */
export async function* readBlob(client: RegistryClient, repository: string, blob: { digest: string; size: number }, options: ReadBlobOptions = {}): AsyncGenerator<Buffer> {
  const start = options.start ?? 0;
  const subject = `blob ${blob.digest} in ${client.registry}/${repository}`;
  if (start > 0 && options.verifier === undefined) {
    throw new FerryError('INTERNAL', `${subject}: a read from offset ${start} needs a verifier primed with the earlier bytes`);
  }
  const verifier = options.verifier ?? new DigestVerifier(blob.digest, blob.size, subject);
  yield* verifyingStream(readBlobBytes(client, repository, blob, options), verifier);
}

/**
 * A blob's raw bytes from `start` to the end, reconnecting with `Range` when
 * the body breaks; unverified (readBlob and copyBlob check them). It stops at
 * the end of a body that ended cleanly: a short one is the verifier's to catch.
 */
export async function* readBlobBytes(client: RegistryClient, repository: string, blob: { digest: string; size: number }, options: Omit<ReadBlobOptions, 'verifier'> = {}): AsyncGenerator<Buffer> {
  const start = options.start ?? 0;
  const subject = `blob ${blob.digest} in ${client.registry}/${repository}`;
  let offset = start;
  let stalled = 0;
  let resumes = 0;
  // A resumed local file that already holds every byte needs no request at all.
  let done = start > 0 && start >= blob.size;
  while (!done) {
    const response = await client.send({
      method: 'GET',
      path: `/v2/${repository}/blobs/${blob.digest}`,
      scopes: [{ repository, actions: ['pull'] }],
      expect: [200, 206],
      subject,
      followRedirects: true,
      signal: options.signal,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    });
    // Where this body starts: a 206 starts at our offset, a 200 from the beginning.
    let position = 0;
    if (response.statusCode === 206) {
      const range = String(response.headers['content-range'] ?? '');
      const match = /^bytes (\d+)-/.exec(range);
      if (!match || Number(match[1]) !== offset) {
        response.body.destroy();
        throw new FerryError('REGISTRY_ERROR', `${subject}: asked for bytes from ${offset}, got range "${range}"`, { digest: blob.digest });
      }
      position = offset;
    }
    const before = offset;
    try {
      for await (const raw of response.body) {
        let chunk = raw;
        if (position < offset) {
          const skip = Math.min(chunk.length, offset - position);
          position += skip;
          chunk = chunk.subarray(skip);
          if (chunk.length === 0) continue;
        }
        position += chunk.length;
        offset += chunk.length;
        yield chunk;
      }
    } catch (error) {
      if (error instanceof FerryError || !isTemporary(error) || options.signal?.aborted) throw error;
      stalled = offset > before ? 0 : stalled + 1;
      resumes += 1;
      // Broken after the last byte (a lost chunk terminator): there is nothing left to ask for, only to verify.
      if (offset >= blob.size) break;
      if (stalled >= MAX_STALLED_RESUMES || resumes >= MAX_TOTAL_RESUMES) throw error;
      options.onResume?.(offset, error);
      await sleep(client.backoff(stalled + 1, error), undefined, { signal: options.signal });
      continue;
    }
    // A body that ended cleanly is the whole answer; a short one fails the size check.
    done = true;
  }
}

/** Reads a small blob (a config, a version file) into memory, verified. */
export async function readBlobToBuffer(client: RegistryClient, repository: string, blob: { digest: string; size: number }, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of readBlob(client, repository, blob, { signal })) chunks.push(chunk);
  return Buffer.concat(chunks);
}
