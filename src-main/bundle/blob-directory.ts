/**
 * The `blobs/sha256/` store of a directory-form bundle. Every blob follows one
 * sequence: stream into `<hex>.partial` (in large gathered writes), verify,
 * fsync, rename. A file under its final name is therefore always complete and
 * verified; a `.partial` is resumed (its bytes are re-hashed first) or restarted.
 * The folder itself is fsynced once, by `syncFolder` before the bundle is
 * sealed, not after every rename: a rename a crash loses leaves a complete
 * `.partial`, which the next run re-hashes and renames, never trusts.
 * The same folder is a blob source when a layout is imported.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isContentMismatch, type BlobContent, type BlobRef, type BlobSink, type BlobSource } from '../oci/blob-io.ts';
import { parseDigest } from '../oci/digest.ts';
import { fsyncDir } from '../base/durable-write.ts';
import { writeGathered } from '../base/gathered-write.ts';
import { entryKind } from '../base/safe-file.ts';
import { streamBundleFile, type ReadBuffers } from '../base/safe-read.ts';
import { ioError } from '../base/fs-errors.ts';

/** How a blob got into the store. */
export type BlobOutcome = 'present' | 'resumed' | 'written';

/** Suffix of a blob being written; never a name the OCI layout or a bundle reader accepts as content. */
export const PARTIAL_SUFFIX = '.partial';

/** The content-addressed blob folder of one bundle or OCI layout: a blob source for import, a blob sink for export. */
export class BlobDirectory implements BlobSource, BlobSink {
  readonly dir: string;

  /** `buffers`: read blobs into buffers of this lease (safe-read.ts), for a consumer that hashes and sends each chunk before the next. */
  constructor(
    readonly root: string,
    private readonly options: { buffers?: ReadBuffers } = {},
  ) {
    this.dir = join(root, 'blobs', 'sha256');
  }

  /** Names a blob of this folder by its file, so a bad one points at what to look at. */
  describe(blob: BlobRef): string {
    return `blob ${blob.digest} (${this.path(blob.digest)})`;
  }

  /** The blob file's raw bytes from `start`, opened safely: a symlink at any level below the root, a FIFO or a device is refused by name. */
  open(blob: BlobRef, start: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return streamBundleFile(this.root, this.relative(blob.digest), { start, ...(this.options.buffers ? { buffers: this.options.buffers } : {}), ...(signal ? { signal } : {}) });
  }

  /** The blob's name under the root (`blobs/sha256/<hex>`), as the safe reader takes it. */
  private relative(digest: string, suffix = ''): string {
    return `blobs/sha256/${parseDigest(digest).hex}${suffix}`;
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
      else total += Math.min(blob.size, (await this.fileSize(this.relative(blob.digest, PARTIAL_SUFFIX))) ?? 0);
    }
    return total;
  }

  /** True when the blob is stored under its final name with the right size (it was verified before the rename). */
  async has(blob: { digest: string; size: number }): Promise<boolean> {
    return (await this.fileSize(this.relative(blob.digest))) === blob.size;
  }

  /** The size of a regular file under the root (lstat: a symlink, FIFO or device is not one), or undefined. */
  private async fileSize(relative: string): Promise<number | undefined> {
    const info = await entryKind(this.root, relative).catch(() => undefined);
    return info?.kind === 'file' ? info.size : undefined;
  }

  /** Bytes already in the `.partial` file of a blob (0 when there is none, it is not a regular file, or it is too long to be right). */
  private async partialBytes(partial: string, digest: string, size: number): Promise<number> {
    const bytes = await this.fileSize(this.relative(digest, PARTIAL_SUFFIX));
    if (bytes === undefined || bytes > size) {
      // rm removes a symlink itself, never what it points to.
      await rm(partial, { force: true });
      return 0;
    }
    return bytes;
  }

  /**
   * Stores a blob from its verified content, resuming a `.partial` left by an
   * earlier run (its bytes are hashed into the check, not trusted). A mismatch
   * removes the `.partial`; a transport failure keeps it for the next run.
   */
  async write(content: BlobContent): Promise<void> {
    await this.store(content);
  }

  /** write, telling how the blob got there. */
  async store(content: BlobContent): Promise<BlobOutcome> {
    const { blob } = content;
    if (await this.has(blob)) return 'present';
    const partial = `${this.path(blob.digest)}${PARTIAL_SUFFIX}`;
    const already = await this.partialBytes(partial, blob.digest, blob.size);
    try {
      await this.stream(content, partial, already);
      return already > 0 ? 'resumed' : 'written';
    } catch (error) {
      if (!isContentMismatch(error)) throw error;
      await rm(partial, { force: true });
      // A resumed file whose old bytes were bad fails only at the digest check: start that blob over once.
      if (already === 0) throw error;
      await this.stream(content, partial, 0).catch(async (again: unknown) => {
        if (isContentMismatch(again)) await rm(partial, { force: true });
        throw again;
      });
      return 'written';
    }
  }

  private async stream(content: BlobContent, partial: string, already: number): Promise<void> {
    const handle = await open(partial, already > 0 ? 'a' : 'w').catch((error: unknown) => {
      throw ioError('create', partial, error);
    });
    try {
      const held = already > 0 ? streamBundleFile(this.root, this.relative(content.blob.digest, PARTIAL_SUFFIX), { length: already }) : undefined;
      await writeGathered(handle, content.from(already, held), partial);
      await handle.sync().catch((error: unknown) => {
        throw ioError('fsync', partial, error);
      });
    } finally {
      await handle.close();
    }
    const final = this.path(content.blob.digest);
    await rename(partial, final).catch((error: unknown) => {
      throw ioError('rename', partial, error);
    });
  }

  /** Makes every rename so far durable (one folder fsync for all the blobs written); call before sealing the bundle. */
  async syncFolder(): Promise<void> {
    await fsyncDir(this.dir);
  }
}
