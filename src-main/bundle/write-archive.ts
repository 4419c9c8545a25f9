/**
 * Writes the archive form: one tar stream (tar-stream) of `oci-layout`,
 * `index.json`, every manifest and then every other blob, cut into parts by PartWriter. The stream is
 * deterministic (fixed order, fixed header fields), so a resumed export
 * regenerates it and PartWriter drops what completed parts already hold:
 * entries entirely inside them are fed as zeros without a download, and the
 * entry cut by the resume point is re-verified over its bytes on disk plus the
 * rest from the registry.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES } from '../../src-shared/model/bundle.ts';
import { DigestVerifier, parseDigest } from '../oci/digest.ts';
import type { PlannedContent } from '../transfer/plan.ts';
import { OCI_LAYOUT_CONTENT } from './layout.ts';
import { PartWriter, tarLayout, type PartInfo, type TarEntryOffset } from './parts.ts';
import type { FormWriterContext } from './write-directory.ts';

/** Zero bytes fed for entries that completed parts already hold; reused so skipping costs no allocation. */
const ZEROS = Buffer.alloc(1024 * 1024);

/** One tar entry: its name, size and where its bytes come from. */
interface Entry {
  name: string;
  size: number;
  bytes?: Buffer;
  item?: PlannedContent;
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
    ...context.content.map((item) => ({ name: `blobs/sha256/${parseDigest(item.digest).hex}`, size: item.size, item, ...(item.bytes ? { bytes: item.bytes } : {}) })),
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
      for await (const chunk of createReadStream(join(dir, part.name), { start: from, end: to - 1, highWaterMark: 1024 * 1024 })) yield chunk as Buffer;
    }
    partStart = partEnd;
  }
}

/** Feeds `size` zero bytes: for an entry whose bytes completed parts already hold. */
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
 * The bytes of one entry as the tar needs them from the start of its data.
 * Bytes before `resumeOffset` are discarded by PartWriter, but a blob still
 * has to be verified whole, so they are hashed from the parts on disk.
 */
function entrySource(entry: Entry, offset: TarEntryOffset, resumeOffset: number, context: ArchiveWriterContext): AsyncIterable<Uint8Array> {
  const end = offset.dataStart + entry.size;
  if (end <= resumeOffset) return zeros(entry.size);
  const bytes = entry.bytes;
  if (bytes) {
    return (async function* () {
      yield bytes;
    })();
  }
  const item = entry.item;
  if (!item) throw new FerryError('INTERNAL', `archive entry ${entry.name} has no source`);
  const onDisk = Math.max(0, resumeOffset - offset.dataStart);
  const open = context.open(item);
  let complete = 0;
  const report = (bytes: number): void => {
    complete += bytes;
    context.report({ digest: item.digest, state: 'active', complete, total: item.size });
  };
  return (async function* () {
    const verifier = new DigestVerifier(item.digest, item.size, `blob ${item.digest}`);
    if (onDisk > 0) {
      for await (const chunk of readFromParts(context.dir, context.completedParts, offset.dataStart, resumeOffset)) {
        verifier.update(chunk);
        yield chunk;
      }
      report(onDisk);
    }
    for await (const chunk of open(onDisk, verifier)) {
      report(chunk.byteLength);
      yield chunk;
    }
  })();
}

/** Writes the tar parts and returns every part, completed ones included. */
export async function writeArchiveForm(context: ArchiveWriterContext): Promise<PartInfo[]> {
  const entries = entriesOf(context);
  const layout = tarLayout(entries);
  const writer = new PartWriter({ dir: context.dir, partSize: context.partSize, resumeFrom: context.completedParts, onPartComplete: (_part, all) => context.onPartComplete(all) });
  const resumeOffset = writer.resumeOffset;
  const pack = tarStream.pack();
  const pump = (async () => {
    for await (const chunk of pack) await writer.write(chunk as Buffer);
  })();
  pump.catch(() => undefined);
  try {
    for (const [i, entry] of entries.entries()) {
      context.signal?.throwIfAborted();
      const offset = layout.offsets[i];
      if (!offset) throw new FerryError('INTERNAL', `no tar layout for ${entry.name}`);
      const reportable = entry.item !== undefined && offset.dataStart + entry.size > resumeOffset;
      const total = entry.size;
      if (entry.item && !reportable) context.report({ digest: entry.item.digest, state: 'skipped', complete: total, total });
      if (reportable && entry.item) context.report({ digest: entry.item.digest, state: 'started', complete: 0, total });
      const tarEntry = pack.entry({ name: entry.name, size: entry.size, mtime: context.mtime, mode: 0o644, uid: 0, gid: 0, type: 'file' });
      const source = entrySource(entry, offset, resumeOffset, context);
      // Race the pump: if writing to the drive fails, the pack stops draining and feed alone would wait forever.
      // The abandoned source is then closed, so its registry response does not stay open.
      await Promise.race([feed(tarEntry, source), pump.then(() => new Promise<never>(() => undefined))]).catch(async (error: unknown) => {
        await (source as AsyncGenerator<Uint8Array>).return?.(undefined).catch(() => undefined);
        throw error;
      });
      if (reportable && entry.item) context.report({ digest: entry.item.digest, state: 'finished', complete: total, total });
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
