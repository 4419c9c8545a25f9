/**
 * The `blobs/sha256/` store of a directory-form bundle. Every blob follows one
 * sequence: stream into `<hex>.partial`, verify, fsync, rename, fsync the
 * folder. A file under its final name is therefore always complete and
 * verified; a `.partial` is resumed (its bytes are re-hashed first) or restarted.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { DigestVerifier, parseDigest } from '../oci/digest.ts';
import { fsyncDir, ioError } from './fs-durable.ts';

/** Opens the bytes of a blob from `start`; the verifier has already seen the bytes before `start`. */
export type BlobOpener = (start: number, verifier: DigestVerifier) => AsyncIterable<Uint8Array>;

/** How a blob got into the store. */
export type BlobOutcome = 'present' | 'resumed' | 'written';

/** Suffix of a blob being written; never a name the OCI layout or a bundle reader accepts as content. */
export const PARTIAL_SUFFIX = '.partial';

/** The content-addressed blob folder of one bundle. */
export class BlobDirectory {
  readonly dir: string;

  constructor(readonly root: string) {
    this.dir = join(root, 'blobs', 'sha256');
  }

  /** Where a blob lives in the layout (`blobs/sha256/<hex>`). */
  path(digest: string): string {
    return join(this.dir, parseDigest(digest).hex);
  }

  /** Creates the folders durably; called once before the first write. */
  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true }).catch((error: unknown) => {
      throw ioError('create', this.dir, error);
    });
    await fsyncDir(join(this.root, 'blobs'));
    await fsyncDir(this.root);
  }

  /** Bytes of the content already stored (complete blobs and `.partial` prefixes), for the free-space check of a resumed run. */
  async storedBytes(blobs: Array<{ digest: string; size: number }>): Promise<number> {
    let total = 0;
    for (const blob of blobs) {
      if (await this.has(blob)) total += blob.size;
      else total += Math.min(blob.size, (await stat(`${this.path(blob.digest)}${PARTIAL_SUFFIX}`).catch(() => undefined))?.size ?? 0);
    }
    return total;
  }

  /** True when the blob is stored under its final name with the right size (it was verified before the rename). */
  async has(blob: { digest: string; size: number }): Promise<boolean> {
    const info = await stat(this.path(blob.digest)).catch(() => undefined);
    return info !== undefined && info.isFile() && info.size === blob.size;
  }

  /** Bytes already in the `.partial` file of a blob (0 when there is none or it is too long to be right). */
  private async partialBytes(partial: string, size: number): Promise<number> {
    const info = await stat(partial).catch(() => undefined);
    if (!info?.isFile() || info.size > size) {
      await rm(partial, { force: true });
      return 0;
    }
    return info.size;
  }

  /** Stores a blob from a stream, resuming a `.partial` left by an earlier run. */
  async write(blob: { digest: string; size: number }, openBlob: BlobOpener, onBytes?: (bytes: number) => void, subject = `blob ${blob.digest}`): Promise<BlobOutcome> {
    if (await this.has(blob)) return 'present';
    const partial = `${this.path(blob.digest)}${PARTIAL_SUFFIX}`;
    const already = await this.partialBytes(partial, blob.size);
    try {
      await this.stream(blob, partial, already, openBlob, onBytes, subject);
      return already > 0 ? 'resumed' : 'written';
    } catch (error) {
      // A resumed file whose old bytes were bad fails only at the digest check: start that blob over once.
      if (already > 0 && error instanceof FerryError && (error.code === 'DIGEST_MISMATCH' || error.code === 'SIZE_MISMATCH')) {
        await rm(partial, { force: true });
        await this.stream(blob, partial, 0, openBlob, onBytes, subject);
        return 'written';
      }
      if (error instanceof FerryError && (error.code === 'DIGEST_MISMATCH' || error.code === 'SIZE_MISMATCH')) await rm(partial, { force: true });
      throw error;
    }
  }

  /** Stores bytes already verified in memory (manifests), with the same durable sequence. */
  async writeBytes(blob: { digest: string; size: number }, bytes: Buffer): Promise<BlobOutcome> {
    return this.write(blob, async function* (start, verifier) {
      const rest = bytes.subarray(start);
      verifier.update(rest);
      verifier.finish();
      yield rest;
    });
  }

  private async stream(blob: { digest: string; size: number }, partial: string, already: number, openBlob: BlobOpener, onBytes: ((bytes: number) => void) | undefined, subject: string): Promise<void> {
    const verifier = new DigestVerifier(blob.digest, blob.size, subject);
    if (already > 0) {
      for await (const chunk of createReadStream(partial, { highWaterMark: 1024 * 1024 })) verifier.update(chunk as Buffer);
      onBytes?.(already);
    }
    const handle = await open(partial, already > 0 ? 'a' : 'w').catch((error: unknown) => {
      throw ioError('create', partial, error);
    });
    try {
      for await (const chunk of openBlob(already, verifier)) {
        await handle.write(chunk).catch((error: unknown) => {
          throw ioError('write', partial, error);
        });
        onBytes?.(chunk.byteLength);
      }
      // Whatever the opener did, nothing gets its final name unverified.
      verifier.finish();
      await handle.sync();
    } finally {
      await handle.close();
    }
    const final = this.path(blob.digest);
    await rename(partial, final).catch((error: unknown) => {
      throw ioError('rename', partial, error);
    });
    await fsyncDir(this.dir);
  }
}
