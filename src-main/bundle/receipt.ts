/**
 * The import receipt, `ferry-receipt.json`: what a site's registry holds after
 * an import. Carried back to the connected side, it lets the next bundle leave
 * out everything the site already has (incremental bundles).
 */
import { access, constants, mkdir } from 'node:fs/promises';
import type { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';
import { RECEIPT_DOCUMENT, type ImportReceiptSchema } from '../../src-shared/schemas/receipt.ts';
import { readMediaJson } from '../base/json-file.ts';
import { homedir } from 'node:os';
import { basename, dirname, join, posix, win32 } from 'node:path';
import { catalogFolder } from '../base/data-folder.ts';
import { writeFileDurable } from '../base/durable-write.ts';

/** The receipt's file name when it is written into the bundle folder. */
export const RECEIPT_FILE = 'ferry-receipt.json';

/** The content of a receipt, inferred from its schema (src-shared/schemas/receipt.ts). No credential is ever part of it. */
export type ImportReceipt = z.infer<typeof ImportReceiptSchema>;

/**
 * Where receipts go when the bundle folder is read-only: a `receipts` folder
 * beside the catalog, so it follows the catalog's per-OS data folder
 * (AppData on Windows, Application Support on macOS, XDG on Linux) and its
 * FERRY_CATALOG override.
 */
export function defaultReceiptDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  const paths = platform === 'win32' ? win32 : posix;
  return paths.join(catalogFolder(env, platform, home), 'receipts');
}

/** Writes a receipt to `file`, or into the bundle folder when it is writable, else into the data folder; returns the path. */
export async function writeReceipt(receipt: ImportReceipt, options: { file?: string; bundleDir: string }): Promise<string> {
  let path = options.file;
  if (path === undefined) {
    const writable = await access(options.bundleDir, constants.W_OK).then(
      () => true,
      () => false,
    );
    path = writable ? join(options.bundleDir, RECEIPT_FILE) : join(defaultReceiptDir(), `${receipt.bundleId ?? receipt.importedAt.replace(/[:.]/g, '-')}.json`);
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileDurable(path, `${JSON.stringify(receipt, null, 2)}\n`);
  return path;
}

/**
 * Reads a receipt file strictly and checks it against its schema; a bad one is
 * INVALID_CONTENT naming the file and the JSON path. It comes back from a site
 * on media, so it is opened safely: a symlink, FIFO or device is refused, never read.
 */
export async function readReceipt(path: string): Promise<ImportReceipt> {
  const receipt = await readMediaJson(dirname(path), basename(path), RECEIPT_DOCUMENT);
  if (receipt === undefined) throw new FerryError('INVALID_ARGUMENT', `cannot read receipt ${path}: there is no such file`, { file: path, argument: 'receipt' });
  return receipt;
}
