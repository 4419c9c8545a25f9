/**
 * The tar parts of an archive bundle as a blob source (blob-io.ts). Parts are
 * one tar stream read in order, so this source is walked rather than opened
 * at random: each blob entry is handed on as a one-pass BlobStream, checked
 * by copyBlob like any other source. Each part's own size and sha256 are
 * checked as the walk streams it (openPartsStream), unless the caller verified them already.
 */
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { verifiedContent, type BlobRef, type BlobStream } from '../oci/blob-io.ts';
import type { LayerReader } from '../oci/image-files.ts';
import { openPartsStream, type PartInfo } from './parts.ts';
import { writeToExtract } from '../oci/tar-feed.ts';
import { TarEntryGuard, type TarEntryHeader } from './tar-safety.ts';

/** Visits one blob entry; it must read the stream or leave it (the walk drains what is left). */
export type ArchiveBlobVisitor = (blob: BlobRef, content: BlobStream) => Promise<void>;

/** The blobs of one archive bundle, walked in stream order. */
export class ArchiveBlobs {
  /**
   * `checkParts: false` skips re-hashing each part as the walk streams it, for a caller that verified the
   * parts already and checks every blob it uses against its digest as it streams (the import's push):
   * what is written is still checked byte for byte, only the parts' own second hash is saved.
   */
  constructor(
    readonly dir: string,
    private readonly parts: PartInfo[],
    private readonly options: { checkParts?: boolean } = {},
  ) {}

  /** Names a blob of this archive in errors. */
  describe(blob: BlobRef): string {
    return `blob ${blob.digest} in ${this.dir}`;
  }

  /** Walks the entries in order, handing each blob (with the size its tar header gives) to `visit`. */
  async forEach(visit: ArchiveBlobVisitor, signal?: AbortSignal): Promise<void> {
    const extract = tarStream.extract();
    // The same tar safety verify applies: the media may have changed since, so a link or device entry is refused here too, never visited.
    const guard = new TarEntryGuard();
    const walking = (async () => {
      for await (const entry of extract) {
        const name = entry.header.name;
        const refused = guard.check(entry.header as unknown as TarEntryHeader);
        if (refused.length > 0) throw new FerryError('BUNDLE_INVALID', `${this.dir}: ${refused.join('; ')}`, { path: this.dir, entry: name });
        try {
          if (name.startsWith('blobs/sha256/')) await visit({ digest: `sha256:${name.slice('blobs/sha256/'.length)}`, size: entry.header.size }, { stream: entry as AsyncIterable<Buffer> });
        } finally {
          // Whatever the visitor read, the rest of the entry must be drained or the extractor stalls.
          for await (const _chunk of entry) {
            /* skipped bytes */
          }
        }
      }
    })();
    walking.catch(() => undefined);
    try {
      for await (const chunk of openPartsStream(this.dir, this.parts, { verify: this.options.checkParts ?? true, ...(signal ? { signal } : {}) })) {
        if (!(await writeToExtract(extract, chunk))) break;
      }
      if (!extract.destroyed) extract.end(Buffer.alloc(0));
      await walking;
    } catch (error) {
      extract.destroy();
      throw error;
    }
  }
}

/**
 * An archive's blobs as a layer reader (oci/image-files.ts): one pass over
 * the parts visits the wanted blobs in stream order, each checked against
 * its descriptor's digest and size as it streams, and the pass stops once
 * every wanted blob was visited.
 */
export function archiveLayerReader(archive: ArchiveBlobs): LayerReader {
  return {
    randomAccess: false,
    async each(blobs, visit, signal) {
      const wanted = new Map(blobs.map((blob) => [blob.digest, blob]));
      if (wanted.size === 0) return;
      const stop = new AbortController();
      try {
        await archive.forEach(
          async (found, content) => {
            const blob = wanted.get(found.digest);
            if (!blob) return;
            wanted.delete(found.digest);
            await visit(blob, () => verifiedContent(blob, content, { subject: archive.describe(blob) }).from(0));
            if (wanted.size === 0) stop.abort();
          },
          signal ? AbortSignal.any([signal, stop.signal]) : stop.signal,
        );
      } catch (error) {
        // The pass was stopped on purpose once everything wanted was read: that is its end, not a failure.
        if (!(stop.signal.aborted && wanted.size === 0 && !signal?.aborted)) throw error;
      }
    },
  };
}
