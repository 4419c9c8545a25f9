/**
 * The component images of a Deckhouse release, as `d8 mirror pull` finds
 * them: the platform's installer image (`<root>/install:<version>`) holds
 * `deckhouse/candi/images_digests.json` (`{ "<module>": { "<image>":
 * "sha256:…" } }`, or `images_tags.json` of the same shape with tags, which
 * wins when present), and every module image holds its own
 * `images_digests.json` and, optionally, `extra_images.json` (`{ "<name>":
 * "<tag>" }`). Digests are carried into the image's own repository tagged with
 * the digest's hex, with the VEX attestation `sha256-<hex>.att` beside them
 * where the source has one; extra images go to `<module>/extra/<name>:<tag>`.
 */
import { z } from 'zod';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { below, mapBounded, shortTag, type DeckhouseReads } from './deckhouse-reads.ts';

/** Where the installer image lists the platform's component digests. */
export const PLATFORM_DIGESTS_FILE = 'deckhouse/candi/images_digests.json';
/** Where newer installer images list them by tag instead; d8 prefers it when present. */
export const PLATFORM_TAGS_FILE = 'deckhouse/candi/images_tags.json';
/** Where a module image lists its component digests. */
export const MODULE_DIGESTS_FILE = 'images_digests.json';
/** Where a module image lists its extra images. */
export const EXTRA_IMAGES_FILE = 'extra_images.json';
/** Component lists are a few hundred kilobytes at most in real releases. */
const LIST_LIMIT = 16 * 1024 * 1024;
/** HEAD requests in flight when checking digests and attestations: many small requests to one registry. */
const HEAD_CONCURRENCY = 8;

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;

const digest = z.string({ error: 'must be a sha256 digest' }).regex(DIGEST, { error: 'must be a sha256 digest' });
const tag = z.string({ error: 'must be an image tag' }).regex(TAG, { error: 'must be an image tag' });
/** `{ "<module>": { "<image>": "sha256:…" } }`; a module image may list them flat (`{ "<image>": "sha256:…" }`). */
const digestsSchema = z.record(z.string(), z.union([digest, z.record(z.string(), digest)], { error: 'must be a digest or a mapping of image names to digests' }));
/** images_tags.json: the same shape with tags. */
const tagsSchema = z.record(z.string(), z.union([tag, z.record(z.string(), tag)], { error: 'must be a tag or a mapping of image names to tags' }));
/** extra_images.json: `{ "<extra-name>": "<tag>" | number }`. */
const extraSchema = z.record(
  z.string().regex(PATH_COMPONENT, { error: 'must be a repository name' }),
  z.union([tag, z.number().int().nonnegative()], { error: 'must be a tag (a string or a whole number)' }).transform(String),
);

/** Every leaf of a one- or two-level mapping, each once, sorted. */
function leaves(doc: Record<string, string | Record<string, string>>): string[] {
  return [...new Set(Object.values(doc).flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v))))].sort();
}

/** The digests an `images_digests.json` lists; INVALID_CONTENT naming the image and the file when it is not that. */
export function parseImageDigests(bytes: Buffer, subject: string): string[] {
  return leaves(parseJsonDocument(bytes, { schema: digestsSchema, name: 'a Deckhouse images_digests.json', maxBytes: LIST_LIMIT, code: 'INVALID_CONTENT' }, subject));
}

/** The tags an `images_tags.json` lists. */
export function parseImageTags(bytes: Buffer, subject: string): string[] {
  return leaves(parseJsonDocument(bytes, { schema: tagsSchema, name: 'a Deckhouse images_tags.json', maxBytes: LIST_LIMIT, code: 'INVALID_CONTENT' }, subject));
}

/** The extra images an `extra_images.json` lists, by name and tag. */
export function parseExtraImages(bytes: Buffer, subject: string): Array<{ name: string; tag: string }> {
  const doc = parseJsonDocument(bytes, { schema: extraSchema, name: 'a Deckhouse extra_images.json', maxBytes: LIST_LIMIT, code: 'INVALID_CONTENT' }, subject);
  return Object.entries(doc).map(([name, t]) => ({ name, tag: t }));
}

/** What one image lists: its components by digest or by tag, and its extra images. */
export interface ComponentList {
  digests: string[];
  tags: string[];
  extras: Array<{ name: string; tag: string }>;
}

/** The installer image's list: images_tags.json when present (as d8 reads it), else images_digests.json; undefined when it has neither. */
export async function platformComponents(reads: DeckhouseReads, version: string): Promise<ComponentList | undefined> {
  const files = await reads.files('install', version, [PLATFORM_DIGESTS_FILE, PLATFORM_TAGS_FILE]);
  const subject = reads.name('install', version);
  const tags = files.get(PLATFORM_TAGS_FILE);
  if (tags) return { digests: [], tags: parseImageTags(tags, `${subject} ${PLATFORM_TAGS_FILE}`), extras: [] };
  const digests = files.get(PLATFORM_DIGESTS_FILE);
  if (digests) return { digests: parseImageDigests(digests, `${subject} ${PLATFORM_DIGESTS_FILE}`), tags: [], extras: [] };
  return undefined;
}

/** A module image's list: its images_digests.json and extra_images.json, each optional. */
export async function moduleComponents(reads: DeckhouseReads, path: string, version: string): Promise<ComponentList> {
  const files = await reads.files(path, version, [MODULE_DIGESTS_FILE, EXTRA_IMAGES_FILE]);
  const subject = reads.name(path, version);
  const digests = files.get(MODULE_DIGESTS_FILE);
  const extras = files.get(EXTRA_IMAGES_FILE);
  return {
    digests: digests ? parseImageDigests(digests, `${subject} ${MODULE_DIGESTS_FILE}`) : [],
    tags: [],
    extras: extras ? parseExtraImages(extras, `${subject} ${EXTRA_IMAGES_FILE}`) : [],
  };
}

/** The tag of a digest's VEX attestation, as d8 looks for it: `sha256-<hex>.att`. */
export function vexTag(digestText: string): string {
  return `sha256-${shortTag(digestText)}.att`;
}

/**
 * Adds the components of one repository (`path` relative to the root):
 * every digest (checked to exist when `checkDigests`, as d8 allows missing
 * module images and notes them), its VEX attestation where present, every
 * tag, and every extra image that exists. Returns how many images it added.
 */
export async function carryComponents(reads: DeckhouseReads, path: string, lists: readonly ComponentList[], label: string, checkDigests: boolean): Promise<number> {
  const digests = [...new Set(lists.flatMap((l) => l.digests))].sort();
  const tags = [...new Set(lists.flatMap((l) => l.tags))].sort();
  const extras = [...new Map(lists.flatMap((l) => l.extras).map((e) => [`${e.name}:${e.tag}`, e])).values()];
  let added = 0;
  const checked = await mapBounded(digests, async (d) => ({ digest: d, present: !checkDigests || (await reads.exists(path, d)), vex: await reads.exists(path, vexTag(d)) }), HEAD_CONCURRENCY);
  const missing: string[] = [];
  for (const { digest: d, present, vex } of checked) {
    if (!present) {
      missing.push(d);
      continue;
    }
    reads.plan.addDigest(path, d);
    added += 1;
    if (vex) {
      reads.plan.addTag(path, vexTag(d));
      added += 1;
    }
  }
  if (missing.length > 0)
    reads.plan.notes.push(`${label}: ${missing.length} listed component image(s) are absent from ${reads.registry}/${below(reads.root, path)} and not carried (first ${missing[0] ?? ''})`);
  for (const t of tags) reads.plan.addTag(path, t);
  added += tags.length;
  const present = await mapBounded(extras, async (e) => ({ ...e, present: await reads.exists(`${path}/extra/${e.name}`, e.tag) }), HEAD_CONCURRENCY);
  for (const e of present) {
    if (e.present) {
      reads.plan.addTag(`${path}/extra/${e.name}`, e.tag);
      added += 1;
    } else reads.plan.notes.push(`${label}: extra image ${reads.name(`${path}/extra/${e.name}`, e.tag)} is listed but absent, not carried`);
  }
  return added;
}
