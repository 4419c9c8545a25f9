/**
 * oc-mirror v2's `ImageSetConfiguration` (`apiVersion: mirror.openshift.io/v2alpha1`),
 * the file OpenShift administrators already keep, checked against the subset
 * Ferry supports. Field names and shapes follow oc-mirror's Go types
 * (internal/pkg/api/v2alpha1/type_config.go, type_config_include.go): every
 * object is strict, so a typo is refused with its path, and every key oc-mirror
 * knows that Ferry does not carry out yet is refused by name, never ignored.
 * readImageSet (image-set.ts) sends a file whose `kind` is ImageSetConfiguration
 * here, and image-set-config.ts translates the checked file into Ferry's own
 * sections; every value those sections check again (references, regular
 * expressions) is checked here first, so a problem is named at its line.
 */
import { z } from 'zod';
import type { YamlContent } from '../base/yaml-read.ts';
import { checkContent } from '../base/content-check.ts';
import { parseReference } from '../oci/reference.ts';
import { anyVersion, compareVersions, releaseVersion } from './versions.ts';
import { compileBlockedPattern } from './openshift-schema.ts';

/** The `kind` that marks an oc-mirror file, so a reader can tell it from Ferry's own sets before checking it. */
export const IMAGE_SET_CONFIGURATION_KIND = 'ImageSetConfiguration';

/** The only oc-mirror API version Ferry reads (oc-mirror v2); v1's `v1alpha2` has other keys. */
export const IMAGE_SET_CONFIGURATION_API_VERSION = 'mirror.openshift.io/v2alpha1';

/** A key oc-mirror knows and Ferry does not carry out yet: present at all, it is refused with this wording. */
const unsupported = z.never({ error: 'is an oc-mirror key Ferry does not support yet' }).optional();

const name = z.string().trim().min(1);

/** An image reference as Ferry's sections take it: a registry reference; oc-mirror's other transports (oci://, docker://) are refused by name. */
const imageName = name.superRefine((value, ctx) => {
  const transport = /^([a-z][a-z0-9+.-]*):\/\//.exec(value);
  if (transport) {
    ctx.addIssue({ code: 'custom', message: `uses the ${transport[1]}:// transport, which Ferry does not support: name the image in a registry (registry.example.com/path:tag)` });
    return;
  }
  try {
    parseReference(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `is not an image reference: ${error instanceof Error ? error.message : String(error)}` });
  }
});

/** A regular expression, as oc-mirror matches `blockedImages` names. */
const pattern = name.superRefine((value, ctx) => {
  try {
    compileBlockedPattern(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `is not a valid regular expression (${error instanceof Error ? error.message : String(error)})` });
  }
});

/** An OpenShift release version (`4.18.1`): no range, no pre-release, as the update graph names them. */
const releaseText = z.string().refine((text) => releaseVersion(text) !== undefined, { error: 'must be a release version such as 4.18.1' });

/** A bundle version (`0.3.1`, pre-releases allowed), as operator bundles declare them. */
const bundleText = z.string().refine((text) => anyVersion(text.trim()) !== undefined, { error: 'must be a semantic version such as 0.3.1' });

/** Refuses a `minVersion` above `maxVersion`, naming `maxVersion`. */
function orderedRange(value: { minVersion?: string; maxVersion?: string }, ctx: z.core.$RefinementCtx): void {
  if (value.minVersion === undefined || value.maxVersion === undefined) return;
  const min = anyVersion(value.minVersion.trim());
  const max = anyVersion(value.maxVersion.trim());
  if (min && max && compareVersions(min, max) > 0) ctx.addIssue({ code: 'custom', path: ['maxVersion'], message: `must not be below minVersion ${value.minVersion}`, input: value.maxVersion });
}

/** `mirror.platform.channels[]`: a release channel, by default only its head unless `full` or a version range. */
const releaseChannelSchema = z
  .strictObject({
    name,
    type: z.enum(['ocp', 'okd'], { error: 'must be ocp or okd' }).default('ocp'),
    minVersion: releaseText.optional(),
    maxVersion: releaseText.optional(),
    shortestPath: z.boolean().default(false),
    full: z.boolean().default(false),
  })
  .superRefine(orderedRange);

/** `mirror.platform`: release channels, their architectures and the update graph image. */
const platformSchema = z
  .strictObject({
    channels: z.array(releaseChannelSchema).default([]),
    // oc-mirror's default when none is listed (DefaultPlatformArchitecture).
    architectures: z.array(z.enum(['amd64', 'arm64', 'ppc64le', 's390x', 'multi'], { error: 'must be amd64, arm64, ppc64le, s390x or multi' })).default(['amd64']),
    graph: z.boolean().default(false),
    /** One release image named outright (oc-mirror reads no channel then): Ferry's `openshift.releases`. */
    release: imageName.optional(),
    platforms: unsupported,
    kubeVirtContainer: unsupported,
  })
  .superRefine((platform, ctx) => {
    if (platform.release !== undefined) {
      // oc-mirror silently ignores the channels when a release is named; Ferry says so instead.
      if (platform.channels.length > 0) ctx.addIssue({ code: 'custom', path: ['release'], message: 'names one release image, and oc-mirror then ignores channels: keep one of release and channels' });
      if (platform.graph) ctx.addIssue({ code: 'custom', path: ['graph'], message: 'needs release channels: Ferry builds the update graph image for channels, not for a release named by release' });
    } else if (platform.channels.length === 0) ctx.addIssue({ code: 'custom', path: ['channels'], message: 'must list at least one release channel (or name one release image with release)' });
  });

/** A bundle version range of a package or one of its channels. */
const bundleRange = { minVersion: bundleText.optional(), maxVersion: bundleText.optional() };

/** `packages[].channels[]`: one channel of a package, optionally narrowed to a version range. */
const includeChannelSchema = z.strictObject({ name, ...bundleRange }).superRefine(orderedRange);

/** `packages[]`: one operator package of a catalog. */
const includePackageSchema = z.strictObject({ name, channels: z.array(includeChannelSchema).optional(), defaultChannel: name.optional(), ...bundleRange }).superRefine(orderedRange);

/** `mirror.operators[]`: one catalog image and the packages taken from it (all of them when `packages` is absent). */
const operatorSchema = z.strictObject({
  catalog: imageName,
  full: z.boolean().default(false),
  skipDependencies: z.boolean().default(false),
  packages: z.array(includePackageSchema).default([]),
  targetCatalog: unsupported,
  targetTag: unsupported,
  targetCatalogSourceTemplate: unsupported,
  platforms: unsupported,
});

/** `mirror.additionalImages[]`: one image reference carried as is. */
const additionalImageSchema = z.strictObject({ name: imageName, targetRepo: unsupported, targetTag: unsupported, platforms: unsupported });

/** `mirror.blockedImages[]`: an image name (oc-mirror matches it as a regular expression) removed from the plan. */
const blockedImageSchema = z.strictObject({ name: pattern });

/** A chart of a Helm repository: a version, or the repository's newest when absent. */
const repositoryChartSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, { error: 'must be a chart name such as podinfo (lowercase letters, digits, ".", "_", "-")' }),
  version: z.string().trim().min(1).optional(),
  path: unsupported,
  imagePaths: unsupported,
  platforms: unsupported,
});

/** `mirror.helm.repositories[]`: an HTTP chart repository (index.yaml) and the charts taken from it. */
const helmRepositorySchema = z.strictObject({
  name,
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).superRefine((value, ctx) => {
    const url = new URL(value);
    // Not echoed: it would reach ferry.json, logs and the plan.
    if (url.username !== '' || url.password !== '') ctx.addIssue({ code: 'custom', message: 'must not hold a login (user:password@): chart repository logins are not read from the image set' });
    if (url.hash !== '') ctx.addIssue({ code: 'custom', message: 'must not have a #fragment' });
  }),
  charts: z.array(repositoryChartSchema).min(1),
});

/**
 * `mirror.helm.local[]` (a chart folder or archive on local disk) is refused: Ferry's `charts:` take a chart from an
 * HTTP repository or an OCI registry, whose digests vouch for the bytes.
 */
const localCharts = z
  .never({ error: 'is an oc-mirror key Ferry does not support yet (a chart on local disk): serve the chart from an HTTP chart repository or push it to an OCI registry, and name it there' })
  .optional();

/** `mirror.helm`: Helm charts from HTTP repositories, and the images they name. */
const helmSchema = z.strictObject({ repositories: z.array(helmRepositorySchema).default([]), local: localCharts });

/** `mirror`: what to carry. */
const mirrorSchema = z.strictObject({
  platform: platformSchema.optional(),
  operators: z.array(operatorSchema).default([]),
  additionalImages: z.array(additionalImageSchema).default([]),
  blockedImages: z.array(blockedImageSchema).default([]),
  helm: helmSchema.optional(),
  samples: unsupported,
});

/** The whole file: oc-mirror's TypeMeta (inline) plus its spec. */
export const imageSetConfigurationSchema = z.strictObject({
  kind: z.literal(IMAGE_SET_CONFIGURATION_KIND, { error: `must be ${IMAGE_SET_CONFIGURATION_KIND}` }),
  apiVersion: z.literal(IMAGE_SET_CONFIGURATION_API_VERSION, { error: `must be ${IMAGE_SET_CONFIGURATION_API_VERSION} (oc-mirror v2)` }),
  mirror: mirrorSchema,
  archiveSize: unsupported,
});

/** An ImageSetConfiguration as written (what the file may hold). */
export type ImageSetConfigurationDocument = z.input<typeof imageSetConfigurationSchema>;

/** A checked ImageSetConfiguration with oc-mirror's defaults filled in (channel type `ocp`, architecture `amd64`, `full` false). */
export type ImageSetConfiguration = z.output<typeof imageSetConfigurationSchema>;

/** Whether a parsed YAML value claims to be an oc-mirror file, so a reader can send it here rather than to Ferry's set schema. */
export function isImageSetConfiguration(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as Record<string, unknown>).kind === IMAGE_SET_CONFIGURATION_KIND;
}

/**
 * Checks a read ImageSetConfiguration (from readYaml) and returns it typed,
 * with defaults; otherwise throws INVALID_CONTENT listing every problem as
 * `file:line:col: path …`, unsupported oc-mirror keys named as such.
 */
export function parseImageSetConfiguration(document: YamlContent, file: string): ImageSetConfiguration {
  return checkContent(imageSetConfigurationSchema, document.value, { file, subject: 'the ImageSetConfiguration', position: document.position });
}
