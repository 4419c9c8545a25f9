/**
 * Durable file writes: temp file in the same folder, write, fsync, rename,
 * fsync the folder, so "the file exists" always means "the file is complete"
 * even after a power cut or a yanked USB drive (DESIGN.md decision 4, as
 * containerd's content store does it). The temp file is removed on any
 * failure, and an existing file is replaced whole, never truncated in place.
 *
 * `writeFileDurable` writes a whole file (from bytes, a string or a stream of
 * chunks); `openDurableWriter` is the same sequence opened step by step, for
 * writers that stream, hash as they go and resume a temp file a killed run left.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, ioError } from './fs-errors.ts';

/**
 * Error codes with which an OS refuses to fsync a folder: Windows cannot open
 * a folder as a file (EISDIR, EPERM), and some filesystems do not support
 * syncing one (EINVAL). The rename is as durable as the OS allows there.
 */
const DIR_FSYNC_REFUSALS = new Set(['EPERM', 'EISDIR', 'EINVAL']);

/** Suffix of durable-write temp files (`<name>.tmp-<12 hex>`); bundle readers and the export sweep recognise it as a harmless leftover. */
export const DURABLE_TEMP_PATTERN = /\.tmp-[0-9a-f]+$/;

/**
 * Flushes a folder's entries (a rename is not durable until its folder is
 * synced). Skipped silently where the OS refuses: Windows answers EPERM or
 * EISDIR, and filesystems without folder sync answer EINVAL.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (process.platform === 'win32' && DIR_FSYNC_REFUSALS.has(errnoCode(error) ?? '')) return;
    throw ioError('open folder', dir, error);
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!DIR_FSYNC_REFUSALS.has(errnoCode(error) ?? '')) throw ioError('fsync folder', dir, error);
  } finally {
    await handle.close();
  }
}

/** Temp name beside the target, so the final rename stays on one filesystem and never replaces a file half-written. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${randomBytes(6).toString('hex')}`;
}

/** How a durable write creates its file. */
export interface DurableWriteOptions {
  /** Permission bits of the new file (before the umask), e.g. 0o600 for a file holding secrets; the OS default (0o666) otherwise. */
  mode?: number;
}

/** Options of openDurableWriter: a resumable writer names its own temp file. */
export interface DurableWriterOptions extends DurableWriteOptions {
  /**
   * A fixed temp path in the target's folder (e.g. `<hex>.partial`), for a
   * writer that resumes what a killed run left; a fresh random name otherwise.
   */
  tempPath?: string;
  /** Append to an existing temp file instead of starting it over (only with `tempPath`). */
  append?: boolean;
}

/**
 * A durable write opened step by step: bytes go to the temp file, `commit`
 * makes them the file, `abort` removes them, and `close` keeps the temp file
 * for a later resume. Exactly one of the three ends it.
 */
export interface DurableWriter {
  /** The file's final name. */
  readonly path: string;
  /** Where the bytes land until `commit`. */
  readonly tempPath: string;
  /** Writes all of `chunk` at the end of the temp file; await it before writing again. */
  write(chunk: Uint8Array | string): Promise<void>;
  /** fsync, close, rename over `path`, fsync the folder; the temp file is removed if any step fails. */
  commit(): Promise<void>;
  /** Closes and removes the temp file, best effort (it is never worth more than the error that caused the abort). */
  abort(): Promise<void>;
  /** Closes the temp file and keeps it, so a resumable writer can continue it later. */
  close(): Promise<void>;
}

/** Opens the temp file of a durable write of `path`; see DurableWriter for how it ends. */
export async function openDurableWriter(path: string, options: DurableWriterOptions = {}): Promise<DurableWriter> {
  const tempPath = options.tempPath ?? tempPathFor(path);
  if (options.tempPath !== undefined && dirname(options.tempPath) !== dirname(path)) {
    // A rename across folders may cross filesystems, and a folder fsync would then not cover it.
    throw ioError('write', path, new Error(`the temp file ${options.tempPath} must be in the same folder`));
  }
  // A random name is created exclusively ('wx'): a clash would mean two writers share one temp file.
  const flags = options.append === true ? 'a' : options.tempPath === undefined ? 'wx' : 'w';
  let handle: FileHandle;
  try {
    handle = await open(tempPath, flags, options.mode);
  } catch (error) {
    // Named by the file the user asked for; the OS's reason names the temp file.
    throw ioError('write', path, error);
  }
  return new OpenDurableWriter(path, tempPath, handle);
}

class OpenDurableWriter implements DurableWriter {
  private state: 'open' | 'ended' = 'open';

  constructor(
    readonly path: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  async write(chunk: Uint8Array | string): Promise<void> {
    this.checkOpen();
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    try {
      // A single write may be short; loop until every byte is down.
      let offset = 0;
      while (offset < bytes.byteLength) {
        const { bytesWritten } = await this.handle.write(bytes, offset, bytes.byteLength - offset);
        offset += bytesWritten;
      }
    } catch (error) {
      throw ioError('write', this.tempPath, error);
    }
  }

  async commit(): Promise<void> {
    this.checkOpen();
    this.state = 'ended';
    try {
      try {
        await this.handle.sync();
      } finally {
        await this.handle.close();
      }
      await rename(this.tempPath, this.path);
    } catch (error) {
      await rm(this.tempPath, { force: true }).catch(() => undefined);
      throw ioError('write', this.path, error);
    }
    await fsyncDir(dirname(this.path));
  }

  async abort(): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true }).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    await this.handle.close().catch(() => undefined);
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw ioError('write', this.path, new Error('the durable write has already ended'));
  }
}

/**
 * Writes a whole file durably: temp file in the same folder, fsync, rename,
 * fsync the folder; the temp file is removed on any failure, so the old file
 * (if any) stays as it was. `content` may be a stream of chunks: if it throws
 * midway, nothing replaces the old file. Used for every file Ferry must not
 * lose or see half-written: ferry.json, index.json, the export journal,
 * receipts, settings, the credential vault (mode 0600), saved sets, mirror
 * configuration and pull secrets (mode 0600).
 */
export async function writeFileDurable(path: string, content: Uint8Array | string | AsyncIterable<Uint8Array | string>, options: DurableWriteOptions = {}): Promise<void> {
  const writer = await openDurableWriter(path, options.mode === undefined ? {} : { mode: options.mode });
  try {
    if (typeof content === 'string' || content instanceof Uint8Array) await writer.write(content);
    else for await (const chunk of content) await writer.write(chunk);
  } catch (error) {
    await writer.abort();
    throw ioError('write', path, error);
  }
  await writer.commit();
}
