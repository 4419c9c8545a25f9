/** What a saved image set holds, for the export wizard's "Saved sets" list (the service may not read image sets itself). */
import { readImageSet } from '../sources/image-set.ts';

/**
 * The references and platforms of a set that holds nothing else (as
 * `sets:save` writes them), so the wizard can show them in its reference box;
 * undefined for a set with other sections, or one that does not read.
 */
export async function imagesOnly(path: string): Promise<{ references: string[]; platforms: string[] } | undefined> {
  const set = await readImageSet(path).catch(() => undefined);
  if (!set || set.translated !== undefined) return undefined;
  const keys = Object.entries(set.document).filter(([, value]) => value !== null && value !== undefined);
  if (!keys.every(([key]) => key === 'images' || key === 'platforms')) return undefined;
  const images = (set.document as { images?: unknown }).images;
  if (!Array.isArray(images) || !images.every((image): image is string => typeof image === 'string')) return undefined;
  return { references: images, platforms: set.platforms };
}
