/**
 * What a Deckhouse release image says about a version and how versions are
 * chosen: `version.json` (version, suspend, requirements, disruptions, canary)
 * and `changelog.yaml` read out of a `release-channel` (or module `release`)
 * image, the plan lines made from them, and the sequential-minor rule DKP
 * enforces on updates (the newest patch of every minor, never skipping one).
 */
import { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { readYaml } from '../base/yaml-read.ts';
import { compareVersions, formatVersion, minorKey, releaseVersion, type Version } from './versions.ts';

/** The files a release image holds, as {@link readImageFiles} is asked for them. */
export const RELEASE_FILES: readonly string[] = ['version.json', 'changelog.yaml'];
/** version.json and changelog.yaml are a few kilobytes; a release image holding more than this is not a release image. */
const RELEASE_FILE_LIMIT = 4 * 1024 * 1024;

/** One channel's canary rollout (version.json `canary.<channel>`), shown when enabled. */
export interface Canary {
  waves?: number;
  interval?: string;
}

/** What a changelog says, counted per kind, with every entry that declares an impact kept in full. */
export interface ChangelogSummary {
  features: number;
  fixes: number;
  sections: string[];
  impacts: Array<{ section: string; text: string }>;
}

/** The parts of a release image the plan uses. */
export interface ReleaseInfo {
  version: Version;
  suspend: boolean;
  requirements: Record<string, string>;
  disruptions: Record<string, string[]>;
  canary: Record<string, Canary>;
  changelog?: ChangelogSummary;
}

/** version.json as Deckhouse writes it; open to fields Ferry does not use. */
const versionJsonSchema = z.looseObject({
  version: z.string({ error: 'must be a version such as v1.69.3' }).refine((v) => releaseVersion(v) !== undefined, { error: 'must be a version such as v1.69.3' }),
  suspend: z.unknown().optional(),
  requirements: z.record(z.string(), z.unknown()).nullish(),
  disruptions: z.record(z.string(), z.unknown()).nullish(),
  canary: z.record(z.string(), z.unknown()).nullish(),
});

/** One changelog entry: a summary, optionally the impact on a running cluster. */
const changelogEntry = z.looseObject({ summary: z.unknown().optional(), impact: z.unknown().optional() });
/** changelog.yaml: `<section>: { features: [...], fixes: [...] }`. */
const changelogSchema = z.record(z.string(), z.looseObject({ features: z.array(changelogEntry).nullish(), fixes: z.array(changelogEntry).nullish() }).nullish());

/** Parses `version.json` of a release image; INVALID_CONTENT naming the image and the file when it is not what Deckhouse writes. */
export function parseReleaseInfo(bytes: Buffer, subject: string): ReleaseInfo {
  const doc = parseJsonDocument(
    bytes,
    { schema: versionJsonSchema, name: 'the version.json of a Deckhouse release', maxBytes: RELEASE_FILE_LIMIT, code: 'INVALID_CONTENT' },
    `${subject} version.json`,
  );
  const version = releaseVersion(doc.version);
  if (!version) throw new FerryError('INVALID_CONTENT', `${subject} version.json has no valid "version"`);
  const requirements: Record<string, string> = {};
  for (const [k, val] of Object.entries(doc.requirements ?? {})) {
    if (typeof val === 'string' ? val !== '' : typeof val === 'number' || typeof val === 'boolean') requirements[k] = String(val);
  }
  const disruptions: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(doc.disruptions ?? {})) if (Array.isArray(val)) disruptions[k] = val.map(String);
  const canary: Record<string, Canary> = {};
  for (const [channel, val] of Object.entries(doc.canary ?? {})) {
    if (typeof val !== 'object' || val === null || (val as { enabled?: unknown }).enabled !== true) continue;
    const { waves, interval } = val as { waves?: unknown; interval?: unknown };
    canary[channel] = { ...(typeof waves === 'number' ? { waves } : {}), ...(typeof interval === 'string' ? { interval } : {}) };
  }
  return { version, suspend: doc.suspend === true, requirements, disruptions, canary };
}

/** Summarises `changelog.yaml` (read with the strict YAML reader); INVALID_CONTENT naming the image and the file when it is not YAML. */
export function parseChangelog(bytes: Buffer, subject: string): ChangelogSummary {
  const file = `${subject} changelog.yaml`;
  const { value } = readYaml(bytes.toString('utf8'), file, { maxBytes: RELEASE_FILE_LIMIT });
  const summary: ChangelogSummary = { features: 0, fixes: 0, sections: [], impacts: [] };
  const parsed = changelogSchema.safeParse(value ?? {});
  if (!parsed.success) throw new FerryError('INVALID_CONTENT', `${file} is not a Deckhouse changelog (<section>: {features: [...], fixes: [...]})`, { file });
  for (const [section, kinds] of Object.entries(parsed.data)) {
    const features = kinds?.features ?? [];
    const fixes = kinds?.fixes ?? [];
    summary.features += features.length;
    summary.fixes += fixes.length;
    if (features.length + fixes.length > 0) summary.sections.push(section);
    for (const entry of [...features, ...fixes]) if (typeof entry.impact === 'string' && entry.impact.trim() !== '') summary.impacts.push({ section, text: entry.impact.trim() });
  }
  return summary;
}

/** A release image's version.json (required) and changelog.yaml (when present), as read from its layers. */
export function releaseFromFiles(files: ReadonlyMap<string, Buffer>, subject: string): ReleaseInfo {
  const json = files.get('version.json');
  if (!json) throw new FerryError('NOT_FOUND', `${subject} has no file version.json`, { reference: subject, path: 'version.json' });
  const info = parseReleaseInfo(json, subject);
  const changelog = files.get('changelog.yaml');
  if (changelog) info.changelog = parseChangelog(changelog, subject);
  return info;
}

/** The plan line for one version: "v1.69.4 requires k8s 1.29; disruptions: ingressNginx". Only the disruptions listed under the version's own minor apply. */
export function describeRelease(label: string, info: ReleaseInfo): string {
  const requirements = Object.entries(info.requirements).map(([k, val]) => `${k} ${val}`);
  const disruptions = info.disruptions[minorKey(info.version)] ?? [];
  const parts = [requirements.length > 0 ? `requires ${requirements.join(', ')}` : 'has no requirements'];
  if (disruptions.length > 0) parts.push(`disruptions: ${disruptions.join(', ')}`);
  return `${label} ${parts.join('; ')}`;
}

/** The canary and changelog lines of one version, empty when the release image says nothing of them. */
export function releaseDetails(label: string, info: ReleaseInfo): string[] {
  const lines: string[] = [];
  const canary = Object.entries(info.canary).map(([channel, c]) => `${channel}${c.waves !== undefined ? ` ${c.waves} waves` : ''}${c.interval !== undefined ? ` every ${c.interval}` : ''}`);
  if (canary.length > 0) lines.push(`${label} canary: ${canary.join(', ')}`);
  const log = info.changelog;
  if (log && log.features + log.fixes > 0) lines.push(`${label} changelog: ${log.features} feature(s), ${log.fixes} fix(es) in ${log.sections.join(', ')}`);
  for (const impact of log?.impacts ?? []) lines.push(`${label} impact (${impact.section}): ${impact.text}`);
  return lines;
}

/** The highest version of a list, or undefined for an empty one. */
function newest(versions: readonly Version[]): Version | undefined {
  return [...versions].sort(compareVersions).at(-1);
}

/**
 * The versions to carry: the newest tag of every minor from `from`'s minor up
 * to `to` (inclusive), never past `to`. A minor with no tags at all is an error,
 * because Deckhouse cannot skip minors; a minor whose tags `accept` all rejects
 * is left out (the user's constraint excluded it).
 */
export function sequentialMinors(tags: readonly Version[], from: Version, to: Version, subject: string, accept: (v: Version) => boolean = () => true): Version[] {
  const inWindow = tags.filter((t) => compareVersions(t, to) <= 0 && (t.major > from.major || (t.major === from.major && t.minor >= from.minor)));
  const byMinor = new Map<string, Version[]>();
  for (const t of inWindow) byMinor.set(minorKey(t), [...(byMinor.get(minorKey(t)) ?? []), t]);
  for (let major = from.major; major <= to.major; major++) {
    if (major !== from.major && major !== to.major) continue; // minors of a major in between cannot be enumerated
    const first = major === from.major ? from.minor : 0;
    const last = major === to.major ? to.minor : Math.max(...inWindow.filter((t) => t.major === major).map((t) => t.minor), first);
    for (let minor = first; minor <= last; minor++) {
      if (!byMinor.has(`${major}.${minor}`)) {
        throw new FerryError('NOT_FOUND', `${subject} has no tag for minor ${major}.${minor}; minor releases cannot be skipped on the way from ${formatVersion(from)} to ${formatVersion(to)}`, {
          subject,
          minor: `${major}.${minor}`,
        });
      }
    }
  }
  return [...byMinor.values()]
    .map((list) => newest(list.filter(accept)))
    .filter((v): v is Version => v !== undefined)
    .sort(compareVersions);
}

/**
 * Adds the exact versions the channels point at (no older than `from`, within
 * the constraint) to the newest patches: a cluster following a channel
 * deploys the channel's version, so a carried channel image must not point at
 * an absent image (d8 mirror pull carries them as well). Only versions that
 * exist as tags are added; the caller notes the others.
 */
export function withChannelVersions(
  versions: readonly Version[],
  channelVersions: readonly Version[],
  from: Version,
  tags: readonly Version[],
  accept: (v: Version) => boolean = () => true,
): Version[] {
  const all = new Map(versions.map((v) => [formatVersion(v), v]));
  const tagged = new Set(tags.map((v) => formatVersion(v)));
  for (const v of channelVersions) {
    if (tagged.has(formatVersion(v)) && compareVersions(v, from) >= 0 && accept(v)) all.set(formatVersion(v), v);
  }
  return [...all.values()].sort(compareVersions);
}
