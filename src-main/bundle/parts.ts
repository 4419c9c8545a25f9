/**
 * The archive form of a bundle: ONE tar stream (`oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`) cut byte-wise into ordered part files, each at most
 * the part size, so a bundle fits FAT32's 4 GiB − 1 file limit and
 * file-transfer gateways (DESIGN.md decisions 3–5). The concatenation of the
 * parts is the tar stream; a blob bigger than a part just continues into the
 * next one. `ferry.json` lists every part and lives outside the tar.
 *
 * Tar format: POSIX.1-1988 ustar, https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_06
 */
import { createHash, type Hash } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FerryError } from '../../src-shared/errors.ts';
import { DigestVerifier, verifyingStream } from '../oci/digest.ts';
import { fsyncDir } from '../base/durable-write.ts';
import { ioError } from '../base/fs-errors.ts';
import { buffersAfter } from '../base/gathered-write.ts';
import { entryKind, KIND_WORDS, safeFileProblem } from '../base/safe-file.ts';
import { streamBundleFile } from '../base/safe-read.ts';

/** One finished part as `ferry.json` lists it; `sha256` is bare lowercase hex of the part file. */
export type PartInfo = { name: string; size: number; sha256: string };

/** FAT32's largest file is 4 GiB − 1 byte, so that is the default part size on FAT32 drives. */
export const FAT32_PART_SIZE = 4 * 1024 ** 3 - 1;

/** Six digits keep names sorting in stream order up to a million parts (4 PB at the FAT32 part size). */
const PART_INDEX_DIGITS = 6;
const MAX_PART_INDEX = 10 ** PART_INDEX_DIGITS - 1;
const PART_NAME = /^part-\d{6}\.tar$/;

/** Tar blocks are 512 bytes; a ustar header is one block (POSIX pax "ustar Interchange Format"). */
const TAR_BLOCK = 512;
/** End of archive: two zero blocks. tar-stream pads no further (no 10240-byte record blocking). */
const TAR_END = 2 * TAR_BLOCK;

/** Name of the part at `index`: sortable, and free of ':' so every OS and FAT32 accept it. */
export function partName(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_PART_INDEX) {
    throw new FerryError('INVALID_ARGUMENT', `part index ${index} is outside 0..${MAX_PART_INDEX}`, { index });
  }
  return `part-${String(index).padStart(PART_INDEX_DIGITS, '0')}.tar`;
}

/** Options of a PartWriter; `resumeFrom` and `onPartComplete` make an interrupted export resumable. */
export interface PartWriterOptions {
  /** Folder the parts are written to (the bundle folder on the drive). */
  dir: string;
  /** Largest size of one part in bytes; FAT32_PART_SIZE on FAT32. */
  partSize: number;
  /** Parts completed by an earlier run (from the job journal), in order; their bytes are skipped. */
  resumeFrom?: PartInfo[];
  /** Called after each part is durably renamed, with it and every part so far; persist the journal here. */
  onPartComplete?: (part: PartInfo, all: PartInfo[]) => Promise<void>;
}

/** The part being written: its `.partial` file, hash and byte count. */
interface OpenPart {
  index: number;
  name: string;
  partialPath: string;
  handle: FileHandle;
  hash: Hash;
  size: number;
}

/**
 * Sink for the bundle's tar stream that cuts it into parts durably: each part
 * is written to `<name>.partial`, hashed while written, and on reaching the
 * part size (or at finish) fsynced, renamed and its folder fsynced before
 * `onPartComplete` runs. Holds no more than the chunk it is given.
 */
export class PartWriter {
  private readonly dir: string;
  private readonly partSize: number;
  private readonly onPartComplete: ((part: PartInfo, all: PartInfo[]) => Promise<void>) | undefined;
  private readonly resumed: PartInfo[];
  private readonly completed: PartInfo[];
  /** Stream bytes still to discard because resumed parts already hold them. */
  private toSkip: number;
  private current: OpenPart | undefined;
  private state: 'new' | 'open' | 'busy' | 'finished' | 'failed' = 'new';

  /** Checks the options; the resumed parts on disk are checked by the first `write` or `finish`. */
  constructor(options: PartWriterOptions) {
    const { dir, partSize } = options;
    if (!Number.isSafeInteger(partSize) || partSize < 1) {
      throw new FerryError('INVALID_ARGUMENT', `part size must be a positive whole number of bytes, got ${partSize}`, { partSize });
    }
    const resumed = (options.resumeFrom ?? []).map((part) => ({ ...part }));
    resumed.forEach((part, index) => {
      if (part.name !== partName(index)) {
        throw new FerryError('INVALID_CONTENT', `the export journal's part ${index} is named ${part.name}, expected ${partName(index)}`, { part: part.name });
      }
      if (!Number.isSafeInteger(part.size) || part.size < 1 || part.size > partSize) {
        throw new FerryError('INVALID_CONTENT', `the export journal's part ${part.name} has size ${part.size}, outside 1..${partSize}`, { part: part.name });
      }
    });
    this.dir = dir;
    this.partSize = partSize;
    this.onPartComplete = options.onPartComplete;
    this.resumed = resumed;
    this.completed = resumed.map((part) => ({ ...part }));
    this.toSkip = resumed.reduce((sum, part) => sum + part.size, 0);
  }

  /** Stream offset where new bytes start landing on disk; the exporter compares it with `tarLayout` to skip whole entries. */
  get resumeOffset(): number {
    return this.resumed.reduce((sum, part) => sum + part.size, 0);
  }

  /** Every completed part so far, resumed ones included. */
  get parts(): PartInfo[] {
    return this.completed.map((part) => ({ ...part }));
  }

  /** Appends the next bytes of the tar stream; await it before writing again (that is the backpressure). */
  async write(chunk: Uint8Array): Promise<void> {
    await this.writeMany([chunk]);
  }

  /**
   * Appends several chunks of the tar stream in order, as one positional
   * writev per part they land in (gathered chunks, never concatenated): the
   * archive writer's way of turning many small tar chunks into few writes.
   */
  async writeMany(chunks: readonly Uint8Array[]): Promise<void> {
    await this.run(async () => {
      let group: Uint8Array[] = [];
      let groupBytes = 0;
      for (const chunk of chunks) {
        let rest = chunk;
        if (this.toSkip > 0) {
          const skipped = Math.min(this.toSkip, rest.byteLength);
          this.toSkip -= skipped;
          rest = rest.subarray(skipped);
        }
        while (rest.byteLength > 0) {
          const part = this.current ?? (await this.openPart(this.completed.length));
          const take = Math.min(this.partSize - part.size - groupBytes, rest.byteLength);
          group.push(take === rest.byteLength ? rest : rest.subarray(0, take));
          groupBytes += take;
          rest = rest.subarray(take);
          if (part.size + groupBytes === this.partSize) {
            await this.writeToPart(part, group, groupBytes);
            group = [];
            groupBytes = 0;
            await this.completePart(part);
          }
        }
      }
      if (groupBytes > 0 && this.current) await this.writeToPart(this.current, group, groupBytes);
    });
  }

  /** Ends the stream: completes the last part and returns every part in order, ready for `ferry.json`. */
  async finish(): Promise<PartInfo[]> {
    await this.run(async () => {
      if (this.toSkip > 0) {
        throw new FerryError('SIZE_MISMATCH', `the tar stream ended ${this.toSkip} bytes before the end of the resumed parts in ${this.dir}`, {
          dir: this.dir,
          missing: this.toSkip,
        });
      }
      if (this.current) await this.completePart(this.current);
      // An empty stream still yields one (empty) part, so every archive bundle lists at least one.
      if (this.completed.length === 0) await this.completePart(await this.openPart(0));
    });
    this.state = 'finished';
    return this.parts;
  }

  /** Stops after a failure or cancel: closes and removes the open `.partial`; completed parts stay for a resume. */
  async abort(): Promise<void> {
    if (this.state !== 'finished') this.state = 'failed';
    await this.discardCurrent();
  }

  /** A node Writable over this writer, for `pipeline(pack, writer.asWritable())`; one chunk in flight at most. */
  asWritable(): Writable {
    return new Writable({
      highWaterMark: 1,
      write: (chunk: Buffer, _encoding, callback) => {
        this.write(chunk).then(() => callback(), callback);
      },
      final: (callback) => {
        this.finish().then(() => callback(), callback);
      },
      destroy: (error, callback) => {
        const done = (): void => callback(error);
        if (this.state === 'finished') done();
        else this.abort().then(done, done);
      },
    });
  }

  /** Runs one operation with the state checks every public method needs; any failure leaves the writer failed. */
  private async run(operation: () => Promise<void>): Promise<void> {
    if (this.state === 'busy') throw new FerryError('INTERNAL', 'PartWriter: write or finish called before the previous one settled');
    if (this.state === 'finished') throw new FerryError('INTERNAL', 'PartWriter: already finished');
    if (this.state === 'failed') throw new FerryError('INTERNAL', 'PartWriter: an earlier write failed or the writer was aborted');
    const first = this.state === 'new';
    this.state = 'busy';
    try {
      if (first) await this.checkResumedParts();
      await operation();
      this.state = 'open';
    } catch (error) {
      this.state = 'failed';
      await this.discardCurrent();
      throw error;
    }
  }

  /** The journal's completed parts must really be on disk with their sizes, or resuming would build a broken bundle. */
  private async checkResumedParts(): Promise<void> {
    for (const part of this.resumed) {
      const path = join(this.dir, part.name);
      let size: number;
      try {
        // lstat only: a symlink, FIFO or device in place of a completed part is not ours.
        const info = await entryKind(this.dir, part.name);
        if (info === undefined) throw Object.assign(new Error('it does not exist'), { code: 'ENOENT' });
        if (info.kind !== 'file') {
          throw new FerryError('BUNDLE_INVALID', `completed part ${part.name} in ${this.dir} is ${KIND_WORDS[info.kind]}, not a regular file`, { part: part.name, kind: info.kind });
        }
        size = info.size;
      } catch (error) {
        throw ioError('find completed part', path, error);
      }
      if (size !== part.size) {
        throw new FerryError('SIZE_MISMATCH', `completed part ${part.name} is ${size} bytes on disk, the journal says ${part.size}`, {
          part: part.name,
          expectedSize: part.size,
          actualSize: size,
        });
      }
    }
  }

  /** Starts part `index` in a fresh `.partial` (a stale one from a crash is deleted first). */
  private async openPart(index: number): Promise<OpenPart> {
    const name = partName(index);
    const partialPath = join(this.dir, `${name}.partial`);
    let handle: FileHandle;
    try {
      await rm(partialPath, { force: true });
      handle = await open(partialPath, 'wx');
    } catch (error) {
      throw ioError('create', partialPath, error);
    }
    this.current = { index, name, partialPath, handle, hash: createHash('sha256'), size: 0 };
    return this.current;
  }

  /** Writes all of `buffers` at the part's end in one positional writev (continued if short) and hashes exactly what was written. */
  private async writeToPart(part: OpenPart, buffers: Uint8Array[], bytes: number): Promise<void> {
    let pending = buffers;
    let written = 0;
    try {
      while (written < bytes) {
        const { bytesWritten } = await part.handle.writev(pending, part.size + written);
        if (bytesWritten <= 0) throw new Error(`the OS accepted no bytes with ${bytes - written} still to write`);
        written += bytesWritten;
        if (written < bytes) pending = buffersAfter(pending, bytesWritten);
      }
    } catch (error) {
      throw ioError('write', part.partialPath, error);
    }
    for (const buffer of buffers) part.hash.update(buffer);
    part.size += bytes;
  }

  /** fsync, close, rename to the final name, fsync the folder, then let the caller journal it. */
  private async completePart(part: OpenPart): Promise<void> {
    const finalPath = join(this.dir, part.name);
    try {
      await part.handle.sync();
      await part.handle.close();
    } catch (error) {
      throw ioError('flush', part.partialPath, error);
    }
    this.current = undefined;
    try {
      await rename(part.partialPath, finalPath);
    } catch (error) {
      await rm(part.partialPath, { force: true }).catch(() => undefined);
      throw ioError('rename', `${part.partialPath} to ${part.name}`, error);
    }
    await fsyncDir(this.dir);
    const info: PartInfo = { name: part.name, size: part.size, sha256: part.hash.digest('hex') };
    this.completed.push(info);
    if (this.onPartComplete) await this.onPartComplete({ ...info }, this.parts);
  }

  /** Closes and deletes the open `.partial`, best effort: it is only ever rewritten from scratch. */
  private async discardCurrent(): Promise<void> {
    const part = this.current;
    this.current = undefined;
    if (!part) return;
    await part.handle.close().catch(() => undefined);
    await rm(part.partialPath, { force: true }).catch(() => undefined);
  }
}

/** Options of openPartsStream. */
export interface OpenPartsOptions {
  /** Check each part's size and sha256 while streaming (default true); only a caller that verified already may skip it. */
  verify?: boolean;
  /** Cancels the read; the stream then throws CANCELLED. */
  signal?: AbortSignal;
}

/**
 * Reads the parts in order as the one tar stream they were cut from, checking
 * each part's size and sha256 as it streams (DESIGN.md decision 4). A part
 * that is short, long or altered throws SIZE_MISMATCH or DIGEST_MISMATCH
 * naming it, and the last chunk of each part is held back until its check passes.
 */
export async function* openPartsStream(dir: string, parts: PartInfo[], options: OpenPartsOptions = {}): AsyncGenerator<Buffer> {
  const verify = options.verify ?? true;
  const { signal } = options;
  parts.forEach((part, index) => {
    // Names come from ferry.json on removable media: only the expected names, in order, so none can reach outside `dir`.
    if (!PART_NAME.test(part.name) || part.name !== partName(index)) {
      throw new FerryError('BUNDLE_INVALID', `part ${index} is named "${part.name}" in ${dir}, expected ${partName(index)}`, { part: part.name, path: dir });
    }
  });
  for (const part of parts) {
    throwIfCancelled(signal, part.name);
    const raw = readPart(dir, part.name, signal);
    const chunks = verify ? verifyingStream(raw, new DigestVerifier(`sha256:${part.sha256}`, part.size, `part ${part.name}`)) : raw;
    yield* chunks;
  }
}

/**
 * Streams one part file with large reads, opened safely (a symlink, FIFO or
 * device in its place is refused by name, never read); a missing or
 * unreadable file is IO_ERROR naming it.
 */
async function* readPart(dir: string, name: string, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  const path = join(dir, name);
  try {
    yield* streamBundleFile(dir, name, signal ? { signal } : {});
  } catch (error) {
    throwIfCancelled(signal, name);
    const problem = safeFileProblem(error);
    if (problem === 'missing') throw new FerryError('IO_ERROR', `part ${name} is missing from ${path}`, { part: name, path }, { cause: error });
    if (problem !== undefined && problem !== 'io') throw error;
    throw ioError(`read part ${name} at`, path, error);
  }
}

/** Turns an aborted signal into the CANCELLED error every job reports. */
function throwIfCancelled(signal: AbortSignal | undefined, name: string): void {
  if (signal?.aborted) throw new FerryError('CANCELLED', `reading part ${name} was cancelled`, { part: name });
}

/** Where one tar entry's header and data lie in the stream. */
export interface TarEntryOffset {
  name: string;
  headerStart: number;
  dataStart: number;
  size: number;
}

/**
 * The byte layout tar-stream's `pack` produces for these file entries, in
 * order, so a resumed export knows which entries lie entirely inside completed
 * parts. Each entry is one 512-byte ustar header (no pax header for ASCII
 * names that fit ustar's 100 + 155 name fields; sizes of 8 GiB and more use
 * the base-256 size encoding in the same header, not pax), its data padded to
 * 512 bytes, then two zero blocks end the archive with no further padding.
 */
export function tarLayout(entries: Array<{ name: string; size: number }>): { offsets: TarEntryOffset[]; totalSize: number } {
  const offsets: TarEntryOffset[] = [];
  let position = 0;
  for (const { name, size } of entries) {
    if (!fitsUstarHeader(name)) {
      throw new FerryError('INVALID_ARGUMENT', `tar entry name "${name}" would need a pax header, which this layout does not model`, { name });
    }
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new FerryError('INVALID_ARGUMENT', `tar entry ${name} has an invalid size ${size}`, { name, size });
    }
    offsets.push({ name, headerStart: position, dataStart: position + TAR_BLOCK, size });
    position += TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
  return { offsets, totalSize: position + TAR_END };
}

/**
 * tar-stream's own rule (headers.js `encode`) for when a name fits a plain
 * ustar header: ASCII only, and splittable at a '/' into a name of at most 100
 * bytes and a prefix of at most 155. Otherwise it writes a pax header first.
 */
function fitsUstarHeader(name: string): boolean {
  if (name.length === 0 || !/^[\x01-\x7f]*$/.test(name)) return false;
  let rest = name;
  let prefix = '';
  while (rest.length > 100) {
    const slash = rest.indexOf('/');
    if (slash === -1) return false;
    prefix += prefix ? `/${rest.slice(0, slash)}` : rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  return prefix.length <= 155;
}
