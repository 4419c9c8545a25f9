/**
 * Walks one layer's tar headers as its verified bytes stream past, never
 * writing anything to disk: the compression is told by the bytes themselves
 * (gzip's and zstd's magic numbers, as crane and containerd do), gzip is
 * inflated on the fly, and tar-stream reads the headers. One entry's content
 * can be handed to a capture while the walk goes on; the rest is skipped.
 * The walk always reads the layer to its end, so the digest check over the
 * whole blob has run before it returns, and a mismatch is its error.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import type { BrowseFileEntry } from '../../src-shared/model/browse.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { TITLE_ANNOTATION } from './local-artifact.ts';
import { classifyPath, fileTypeOf, normaliseLayerPath, type LayerEntry } from './layer-tree.ts';
import { writeToExtract } from './tar-feed.ts';

/** A layer as a manifest lists it. */
export interface LayerBlob {
  digest: string;
  size: number;
  mediaType: string;
  annotations?: Record<string, string> | undefined;
}

/** Receives one file's bytes as the walk reaches them; awaited, so a slow writer slows the walk. */
export type FileCapture = (chunk: Buffer) => Promise<void> | void;

/** Asked for each regular file the walk reaches: a capture to receive its bytes, or undefined to skip them. */
export type CaptureChooser = (entry: Omit<BrowseFileEntry, 'layer'>) => FileCapture | undefined;

/** A layer with more entries than this is refused rather than held in memory. */
export const MAX_LAYER_ENTRIES = 1_000_000;

/**
 * Bytes of names (paths, link targets, pax records) a layer's headers may hold
 * in all: 128 per entry at the entry cap. The entry cap alone lets a layer of
 * few entries with megabyte-long pax paths fill memory; real layers stay far
 * below (500 000 files of 100-byte paths are 50 MB).
 */
export const MAX_LAYER_NAME_BYTES = 128 * 1024 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** True for layer media types that hold a tar: OCI layers of any compression (`…tar`, `…tar+gzip`), Docker's (`…diff.tar.gzip`, foreign too), Helm chart content. */
export function isTarLayer(mediaType: string): boolean {
  return /\.tar(?:[+.]|$)/.test(mediaType);
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((byte, i) => bytes[i] === byte);
}

/** What the walk reads: the layer's bytes, and what to do with the rest of them after a failure (read them for the digest check, or let them go). */
interface LayerBytes {
  drain: () => Promise<void>;
  close: () => Promise<void>;
}

/** The stream's first bytes (at least 4, unless it is shorter), the stream again from its start, and how to end it after a failure. */
async function sniff(stream: AsyncIterable<Uint8Array>): Promise<LayerBytes & { head: Uint8Array; all: AsyncIterable<Uint8Array> }> {
  const iterator = stream[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let length = 0;
  while (length < 4) {
    const next = await iterator.next();
    if (next.done) break;
    held.push(next.value);
    length += next.value.byteLength;
  }
  const head = Buffer.concat(held);
  async function* all(): AsyncGenerator<Uint8Array> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const drain = async (): Promise<void> => {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      /* only the digest check matters now */
    }
  };
  // Ends the source (a registry response, an open file) that nobody reads any more, so its connection or handle is released.
  const close = async (): Promise<void> => {
    await iterator.return?.();
  };
  return { head, all: all(), drain, close };
}

/**
 * The layer's tar bytes: inflated when they are gzip, refused by name when
 * they are another compression. `drain` reads the rest of the raw stream
 * after a failure, so bytes that broke gunzip or the tar reader are reported
 * as the digest mismatch they are, not as a format error.
 */
async function tarBytes(layer: LayerBlob, stream: AsyncIterable<Uint8Array>, subject: string): Promise<LayerBytes & { tar: AsyncIterable<Uint8Array> }> {
  const { head, all, drain, close } = await sniff(stream);
  if (startsWith(head, ZSTD_MAGIC)) {
    await close();
    throw new FerryError('UNSUPPORTED_MEDIA_TYPE', `${subject}: the layer is zstd-compressed, which Ferry cannot read yet (gzip and uncompressed tar layers are read)`, {
      digest: layer.digest,
      mediaType: layer.mediaType,
    });
  }
  if (!startsWith(head, GZIP_MAGIC)) return { tar: all, drain, close };
  // pipeline destroys every stage with the first error, so reading the gunzip's output rejects with a digest mismatch from the source.
  return { tar: pipeline(Readable.from(all), createGunzip(), () => undefined), drain, close };
}

/** What one header holds in memory beyond its fixed fields: its name, its link target and its pax records. */
function headerNameBytes(header: { name: string; linkname?: string | null; pax?: unknown }): number {
  let bytes = Buffer.byteLength(header.name) + Buffer.byteLength(header.linkname ?? '');
  if (typeof header.pax === 'object' && header.pax !== null) {
    for (const [key, value] of Object.entries(header.pax)) bytes += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  }
  return bytes;
}

/** A tar header's modification time as ISO 8601, when it is a real date. */
function isoTime(mtime: Date | undefined): string | undefined {
  return mtime instanceof Date && !Number.isNaN(mtime.getTime()) ? mtime.toISOString() : undefined;
}

/**
 * The entries of one layer from its verified bytes (`bytes` must check the
 * digest, as verifiedContent's stream does), handing the content of the
 * files `choose` picks to their captures. A layer that is not a tar (an
 * artifact's file) is one entry named by its title annotation, or nothing.
 */
export async function scanLayer(layer: LayerBlob, bytes: () => AsyncIterable<Uint8Array>, subject: string, choose?: CaptureChooser, signal?: AbortSignal): Promise<LayerEntry[]> {
  if (!isTarLayer(layer.mediaType)) return scanSingleFile(layer, bytes, choose);
  const entries: LayerEntry[] = [];
  let nameBytes = 0;
  // A capture's own failure (a closed pipe) is passed on as it is, never blamed on the layer.
  let captureFailure: { error: unknown } | undefined;
  const extract = tarStream.extract();
  const source = await tarBytes(layer, bytes(), subject);
  const feeding = (async () => {
    for await (const chunk of source.tar) {
      if (!(await writeToExtract(extract, chunk))) return;
    }
    extract.end(Buffer.alloc(0));
  })();
  feeding.catch((error: unknown) => extract.destroy(error instanceof Error ? error : new Error(String(error))));
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const path = normaliseLayerPath(header.name);
      const role = path === undefined ? undefined : classifyPath(path);
      let capture: FileCapture | undefined;
      if (path !== undefined && role?.kind === 'entry') {
        const type = fileTypeOf(header.type);
        const mtime = isoTime(header.mtime);
        const file: Omit<BrowseFileEntry, 'layer'> = {
          path,
          type,
          size: type === 'file' ? header.size : 0,
          mode: header.mode & 0o7777,
          ...(header.linkname && (type === 'symlink' || type === 'hardlink') ? { linkTarget: header.linkname } : {}),
          ...(mtime ? { mtime } : {}),
        };
        entries.push({ kind: 'entry', ...file });
        if (type === 'file') capture = choose?.(file);
      } else if (role?.kind === 'whiteout' || role?.kind === 'opaque') {
        entries.push({ kind: role.kind, path: role.path });
      }
      nameBytes += headerNameBytes(header);
      if (nameBytes > MAX_LAYER_NAME_BYTES)
        throw new FerryError('UNSUPPORTED_MEDIA_TYPE', `${subject}: the layer's entry names take more than ${MAX_LAYER_NAME_BYTES} bytes`, { digest: layer.digest });
      if (entries.length > MAX_LAYER_ENTRIES) throw new FerryError('UNSUPPORTED_MEDIA_TYPE', `${subject}: the layer has more than ${MAX_LAYER_ENTRIES} entries`, { digest: layer.digest });
      for await (const chunk of entry) {
        if (capture) {
          try {
            await capture(chunk as Buffer);
          } catch (error) {
            captureFailure = { error };
            throw error;
          }
        }
      }
    }
    await feeding;
  } catch (error) {
    extract.destroy();
    await feeding.catch(() => undefined);
    if (captureFailure || signal?.aborted || error instanceof FerryError) await source.close().catch(() => undefined);
    if (captureFailure) throw captureFailure.error;
    if (signal?.aborted) throw new FerryError('CANCELLED', `${subject}: reading the layer was cancelled`, { digest: layer.digest });
    if (error instanceof FerryError) throw error;
    // Undecodable bytes are most often altered ones: the digest check over the rest of the blob says so by name.
    await source.drain();
    throw error instanceof FerryError
      ? error
      : new FerryError('INVALID_MANIFEST', `${subject}: the layer is not a readable tar (${error instanceof Error ? error.message : String(error)})`, { digest: layer.digest });
  }
  return entries;
}

/** A layer that is one file (an OCI artifact's): its title is its path, its bytes the file's. */
async function scanSingleFile(layer: LayerBlob, bytes: () => AsyncIterable<Uint8Array>, choose?: CaptureChooser): Promise<LayerEntry[]> {
  const title = layer.annotations?.[TITLE_ANNOTATION];
  const path = title === undefined ? undefined : normaliseLayerPath(title);
  if (path === undefined) return [];
  const file: Omit<BrowseFileEntry, 'layer'> = { path, type: 'file', size: layer.size, mode: 0o644 };
  const capture = choose?.(file);
  if (capture) for await (const chunk of bytes()) await capture(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return [{ kind: 'entry', ...file }];
}
