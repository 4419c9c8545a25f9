/**
 * Image set files (`ferry export --set FILE`): one YAML (or JSON) file that
 * combines plain references, image lists, tag rules, Deckhouse release
 * channels and OpenShift releases and operators. The whole file is read by the
 * strict YAML reader and checked against its schema (image-set-schema.ts)
 * before any registry is asked anything; each section is then resolved by its
 * own module using registry reads only, and the plan remembers which section
 * brought each image.
 */
import { basename, dirname, isAbsolute, join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import type { BundleImageSet } from '../../src-shared/model/bundle.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import { readYamlFile } from '../base/yaml-read.ts';
import { formatReference } from '../oci/reference.ts';
import { checkContent } from './content-check.ts';
import { readImageList } from './image-list.ts';
import { imageSetSchema, type ImageSet, type ImageSetDocument } from './image-set-schema.ts';
import { resolveTagRules } from './tag-rules.ts';
import type { LocalArtifact, ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';

export type { ImageSet, ImageSetDocument } from './image-set-schema.ts';

/** A read and checked image set file, still unresolved. */
export interface ImageSetFile {
  path: string;
  /** The file as written (checked against the schema), e.g. for the Deckhouse `license:` a front end turns into a login. */
  document: ImageSetDocument;
  /** The same sections parsed: references, ranges and defaults, as the resolvers take them. */
  sections: ImageSet;
  /** `platforms:` of the file, if any (`os/arch`). */
  platforms: string[];
}

/**
 * Reads and checks an image set file: a `.json` file must be JSON, any other
 * YAML. Every problem (syntax, a duplicate or unknown key, a bad value) is
 * INVALID_CONTENT naming the file, the line:column and the key's path.
 */
export async function readImageSet(path: string): Promise<ImageSetFile> {
  const content = await readYamlFile(path, { format: path.toLowerCase().endsWith('.json') ? 'json' : 'yaml', what: 'image set' });
  const sections = checkContent(imageSetSchema, content.value, { file: path, subject: 'the image set', position: content.position });
  // A successful check means the value has the schema's input shape.
  return { path, document: content.value as ImageSetDocument, sections, platforms: sections.platforms ?? [] };
}

/** Resolves every section of a set into exact references, with notes for the plan. */
export async function resolveImageSet(set: ImageSetFile, context: Omit<ResolveContext, 'baseDir'>): Promise<ResolvedSection> {
  const full: ResolveContext = { ...context, baseDir: dirname(set.path) };
  const { sections } = set;
  const images: ResolvedImage[] = [];
  const notes: string[] = [];
  const artifacts: LocalArtifact[] = [];
  const add = (section: ResolvedSection): void => {
    images.push(...section.images);
    notes.push(...section.notes);
    artifacts.push(...(section.artifacts ?? []));
  };
  for (const source of sections.images ?? []) images.push({ source, section: 'images' });
  for (const list of sections.imageLists ?? []) {
    const file = isAbsolute(list) ? list : join(full.baseDir, list);
    for (const { reference } of await readImageList(file)) images.push({ source: reference, section: 'imageLists' });
  }
  if (sections.tags) add(await resolveTagRules(sections.tags, full));
  if (sections.deckhouse) {
    const { resolveDeckhouseConfig } = await import('./deckhouse.ts');
    add(await resolveDeckhouseConfig(sections.deckhouse, full));
  }
  if (sections.openshift) {
    const { resolveOpenShiftConfig } = await import('./openshift.ts');
    add(await resolveOpenShiftConfig(sections.openshift, full));
  }
  if (sections.files?.length || sections.packageRepositories?.length) {
    const { resolveFiles, resolvePackageRepositories } = await import('./local-files.ts');
    if (sections.files?.length) add(await resolveFiles(sections.files, full));
    if (sections.packageRepositories?.length) add(await resolvePackageRepositories(sections.packageRepositories, full));
  }
  if (sections.charts?.length) {
    const { resolveCharts } = await import('./charts.ts');
    add(await resolveCharts(sections.charts, full));
  }
  if (images.length === 0 && artifacts.length === 0) throw new FerryError('INVALID_CONTENT', `${set.path} resolves to no images`, { file: set.path });
  return { images, notes, artifacts };
}

/** Where resolved images should land, by formatted source reference, as the export engine takes them. */
export type Placements = Map<string, { targets: Array<{ path: string; tag?: string }>; section: string }>;

/**
 * Resolves a set for an export: appends its references (each once, however
 * many sections name it) to `references` and its local artifacts to
 * `artifacts`, records the set in `imageSet`, and returns where every image
 * should land. Shared by the CLI and the app.
 */
export async function placeImageSet(
  set: ImageSetFile,
  context: Omit<ResolveContext, 'baseDir'>,
  imageSet: BundleImageSet,
  references: Reference[],
  artifacts: LocalArtifact[] = [],
): Promise<Placements> {
  const resolved = await resolveImageSet(set, context);
  artifacts.push(...(resolved.artifacts ?? []));
  const placements: Placements = new Map();
  for (const image of resolved.images) {
    const key = formatReference(image.source);
    const placement = placements.get(key);
    if (!placement) {
      placements.set(key, { targets: image.target ? [image.target] : [], section: image.section });
      references.push(image.source);
    } else if (image.target) {
      const { target } = image;
      if (!placement.targets.some((t) => t.path === target.path && t.tag === target.tag)) placement.targets.push(target);
    }
  }
  imageSet.set = basename(set.path);
  imageSet.notes = resolved.notes;
  if (imageSet.platforms.length === 0) imageSet.platforms = set.platforms;
  return placements;
}
