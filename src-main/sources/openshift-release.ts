/**
 * OpenShift release payloads, resolved without the update service: the release
 * image's `release-manifests/image-references` (an ImageStream) lists every
 * component by digest, and each lands in one repository under
 * `<version>-<arch>-<component>` beside the release image at `<version>-<arch>`,
 * the layout `oc adm release mirror --to … --to-release-image …` produces.
 * https://docs.openshift.com/container-platform/4.16/disconnected/mirroring/installing-mirroring-installation-images.html
 */
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference, manifestIdentifier, parseReference, repositoryName, withDigest } from '../oci/reference.ts';
import { readBlobToBuffer } from '../oci/registry/blobs.ts';
import { getManifest } from '../oci/registry/manifests.ts';
import { formatPlatform } from '../oci/platform.ts';
import { readImageFiles } from './image-files.ts';
import type { ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';

/** Section name every release image and component carries in the plan. */
export const RELEASE_SECTION = 'openshift.release';
/** Where components land on import, as `oc adm release mirror --to <mirror>/openshift/release` puts them. */
export const RELEASE_COMPONENTS_PATH = 'openshift/release';
/** Where the release image lands, as `--to-release-image <mirror>/openshift/release-images:<version>-<arch>`. */
export const RELEASE_IMAGES_PATH = 'openshift/release-images';

/** The payload's component list (an ImageStream), written by `oc adm release new`. */
const IMAGE_REFERENCES = 'release-manifests/image-references';
/** Cincinnati metadata (`version`, `previous`, `metadata`); optional in the payload. */
const RELEASE_METADATA = 'release-manifests/release-metadata';
/** The annotation `oc adm release new` uses for the payload architecture. */
const ARCHITECTURE_ANNOTATION = 'release.openshift.io/architecture';
/** Release tags look like `4.16.12-x86_64` or `4.16.0-rc.1-aarch64`; the arch is the last dash-separated part. */
const TAG_PATTERN = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)-(x86_64|aarch64|ppc64le|s390x|multi)$/;
/** Image-config architectures (GOARCH) to the names OpenShift release tags use. */
const GOARCH_TO_RELEASE_ARCH: Readonly<Record<string, string>> = { amd64: 'x86_64', arm64: 'aarch64', ppc64le: 'ppc64le', s390x: 's390x' };
/** A tag is at most 128 characters (distribution reference grammar). */
const TAG_RULE = /^[\w][\w.-]{0,127}$/;

/** One component of a payload, as image-references names it. */
export interface ReleaseComponent {
  name: string;
  image: Reference;
}

/** What a release image says about itself. */
export interface ReleaseInfo {
  /** The release image pinned by digest. */
  image: Reference;
  version: string;
  arch: string;
  components: ReleaseComponent[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function parseJson(bytes: Buffer, subject: string, path: string): Record<string, unknown> {
  try {
    const parsed = record(JSON.parse(bytes.toString('utf8')));
    if (parsed) return parsed;
  } catch {
    /* reported below */
  }
  throw new FerryError('INVALID_MANIFEST', `${subject}: ${path} is not a JSON object`, { reference: subject, path });
}

/** Parses an ImageStream's `spec.tags[]` into components; every component must be pinned by digest, as the payload promises. */
export function parseImageReferences(bytes: Buffer, subject: string): { name: string | undefined; annotations: Record<string, unknown>; components: ReleaseComponent[] } {
  const stream = parseJson(bytes, subject, IMAGE_REFERENCES);
  const invalid = (why: string): never => {
    throw new FerryError('INVALID_MANIFEST', `${subject}: ${IMAGE_REFERENCES}: ${why}`, { reference: subject, path: IMAGE_REFERENCES });
  };
  if (stream.kind !== 'ImageStream') invalid(`kind is ${JSON.stringify(stream.kind)}, expected "ImageStream"`);
  const metadata = record(stream.metadata) ?? {};
  const tags = record(stream.spec)?.tags;
  if (!Array.isArray(tags)) return invalid('spec.tags is not a list');
  const components = tags.map((entry, i): ReleaseComponent => {
    const tag = record(entry);
    const from = record(tag?.from);
    const name = tag?.name;
    if (typeof name !== 'string' || name.length === 0) return invalid(`spec.tags[${i}].name is missing`);
    if (typeof from?.name !== 'string') return invalid(`spec.tags[${i}] (${name}) has no from.name`);
    if (from.kind !== undefined && from.kind !== 'DockerImage') invalid(`spec.tags[${i}] (${name}) is from a ${JSON.stringify(from.kind)}, expected DockerImage`);
    let image: Reference;
    try {
      image = parseReference(from.name);
    } catch (error) {
      return invalid(`spec.tags[${i}] (${name}): ${error instanceof Error ? error.message : String(error)}`);
    }
    if (image.digest === undefined) invalid(`spec.tags[${i}] (${name}) is not pinned by digest: ${from.name}`);
    return { name, image: withDigest(image, image.digest ?? '') };
  });
  const names = new Set<string>();
  for (const c of components) {
    if (names.has(c.name)) invalid(`component ${c.name} is listed twice`);
    names.add(c.name);
  }
  return { name: typeof metadata.name === 'string' ? metadata.name : undefined, annotations: record(metadata.annotations) ?? {}, components };
}

async function configArchitecture(context: ResolveContext, image: Reference): Promise<string | undefined> {
  const client = await context.registries.client(image.registry);
  const signal = context.signal ? { signal: context.signal } : {};
  const manifest = await getManifest(client, image.repository, manifestIdentifier(image), signal);
  if (manifest.kind !== 'image') return undefined;
  const config = record(JSON.parse((await readBlobToBuffer(client, image.repository, manifest.manifest.config, context.signal)).toString('utf8')));
  const arch = typeof config?.architecture === 'string' ? config.architecture : undefined;
  return arch === undefined ? undefined : (GOARCH_TO_RELEASE_ARCH[arch] ?? arch);
}

/** Reads a release image: its digest, version, architecture and components. */
export async function readRelease(context: ResolveContext, reference: Reference): Promise<ReleaseInfo> {
  const client = await context.registries.client(reference.registry);
  const signal = context.signal ? { signal: context.signal } : {};
  const top = await getManifest(client, reference.repository, manifestIdentifier(reference), signal);
  const image = withDigest(reference, top.digest);
  const subject = formatReference(reference);
  const platform = context.platforms.kind === 'some' && context.platforms.platforms[0] ? formatPlatform(context.platforms.platforms[0]) : undefined;
  const files = await readImageFiles(context.registries, image, (p) => p === IMAGE_REFERENCES || p === RELEASE_METADATA, { ...signal, ...(platform ? { platform } : {}) });
  const references = files.get(IMAGE_REFERENCES);
  if (!references) throw new FerryError('NOT_FOUND', `${subject} is not an OpenShift release image: it has no ${IMAGE_REFERENCES}`, { reference: subject, path: IMAGE_REFERENCES });
  const stream = parseImageReferences(references, subject);
  const metadataBytes = files.get(RELEASE_METADATA);
  const metadata = metadataBytes ? parseJson(metadataBytes, subject, RELEASE_METADATA) : {};
  const metaAnnotations = record(metadata.metadata) ?? {};
  const fromTag = reference.tag ? TAG_PATTERN.exec(reference.tag) : null;

  const version = [metadata.version, stream.name, fromTag?.[1]].find((v): v is string => typeof v === 'string' && v.length > 0);
  if (version === undefined)
    throw new FerryError('INVALID_MANIFEST', `${subject}: cannot tell the release version (no release-metadata, no ImageStream name, tag not <version>-<arch>)`, { reference: subject });
  let arch = [metaAnnotations[ARCHITECTURE_ANNOTATION], stream.annotations[ARCHITECTURE_ANNOTATION], fromTag?.[2]].find((v): v is string => typeof v === 'string' && v.length > 0);
  arch ??= await configArchitecture(context, image);
  if (arch === undefined) throw new FerryError('INVALID_MANIFEST', `${subject}: cannot tell the release architecture`, { reference: subject });
  for (const component of stream.components) {
    const tag = `${version}-${arch}-${component.name}`;
    if (!TAG_RULE.test(tag)) throw new FerryError('INVALID_MANIFEST', `${subject}: component ${component.name} gives the invalid tag "${tag}"`, { reference: subject, tag });
  }
  return { image, version, arch, components: stream.components };
}

/** Resolves release images into the payload plan: release image plus every component, all by digest; `releases` says what each payload is (for its signatures). */
export async function resolveReleases(context: ResolveContext, references: readonly Reference[]): Promise<ResolvedSection & { releases: ReleaseInfo[] }> {
  const images: ResolvedImage[] = [];
  const notes: string[] = [];
  const releases: ReleaseInfo[] = [];
  for (const reference of references) {
    const release = await readRelease(context, reference);
    releases.push(release);
    images.push({ source: release.image, target: { path: RELEASE_IMAGES_PATH, tag: `${release.version}-${release.arch}` }, section: RELEASE_SECTION });
    for (const component of release.components) {
      images.push({ source: component.image, target: { path: RELEASE_COMPONENTS_PATH, tag: `${release.version}-${release.arch}-${component.name}` }, section: RELEASE_SECTION });
    }
    const componentRepos = [...new Set(release.components.map((c) => repositoryName(c.image)))].sort();
    notes.push(
      `OpenShift ${release.version} (${release.arch}): release image ${formatReference(release.image)} and ${release.components.length} components; ` +
        `source repositories ${[repositoryName(release.image), ...componentRepos].join(', ')} (mirror both for the IDMS)`,
    );
  }
  return { images, notes, releases };
}
