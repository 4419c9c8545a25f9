/**
 * The platform of a single image (not an index), which only its config blob
 * names: the config is read through the store's digest check, strictly
 * parsed, and its `os`/`architecture`/`variant` formatted. Artifacts (a
 * config of another media type) have none.
 * https://github.com/opencontainers/image-spec/blob/main/config.md
 */
import { z } from 'zod';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { parseStrictJson } from '../../src-shared/strict-json.ts';
import type { LayerReader } from '../oci/image-files.ts';
import { formatPlatform } from '../oci/platform.ts';

/** Image configs read for their platform; a bigger one is left unread (the platform is then unknown). */
const CONFIG_LIMIT = 4 * 1024 * 1024;

/** The config media types that describe a runnable image. */
const IMAGE_CONFIG_TYPES = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

/** The part of an image config the platform is read from. */
const ConfigPlatformSchema = z.object({ os: z.string().min(1), architecture: z.string().min(1), variant: z.string().min(1).optional() });

/** `os/arch[/variant]` from an image's config, or undefined for an artifact, a config too big to read here, or one naming no platform. */
export async function imagePlatform(reader: LayerReader, config: Descriptor, signal?: AbortSignal): Promise<string | undefined> {
  if (!IMAGE_CONFIG_TYPES.has(config.mediaType) || config.size > CONFIG_LIMIT) return undefined;
  const chunks: Uint8Array[] = [];
  await reader.each(
    [config],
    async (_blob, bytes) => {
      for await (const chunk of bytes()) chunks.push(chunk);
    },
    signal,
  );
  const parsed = ConfigPlatformSchema.safeParse(parseStrictJson(Buffer.concat(chunks), { file: `config ${config.digest}`, maxBytes: CONFIG_LIMIT, code: 'INVALID_MANIFEST' }));
  return parsed.success ? formatPlatform(parsed.data) : undefined;
}
