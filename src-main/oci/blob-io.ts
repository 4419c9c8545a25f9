/**
 * One storage interface for blobs, whatever holds them — a registry
 * repository, an OCI layout folder, the tar parts of an archive bundle — and
 * ONE copy-and-verify routine over it, so copy, export, import and verify move
 * bytes the same way (the model is regclient's and oras-go's single storage
 * interface). A source hands out raw bytes; `copyBlob` passes them through a
 * DigestVerifier that refuses the first byte past the size and holds the last
 * chunk back until digest and size match; the sink commits (rename, final
 * PUT) only when that stream has ended, so nothing unverified ever gets its
 * final name.
 * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
 */
import { FerryError } from '../../src-shared/errors.ts';
import { DigestVerifier, verifyingStream } from './digest.ts';
import { ReplayWindow } from './replay-window.ts';

/** A blob as sources and sinks name it; a size of -1 checks the digest only (an entry whose size is already known to be wrong). */
export interface BlobRef {
  readonly digest: string;
  readonly size: number;
}

/** A store blobs can be read from at any offset: a registry repository, an OCI layout folder, bytes in memory. */
export interface BlobSource {
  /** How errors name a blob of this store ("blob sha256:… in host/repo"). */
  describe(blob: BlobRef): string;
  /** The blob's raw bytes from `start`; unverified until they pass through copyBlob. */
  open(blob: BlobRef, start: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/** A blob that can be read once, in order: a tar entry of an archive bundle. */
export interface BlobStream {
  stream: AsyncIterable<Uint8Array>;
  /** Bytes kept in memory so a sink can restart inside them (a chunked upload that failed); 0 when it never restarts. */
  replay?: number;
}

/** A store blobs are written to: a registry repository, an OCI layout folder, the parts of an archive, or a check that keeps nothing. */
export interface BlobSink {
  /** True when the store already holds the blob complete, so it need not be written. */
  has(blob: BlobRef, signal?: AbortSignal): Promise<boolean>;
  /**
   * Writes the blob from `content` and commits it only after the stream it
   * read has ended (the last chunk comes only once digest and size matched).
   * A failed write leaves no blob behind under its final name.
   */
  write(content: BlobContent, signal?: AbortSignal): Promise<void>;
}

/** One blob's verified bytes, as a sink reads them. */
export interface BlobContent {
  readonly blob: BlobRef;
  /** Names the blob and where it comes from, for error messages. */
  readonly subject: string;
  /**
   * The blob from `offset`, verified as a whole. `held` are the bytes before
   * `offset` as the sink already holds them (a `.partial` file, completed
   * parts): they are hashed, not read again. Without `held` the bytes before
   * `offset` are read from the source again and hashed, never trusted.
   */
  from(offset: number, held?: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array>;
}

/** Options of copyBlob. */
export interface CopyBlobOptions {
  signal?: AbortSignal;
  /** Overrides the source's name for the blob in error messages. */
  subject?: string;
  /** Told how far through the blob the verified stream is, after each chunk it hands on (held bytes count once they are hashed). */
  onPosition?: (position: number) => void;
}

/** A chunk as a Buffer without copying it (sources hand out Buffers; this only wraps a plain Uint8Array). */
export function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** True for the errors that mean the bytes themselves are wrong (a bad source, not a failed transport). */
export function isContentMismatch(error: unknown): boolean {
  return error instanceof FerryError && (error.code === 'DIGEST_MISMATCH' || error.code === 'SIZE_MISMATCH');
}

/** The verified content of one blob from a source or a one-shot stream; what copyBlob hands a sink. */
export function verifiedContent(blob: BlobRef, from: BlobSource | BlobStream, options: CopyBlobOptions = {}): BlobContent {
  const { signal, onPosition } = options;
  if ('open' in from) {
    const subject = options.subject ?? from.describe(blob);
    return {
      blob,
      subject,
      from: (offset, held) => {
        const verifier = new DigestVerifier(blob.digest, blob.size, subject);
        if (!held && offset === 0 && !onPosition) return verifyingStream(from.open(blob, 0, signal), verifier);
        return verifying((start) => from.open(blob, start, signal), verifier, offset, held, onPosition);
      },
    };
  }
  const subject = options.subject ?? `blob ${blob.digest}`;
  const verified = verifyingStream(from.stream, new DigestVerifier(blob.digest, blob.size, subject));
  const window = from.replay ? new ReplayWindow(verified, from.replay, subject) : undefined;
  let opened = false;
  return {
    blob,
    subject,
    from: (offset, held) => {
      if (held || (!window && (opened || offset > 0))) throw new FerryError('INTERNAL', `${subject}: a one-pass stream cannot be read again from byte ${offset}`);
      opened = true;
      const stream = window ? window.from(offset) : verified;
      return onPosition ? positioned(stream, offset, onPosition) : stream;
    },
  };
}

/**
 * The one copy-and-verify routine: streams `blob` from its source through the
 * digest and size check into the sink, which commits only once the check
 * passed. It does not ask `has` first: callers decide what makes a write
 * unnecessary (a HEAD, a mount, a completed part).
 */
export async function copyBlob(blob: BlobRef, from: BlobSource | BlobStream, to: BlobSink, options: CopyBlobOptions = {}): Promise<void> {
  await to.write(verifiedContent(blob, from, options), options.signal);
}

/**
 * A sink that keeps nothing: `ferry verify` streams each blob through the
 * same check and lets `inspect` see the verified chunks (to collect manifests).
 */
export class CheckingSink implements BlobSink {
  constructor(private readonly inspect?: (chunk: Uint8Array) => void) {}

  /** A check always reads the blob. */
  async has(): Promise<boolean> {
    return false;
  }

  /** Reads the whole blob; throws SIZE_MISMATCH or DIGEST_MISMATCH when it is wrong. */
  async write(content: BlobContent): Promise<void> {
    const inspect = this.inspect;
    for await (const chunk of content.from(0)) inspect?.(chunk);
  }
}

/** Serves manifests (and other small blobs) fetched while planning from memory, checked like any other source. */
export class MemoryBlobSource implements BlobSource {
  constructor(
    private readonly blobs: ReadonlyMap<string, Uint8Array>,
    private readonly where = 'memory',
  ) {}

  /** Names the blob for errors. */
  describe(blob: BlobRef): string {
    return `blob ${blob.digest} (${this.where})`;
  }

  /** The blob's bytes from `start`, or a clear error when it was never fetched. */
  async *open(blob: BlobRef, start: number): AsyncGenerator<Uint8Array> {
    const bytes = this.blobs.get(blob.digest);
    if (!bytes) throw new FerryError('INTERNAL', `${this.describe(blob)} is not held in memory`, { digest: blob.digest });
    if (start < bytes.byteLength) yield bytes.subarray(start);
  }
}

/**
 * verifyingStream with what sinks need on top, in the same pass (one
 * generator per chunk, as before there was an interface): `held` bytes the
 * sink already has are hashed first and the source opened after them;
 * without them the source is read from 0 and the first `offset` bytes are
 * hashed but not handed on (a resumed upload rereads the prefix rather than
 * trust bytes nobody checked). `onPosition` hears how far the stream got.
 */
async function* verifying(
  open: (start: number) => AsyncIterable<Uint8Array>,
  verifier: DigestVerifier,
  offset: number,
  held: AsyncIterable<Uint8Array> | undefined,
  onPosition: ((position: number) => void) | undefined,
): AsyncGenerator<Uint8Array> {
  let skip = offset;
  if (held) {
    for await (const chunk of held) verifier.update(chunk);
    if (verifier.bytesVerified !== offset) {
      throw new FerryError('INTERNAL', `${verifier.subject}: the sink holds ${verifier.bytesVerified} bytes, not the ${offset} it resumes after`);
    }
    skip = 0;
    onPosition?.(offset);
  }
  let end = verifier.bytesVerified;
  let pending: Uint8Array | undefined;
  let pendingEnd = 0;
  for await (const chunk of open(held ? offset : 0)) {
    verifier.update(chunk);
    end += chunk.byteLength;
    let out: Uint8Array | undefined = chunk;
    if (skip > 0) {
      out = skip >= chunk.byteLength ? undefined : chunk.subarray(skip);
      skip = Math.max(0, skip - chunk.byteLength);
    }
    if (pending) {
      onPosition?.(pendingEnd);
      yield pending;
    }
    pending = out;
    pendingEnd = end;
  }
  // The last chunk goes out only once the whole blob matched its digest and size.
  verifier.finish();
  if (pending) {
    onPosition?.(pendingEnd);
    yield pending;
  }
}

/** A one-pass stream from `base` on, telling `onPosition` how far it got. */
async function* positioned(stream: AsyncIterable<Uint8Array>, base: number, onPosition: (position: number) => void): AsyncGenerator<Uint8Array> {
  let position = base;
  for await (const chunk of stream) {
    position += chunk.byteLength;
    onPosition(position);
    yield chunk;
  }
}
