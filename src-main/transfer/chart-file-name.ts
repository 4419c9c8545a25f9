/**
 * The file name a Helm chart artifact's layers get when `ferry extract`
 * writes them out. `helm push` puts no `org.opencontainers.image.title` on
 * its layers, so the name comes from the chart's config blob (Chart.yaml's
 * metadata as JSON, helm.sh/docs/topics/registries): `<name>-<version>.tgz`
 * for the chart, `<name>-<version>.tgz.prov` for its provenance file, the
 * names `helm package` and `helm pull` write. The config is media content,
 * read strictly and checked by schema; a name that could leave the folder or
 * hide in a listing (a `/`, a `\`, `..`, a control or invisible character) is
 * refused, and the caller then keeps the digest name.
 */
import { z } from 'zod';
import type { Descriptor } from '../../src-shared/model/oci.ts';
import { HELM_CONFIG_MEDIA_TYPE } from '../../src-shared/model/content-kind.ts';
import { CONTROL_OR_INVISIBLE } from '../../src-shared/printable-text.ts';
import { parseStrictJson } from '../../src-shared/strict-json.ts';

/** The largest chart config read for a name (Chart.yaml's metadata is a few KiB; a bigger one keeps the digest name). */
export const HELM_CONFIG_NAME_LIMIT = 1024 * 1024;

/** The layer media types of a chart's packaged .tgz: the current one and the one Helm 3.0–3.7 pushed. */
const CHART_LAYERS: ReadonlySet<string> = new Set(['application/vnd.cncf.helm.chart.content.v1.tar+gzip', 'application/tar+gzip']);
/** The layer media type of a chart's provenance file (`helm package --sign`). */
const PROVENANCE_LAYER = 'application/vnd.cncf.helm.chart.provenance.v1.prov';

/** The part of a Helm chart config the file name is made of. */
const HelmConfigNameSchema = z.object({ name: z.string().min(1), version: z.string().min(1) });

/** Longest file name most filesystems take, in UTF-8 bytes. */
const MAX_FILE_NAME_BYTES = 255;

/** The suffix Helm gives a layer of this media type, or undefined for a layer Helm does not name. */
export function helmLayerSuffix(mediaType: string): '.tgz' | '.tgz.prov' | undefined {
  if (CHART_LAYERS.has(mediaType)) return '.tgz';
  if (mediaType === PROVENANCE_LAYER) return '.tgz.prov';
  return undefined;
}

/** The config descriptor to read for names: a Helm config that is small enough, when some layer has no title but a Helm media type. */
export function helmConfigToRead(config: Descriptor | undefined, untitled: readonly Descriptor[]): Descriptor | undefined {
  if (config?.mediaType !== HELM_CONFIG_MEDIA_TYPE || config.size > HELM_CONFIG_NAME_LIMIT) return undefined;
  if (!untitled.some((layer) => helmLayerSuffix(layer.mediaType) !== undefined)) return undefined;
  // A config with a layer's very bytes cannot be a chart's metadata; reading it once for both is not worth the case.
  if (untitled.some((layer) => layer.digest === config.digest)) return undefined;
  return config;
}

/** Why a file name is refused, or undefined when it is one plain name inside the folder. */
function unsafeFileName(name: string): string | undefined {
  if (name.includes('/') || name.includes('\\')) return 'holds a path separator';
  if (name.includes('..')) return 'holds ".."';
  if (CONTROL_OR_INVISIBLE.test(name)) return 'holds a control or invisible character';
  if (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) return `is longer than ${MAX_FILE_NAME_BYTES} bytes`;
  return undefined;
}

/**
 * `<name>-<version>` from a chart config's verified bytes, for the caller to
 * add a layer's suffix to; or why there is none (the config is not strict
 * JSON, lacks a name or version, or the name is unsafe as a file name).
 */
export function helmChartBaseName(configBytes: Uint8Array, subject: string): { base: string } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = parseStrictJson(configBytes, { file: subject, maxBytes: HELM_CONFIG_NAME_LIMIT });
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
  const metadata = HelmConfigNameSchema.safeParse(parsed);
  if (!metadata.success) return { problem: `${subject} names no chart name and version` };
  const base = `${metadata.data.name}-${metadata.data.version}`;
  // The longest suffix is checked too, so a name that fits for the .tgz fits for the .prov.
  const unsafe = unsafeFileName(`${base}.tgz.prov`);
  if (unsafe !== undefined) return { problem: `${subject}: the chart's name and version ${JSON.stringify(base)} ${unsafe}` };
  return { base };
}
