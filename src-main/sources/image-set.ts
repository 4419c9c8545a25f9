/**
 * Image set files (`ferry export --set FILE`): one YAML (or JSON) file that
 * combines plain references, image lists, tag rules, Deckhouse release
 * channels and OpenShift releases and operators. Each section is resolved by
 * its own module using registry reads only; the plan remembers which section
 * brought each image.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import type { BundleImageSet } from '../../src-shared/model/bundle.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { readImageList } from '../transfer/image-list.ts';
import { resolveTagRules } from './tag-rules.ts';
import type { ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';
import { parseYaml, type YamlValue } from './yaml-lite.ts';

/** The sections an image set file may have, each with the resolver that reads it. */
const SECTIONS = ['images', 'imageLists', 'tags', 'deckhouse', 'openshift', 'platforms'] as const;

/** A parsed image set file, still unresolved. */
export interface ImageSetFile {
  path: string;
  document: { [key: string]: YamlValue };
  /** `platforms:` of the file, if any (`os/arch`). */
  platforms: string[];
}

/** Reads and checks an image set file; unknown sections are refused by name. */
export async function readImageSet(path: string): Promise<ImageSetFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FerryError('IO_ERROR', `cannot read image set ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { file: path });
  }
  const parsed = path.endsWith('.json') ? (JSON.parse(text) as YamlValue) : parseYaml(text, path);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new FerryError('INVALID_ARGUMENT', `${path}: an image set is a mapping of sections (${SECTIONS.join(', ')})`, { file: path });
  const unknown = Object.keys(parsed).filter((key) => !(SECTIONS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new FerryError('INVALID_ARGUMENT', `${path}: unknown section(s) ${unknown.join(', ')} (sections: ${SECTIONS.join(', ')})`, { file: path });
  const platforms = parsed.platforms;
  if (platforms !== undefined && platforms !== null && (!Array.isArray(platforms) || platforms.some((p) => typeof p !== 'string'))) {
    throw new FerryError('INVALID_ARGUMENT', `${path}: platforms must be a list of os/arch strings`, { file: path });
  }
  return { path, document: parsed, platforms: (platforms ?? []) as string[] };
}

function stringList(value: YamlValue | undefined, what: string, file: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new FerryError('INVALID_ARGUMENT', `${file}: ${what} must be a list of strings`, { file });
  return value as string[];
}

/** Resolves every section of a set into exact references, with notes for the plan. */
export async function resolveImageSet(set: ImageSetFile, context: Omit<ResolveContext, 'baseDir'>): Promise<ResolvedSection> {
  const full: ResolveContext = { ...context, baseDir: dirname(set.path) };
  const images: ResolvedImage[] = [];
  const notes: string[] = [];
  const add = (section: ResolvedSection): void => {
    images.push(...section.images);
    notes.push(...section.notes);
  };
  for (const text of stringList(set.document.images, 'images', set.path)) images.push({ source: parseReference(text), section: 'images' });
  for (const list of stringList(set.document.imageLists, 'imageLists', set.path)) {
    const file = isAbsolute(list) ? list : join(full.baseDir, list);
    for (const { reference } of await readImageList(file)) images.push({ source: reference, section: 'imageLists' });
  }
  if (set.document.tags !== undefined && set.document.tags !== null) add(await resolveTagRules(set.document.tags, full, set.path));
  if (set.document.deckhouse !== undefined && set.document.deckhouse !== null) {
    const { resolveDeckhouse } = await import('./deckhouse.ts');
    add(await resolveDeckhouse(set.document.deckhouse, full));
  }
  if (set.document.openshift !== undefined && set.document.openshift !== null) {
    const { resolveOpenShift } = await import('./openshift.ts');
    add(await resolveOpenShift(set.document.openshift, full));
  }
  if (images.length === 0) throw new FerryError('INVALID_ARGUMENT', `${set.path} resolves to no images`, { file: set.path });
  return { images, notes };
}

/** Where resolved images should land, by formatted source reference, as the export engine takes them. */
export type Placements = Map<string, { targets: Array<{ path: string; tag?: string }>; section: string }>;

/**
 * Resolves a set for an export: appends its references (each once, however
 * many sections name it) to `references`, records the set in `imageSet`, and
 * returns where every image should land. Shared by the CLI and the app.
 */
export async function placeImageSet(set: ImageSetFile, context: Omit<ResolveContext, 'baseDir'>, imageSet: BundleImageSet, references: Reference[]): Promise<Placements> {
  const resolved = await resolveImageSet(set, context);
  const placements: Placements = new Map();
  for (const image of resolved.images) {
    const key = formatReference(image.source);
    const placement = placements.get(key);
    if (!placement) {
      placements.set(key, { targets: image.target ? [image.target] : [], section: image.section });
      references.push(image.source);
    } else if (image.target && !placement.targets.some((t) => t.path === image.target?.path && t.tag === image.target?.tag)) {
      placement.targets.push(image.target);
    }
  }
  imageSet.set = basename(set.path);
  imageSet.notes = resolved.notes;
  if (imageSet.platforms.length === 0) imageSet.platforms = set.platforms;
  return placements;
}
