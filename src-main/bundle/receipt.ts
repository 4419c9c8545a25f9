/**
 * The import receipt, `ferry-receipt.json`: what a site's registry holds after
 * an import. Carried back to the connected side, it lets the next bundle leave
 * out everything the site already has (incremental bundles).
 */
import { access, constants, mkdir, readFile } from 'node:fs/promises';
import { FerryError } from '../../src-shared/errors.ts';
import { homedir } from 'node:os';
import { dirname, join, posix, win32 } from 'node:path';
import { catalogFolder } from '../base/data-folder.ts';
import { writeFileDurable } from '../base/durable-write.ts';

/** The receipt's file name when it is written into the bundle folder. */
export const RECEIPT_FILE = 'ferry-receipt.json';

/** The content of a receipt. No credential is ever part of it. */
export interface ImportReceipt {
  receiptVersion: 1;
  site: string | null;
  /** The target registry and prefix, e.g. `mirror.local:5000/ocp`. */
  registry: string;
  bundleId: string | null;
  importedAt: string;
  images: Array<{ name: string; source: string; destination: string; digest: string }>;
  /** Every blob and manifest digest the registry now holds for this bundle. */
  digests: string[];
}

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
    const writable = await access(options.bundleDir, constants.W_OK).then(() => true, () => false);
    path = writable ? join(options.bundleDir, RECEIPT_FILE) : join(defaultReceiptDir(), `${receipt.bundleId ?? receipt.importedAt.replace(/[:.]/g, '-')}.json`);
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileDurable(path, `${JSON.stringify(receipt, null, 2)}\n`);
  return path;
}

/** Reads a receipt file and checks its shape; a bad one is refused naming the file. */
export async function readReceipt(path: string): Promise<ImportReceipt> {
  let parsed: Partial<ImportReceipt>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<ImportReceipt>;
  } catch (error) {
    throw new FerryError('INVALID_ARGUMENT', `cannot read receipt ${path}: ${(error as NodeJS.ErrnoException).code ?? 'not valid JSON'}`, { file: path });
  }
  const ok = parsed.receiptVersion === 1 && typeof parsed.registry === 'string' && Array.isArray(parsed.digests) && Array.isArray(parsed.images)
    && parsed.digests.every((d) => typeof d === 'string' && /^sha256:[a-f0-9]{64}$/.test(d));
  if (!ok) throw new FerryError('INVALID_ARGUMENT', `${path} is not a Ferry receipt (receiptVersion 1 with registry, images and sha256 digests)`, { file: path });
  return parsed as ImportReceipt;
}
