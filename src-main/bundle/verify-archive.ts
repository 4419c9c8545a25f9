/**
 * The archive form of `ferry verify`, in ONE pass over the parts: each part's
 * size and sha256 is checked while its bytes also feed the tar reader, which
 * checks every entry's header (tar-safety.ts) and every blob's digest, and
 * keeps only manifests for the graph check that follows. A damaged part does
 * not stop the report: the other parts are still hashed, and the tar stream is
 * read on as long as it stays aligned (a part of the right size).
 */
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { entryKind, KIND_WORDS, listBundleFolder, safeFileProblem } from '../base/safe-file.ts';
import { asBuffer, CheckingSink, copyBlob } from '../oci/blob-io.ts';
import { ManifestCollector, type BlobFacts } from './bundle-graph.ts';
import { OCI_LAYOUT_CONTENT } from './layout.ts';
import { partName } from './parts.ts';
import { PartReader } from './part-reader.ts';
import { checkSignaturesFolder } from './signatures-folder.ts';
import { TarEntryGuard, type TarEntryHeader } from './tar-safety.ts';
import { INDEX_LIMIT, throwIfCancelled, TOLERATED_LEFTOVER, type CheckRecorder, type VerifyOptions } from './verify-report.ts';
import { writeToExtract } from '../oci/tar-feed.ts';

/** What the archive pass hands to the graph check. */
export interface ArchiveRead {
  bytes: number;
  /** index.json's exact bytes, when the archive holds one within its size cap. */
  index?: Buffer;
  /** False when the tar stream could not be read to its end, so absent blobs are unknown rather than missing. */
  complete: boolean;
}

/**
 * Archives from this size on hash their parts on a second thread (part-reader.ts): below it, starting the
 * thread costs more than the second core saves.
 */
const HASH_THREAD_FROM = 64 * 1024 * 1024;

/** Names the part(s) an entry's data lies in, so a bad blob points at the files to look at. */
function partsOf(offsets: number[], names: string[], start: number, size: number): string {
  const at = (position: number): number => {
    let index = 0;
    while (index + 1 < offsets.length && (offsets[index + 1] ?? Infinity) <= position) index += 1;
    return index;
  };
  const first = at(start);
  const last = at(start + Math.max(size - 1, 0));
  const name = (index: number): string => names[index] ?? 'the archive';
  return first === last ? name(first) : `${name(first)} to ${name(last)}`;
}

/** Checks parts, tar safety, blobs and the bundle folder of an archive-form bundle in one pass. */
export async function verifyArchive(dir: string, manifest: BundleManifest, facts: BlobFacts, recorder: CheckRecorder, options: VerifyOptions): Promise<ArchiveRead> {
  for (const id of ['parts', 'blobs', 'graph', 'tar-safety', 'files'] as const) recorder.open(id);
  const { signal, onBytes } = options;
  const parts = manifest.parts;

  // The bundle folder: ferry.json and the listed parts only.
  const allowedTop = new Set<string>([BUNDLE_FILES.manifest, BUNDLE_FILES.signatures, ...parts.map((p) => p.name)]);
  const listed = await listBundleFolder(dir, '').catch((error: unknown) => {
    if (!(error instanceof FerryError) || safeFileProblem(error) === 'cancelled') throw error;
    recorder.fail('files', error.message, error.code);
    return [];
  });
  const extra = (listed ?? []).map((entry) => entry.name).filter((name) => !allowedTop.has(name) && !TOLERATED_LEFTOVER.test(name));
  if (extra.length > 0) recorder.fail('files', `the bundle folder holds files ferry.json does not list: ${extra.slice(0, 10).join(', ')}${extra.length > 10 ? `, … (${extra.length} in all)` : ''}`);
  await checkSignaturesFolder(dir, listed ?? [], recorder, signal);

  // Sizes first (cheap): the tar stream is aligned only up to the first part that is misnamed, missing or of the wrong size.
  let alignedParts = parts.length;
  const usable: boolean[] = [];
  for (const [index, part] of parts.entries()) {
    let problem: string | undefined;
    if (part.name !== partName(Math.min(index, 999_999))) problem = `part ${index + 1} of ${parts.length} is named "${part.name}" in ferry.json, expected ${partName(Math.min(index, 999_999))}`;
    else {
      // lstat only: a symlink, FIFO or device in place of a part is refused by kind, never opened.
      const info = await entryKind(dir, part.name).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      if (info === undefined) problem = `part ${part.name} is missing`;
      else if (typeof info === 'string') problem = info;
      else if (info.kind !== 'file') problem = `part ${part.name} in ${dir} is ${KIND_WORDS[info.kind]}, not a regular file: it is not read`;
      else if (info.size !== part.size) problem = `part ${part.name} is ${info.size} bytes, ferry.json says ${part.size}${info.size < part.size ? ' (truncated)' : ''}`;
    }
    usable.push(problem === undefined);
    if (problem !== undefined) {
      recorder.fail('parts', problem, problem.includes(' bytes, ferry.json says ') ? 'SIZE_MISMATCH' : problem.endsWith('is missing') ? 'IO_ERROR' : 'BUNDLE_INVALID');
      alignedParts = Math.min(alignedParts, index);
    }
  }
  const offsets: number[] = [];
  parts.reduce((sum, part) => (offsets.push(sum), sum + part.size), 0);
  const names = parts.map((p) => p.name);

  const expected = new Map(manifest.blobs.map((blob) => [blob.digest, blob]));
  const guard = new TarEntryGuard();
  const small = new Map<string, Buffer>();
  const unlisted: string[] = [];
  /** Blobs whose entry was read to its end, intact or not; the rest are unknown when the stream breaks. */
  const settled = new Set<string>();
  let blobBytes = 0;
  let abandoned = false;
  let tarFailure: unknown;
  const total = parts.reduce((sum, part) => sum + part.size, 0);
  const reader = new PartReader({ hashThread: options.hashThread ?? total >= HASH_THREAD_FROM });
  const extract = tarStream.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const header = entry.header as unknown as TarEntryHeader & { size: number; byteOffset: number };
      const dataStart = header.byteOffset;
      // Every byte before this entry's data is finished with: earlier entries, padding, this header (decoded into strings).
      reader.release(dataStart);
      const refused = guard.check(header);
      if (refused.length > 0) {
        for (const problem of refused) recorder.fail('tar-safety', problem);
        // Drained unread: a refused entry is never used.
        await consumed(entry as AsyncIterable<Buffer>, (read) => reader.release(dataStart + read));
        continue;
      }
      const where = partsOf(offsets, names, header.byteOffset, header.size);
      if (header.name === BUNDLE_FILES.index || header.name === BUNDLE_FILES.ociLayout) {
        const chunks: Buffer[] = [];
        // Copies: the parts' buffers are reused once released.
        const length = await consumed(entry as AsyncIterable<Buffer>, (read, chunk) => {
          if (read <= INDEX_LIMIT) chunks.push(Buffer.from(chunk));
          reader.release(dataStart + read);
        });
        if (length > INDEX_LIMIT) recorder.fail('files', `the archive's ${header.name} is larger than ${INDEX_LIMIT} bytes (in ${where})`);
        else small.set(header.name, Buffer.concat(chunks));
        continue;
      }
      const digest = `sha256:${header.name.slice('blobs/sha256/'.length)}`;
      const listed = expected.get(digest);
      if (!listed) unlisted.push(digest);
      else if (header.size !== listed.size) recorder.fail('blobs', `blob ${digest} is ${header.size} bytes in the archive (${where}), ferry.json says ${listed.size}`, 'SIZE_MISMATCH');
      facts.present.set(digest, header.size);
      const collector = new ManifestCollector(header.size);
      // The size check only where ferry.json and the header agree; a wrong size is reported above, the digest is still checked.
      const blob = { digest, size: listed && header.size === listed.size ? listed.size : -1 };
      let inspected = 0;
      // A chunk is released once the check has hashed it and the collector has seen (and copied what it keeps of) it.
      const inspect = (chunk: Uint8Array): void => {
        collector.update(asBuffer(chunk));
        inspected += chunk.byteLength;
        reader.release(dataStart + inspected);
      };
      let intact = true;
      try {
        const stream = drained(entry as AsyncIterable<Buffer>, (read) => reader.release(dataStart + read));
        await copyBlob(blob, { stream }, new CheckingSink(inspect), { subject: `blob ${digest} (in ${where})` });
      } catch (error) {
        if (!(error instanceof FerryError)) throw error;
        intact = false;
        facts.damaged.add(digest);
        recorder.fail('blobs', error.message, error.code);
      }
      reader.release(dataStart + header.size);
      settled.add(digest);
      if (intact && !facts.damaged.has(digest)) {
        blobBytes += header.size;
        const found = collector.result();
        if (found) facts.manifests.set(digest, found);
      }
    }
  })().catch((error: unknown) => {
    // The entry reader reads no buffer any more: the ones it held are left to it, never refilled.
    reader.dropTarHolds();
    if (!abandoned) tarFailure = error;
  });

  let feeding = alignedParts > 0;
  const stopFeeding = (): void => {
    if (!feeding) return;
    feeding = false;
    abandoned = true;
    extract.destroy();
    reader.dropTarHolds();
  };
  try {
    for (const [index, part] of parts.entries()) {
      if (!usable[index]) continue;
      throwIfCancelled(signal);
      try {
        for await (const chunk of reader.read(dir, part.name, signal)) {
          onBytes?.(chunk.bytes.length);
          if (feeding && index < alignedParts && tarFailure === undefined) {
            reader.holdForTar(chunk);
            // A failing entry reader destroys the extractor, which ends this wait too (see tar-feed.ts).
            if (!(await writeToExtract(extract, chunk.bytes))) reader.dropTarHolds();
          }
        }
      } catch (error) {
        throwIfCancelled(signal);
        if (error instanceof FerryError && error.code === 'INTERNAL') throw error;
        if (error instanceof FerryError && safeFileProblem(error) !== undefined) recorder.fail('parts', error.message, error.code);
        else recorder.fail('parts', `part ${part.name} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'IO_ERROR');
        stopFeeding();
        continue;
      }
      const actual = await reader.partDigest();
      if (actual !== part.sha256) recorder.fail('parts', `part ${part.name} does not match its sha256 in ferry.json (content sha256 ${actual}, expected ${part.sha256})`, 'DIGEST_MISMATCH');
      if (index + 1 === alignedParts && alignedParts < parts.length) stopFeeding();
    }
    if (feeding && alignedParts === parts.length && tarFailure === undefined) extract.end(Buffer.alloc(0));
    else {
      abandoned = true;
      extract.destroy();
    }
    await reading;
  } catch (error) {
    // Cancelled, or the hash thread failed: the entry reader is stopped and not waited for.
    abandoned = true;
    extract.destroy();
    throw error;
  } finally {
    await reader.close();
  }

  const complete = !abandoned && tarFailure === undefined;
  if (tarFailure !== undefined) {
    const why = tarFailure instanceof Error ? tarFailure.message : JSON.stringify(tarFailure);
    if (recorder.failed('parts')) recorder.fail('parts', `the tar stream cannot be read past the damaged part(s): ${why}`);
    else recorder.fail('tar-safety', `the tar stream is malformed: ${why}`);
  }
  if (!complete) {
    const unchecked = manifest.blobs.filter((blob) => !settled.has(blob.digest)).length;
    if (unchecked > 0) recorder.fail('blobs', `${unchecked} blob(s) could not be checked: the tar stream breaks before them (see parts)`);
    return { bytes: blobBytes, complete: false };
  }
  for (const digest of unlisted) recorder.fail('graph', `the bundle holds files ferry.json does not list: blobs/sha256/${digest.slice('sha256:'.length)} (in the archive)`);
  const layout = small.get(BUNDLE_FILES.ociLayout)?.toString('utf8');
  if (layout === undefined) recorder.fail('files', `the archive lacks ${BUNDLE_FILES.ociLayout}`);
  else if (layout !== OCI_LAYOUT_CONTENT) recorder.fail('files', `the archive's ${BUNDLE_FILES.ociLayout} is not an OCI layout version 1.0.0 marker`);
  if (!small.has(BUNDLE_FILES.index)) recorder.fail('files', `the archive lacks ${BUNDLE_FILES.index}`);
  const index = small.get(BUNDLE_FILES.index);
  return index === undefined ? { bytes: blobBytes, complete: true } : { bytes: blobBytes, index, complete: true };
}

/**
 * A tar entry's chunks that drain the rest of the entry when the reader stops
 * early (a blob failed its check), so the stream stays aligned and the next
 * entries are still checked. `onDrained` hears how far into the entry the
 * drain got (those chunks are read by nobody).
 */
async function* drained(entry: AsyncIterable<Uint8Array>, onDrained: (read: number) => void): AsyncGenerator<Uint8Array> {
  const chunks = entry[Symbol.asyncIterator]();
  let read = 0;
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      read += next.value.byteLength;
      yield next.value;
    }
  } finally {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      read += next.value.byteLength;
      onDrained(read);
    }
  }
}

/** Reads a tar entry to its end, telling `onChunk` each chunk and the bytes read so far (it must copy what it keeps); returns the entry's length. */
async function consumed(entry: AsyncIterable<Uint8Array>, onChunk: (read: number, chunk: Uint8Array) => void): Promise<number> {
  let read = 0;
  for await (const chunk of entry) {
    read += chunk.byteLength;
    onChunk(read, chunk);
  }
  return read;
}
