/**
 * Saved image sets: what a field engineer carries every month, kept by name
 * so the export wizard can offer "pick a saved set". Each is an ordinary
 * image set file (docs/image-sets.md) in a `sets` folder beside the catalog,
 * so `ferry export --set` reads the very same file.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SavedSet } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { writeFileDurable } from '../base/durable-write.ts';
import { parsePlatform } from '../oci/platform.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { imagesOnly } from '../usecases/saved-set-contents.ts';

/** Set names become file names: letters, digits, dot, dash, underscore and space, up to 64. */
const SET_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;
const SET_EXTENSION = '.yaml';

/** Where the saved sets of a catalog live. */
export function setsFolderFor(catalogPath: string): string {
  return join(dirname(catalogPath), 'sets');
}

/** sets:list — the saved sets, newest first. A missing folder means none yet. */
export async function listSavedSets(folder: string): Promise<SavedSet[]> {
  const names = await readdir(folder).catch((error: unknown) => {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') return [];
    throw new FerryError('IO_ERROR', `cannot read the saved sets folder ${folder}: ${message}`, { path: folder });
  });
  const sets = await Promise.all(
    names
      .filter((name) => name.endsWith(SET_EXTENSION) && !name.startsWith('.'))
      .map(async (file) => {
        const path = join(folder, file);
        const info = await stat(path).catch(() => undefined);
        if (!info?.isFile()) return undefined;
        const set: SavedSet = { name: file.slice(0, -SET_EXTENSION.length), path, modified: info.mtime.toISOString() };
        const only = await imagesOnly(path);
        if (only) Object.assign(set, only);
        return set;
      }),
  );
  return sets.filter((set): set is SavedSet => set !== undefined).sort((a, b) => b.modified.localeCompare(a.modified));
}

/**
 * sets:save — writes the references (and platforms) as an image set file,
 * replacing a set of the same name. Every reference is parsed first, and a
 * bad one is named, so a saved set always loads.
 */
export async function saveSet(folder: string, name: string, references: readonly string[], platforms: readonly string[]): Promise<SavedSet> {
  const trimmed = name.trim();
  if (!SET_NAME.test(trimmed))
    throw new FerryError('INVALID_ARGUMENT', 'name the set with letters, digits, spaces, dots, dashes or underscores (up to 64, starting with a letter or digit)', { argument: 'name' });
  if (references.length === 0) throw new FerryError('INVALID_ARGUMENT', 'a saved set needs at least one image reference', { argument: 'references' });
  const images = references.map((reference) => formatReference(parseReference(reference.trim())));
  platforms.forEach(parsePlatform);
  const lines = [`# Saved by Ferry on ${new Date().toISOString()} as "${trimmed}".`, 'images:', ...images.map((image) => `  - ${JSON.stringify(image)}`)];
  if (platforms.length > 0) lines.push(`platforms: [${platforms.map((p) => JSON.stringify(p)).join(', ')}]`);
  await mkdir(folder, { recursive: true });
  const path = join(folder, `${trimmed}${SET_EXTENSION}`);
  await writeFileDurable(path, `${lines.join('\n')}\n`);
  return { name: trimmed, path, modified: (await stat(path)).mtime.toISOString() };
}
