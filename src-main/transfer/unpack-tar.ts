/**
 * Unpacking a tar layer (a package repository) into a folder Ferry just made
 * for it, safely: every entry name is checked (no absolute path, no `..`, no
 * backslash or drive letter, no name twice), only regular files and folders
 * are written (a link, device or FIFO is refused by name, so nothing can point
 * out of the folder), and the bytes written never exceed the layer's size.
 * Each file is written durably (base/durable-write.ts). The folder holds no
 * symlink, since nothing here creates one, so a path inside it stays inside.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { writeToExtract } from '../oci/tar-feed.ts';

/** One file written out, by its path inside the folder (`/`-separated), and its size. */
export interface WrittenFile {
  path: string;
  size: number;
}

/**
 * A relative path from an archive or a layer title, checked and normalised
 * (`./a//b/` → `a/b`); throws INVALID_CONTENT naming `subject` for anything
 * that could leave the folder it is written into.
 */
export function safeRelativePath(name: string, subject: string): string {
  const refuse = (why: string): never => {
    throw new FerryError('INVALID_CONTENT', `${subject}: entry "${name}" ${why}; nothing was written`, { entry: name });
  };
  if (name.includes('\0')) refuse('holds a NUL character');
  if (name.includes('\\')) refuse('holds a backslash');
  if (name.startsWith('/')) refuse('is an absolute path');
  if (/^[A-Za-z]:/.test(name)) refuse('starts with a drive letter');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) refuse('climbs out of its folder (..)');
  if (parts.length === 0) refuse('names no file');
  return parts.join('/');
}

/** Reads the rest of an entry nobody wants, so the extractor moves on. */
async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of entry) {
    /* a folder entry has no bytes; anything else here is skipped */
  }
}

/**
 * Unpacks the tar in `stream` (verified as it streams, by the caller) into
 * `into`, which must be a fresh folder; `limit` is the layer's size, which
 * the files together may not exceed. Returns the files written, in order.
 */
export async function unpackTar(stream: AsyncIterable<Uint8Array>, into: string, subject: string, limit: number): Promise<WrittenFile[]> {
  const extract = tarStream.extract();
  const written: WrittenFile[] = [];
  const seen = new Set<string>();
  let total = 0;
  const walking = (async () => {
    for await (const entry of extract) {
      const { header } = entry;
      const path = safeRelativePath(header.name, subject);
      if (seen.has(path)) throw new FerryError('INVALID_CONTENT', `${subject}: entry "${path}" appears twice; nothing was written`, { entry: path });
      seen.add(path);
      if (header.type === 'directory') {
        await mkdir(join(into, ...path.split('/')), { recursive: true });
        await drain(entry);
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        const { size } = header;
        total += size;
        if (total > limit) throw new FerryError('INVALID_CONTENT', `${subject}: its files add up to more than the layer's ${limit} bytes; nothing was written`, { entry: path });
        const parts = path.split('/');
        if (parts.length > 1) await mkdir(join(into, ...parts.slice(0, -1)), { recursive: true });
        await writeFileDurable(join(into, ...parts), entry as AsyncIterable<Buffer>);
        written.push({ path, size });
      } else {
        throw new FerryError('INVALID_CONTENT', `${subject}: entry "${path}" is a ${header.type}; only files and folders are written, nothing was`, {
          entry: path,
          type: header.type,
        });
      }
    }
  })();
  walking.catch(() => undefined);
  try {
    for await (const chunk of stream) {
      if (!(await writeToExtract(extract, chunk))) break;
    }
    if (!extract.destroyed) extract.end(Buffer.alloc(0));
    await walking;
  } catch (error) {
    extract.destroy();
    await walking.catch(() => undefined);
    throw error;
  }
  // A walk that ended early (the extractor was destroyed by a bad entry) has its own error.
  await walking;
  return written;
}
