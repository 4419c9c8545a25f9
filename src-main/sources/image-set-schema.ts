/**
 * The shape of an image set file (docs/image-sets.md), as zod schemas: every
 * section, every key, closed to unknown keys, with the checks a value needs
 * (references parse, ranges compile, a package is named once). Parsing turns
 * the file's text values into what the resolvers use (References, node-semver
 * ranges, RegExps); the TypeScript types of both sides are derived from here.
 */
import { z } from 'zod';
import type { Reference } from '../../src-shared/model/oci.ts';
import { parseReference } from '../oci/reference.ts';
import { anyVersion, parseRange, releaseVersion, type VersionRange } from './versions.ts';
import { closed, list, reason, reference, range, text, textOrNumber } from './schema-parts.ts';

/** Deckhouse's five release channels, least to most conservative (d8 mirror pulls all of them by default). */
export const DEFAULT_CHANNELS: readonly string[] = ['alpha', 'beta', 'early-access', 'stable', 'rock-solid'];
/** An image tag (distribution-spec): also the form of a Deckhouse channel name. */
const TAG = /^[\w][\w.-]{0,127}$/;
/** A Deckhouse module name: a repository path component. */
const MODULE_NAME = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;

// ---- tags: -------------------------------------------------------------

/** One `tags:` rule: a repository plus a semver range and/or a regular expression, optionally the newest N. */
export const tagRuleSchema = closed({
  repository: z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a repository name') }),
  semver: range.optional(),
  regex: textOrNumber
    .transform((value, ctx): RegExp => {
      try {
        return new RegExp(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `is not a valid regular expression (${reason(error)})` });
        return z.NEVER;
      }
    })
    .optional(),
  latest: z.number({ error: 'must be a positive integer' }).int({ error: 'must be a positive integer' }).min(1, { error: 'must be a positive integer' }).optional(),
}).transform((rule, ctx) => {
  if (rule.semver === undefined && rule.regex === undefined) ctx.addIssue({ code: 'custom', message: 'needs semver (a range) or regex' });
  let parsed: Reference | undefined;
  try {
    parsed = parseReference(rule.repository);
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['repository'], message: `is not a repository: ${reason(error)}` });
  }
  if (parsed && (parsed.digest !== undefined || (parsed.tag !== undefined && rule.repository.lastIndexOf(':') > rule.repository.lastIndexOf('/')))) {
    ctx.addIssue({ code: 'custom', path: ['repository'], message: `"${rule.repository}" must name a repository without a tag or digest` });
  }
  if (!parsed || ctx.issues.length > 0) return z.NEVER;
  return { ...rule, reference: { registry: parsed.registry, repository: parsed.repository } };
});

/** A checked tag rule, with its repository parsed. */
export type TagRule = z.output<typeof tagRuleSchema>;

// ---- deckhouse: --------------------------------------------------------

/** `false` unless set; anything but a boolean is refused. */
const flag = z.boolean({ error: 'must be true or false' }).default(false);

const VERSION_HINT = 'must be a version such as v1.68 or v1.68.3';

/** One `modules:` entry: `name`, `name@~1.35`, `name@^1.2`, `name@>=1.3 <1.5`; a bare version means `^version`, as d8's --include-module reads it. */
const deckhouseModule = z.string({ error: 'must be a string such as "console" or "console@~1.35"' }).transform((entry, ctx): { name: string; constraint?: VersionRange } => {
  const at = entry.indexOf('@');
  const name = (at < 0 ? entry : entry.slice(0, at)).trim();
  if (!MODULE_NAME.test(name)) {
    ctx.addIssue({ code: 'custom', message: `has an invalid module name "${name}"` });
    return z.NEVER;
  }
  if (at < 0) return { name };
  const constraintText = entry.slice(at + 1).trim();
  const constraint = parseRange(releaseVersion(constraintText) ? `^${constraintText}` : constraintText);
  if (!constraint) {
    ctx.addIssue({ code: 'custom', message: `has an invalid version constraint "${constraintText}" (a range such as ~1.35, ^1.2 or >=1.3 <1.5)` });
    return z.NEVER;
  }
  return { name, constraint };
});

/** Where a Deckhouse license key is read from: `env:NAME` or a bare NAME (an environment variable), or `file:PATH` (relative to the image set file). */
const LICENSE = /^(?:(?:env:)?[A-Za-z_][A-Za-z0-9_]*|file:.+)$/;
const LICENSE_HINT = 'must say where the license key is read from: env:VARIABLE (or a bare VARIABLE) or file:PATH';

/** The `deckhouse:` section. `license` only says where the key is read from; its value never reaches the plan. */
export const deckhouseSchema = closed({
  source: z.string({ error: (issue) => `${issue.input === undefined ? 'is required:' : 'must be'} a repository such as registry.example.com/deckhouse/ee` }).transform((value, ctx) => {
    let source: Reference;
    try {
      source = parseReference(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `is not a valid repository: ${reason(error)}` });
      return z.NEVER;
    }
    if (source.digest !== undefined || value.slice(value.lastIndexOf('/') + 1).includes(':')) {
      ctx.addIssue({ code: 'custom', message: 'must be a repository without a tag or digest' });
      return z.NEVER;
    }
    return { registry: source.registry, repository: source.repository };
  }),
  license: z.string({ error: LICENSE_HINT }).regex(LICENSE, { error: LICENSE_HINT }).optional(),
  sinceVersion: z
    .string({ error: VERSION_HINT })
    .transform((value, ctx) => {
      const version = releaseVersion(value) ?? releaseVersion(`${value.trim()}.0`);
      if (version) return version;
      ctx.addIssue({ code: 'custom', message: VERSION_HINT });
      return z.NEVER;
    })
    .optional(),
  tag: z.string({ error: 'must be an image tag such as v1.69.3' }).regex(TAG, { error: 'must be an image tag such as v1.69.3' }).optional(),
  ignoreSuspend: flag,
  channels: list(
    z.string({ error: 'must be a channel name such as stable' }).regex(TAG, { error: 'must be a channel name such as stable' }),
    `must be a non-empty list of channels (${DEFAULT_CHANNELS.join(', ')})`,
  )
    .min(1, { error: `must be a non-empty list of channels (${DEFAULT_CHANNELS.join(', ')})` })
    .default([...DEFAULT_CHANNELS])
    .transform((channels) => [...new Set(channels)]),
  /** Narrows the modules to these (each optionally constrained); empty means every module of the source's listing. */
  modules: list(deckhouseModule, 'must be a list such as ["console@~1.35"]')
    .default([])
    .superRefine((modules, ctx) => {
      const seen = new Set<string>();
      for (const [i, m] of modules.entries()) {
        if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: [i], message: `names module "${m.name}" twice` });
        seen.add(m.name);
      }
    }),
  excludeModules: list(z.string({ error: 'must be a module name' }).regex(MODULE_NAME, { error: 'must be a module name' }), 'must be a list of module names')
    .default([])
    .transform((names) => [...new Set(names)]),
  noPlatform: flag,
  noModules: flag,
  /** Absent means "carry them where the edition has them" (d8's default); `true` insists, `false` leaves them out (d8's --no-security-db). */
  securityDatabases: z.boolean({ error: 'must be true or false' }).optional(),
}).superRefine((config, ctx) => {
  if (config.tag !== undefined && config.sinceVersion !== undefined) ctx.addIssue({ code: 'custom', path: ['tag'], message: 'pins one version and cannot be combined with sinceVersion' });
  for (const [i, name] of config.excludeModules.entries()) {
    if (config.modules.some((m) => m.name === name)) ctx.addIssue({ code: 'custom', path: ['excludeModules', i], message: `names module "${name}", which modules: asks for` });
  }
  if (config.noPlatform && config.noModules && config.securityDatabases === false) ctx.addIssue({ code: 'custom', message: 'selects nothing: enable the platform, modules or securityDatabases' });
});

/** A checked `deckhouse:` section, with defaults filled in. */
export type DeckhouseConfig = z.output<typeof deckhouseSchema>;
/** One module of a `deckhouse:` section and its optional constraint. */
export type DeckhouseModule = DeckhouseConfig['modules'][number];

// ---- openshift: (openshift-schema.ts) -----------------------------------

import { blockedImagesSchema, openShiftSchema } from './openshift-schema.ts';

export { openShiftSchema, blockedImagesSchema };
export type { OpenShiftConfig, OperatorPackageSelection, OperatorCatalogSelection, PlatformSelection, ReleaseChannelSelection } from './openshift-schema.ts';

// ---- files: and packageRepositories: ------------------------------------

/** A repository path as the distribution grammar allows it (lowercase components separated by /). */
const REPOSITORY_PATH = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$/;
/** A media type (RFC 6838 type/subtype, with the +suffix and parameters OCI types use). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** Where a local artifact lands: `repository[:tag]` under the import prefix; the tag defaults to `latest`. */
const artifactTarget = text.transform((value, ctx): { path: string; tag: string } => {
  const colon = value.lastIndexOf(':');
  const path = colon > value.lastIndexOf('/') ? value.slice(0, colon) : value;
  const tag = colon > value.lastIndexOf('/') ? value.slice(colon + 1) : 'latest';
  if (!REPOSITORY_PATH.test(path)) ctx.addIssue({ code: 'custom', message: `"${value}": "${path}" is not a repository path (lowercase names separated by /, e.g. ket/packages)` });
  else if (!TAG.test(tag)) ctx.addIssue({ code: 'custom', message: `"${value}": "${tag}" is not a tag (letters, digits, _ . -, up to 128)` });
  else return { path, tag };
  return z.NEVER;
});

/** A media type such as application/vnd.example.config.v1+json. */
const mediaType = text.regex(MEDIA_TYPE, { error: 'must be a media type such as application/vnd.example.file.v1' });

/** One `files:` entry: a local file or folder (relative to the set file), or a URL downloaded on the connected side, carried as one OCI artifact. */
export const fileEntrySchema = closed({
  path: text.optional(),
  /** Downloaded with nothing but a GET: a login in it is refused without echoing it (it would land in ferry.json and logs). */
  url: text
    .superRefine((value, ctx) => {
      const url = URL.canParse(value) ? new URL(value) : undefined;
      if (!url || !['http:', 'https:'].includes(url.protocol)) ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
      else if (url.username !== '' || url.password !== '')
        ctx.addIssue({ code: 'custom', message: 'must not hold a login (user:password@): downloads are made without one, and it would be written into the bundle' });
    })
    .optional(),
  /** The file name a download gets in the artifact; default the URL's last path segment. */
  name: text.optional(),
  /** The download's expected sha256 (64 hex digits). */
  sha256: z
    .string({ error: (issue) => (typeof issue.input === 'number' ? 'must be 64 hex digits in quotes (YAML read this one as a number)' : 'must be 64 hex digits') })
    .regex(/^[A-Fa-f0-9]{64}$/, { error: 'must be 64 hex digits' })
    .transform((hex) => hex.toLowerCase())
    .optional(),
  target: artifactTarget,
  artifactType: mediaType.optional(),
  mediaType: mediaType.optional(),
}).superRefine((entry, ctx) => {
  if ((entry.path === undefined) === (entry.url === undefined)) ctx.addIssue({ code: 'custom', message: 'needs exactly one of path (a file or folder) and url' });
  if (entry.url === undefined && entry.sha256 !== undefined) ctx.addIssue({ code: 'custom', path: ['sha256'], message: 'checks a download: it needs url' });
  if (entry.url === undefined && entry.name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'names a download: it needs url (a local file keeps its own name)' });
});

/** A checked `files:` entry. */
export type FileEntry = z.output<typeof fileEntrySchema>;

/** One `packageRepositories:` entry: a folder holding a Debian (apt) or RPM repository, carried as one tar layer. */
export const packageRepositorySchema = closed({
  path: text,
  target: artifactTarget,
  /** apt or rpm; found from the folder's files when left out. */
  kind: z.enum(['apt', 'rpm'], { error: 'must be apt or rpm' }).optional(),
});

/** A checked `packageRepositories:` entry. */
export type PackageRepositoryEntry = z.output<typeof packageRepositorySchema>;

// ---- charts: -----------------------------------------------------------

/** A Helm chart name as `helm create` and chart repositories allow it (Helm refuses path separators in names). */
const CHART_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

/** Where a chart comes from: an HTTP chart repository (its `index.yaml`) or an OCI registry path that `helm push` wrote to. */
export type ChartRepository = { kind: 'http'; url: URL } | { kind: 'oci'; registry: string; path: string };

/** `https://charts.example.com/stable` or `oci://registry.example.com/charts`: checked and split, a login in it refused without echoing it. */
const chartRepository = z
  .string({ error: (issue) => `${issue.input === undefined ? 'is required:' : 'must be'} a chart repository URL such as https://charts.example.com or oci://registry.example.com/charts` })
  .transform((value, ctx): ChartRepository => {
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a URL: a chart repository is https://…, http://… or oci://…' });
      return z.NEVER;
    }
    if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'must not hold a login (user:password@): chart repository logins are not read from the image set' });
      return z.NEVER;
    }
    if (url.hash !== '') {
      ctx.addIssue({ code: 'custom', message: 'must not have a #fragment' });
      return z.NEVER;
    }
    if (url.protocol === 'https:' || url.protocol === 'http:') return { kind: 'http', url };
    if (url.protocol !== 'oci:') {
      ctx.addIssue({ code: 'custom', message: `has scheme "${url.protocol}": a chart repository is https://…, http://… or oci://…` });
      return z.NEVER;
    }
    const path = url.pathname.replace(/^\/+|\/+$/g, '');
    if (url.search !== '' || !REPOSITORY_PATH.test(path)) {
      ctx.addIssue({ code: 'custom', message: 'must be oci://HOST[:PORT]/PATH with a lowercase repository path (helm push oci://… form)' });
      return z.NEVER;
    }
    return { kind: 'oci', registry: url.host, path };
  });

/** A chart version: an exact SemVer 2 version (`4.11.3`, `1.0.0-rc.1`) or a node-semver range (`~4.11`, `>=1 <2`, `*`); the newest match is carried. */
const chartVersion = textOrNumber.transform((value, ctx): { exact: string } | { range: VersionRange } => {
  const trimmed = value.trim();
  const exact = anyVersion(trimmed);
  if (exact) return { exact: trimmed };
  const parsed = parseRange(trimmed);
  if (parsed) return { range: parsed };
  ctx.addIssue({ code: 'custom', message: `is neither a chart version such as 4.11.3 nor a range such as "~4.11" or ">=1.2 <2": "${trimmed}"` });
  return z.NEVER;
});

/** One `charts:` entry: a chart by repository, name and version, where it lands, and whether its images come along. */
export const chartSchema = closed({
  repository: chartRepository,
  name: z.string({ error: 'must be a chart name such as ingress-nginx' }).regex(CHART_NAME, { error: 'must be a chart name such as ingress-nginx (lowercase letters, digits, ".", "_", "-")' }),
  version: chartVersion,
  target: z
    .string({ error: 'must be a repository path such as charts/ingress-nginx' })
    .transform((value) => value.trim().replace(/^\/+|\/+$/g, ''))
    .refine((value) => REPOSITORY_PATH.test(value), { error: 'must be a repository path such as charts/ingress-nginx (lowercase, "/" between parts)' })
    .optional(),
  images: z.boolean({ error: 'must be true or false' }).default(true),
});

/** A checked `charts:` entry. */
export type ChartSelection = z.output<typeof chartSchema>;

// ---- the file ----------------------------------------------------------

/** A whole image set file; a section left empty (`images:`) is the same as one left out. */
export const imageSetSchema = closed(
  {
    platforms: list(z.string({ error: 'must be an os/arch string such as linux/amd64' }), 'must be a list of os/arch strings').nullish(),
    images: list(reference, 'must be a list of image references').nullish(),
    imageLists: list(text, 'must be a list of image list files').nullish(),
    tags: list(tagRuleSchema, 'must be a list of rules').nullish(),
    deckhouse: deckhouseSchema.nullish(),
    openshift: openShiftSchema.nullish(),
    blockedImages: blockedImagesSchema.nullish(),
    files: list(fileEntrySchema, 'must be a list of files, folders or URLs').nullish(),
    packageRepositories: list(packageRepositorySchema, 'must be a list of package repository folders').nullish(),
    charts: list(chartSchema, 'must be a list of charts').nullish(),
    /** false: the images travel without their signatures, attestations and SBOMs (as `--no-referrers`). */
    referrers: z.boolean({ error: 'must be true or false' }).nullish(),
  },
  'section',
);

/** An image set file as written (what the file may hold). */
export type ImageSetDocument = z.input<typeof imageSetSchema>;
/** An image set file checked and parsed: what the resolvers take. */
export type ImageSet = z.output<typeof imageSetSchema>;
