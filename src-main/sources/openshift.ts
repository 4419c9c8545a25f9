/**
 * The `openshift:` section of an image set (issues 6 and 13): release
 * channels through the update graph (openshift-platform.ts), release payloads,
 * operator catalogs and additional images, as `oc adm release mirror` and
 * `oc adm catalog mirror` / oc-mirror v2 would lay them out.
 */
import { formatReference } from '../oci/reference.ts';
import { checkContent } from '../base/content-check.ts';
import { closeHttpConnections } from './http-download.ts';
import { openShiftSchema, type OpenShiftConfig } from './image-set-schema.ts';
import { resolveGraphImage } from './openshift-graph-image.ts';
import { resolveCatalog } from './openshift-operators.ts';
import { checkPayloads, selectPlatformReleases } from './openshift-platform.ts';
import { resolveReleases } from './openshift-release.ts';
import { fetchReleaseSignatures } from './openshift-signatures.ts';
import type { ResolveContext, ResolvedImage, ResolvedSection } from './types.ts';

export type { OpenShiftConfig } from './image-set-schema.ts';

/** Section name of `additionalImages` entries. */
export const ADDITIONAL_SECTION = 'openshift.additional';

/**
 * Checks an `openshift:` section given as a plain value (an image set checks
 * it with the whole file); every problem is INVALID_CONTENT naming the key.
 */
export function parseOpenShiftConfig(config: unknown): OpenShiftConfig {
  return checkContent(openShiftSchema, config, { prefix: ['openshift'], subject: 'openshift' });
}

/** Resolves an `openshift:` section given as a plain value: checked first, then {@link resolveOpenShiftConfig}. */
export async function resolveOpenShift(config: unknown, context: ResolveContext): Promise<ResolvedSection> {
  return resolveOpenShiftConfig(parseOpenShiftConfig(config), context);
}

/** Resolves a checked `openshift:` section into exact images with their targets; the first occurrence of a source wins. */
export async function resolveOpenShiftConfig(parsed: OpenShiftConfig, context: ResolveContext): Promise<ResolvedSection> {
  const parts: ResolvedSection[] = [];
  try {
    // Channels first: the payloads the update graph names join the explicit releases and are read the same way.
    const platform = parsed.platform ? await selectPlatformReleases(parsed.platform, context) : { payloads: [], notes: [], expected: new Map() };
    const releases = await resolveReleases(context, [...parsed.releases, ...platform.payloads]);
    checkPayloads(platform, releases.releases);
    // Every release travels with its signatures, or the cluster would refuse to update to it.
    const signatures = await fetchReleaseSignatures(context, releases.releases);
    parts.push({ images: releases.images, notes: [...platform.notes, ...releases.notes, ...signatures.notes], artifacts: signatures.artifacts });
  } finally {
    await closeHttpConnections(context.registries);
  }
  for (const catalog of parsed.operators) parts.push(await resolveCatalog(context, catalog));
  parts.push({ images: parsed.additionalImages.map((source): ResolvedImage => ({ source, section: ADDITIONAL_SECTION })), notes: [] });
  if (parsed.platform?.graph) parts.push(await resolveGraphImage(context));

  const images: ResolvedImage[] = [];
  const seen = new Set<string>();
  for (const image of parts.flatMap((p) => p.images)) {
    const key = `${formatReference(image.source)} ${image.target?.path ?? ''}:${image.target?.tag ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    images.push(image);
  }
  return { images, notes: parts.flatMap((p) => p.notes), artifacts: parts.flatMap((p) => p.artifacts ?? []) };
}
