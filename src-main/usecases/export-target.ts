/**
 * The export wizard's "where" step checks its folder before a job starts: can
 * the bundle be written there, and how much room has the drive. An operator
 * who typed a folder under a file, or on a read-only drive, learns it on the
 * step where the folder is typed, not from a failed job two steps later.
 */
import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ExportTargetCheck } from '../../src-shared/api/contract.ts';

/** Checks `target` (a folder that may not exist yet): the nearest existing folder must be a writable folder; its drive's free bytes are reported. */
export async function checkExportTarget(target: string): Promise<ExportTargetCheck> {
  const typed = target.trim();
  if (typed === '') return { writable: false, problem: 'Choose a drive or type the folder to write the bundle to.' };
  if (!isAbsolute(typed)) return { writable: false, problem: `${typed} is not a full path: type it from the root, starting with /.` };
  let folder = resolve(typed);
  for (;;) {
    const info = await stat(folder).catch((error: unknown) => error as NodeJS.ErrnoException);
    if (!(info instanceof Error)) {
      if (!info.isDirectory()) return { writable: false, problem: `${folder} is a file, not a folder, so the bundle cannot be written under it.` };
      break;
    }
    if (info.code !== 'ENOENT' && info.code !== 'ENOTDIR') return { writable: false, problem: `${folder} cannot be read (${info.message}).` };
    const parent = dirname(folder);
    if (parent === folder) return { writable: false, problem: `No folder of ${typed} exists.` };
    folder = parent;
  }
  const freeBytes = await statfs(folder).then(
    (fs) => fs.bavail * fs.bsize,
    () => undefined,
  );
  const writable = await access(folder, constants.W_OK).then(
    () => true,
    () => false,
  );
  const check: ExportTargetCheck = { writable };
  if (freeBytes !== undefined) check.freeBytes = freeBytes;
  if (!writable) check.problem = `${folder} cannot be written: choose another folder, or a drive that is not read-only.`;
  return check;
}
