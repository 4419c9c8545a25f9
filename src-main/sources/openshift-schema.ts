/**
 * The `openshift:` section of an image set and the top-level `blockedImages:`
 * list, as zod schemas. Its keys follow oc-mirror v2's ImageSetConfiguration
 * (internal/pkg/api/v2alpha1/type_config.go), so an oc-mirror file translates
 * into this section key for key (image-set-config.ts) and both are resolved by
 * the same code: release channels through the update graph, explicit release
 * images, operator catalogs with their selections, additional images.
 */
import { z } from 'zod';
import { anyVersion, compareVersions, releaseVersion } from './versions.ts';
import { closed, list, reason, reference, text, textOrNumber } from './schema-parts.ts';

/** `false` unless set; anything but a boolean is refused. */
const flag = z.boolean({ error: 'must be true or false' }).default(false);

/** A semantic version (pre-releases allowed), kept as written: what operator bundles declare. */
const semanticVersion = textOrNumber.transform((value, ctx) => {
  const trimmed = value.trim();
  if (anyVersion(trimmed)) return trimmed;
  ctx.addIssue({ code: 'custom', message: `must be a semantic version such as 4.2.0, got "${trimmed}"` });
  return z.NEVER;
});

/** An OpenShift release version (`4.16.12`, `4.17.0-rc.1`), as the update graph names them. */
const releaseVersionText = textOrNumber.transform((value, ctx) => {
  const trimmed = value.trim();
  if (releaseVersion(trimmed) || anyVersion(trimmed)) return trimmed;
  ctx.addIssue({ code: 'custom', message: `must be a release version such as 4.16.12, got "${trimmed}"` });
  return z.NEVER;
});

/** Refuses a `minVersion` above `maxVersion`, naming minVersion. */
function orderedRange(value: { minVersion?: string | undefined; maxVersion?: string | undefined }, ctx: z.core.$RefinementCtx): void {
  const min = value.minVersion === undefined ? undefined : anyVersion(value.minVersion);
  const max = value.maxVersion === undefined ? undefined : anyVersion(value.maxVersion);
  if (min && max && compareVersions(min, max) > 0) ctx.addIssue({ code: 'custom', path: ['minVersion'], message: `(${value.minVersion}) is above maxVersion (${value.maxVersion})` });
}

/** Refuses a name given twice in a list, naming the second. */
function uniqueNames(noun: string) {
  return (items: ReadonlyArray<{ name: string }>, ctx: z.core.$RefinementCtx): void => {
    const names = new Set<string>();
    for (const [j, item] of items.entries()) {
      if (names.has(item.name)) ctx.addIssue({ code: 'custom', path: [j, 'name'], message: `repeats ${noun} "${item.name}"` });
      names.add(item.name);
    }
  };
}

/** One channel of a package: a name (`stable`), or a mapping that narrows it to a bundle version range. */
const packageChannelSchema = z.union(
  [text.transform((name) => ({ name })), closed({ name: text, minVersion: semanticVersion.optional(), maxVersion: semanticVersion.optional() }).superRefine(orderedRange)],
  { error: 'must be a channel name or a mapping with name, minVersion, maxVersion' },
);

/** One operator package to carry, as the image set names it. */
export const operatorPackageSchema = closed({
  name: text,
  /** Channels to carry; none named means every channel of the package (oc-mirror v2). */
  channels: list(packageChannelSchema)
    .min(1, { error: 'must name at least one channel (leave it out for every channel)' })
    .transform((channels) => channels.filter((c, i) => channels.findIndex((d) => d.name === c.name) === i))
    .optional(),
  /** oc-mirror's defaultChannel: required when the channels named leave out the catalog's default one; Ferry checks it but carries the catalog as is, so it does not reach the cluster. */
  defaultChannel: text.optional(),
  /** Inclusive lower bound on the bundle's olm.package version, over every selected channel; exclusive with a channel's own range. */
  minVersion: semanticVersion.optional(),
  /** Inclusive upper bound on the bundle's olm.package version. */
  maxVersion: semanticVersion.optional(),
}).superRefine(orderedRange);

/** One catalog and the packages to carry from it; no packages means every package (the head of each channel, or all of it with `full`). */
export const operatorCatalogSchema = closed({
  catalog: reference,
  /** Every bundle of the selected channels rather than the channel heads (oc-mirror's `full`). */
  full: flag,
  /** Leave out the packages the selected bundles require (olm.package.required, olm.gvk.required). */
  skipDependencies: flag,
  packages: list(operatorPackageSchema).default([]).superRefine(uniqueNames('package')),
});

/** One release channel (`stable-4.16`) and which of its versions to carry. */
export const releaseChannelSchema = closed({
  name: text,
  /** `ocp` (OpenShift, quay.io/openshift-release-dev/ocp-release) or `okd` (quay.io/openshift/okd). */
  type: z.enum(['ocp', 'okd'], { error: 'must be ocp or okd' }).default('ocp'),
  minVersion: releaseVersionText.optional(),
  maxVersion: releaseVersionText.optional(),
  /** Only the versions on the shortest upgrade path from minVersion to maxVersion. */
  shortestPath: flag,
  /** Every version of the channel (from minVersion when given). */
  full: flag,
}).superRefine(orderedRange);

/** Release architectures as oc-mirror names them (GOARCH), `multi` for the multi-arch payload. */
export const RELEASE_ARCHITECTURES = ['amd64', 'arm64', 'ppc64le', 's390x', 'multi'] as const;

/** `platform:`: release channels, the architectures to carry, and the update graph image. */
export const platformSchema = closed({
  channels: list(releaseChannelSchema).min(1, { error: 'must list at least one channel' }).superRefine(uniqueNames('channel')),
  architectures: list(z.enum(RELEASE_ARCHITECTURES, { error: `must be one of ${RELEASE_ARCHITECTURES.join(', ')}` }))
    .min(1, { error: 'must list at least one architecture' })
    .default(['amd64'])
    .transform((architectures) => [...new Set(architectures)]),
  /** Build and carry the update graph data image, and write an UpdateService for it. */
  graph: flag,
});

/** The `openshift:` section: release channels, releases, operator catalogs, additional images; at least one. */
export const openShiftSchema = closed({
  platform: platformSchema.optional(),
  releases: list(reference).default([]),
  operators: list(operatorCatalogSchema).default([]),
  additionalImages: list(reference).default([]),
}).superRefine((config, ctx) => {
  if (config.platform === undefined && config.releases.length + config.operators.length + config.additionalImages.length === 0)
    ctx.addIssue({ code: 'custom', message: 'needs at least one of platform, releases, operators, additionalImages' });
});

/** A Go regular expression's leading flag group: i, m, s (and U, refused). */
const GO_FLAGS = /^\(\?([imsU]+)\)/;

/**
 * A blockedImages pattern as oc-mirror writes it (Go's RE2 syntax) compiled
 * as a JavaScript RegExp: a leading flag group (`(?i)…`), which JavaScript
 * has no inline form of, becomes RegExp flags. Throws with the reason.
 */
export function compileBlockedPattern(pattern: string): RegExp {
  const flags = GO_FLAGS.exec(pattern);
  if (flags?.[1]?.includes('U')) throw new Error("Go's U (ungreedy) flag has no JavaScript equivalent: write lazy quantifiers (*?, +?) instead");
  return flags ? new RegExp(pattern.slice(flags[0].length), [...new Set(flags[1])].join('')) : new RegExp(pattern);
}

/** `blockedImages:`: regular expressions (unanchored, as oc-mirror matches them) whose matching images leave the plan (image-set.ts blockImages says on which names). */
export const blockedImagesSchema = list(
  text.transform((pattern, ctx): RegExp => {
    try {
      return compileBlockedPattern(pattern);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `is not a valid regular expression (${reason(error)})` });
      return z.NEVER;
    }
  }),
  'must be a list of regular expressions',
);

/** A checked `openshift:` section. */
export type OpenShiftConfig = z.output<typeof openShiftSchema>;
/** One package selection of an operator catalog. */
export type OperatorPackageSelection = z.output<typeof operatorPackageSchema>;
/** One catalog selection of the `openshift:` section. */
export type OperatorCatalogSelection = z.output<typeof operatorCatalogSchema>;
/** A checked `platform:` of the `openshift:` section. */
export type PlatformSelection = z.output<typeof platformSchema>;
/** One release channel of `platform.channels`. */
export type ReleaseChannelSelection = z.output<typeof releaseChannelSchema>;
