/**
 * Writes the archive form: one tar stream (tar-stream) of `oci-layout`,
 * `index.json`, every manifest and then every other blob, cut into parts by PartWriter. The stream is
 * deterministic (fixed order, fixed header fields), so a resumed export
 * regenerates it and PartWriter drops what completed parts already hold:
 * entries entirely inside them are fed as zeros without a download, and the
 * entry cut by the resume point is re-verified over its bytes on disk plus the
 * rest from the registry.
 */
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES } from '../../src-shared/model/bundle.ts';
import { copyBlob, type BlobContent, type BlobRef, type BlobSink } from '../oci/blob-io.ts';
import { parseDigest } from '../oci/digest.ts';
import { GATHER_BYTES } from '../base/gathered-write.ts';
import { streamBundleFile } from '../base/safe-read.ts';
import { OCI_LAYOUT_CONTENT } from './layout.ts';
import { PartWriter, tarLayout, type PartInfo, type TarEntryOffset } from './parts.ts';
import type { FormWriterContext } from './write-directory.ts';

/** Zero bytes fed for data that completed parts already hold; reused so skipping costs no allocation. */
const ZEROS = Buffer.alloc(1024 * 1024);

/** One tar entry: its name and size, and its bytes (the layout files) or the blob it holds. */
interface Entry {
  name: string;
  size: number;
  bytes?: Buffer;
  blob?: BlobRef;
}

/** What the archive writer needs beyond the common context. */
export interface ArchiveWriterContext extends FormWriterContext {
  partSize: number;
  /** Header time of every entry: the bundle's creation time, identical on every resumed run. */
  mtime: Date;
  completedParts: PartInfo[];
  onPartComplete: (parts: PartInfo[]) => Promise<void>;
}

/** The entries of the archive, in stream order. */
function entriesOf(context: FormWriterContext): Entry[] {
  const layout = Buffer.from(OCI_LAYOUT_CONTENT);
  const index = Buffer.from(context.indexJson);
  return [
    { name: BUNDLE_FILES.ociLayout, size: layout.length, bytes: layout },
    { name: BUNDLE_FILES.index, size: index.length, bytes: index },
    ...context.content.map((blob) => ({ name: `blobs/sha256/${parseDigest(blob.digest).hex}`, size: blob.size, blob })),
  ];
}

/** Reads stream bytes [start, end) back from completed parts on disk. */
async function* readFromParts(dir: string, parts: PartInfo[], start: number, end: number): AsyncGenerator<Buffer> {
  let partStart = 0;
  for (const part of parts) {
    const partEnd = partStart + part.size;
    if (partEnd > start && partStart < end) {
      const from = Math.max(start, partStart) - partStart;
      const to = Math.min(end, partEnd) - partStart;
      // Opened safely: the parts are on media, and a part swapped for a symlink or FIFO since the last run is refused, never read.
      yield* streamBundleFile(dir, part.name, { start: from, length: to - from });
    }
    partStart = partEnd;
  }
}

/** Feeds `size` zero bytes: for data whose bytes completed parts already hold (PartWriter drops them). */
async function* zeros(size: number): AsyncGenerator<Buffer> {
  for (let left = size; left > 0; left -= ZEROS.length) yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
}

/** Writes one entry's data into the pack, honouring backpressure. */
async function feed(entry: NodeJS.WritableStream, source: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of source) {
    if (!entry.write(chunk)) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => {
    entry.once('error', reject);
    entry.end(() => resolve());
  });
}

/**
 * The tar parts as a blob sink: each write appends the next entry of the
 * deterministic stream. Data that completed parts already hold is fed as
 * zeros (PartWriter drops it) and, for the entry cut by the resume point,
 * hashed from the parts on disk, so a blob is still verified whole. A blob is
 * committed when the part holding its end is: its last chunk reaches the tar
 * only after its check passed.
 */
class TarPartsSink implements BlobSink {
  private next = 0;

  constructor(
    private readonly entries: Entry[],
    private readonly offsets: TarEntryOffset[],
    private readonly pack: tarStream.Pack,
    private readonly pump: Promise<void>,
    private readonly resumeOffset: number,
    private readonly context: ArchiveWriterContext,
  ) {}

  /** The entry the next write appends. */
  peek(): { entry: Entry; offset: TarEntryOffset } {
    const entry = this.entries[this.next];
    const offset = this.offsets[this.next];
    if (!entry || !offset) throw new FerryError('INTERNAL', `no tar layout for archive entry ${this.next}`);
    return { entry, offset };
  }

  /** True when completed parts already hold the whole of the next entry. */
  async has(blob: BlobRef): Promise<boolean> {
    const { entry, offset } = this.peek();
    return entry.blob?.digest === blob.digest && offset.dataStart + entry.size <= this.resumeOffset;
  }

  /** Appends the next entry from a blob's verified content. */
  async write(content: BlobContent): Promise<void> {
    const { entry, offset } = this.peek();
    if (entry.blob?.digest !== content.blob.digest) throw new FerryError('INTERNAL', `archive entry ${entry.name} written out of order (got ${content.blob.digest})`);
    const onDisk = Math.min(entry.size, Math.max(0, this.resumeOffset - offset.dataStart));
    if (onDisk === 0) return this.append(entry, content.from(0));
    const context = this.context;
    const rest = content.from(onDisk, readFromParts(context.dir, context.completedParts, offset.dataStart, this.resumeOffset));
    return this.append(
      entry,
      (async function* () {
        yield* zeros(onDisk);
        yield* rest;
      })(),
    );
  }

  /** Appends the next entry as zeros: completed parts hold all of it (has said so). */
  async skip(): Promise<void> {
    await this.append(this.peek().entry, zeros(this.peek().entry.size));
  }

  /** Appends the next entry from bytes in memory (oci-layout, index.json). */
  async writeBytes(): Promise<void> {
    const { entry, offset } = this.peek();
    const bytes = entry.bytes;
    if (!bytes) throw new FerryError('INTERNAL', `archive entry ${entry.name} has no bytes`);
    await this.append(
      entry,
      offset.dataStart + entry.size <= this.resumeOffset
        ? zeros(entry.size)
        : (async function* () {
            yield bytes;
          })(),
    );
  }

  private async append(entry: Entry, source: AsyncIterable<Uint8Array>): Promise<void> {
    this.next += 1;
    const tarEntry = this.pack.entry({ name: entry.name, size: entry.size, mtime: this.context.mtime, mode: 0o644, uid: 0, gid: 0, type: 'file' });
    // Race the pump: if writing to the drive fails, the pack stops draining and feed alone would wait forever.
    // The abandoned source is then closed, so its registry response does not stay open.
    await Promise.race([feed(tarEntry, source), this.pump.then(() => new Promise<never>(() => undefined))]).catch(async (error: unknown) => {
      await (source as Partial<AsyncGenerator<Uint8Array>>).return?.(undefined).catch(() => undefined);
      throw error;
    });
  }
}

/** Writes the tar parts and returns every part, completed ones included. */
export async function writeArchiveForm(context: ArchiveWriterContext): Promise<PartInfo[]> {
  const entries = entriesOf(context);
  const layout = tarLayout(entries);
  const writer = new PartWriter({ dir: context.dir, partSize: context.partSize, resumeFrom: context.completedParts, onPartComplete: (_part, all) => context.onPartComplete(all) });
  const pack = tarStream.pack();
  const pump = (async () => {
    // Tar headers and data chunks gathered into large writes (the chunks are held, not copied).
    let batch: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of pack) {
      batch.push(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      if (bytes < GATHER_BYTES) continue;
      await writer.writeMany(batch);
      batch = [];
      bytes = 0;
    }
    if (batch.length > 0) await writer.writeMany(batch);
  })();
  pump.catch(() => undefined);
  const sink = new TarPartsSink(entries, layout.offsets, pack, pump, writer.resumeOffset, context);
  try {
    for (const entry of entries) {
      context.signal?.throwIfAborted();
      const blob = entry.blob;
      if (!blob) {
        await sink.writeBytes();
        continue;
      }
      const total = blob.size;
      if (await sink.has(blob)) {
        context.report({ digest: blob.digest, state: 'skipped', complete: total, total });
        await sink.skip();
        continue;
      }
      context.report({ digest: blob.digest, state: 'started', complete: 0, total });
      const onPosition = (complete: number): void => context.report({ digest: blob.digest, state: 'active', complete, total });
      await copyBlob(blob, context.source, sink, { onPosition, ...(context.signal ? { signal: context.signal } : {}) }).catch((error: unknown) => {
        if (!context.signal?.aborted) context.onBlobFailed?.(blob.digest, error);
        throw error;
      });
      context.report({ digest: blob.digest, state: 'finished', complete: total, total });
    }
    pack.finalize();
    await pump;
    return await writer.finish();
  } catch (error) {
    pack.destroy();
    await pump.catch(() => undefined);
    await writer.abort().catch(() => undefined);
    throw error;
  }
}
