/**
 * The inspector's per-image detail (issue 17, what a security officer reads):
 * each image's platforms, per platform its layers with sizes and media types,
 * and its config labels. Manifests come from the bundle's verified view
 * (bytes checked in verification's one pass); labels are read from config
 * blobs through the view's blob reader, every byte checked against its digest
 * again before it is parsed, and only configs of image media types within the
 * config size limit are read at all.
 */
import { z } from 'zod';
import type { ImageDetail, ImageDetails, PlatformDetail } from '../../src-shared/model/image-detail.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseJsonDocument, type JsonDocumentKind } from '../../src-shared/schemas/document.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { viewBlobReader } from '../bundle/view-blobs.ts';
import type { BlobRef } from '../oci/blob-io.ts';
import { IMAGE_CONFIG_LIMIT } from '../oci/built-image.ts';
import { MAX_INDEX_NESTING } from '../oci/media-types.ts';
import { formatPlatform } from '../oci/platform.ts';

/** Images one call answers at most: a report of a 10,000-image bundle lists the first ones and counts the rest. */
export const IMAGE_DETAILS_MAX = 1000;

/** Config media types whose JSON is an image config (OCI image-spec config.md, Docker's). */
const IMAGE_CONFIG_TYPES = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

/** The parts of an image config read here; every other field is left as it is. */
const ConfigSchema = z.object({
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
  config: z
    .object({ Labels: z.record(z.string(), z.string()).nullable().optional() })
    .nullable()
    .optional(),
});

const CONFIG_DOCUMENT: JsonDocumentKind<typeof ConfigSchema> = { schema: ConfigSchema, name: 'the OCI image config schema', maxBytes: IMAGE_CONFIG_LIMIT, code: 'INVALID_CONTENT' };

/** What to answer: the images by name (all, up to the cap, when absent) and whether to read their config labels. */
export interface ImageDetailsInput {
  images?: readonly string[];
  /** Read the config blobs for labels (and a single image's platform); default true. */
  labels?: boolean;
  signal?: AbortSignal;
}

/** Every image manifest below `root`, each with the platform its index lists it under; iterative, nesting bounded. */
function imageManifestsOf(view: VerifiedBundle, root: string, image: string): PlatformDetail[] {
  const found: PlatformDetail[] = [];
  const queue: Array<{ digest: string; mediaType: string; platform?: string; depth: number }> = [{ digest: root, mediaType: '', depth: 0 }];
  const seen = new Set<string>([root]);
  for (let next = 0; next < queue.length; next += 1) {
    const step = queue[next] as (typeof queue)[number];
    const manifest = view.manifests.get(step.digest);
    if (!manifest) throw new FerryError('BUNDLE_INVALID', `${view.dir}: image ${image}: manifest ${step.digest} is not among the verified manifests`, { digest: step.digest, image, path: view.dir });
    if (manifest.kind === 'index') {
      if (step.depth > MAX_INDEX_NESTING)
        throw new FerryError('BUNDLE_INVALID', `${view.dir}: image ${image}: index ${step.digest} is nested too deep`, { digest: step.digest, image, path: view.dir });
      for (const { role, descriptor } of manifest.children) {
        if (role !== 'manifest' || seen.has(descriptor.digest)) continue;
        seen.add(descriptor.digest);
        queue.push({ digest: descriptor.digest, mediaType: descriptor.mediaType, depth: step.depth + 1, ...(descriptor.platform ? { platform: formatPlatform(descriptor.platform) } : {}) });
      }
      continue;
    }
    const config = manifest.children.find((child) => child.role === 'config')?.descriptor;
    found.push({
      ...(step.platform !== undefined ? { platform: step.platform } : {}),
      digest: step.digest,
      mediaType: step.mediaType || manifest.mediaType,
      ...(config ? { config: { digest: config.digest, size: config.size, mediaType: config.mediaType } } : {}),
      layers: manifest.children
        .filter((child) => child.role === 'layer')
        .map(({ descriptor }) => ({ digest: descriptor.digest, size: descriptor.size, mediaType: descriptor.mediaType, ...(view.sizes.has(descriptor.digest) ? {} : { omitted: true }) })),
    });
  }
  return found;
}

/** Why a platform's labels are not read, or undefined when its config can be read for them. */
function labelsRefusal(view: VerifiedBundle, detail: PlatformDetail): string | undefined {
  const config = detail.config;
  if (config === undefined) return 'this manifest has no config';
  if (!IMAGE_CONFIG_TYPES.has(config.mediaType)) return `the config is ${config.mediaType}, not an image config: it carries no labels`;
  if (!view.sizes.has(config.digest)) return 'the config was left out of this incremental bundle (the site already has it)';
  if (config.size > IMAGE_CONFIG_LIMIT) return `the config is ${config.size} bytes, more than an image config may take: it is not read`;
  return undefined;
}

/** Reads the wanted configs through the view's blob reader (checked against their digests) and fills in labels and missing platforms. */
async function readLabels(view: VerifiedBundle, details: readonly PlatformDetail[], signal: AbortSignal | undefined): Promise<void> {
  const byConfig = new Map<string, PlatformDetail[]>();
  for (const detail of details) {
    const refusal = labelsRefusal(view, detail);
    if (refusal !== undefined || detail.config === undefined) {
      detail.labelsNote = refusal;
      continue;
    }
    byConfig.set(detail.config.digest, [...(byConfig.get(detail.config.digest) ?? []), detail]);
  }
  const wanted: BlobRef[] = [...byConfig.keys()].map((digest) => ({ digest, size: view.sizes.get(digest) ?? 0 }));
  if (wanted.length === 0) return;
  await viewBlobReader(view).each(
    wanted,
    async (blob, bytes) => {
      const chunks: Buffer[] = [];
      // The reader hands out a chunk only as it is checked, the last one only once the whole blob matched its digest.
      for await (const chunk of bytes()) chunks.push(Buffer.from(chunk));
      const targets = byConfig.get(blob.digest) ?? [];
      try {
        const parsed = parseJsonDocument(Buffer.concat(chunks), CONFIG_DOCUMENT, `config ${blob.digest}`);
        for (const detail of targets) {
          detail.labels = parsed.config?.Labels ?? {};
          if (detail.platform === undefined && parsed.os && parsed.architecture)
            detail.platform = formatPlatform({ os: parsed.os, architecture: parsed.architecture, ...(parsed.variant ? { variant: parsed.variant } : {}) });
        }
      } catch (error) {
        for (const detail of targets) detail.labelsNote = `the config cannot be read as an image config: ${error instanceof Error ? error.message : String(error)}`;
      }
    },
    signal,
  );
}

/**
 * The detail of the named images of a verified bundle (all, up to
 * IMAGE_DETAILS_MAX, when none is named): platforms, layers and, unless
 * `labels: false`, config labels. A name the bundle does not hold is refused by name.
 */
export async function imageDetails(view: VerifiedBundle, input: ImageDetailsInput = {}): Promise<ImageDetails> {
  let refs = view.images;
  if (input.images !== undefined) {
    const names = new Set(input.images);
    refs = view.images.filter((image) => names.has(image.name));
    const missing = [...names].filter((name) => !refs.some((image) => image.name === name));
    if (missing.length > 0) throw new FerryError('INVALID_ARGUMENT', `${view.dir} holds no image named ${missing.join(', ')}`, { argument: 'images', images: missing });
  }
  const shown = refs.slice(0, IMAGE_DETAILS_MAX);
  const images: ImageDetail[] = shown.map((ref) => ({ name: ref.name, source: ref.source, digest: ref.digest, mediaType: ref.mediaType, platforms: imageManifestsOf(view, ref.digest, ref.name) }));
  if (input.labels !== false)
    await readLabels(
      view,
      images.flatMap((image) => image.platforms),
      input.signal,
    );
  return { images, more: refs.length - shown.length };
}
