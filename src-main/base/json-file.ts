/**
 * Reads a JSON document from disk through its kind's size cap, the strict
 * reader and its schema (src-shared/schemas/document.ts). The size is checked
 * before a byte is read, so an oversized file never reaches memory.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';
import { parseJsonDocument, type JsonDocumentKind } from '../../src-shared/schemas/document.ts';
import { errnoCode } from './fs-errors.ts';
import { readBundleFileIfPresent } from './safe-read.ts';

/** The errno code of a failure, or its text when it has none, for messages. */
function reasonOf(error: unknown): string {
  return errnoCode(error) ?? String(error);
}

/** The document at `path`, checked; undefined when there is no such file. Other read failures are IO_ERROR naming the file. */
export async function readJsonFile<Schema extends z.ZodType>(path: string, kind: JsonDocumentKind<Schema>): Promise<z.output<Schema> | undefined> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new FerryError(kind.code, `${path} is not a file`, { file: path, path: '$' });
    size = info.size;
  } catch (error) {
    if (error instanceof FerryError) throw error;
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new FerryError('IO_ERROR', `cannot read ${path}: ${reasonOf(error)}`, { file: path }, { cause: error });
  }
  if (size > kind.maxBytes) throw new FerryError(kind.code, `${path} is ${size} bytes, more than such a file may be (${kind.maxBytes})`, { file: path, path: '$', size, limit: kind.maxBytes });
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new FerryError('IO_ERROR', `cannot read ${path}: ${reasonOf(error)}`, { file: path }, { cause: error });
  }
  return parseJsonDocument(bytes, kind, path);
}

/**
 * A JSON document on media Ferry did not write for itself (a bundle's
 * ferry.json, the export journal in a bundle folder, a receipt carried back):
 * `name` in `dir`, opened through the safe reader (a symlink at any level
 * below `dir`, a FIFO, device or socket is refused by name and never read),
 * capped at the kind's size while reading, then read strictly and checked.
 * Undefined when there is no such file.
 */
export async function readMediaJson<Schema extends z.ZodType>(dir: string, name: string, kind: JsonDocumentKind<Schema>, signal?: AbortSignal): Promise<z.output<Schema> | undefined> {
  const bytes = await readBundleFileIfPresent(dir, name, { limit: kind.maxBytes, code: kind.code, what: name, ...(signal ? { signal } : {}) });
  return bytes === undefined ? undefined : parseJsonDocument(bytes, kind, join(dir, name));
}
