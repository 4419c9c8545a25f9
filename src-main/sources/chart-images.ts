/**
 * The images a Helm chart declares, found without rendering its templates:
 * the `artifacthub.io/images` annotation of Chart.yaml (the author's own list)
 * and the image patterns of values.yaml that charts commonly use, anywhere in
 * the values (`image: {registry, repository, tag, digest}`, ingress-nginx's
 * `{registry, image, tag, digest}`, `image: "repo:tag"` strings). It is a
 * best guess that the plan shows so an operator can correct it: what looks
 * like an image but does not parse becomes a note, never an error.
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { asMapping, readYaml } from '../base/yaml-read.ts';
import { formatReference, parseReference } from '../oci/reference.ts';

/** One image found in a chart: the reference and where it was declared. */
export interface DeclaredImage {
  reference: Reference;
  /** `artifacthub.io/images` or a values path such as `controller.image`. */
  from: string;
}

/** What a chart declares: images (each once), and what looked like an image but could not be read as one. */
export interface DeclaredImages {
  images: DeclaredImage[];
  problems: string[];
}

/** The annotation Artifact Hub reads a chart's images from: a YAML list of `{name, image}`. */
export const IMAGES_ANNOTATION = 'artifacthub.io/images';

/** Values nested deeper than this are not searched (real charts stay below ten levels). */
const MAX_DEPTH = 32;

/** A scalar as text (`tag: 1.25` is read by YAML as a number); undefined for nothing or "". */
function scalar(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A key under which a string is an image reference: `image`, `initImage`, `sidecar_image`. */
function imageKey(key: string): boolean {
  return /(^|[_-])image$/i.test(key) || /[a-z0-9]Image$/.test(key);
}

function pathOf(path: readonly string[]): string {
  return path.reduce((out, step) => (/^\[\d+\]$/.test(step) ? `${out}${step}` : out === '' ? step : `${out}.${step}`), '');
}

/** Collects references, each once, and the problems, each with where it was found. */
class Collector {
  readonly images: DeclaredImage[] = [];
  readonly problems: string[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly appVersion: string | undefined) {}

  add(text: string, from: string): void {
    if (text.includes('{{')) {
      this.problems.push(`${from} is a template ("${text}"): the image it renders to is not known`);
      return;
    }
    let reference: Reference;
    try {
      reference = parseReference(text);
    } catch (error) {
      this.problems.push(`${from} is not an image reference: ${error instanceof FerryError ? error.message : String(error)}`);
      return;
    }
    const key = formatReference(reference);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.images.push({ reference, from });
  }

  /**
   * A mapping that describes an image: `repository` (or ingress-nginx's
   * `image`) with a `registry`, `tag` or `digest` beside it, or under an image
   * key. An empty tag is the chart's appVersion, as most templates default it.
   */
  addSpec(spec: Record<string, unknown>, key: string | undefined, from: string): boolean {
    const repository = scalar(spec.repository) ?? (scalar(spec.registry) !== undefined ? scalar(spec.image) : undefined);
    if (repository === undefined || repository.includes('://')) return false;
    const described = ['registry', 'tag', 'digest'].some((k) => k in spec) || (key !== undefined && imageKey(key));
    if (!described) return false;
    const registry = scalar(spec.registry);
    const digest = scalar(spec.digest);
    let tag = scalar(spec.tag);
    if (tag === undefined && digest === undefined) {
      if (this.appVersion === undefined) {
        this.problems.push(`${from} names ${repository} with no tag, and the chart has no appVersion to default it to`);
        return true;
      }
      tag = this.appVersion;
    }
    const name = registry !== undefined && !repository.startsWith(`${registry}/`) ? `${registry.replace(/\/+$/, '')}/${repository}` : repository;
    this.add(`${name}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`, from);
    return true;
  }
}

function walkValues(value: unknown, path: string[], key: string | undefined, out: Collector, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => walkValues(item, [...path, `[${i}]`], key, out, depth + 1));
    return;
  }
  const map = asMapping(value);
  if (map) {
    if (out.addSpec(map, key, pathOf(path))) return;
    for (const [k, v] of Object.entries(map)) walkValues(v, [...path, k], k, out, depth + 1);
    return;
  }
  const text = scalar(value);
  if (text !== undefined && typeof value === 'string' && key !== undefined && imageKey(key) && !text.includes('://')) out.add(text, pathOf(path));
}

/** The `artifacthub.io/images` annotation, read strictly as YAML: a list of `{name, image}`. */
function annotationImages(chart: Record<string, unknown>, file: string, out: Collector): void {
  const text = asMapping(chart.annotations)?.[IMAGES_ANNOTATION];
  if (text === undefined) return;
  let listed: unknown;
  try {
    listed = typeof text === 'string' ? readYaml(text, `${file} annotation ${IMAGES_ANNOTATION}`).value : undefined;
  } catch (error) {
    out.problems.push(error instanceof Error ? error.message : String(error));
    return;
  }
  if (!Array.isArray(listed)) {
    out.problems.push(`${file}: annotation ${IMAGES_ANNOTATION} is not a list of {name, image}`);
    return;
  }
  listed.forEach((item, i) => {
    const image = scalar(asMapping(item)?.image);
    if (image === undefined) out.problems.push(`${file}: annotation ${IMAGES_ANNOTATION}[${i}] has no image`);
    else out.add(image, `${IMAGES_ANNOTATION}[${i}]${scalar(asMapping(item)?.name) ? ` (${String(scalar(asMapping(item)?.name))})` : ''}`);
  });
}

/**
 * The images one chart declares: its annotation's list first, then what its
 * values hold. `chart` is Chart.yaml parsed; `valuesYaml` is read strictly
 * here, and a values file that does not parse is a problem, not an error.
 */
export function declaredImages(chart: Record<string, unknown>, valuesYaml: Buffer | undefined, file: string): DeclaredImages {
  const appVersion = scalar(chart.appVersion);
  const out = new Collector(appVersion);
  annotationImages(chart, `${file}/Chart.yaml`, out);
  if (valuesYaml) {
    let values: unknown;
    try {
      values = readYaml(valuesYaml.toString('utf8'), `${file}/values.yaml`, { maxBytes: valuesYaml.length + 1 }).value;
    } catch (error) {
      out.problems.push(error instanceof Error ? error.message : String(error));
    }
    walkValues(values, [], undefined, out, 0);
  }
  return { images: out.images, problems: out.problems };
}
