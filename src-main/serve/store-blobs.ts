/**
 * How bytes become a committed blob of a store folder, on the one sequence
 * base/durable-write.ts defines (temp file in the blob's own folder, write,
 * verify, fsync, rename, fsync the folder): a file under `blobs/` is always
 * complete and matches its digest, whatever moment a kill strikes.
 * Content is hashed as it is written, never read twice, and the next chunk
 * is hashed while the previous one is being written.
 */
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { FerryError } from '../../src-shared/errors.ts';
import { openDurableWriter } from '../base/durable-write.ts';
import { errnoCode, ioError } from '../base/fs-errors.ts';
import { DigestVerifier } from '../oci/digest.ts';
import { RegistryProblem } from './problems.ts';
import { ensureFolder, type StoreLayout } from './store-layout.ts';

/** The size of a committed blob, or undefined when the store does not hold it. */
export async function committedBlobSize(layout: StoreLayout, digest: string): Promise<number | undefined> {
  try {
    const info = await stat(layout.blobFile(digest));
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw ioError('read', layout.blobFile(digest), error);
  }
}

/** A content check's failure in the spec's words: DIGEST_INVALID or SIZE_INVALID (400), naming the blob; anything else passes through. */
export function asContentProblem(error: unknown): unknown {
  if (error instanceof FerryError && error.code === 'DIGEST_MISMATCH') return new RegistryProblem('DIGEST_INVALID', error.message, { detail: error.details });
  if (error instanceof FerryError && error.code === 'SIZE_MISMATCH') return new RegistryProblem('SIZE_INVALID', error.message, { detail: error.details });
  return error;
}

/**
 * Writes chunks to a durable writer while the caller hashes the next one:
 * at most one write is in flight, and its failure surfaces at the next
 * `push` or at `drain`.
 */
export class PipelinedWriter {
  private pending: Promise<void> | undefined;

  constructor(private readonly write: (chunk: Uint8Array) => Promise<void>) {}

  /** Waits for the write in flight, then starts writing `chunk`. */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.pending !== undefined) await this.pending;
    this.pending = this.write(chunk);
  }

  /** Waits for the last write; a failure is thrown here. */
  async drain(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined) await pending;
  }

  /** Waits for the last write and swallows its failure (the caller is already failing for another reason). */
  async settle(): Promise<void> {
    await this.drain().catch(() => undefined);
  }
}

/**
 * Stores a blob of known digest and size from a stream: written beside its
 * final name, hashed on the way, refused with DIGEST_INVALID or SIZE_INVALID
 * (the temp file removed, nothing visible), and renamed into place only
 * after the check and an fsync.
 */
export async function writeBlob(layout: StoreLayout, blob: { digest: string; size: number }, content: Readable, subject: string, folders: Set<string>): Promise<void> {
  await ensureFolder(layout.blobFolder(blob.digest), folders);
  const verifier = new DigestVerifier(blob.digest, blob.size, subject);
  const writer = await openDurableWriter(layout.blobFile(blob.digest));
  const pipeline = new PipelinedWriter((chunk) => writer.write(chunk));
  try {
    for await (const chunk of content as AsyncIterable<Uint8Array | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      verifier.update(bytes);
      await pipeline.push(bytes);
    }
    await pipeline.drain();
    verifier.finish();
  } catch (error) {
    await pipeline.settle();
    await writer.abort();
    content.destroy();
    throw asContentProblem(error);
  }
  await writer.commit();
}
