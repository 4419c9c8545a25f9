/**
 * The officer's inspector calls as the contract's adapter (issue 17):
 * `bundle:images`, each image's platforms, layers and config labels from the
 * bundle's verified view (the wizard's last verification, else verified now),
 * and `report:save`, which writes the report the app made into the folder the
 * user picked with the app's picker — a new file, never one that exists.
 */
import { lstat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ImageDetails } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { imageDetails } from '../usecases/image-details.ts';
import type { VerifiedBundles } from '../usecases/verify.ts';
import { argsObject, requireString } from './access.ts';

/** bundle:images — the detail of the named images (all, up to the cap, when none is named) of a verified bundle. */
export async function imageDetailsFor(raw: unknown, verified: VerifiedBundles): Promise<ImageDetails> {
  const args = argsObject(raw);
  const bundle = requireString(args, 'bundle');
  const images = args.images;
  if (images !== undefined && (!Array.isArray(images) || images.some((name) => typeof name !== 'string')))
    throw new FerryError('INVALID_ARGUMENT', 'images must be a list of image names', { argument: 'images' });
  const view = await verified.view(bundle, 'its images cannot be shown');
  return imageDetails(view, { ...(images !== undefined ? { images: images as string[] } : {}), labels: args.labels !== false });
}

/** A report is text the app rendered; this bounds what one call may write. */
const REPORT_MAX_CHARS = 64 * 1024 * 1024;
/** A report's file name: a plain name (no folder, no leading dot) ending in .html or .txt. */
const REPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,150}\.(html|txt)$/;

/** True when nothing exists at `path` (not even a dangling link). */
async function absent(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/** report:save — writes the report into the folder as `name`, or `name (2)` … when that exists; answers the path written. */
export async function saveReport(raw: unknown): Promise<{ path: string }> {
  const args = argsObject(raw);
  const folder = resolve(requireString(args, 'folder').trim());
  const name = requireString(args, 'name');
  const text = requireString(args, 'text');
  if (!REPORT_NAME.test(name)) throw new FerryError('INVALID_ARGUMENT', `${name} is not a report file name: a plain name ending in .html or .txt`, { argument: 'name' });
  if (text.length > REPORT_MAX_CHARS) throw new FerryError('INVALID_ARGUMENT', `the report is larger than ${REPORT_MAX_CHARS} characters`, { argument: 'text' });
  const info = await lstat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new FerryError('INVALID_ARGUMENT', `${folder} is not a folder: choose the folder to save the report in`, { argument: 'folder', path: folder });
  const dot = name.lastIndexOf('.');
  for (let copy = 1; copy <= 100; copy += 1) {
    const path = join(folder, copy === 1 ? name : `${name.slice(0, dot)} (${copy})${name.slice(dot)}`);
    if (!(await absent(path))) continue;
    await writeFileDurable(path, text);
    return { path };
  }
  throw new FerryError('INVALID_ARGUMENT', `${folder} already holds 100 reports named ${name}: choose another folder`, { argument: 'folder', path: folder });
}
