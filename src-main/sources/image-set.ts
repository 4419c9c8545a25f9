/**
 * Image set files (`ferry export --set FILE`): one YAML (or JSON) file that
 * combines plain references, image lists, tag rules, Deckhouse release
 * channels and OpenShift releases and operators. The whole file is read by the
 * strict YAML reader and checked against its schema (image-set-schema.ts)
 * before any registry is asked anything; each section is then resolved by its
 * own module using registry reads only, and the plan remembers which section
 * brought each image. A file whose `kind` is oc-mirror's ImageSetConfiguration
 * is checked against its own schema and translated into Ferry's sections
 * (image-set-config.ts). `blockedImages:` is applied last, over every section.
 */
import { basename, dirname, isAbsolute, join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import type { BundleImageSet } from '../../src-shared/model/bundle.ts';
import type { Reference } from '../../src-shared/model/oci.ts';
import { readYamlFile } from '../base/yaml-read.ts';
import { formatReference } from '../oci/reference.ts';
import { checkContent } from '../base/content-check.ts';
import { readImageList } from './image-list.ts';
import { imageSetFromConfiguration } from './image-set-config.ts';
import { IMAGE_SET_CONFIGURATION_KIND, isImageSetConfiguration, parseImageSetConfiguration, type ImageSetConfigurationDocument } from './image-set-config-schema.ts';
import { imageSetSchema, type ImageSet, type ImageSetDocument } from './image-set-schema.ts';
import { resolveTagRules } from './tag-rules.ts';
import type { LocalArtifact, ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';

export type { ImageSet, ImageSetDocument } from './image-set-schema.ts';

/** A read and checked image set file, still unresolved. */
export interface ImageSetFile {
  path: string;
  /** The file as written (checked against its schema): a Ferry image set, or oc-mirror's ImageSetConfiguration. */
  document: ImageSetDocument | ImageSetConfigurationDocument;
  /** For an oc-mirror ImageSetConfiguration: the Ferry image set it was translated into, which `sections` are read from. */
  translated?: ImageSetDocument;
  /** The same sections parsed: references, ranges and defaults, as the resolvers take them. */
  sections: ImageSet;
  /** `platforms:` of the file, if any (`os/arch`). */
  platforms: string[];
}

/**
 * Reads and checks an image set file: a `.json` file must be JSON, any other
 * YAML. Every problem (syntax, a duplicate or unknown key, a bad value) is
 * INVALID_CONTENT naming the file, the line:column and the key's path. A file
 * of `kind: ImageSetConfiguration` is read as oc-mirror's, an oc-mirror key
 * Ferry does not carry out refused by name.
 */
export async function readImageSet(path: string): Promise<ImageSetFile> {
  const content = await readYamlFile(path, { format: path.toLowerCase().endsWith('.json') ? 'json' : 'yaml', what: 'image set' });
  if (isImageSetConfiguration(content.value)) {
    const translated = imageSetFromConfiguration(parseImageSetConfiguration(content, path));
    // Everything was checked at its line above; this only turns the text into what the resolvers take.
    const sections = checkContent(imageSetSchema, translated, { file: path, subject: `the ${IMAGE_SET_CONFIGURATION_KIND} (as a Ferry image set)` });
    return { path, document: content.value as ImageSetConfigurationDocument, translated, sections, platforms: [] };
  }
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
  const kept = sections.blockedImages?.length ? blockImages(images, sections.blockedImages, notes) : images;
  if (kept.length === 0 && artifacts.length === 0) {
    const blocked = images.length > 0 ? ` (blockedImages removed all ${images.length})` : '';
    throw new FerryError('INVALID_CONTENT', `${set.path} resolves to no images${blocked}`, { file: set.path });
  }
  return { images: kept, notes, artifacts };
}

/**
 * The names a blockedImages pattern is tried on: the pinned reference, the
 * reference as a set writes it (`repo:tag`, `repo@digest`), and where it lands
 * (`path[:tag]` under the prefix) — oc-mirror matches both the source as
 * written and the destination, so `:v1$` and a target path both work.
 */
function blockableNames(image: ResolvedImage): string[] {
  const { source, target } = image;
  const repository = `${source.registry}/${source.repository}`;
  const forms = [formatReference(source)];
  if (source.tag !== undefined) forms.push(`${repository}:${source.tag}`);
  if (source.digest !== undefined) forms.push(`${repository}@${source.digest}`);
  if (target) forms.push(target.tag === undefined ? target.path : `${target.path}:${target.tag}`);
  return forms;
}

/** How many blocked references a plan note lists before it only counts the rest. */
const BLOCKED_LISTED = 20;

/**
 * Leaves out every image whose source reference (formatted, without a
 * transport) matches one of the patterns anywhere, as oc-mirror's
 * excludeImages matches `blockedImages`; notes say which images each pattern
 * blocked, or that it blocked nothing.
 */
export function blockImages(images: readonly ResolvedImage[], patterns: readonly RegExp[], notes: string[]): ResolvedImage[] {
  // A pattern with the g or y flag would keep state between tests: matched without them.
  const blocked = new Map<RegExp, Set<string>>(patterns.map((pattern) => [new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')), new Set()]));
  const kept = images.filter((image) => {
    const name = formatReference(image.source);
    const forms = blockableNames(image);
    // The first pattern that matches is the one the note names.
    const pattern = [...blocked.keys()].find((p) => forms.some((form) => p.test(form)));
    if (pattern) blocked.get(pattern)?.add(`${name} [${image.section}]`);
    return pattern === undefined;
  });
  for (const [pattern, names] of blocked) {
    // As written: RegExp#source escapes every "/".
    const written = pattern.source.replaceAll('\\/', '/');
    if (names.size === 0) {
      notes.push(`blockedImages: "${written}" blocks nothing: no image of the set matches it`);
      continue;
    }
    const listed = [...names].slice(0, BLOCKED_LISTED).join(', ');
    const more = names.size > BLOCKED_LISTED ? ` and ${names.size - BLOCKED_LISTED} more` : '';
    notes.push(`blockedImages: "${written}" blocked ${names.size} image${names.size === 1 ? '' : 's'}: ${listed}${more}`);
  }
  return kept;
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
