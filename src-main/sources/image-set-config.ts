/**
 * oc-mirror v2's ImageSetConfiguration as a Ferry image set: the checked file
 * (image-set-config-schema.ts) translated key for key into Ferry's own
 * sections — `mirror.platform` (its channels, or the one `release` image),
 * `operators` and `additionalImages` into `openshift:`, `mirror.blockedImages` into the top-level `blockedImages:`,
 * `mirror.helm.repositories` into `charts:` — so both kinds of file are
 * resolved by the same code and land at the same places.
 */
import type { ImageSetConfiguration } from './image-set-config-schema.ts';
import type { ImageSetDocument } from './image-set-schema.ts';

type OpenShiftDocument = NonNullable<ImageSetDocument['openshift']>;
type ChartDocument = NonNullable<ImageSetDocument['charts']>[number];

/** The version bounds that are set; absent ones stay out of the document rather than appearing as undefined. */
function bounds(range: { minVersion?: string | undefined; maxVersion?: string | undefined }): { minVersion?: string; maxVersion?: string } {
  return { ...(range.minVersion !== undefined ? { minVersion: range.minVersion } : {}), ...(range.maxVersion !== undefined ? { maxVersion: range.maxVersion } : {}) };
}

/** The `openshift:` section an ImageSetConfiguration's platform, operators and additional images make; undefined when it has none of them. */
function openShiftSection(mirror: ImageSetConfiguration['mirror']): OpenShiftDocument | undefined {
  const section: OpenShiftDocument = {};
  if (mirror.platform?.release !== undefined) section.releases = [mirror.platform.release];
  if (mirror.platform && mirror.platform.channels.length > 0) {
    const { channels, architectures, graph } = mirror.platform;
    section.platform = {
      channels: channels.map((channel) => ({ name: channel.name, type: channel.type, ...bounds(channel), shortestPath: channel.shortestPath, full: channel.full })),
      architectures,
      graph,
    };
  }
  if (mirror.operators.length > 0) {
    section.operators = mirror.operators.map((operator) => ({
      catalog: operator.catalog,
      full: operator.full,
      skipDependencies: operator.skipDependencies,
      packages: operator.packages.map((pkg) => ({
        name: pkg.name,
        ...(pkg.channels !== undefined ? { channels: pkg.channels.map((channel) => ({ name: channel.name, ...bounds(channel) })) } : {}),
        ...(pkg.defaultChannel !== undefined ? { defaultChannel: pkg.defaultChannel } : {}),
        ...bounds(pkg),
      })),
    }));
  }
  if (mirror.additionalImages.length > 0) section.additionalImages = mirror.additionalImages.map((image) => image.name);
  return Object.keys(section).length > 0 ? section : undefined;
}

/** `mirror.helm.repositories`: one Ferry chart per chart of each HTTP repository; no version means the repository's newest (`*`). */
function chartEntries(mirror: ImageSetConfiguration['mirror']): ChartDocument[] {
  return (mirror.helm?.repositories ?? []).flatMap((repository) => repository.charts.map((chart) => ({ repository: repository.url, name: chart.name, version: chart.version ?? '*' })));
}

/**
 * The Ferry image set document a checked ImageSetConfiguration stands for
 * (checked again by Ferry's schema by the caller). oc-mirror's defaults are
 * already filled in, so the document says them outright.
 */
export function imageSetFromConfiguration(configuration: ImageSetConfiguration): ImageSetDocument {
  const { mirror } = configuration;
  const document: ImageSetDocument = {};
  const openshift = openShiftSection(mirror);
  if (openshift) document.openshift = openshift;
  if (mirror.blockedImages.length > 0) document.blockedImages = mirror.blockedImages.map((blocked) => blocked.name);
  const charts = chartEntries(mirror);
  if (charts.length > 0) document.charts = charts;
  return document;
}
