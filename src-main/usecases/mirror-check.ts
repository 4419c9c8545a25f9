/**
 * The mapping, proven: each image (source + digest) is resolved through every
 * mirror format of a configuration as its runtime would (mirror-config/resolve.ts),
 * and each location the runtime would try in the site registry is asked by
 * HEAD for the digest. What a runtime could not pull from the site is reported
 * per image and format, naming the rule and the locations tried. `ferry
 * mirror-config check` runs it on configuration a site already has; an import
 * runs it on the configuration it just wrote.
 */
import type { MirrorCheckReport, MirrorCheckRow, MirrorCheckTry } from '../../src-shared/model/mirror-check.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { Limiter } from '../base/limiter.ts';
import { readMirrorConfiguration, resolvePull, type MirrorConfiguration, type Resolution } from '../mirror-config/resolve.ts';
import { parseReference, parseRegistryPrefix } from '../oci/reference.ts';
import type { Registries } from '../oci/registry/registries.ts';
import type { VerifiedBundle } from '../bundle/bundle-view.ts';
import { registryAccessFor, type RegistrySettings } from './access.ts';

/** One image to check: its source reference (a tag, if any, is used for ITMS) and its manifest digest. */
export interface CheckedImage {
  source: string;
  digest: string;
}

/** What to check, as every front end asks for it. */
export interface MirrorCheckInput {
  /** The configuration folder, or one registries.conf or YAML file. */
  config: string;
  /** The site registry `REGISTRY[/PREFIX]`: only its host is asked. */
  registry: string;
  images: readonly CheckedImage[];
  settings: RegistrySettings;
  signal?: AbortSignal;
}

/** HEAD requests in flight at once: small requests, one registry. */
const HEAD_CONCURRENCY = 8;

/** An image as the resolver takes it; undefined for a source that is no registry reference (a local artifact). */
function parsed(image: CheckedImage): { key: string; repository: string; tag?: string; digest: string } | undefined {
  try {
    const reference = parseReference(image.source);
    const repository = `${reference.registry}/${reference.repository}`;
    return { key: `${repository}@${image.digest}`, repository, digest: image.digest, ...(reference.tag !== undefined ? { tag: reference.tag } : {}) };
  } catch {
    return undefined;
  }
}

/** The site registry's answers, one HEAD per repository and identifier however many images or formats ask. */
class Answers {
  private readonly asked = new Map<string, Promise<MirrorCheckTry['answer'] | { error: string }>>();
  private readonly limiter = new Limiter(HEAD_CONCURRENCY);

  constructor(
    private readonly registries: Registries,
    private readonly host: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Whether `repository` holds `digest` (asked by digest, or by tag when `tag` is given and its answer compared). */
  ask(repository: string, digest: string, tag?: string): Promise<MirrorCheckTry['answer'] | { error: string }> {
    const identifier = tag ?? digest;
    const key = `${repository}|${identifier}`;
    let pending = this.asked.get(key);
    if (pending === undefined) {
      pending = this.limiter.run(async () => {
        try {
          const { headManifest } = await import('../oci/registry/manifests.ts');
          const path = repository.slice(this.host.length + 1);
          const answer = await headManifest(await this.registries.client(this.host), path, identifier, this.signal);
          if (answer === undefined) return 'lacks the digest';
          return tag === undefined || answer.digest === digest ? 'has the digest' : 'lacks the digest';
        } catch (error) {
          if (this.signal?.aborted) throw error;
          return { error: error instanceof Error ? error.message : String(error) };
        }
      });
      this.asked.set(key, pending);
    }
    return pending;
  }
}

/** One image through one format: every candidate in the runtime's order until one in the site registry holds the digest. */
async function checkOne(image: string, digest: string, tag: string | undefined, resolution: Resolution, host: string, answers: Answers): Promise<MirrorCheckRow> {
  const base = { image, format: resolution.format, ...(resolution.rule !== undefined ? { rule: resolution.rule } : {}), ...(resolution.file !== undefined ? { file: resolution.file } : {}) };
  const ruleText = `${resolution.format} rule "${resolution.rule ?? ''}" (${resolution.file ?? ''})`;
  if (resolution.rule === undefined) return { ...base, state: 'no-rule', tried: [], detail: `${image}: no ${resolution.format} rule matches it, so a runtime would pull it from its source` };
  if (resolution.blocked === true) return { ...base, state: 'blocked', tried: [], detail: `${image}: ${ruleText} blocks every pull of it` };
  const tried: MirrorCheckTry[] = [];
  for (const candidate of resolution.candidates) {
    if (candidate.repository === undefined) {
      tried.push({ location: candidate.location, answer: 'unusable', detail: candidate.unusable ?? '' });
      continue;
    }
    if (!candidate.repository.startsWith(`${host}/`)) {
      tried.push({ location: candidate.location, repository: candidate.repository, answer: 'not in the site registry' });
      continue;
    }
    const answer = await answers.ask(candidate.repository, digest, resolution.format === 'ITMS' ? tag : undefined);
    if (typeof answer !== 'string') {
      tried.push({ location: candidate.location, repository: candidate.repository, answer: 'error', detail: answer.error });
      continue;
    }
    tried.push({ location: candidate.location, repository: candidate.repository, answer });
    if (answer === 'has the digest') return { ...base, state: 'resolves', resolvedAt: candidate.repository, tried, detail: `${image} resolves through ${ruleText} at ${candidate.repository}` };
  }
  const inSite = tried.filter((t) => t.answer === 'lacks the digest');
  const failed = tried.filter((t) => t.answer === 'error');
  if (inSite.length > 0) {
    const what = resolution.format === 'ITMS' ? `${tag ?? ''} at ${digest}` : digest;
    return { ...base, state: 'missing', tried, detail: `${image}: ${ruleText} sends it to ${inSite.map((t) => t.repository ?? t.location).join(', ')}, which lack ${what}` };
  }
  if (failed.length > 0) return { ...base, state: 'error', tried, detail: `${image}: ${ruleText}: the site registry could not be asked: ${failed[0]?.detail ?? ''}` };
  const places = tried.map((t) => (t.answer === 'unusable' ? `${t.location} (${t.detail ?? 'unusable'})` : (t.repository ?? t.location))).join(', ');
  return { ...base, state: 'elsewhere', tried, detail: `${image}: ${ruleText} sends it only to ${places || 'no location'}, none of them in ${host}` };
}

/**
 * Checks `images` against an already read configuration with an open set of
 * registries (the import reuses its own); rows are per image, then per format.
 */
export async function checkMirrorConfiguration(
  config: MirrorConfiguration,
  registry: string,
  images: readonly CheckedImage[],
  registries: Registries,
  signal?: AbortSignal,
): Promise<MirrorCheckReport> {
  const started = performance.now();
  const host = parseRegistryPrefix(registry).registry;
  const answers = new Answers(registries, host, signal);
  const seen = new Set<string>();
  const skipped: string[] = [];
  const checks: Array<Promise<MirrorCheckRow[]>> = [];
  for (const image of images) {
    const parts = parsed(image);
    if (parts === undefined) {
      skipped.push(image.source);
      continue;
    }
    if (seen.has(parts.key)) continue;
    seen.add(parts.key);
    const resolutions = resolvePull(config, parts.repository, parts.digest, parts.tag);
    checks.push(Promise.all(resolutions.map((resolution) => checkOne(parts.key, parts.digest, parts.tag, resolution, host, answers))));
  }
  const perImage = await Promise.all(checks);
  const resolved = perImage.filter((rows) => rows.every((row) => row.state === 'resolves')).length;
  return {
    config: config.path,
    registry,
    formats: config.formats,
    images: perImage.length,
    resolved,
    ok: resolved === perImage.length,
    rows: perImage.flat(),
    skipped,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Reads the configuration at `input.config` and checks every image against the site registry with the user's credentials and TLS settings. */
export async function runMirrorCheck(input: MirrorCheckInput): Promise<MirrorCheckReport> {
  if (input.images.length === 0) throw new FerryError('INVALID_ARGUMENT', 'no images to check the mirror configuration with', { argument: 'images' });
  const config = await readMirrorConfiguration(input.config);
  const host = parseRegistryPrefix(input.registry).registry;
  const { Registries } = await import('../oci/registry/registries.ts');
  const registries = new Registries(registryAccessFor(input.settings, [host]));
  try {
    return await checkMirrorConfiguration(config, input.registry, input.images, registries, input.signal);
  } finally {
    await registries.close();
  }
}

/**
 * The check an import runs on the configuration it just wrote, with its own
 * registry clients: every imported image by source and digest. A folder that
 * cannot be read back is reported in the report (`error`), never as a failed
 * import: the images are in the registry either way.
 */
export async function checkImportedMapping(dir: string, registry: string, images: readonly CheckedImage[], registries: Registries, signal?: AbortSignal): Promise<MirrorCheckReport> {
  try {
    return await checkMirrorConfiguration(await readMirrorConfiguration(dir), registry, images, registries, signal);
  } catch (error) {
    if (signal?.aborted || !(error instanceof FerryError)) throw error;
    return { config: dir, registry, formats: [], images: 0, resolved: 0, ok: false, rows: [], skipped: [], seconds: 0, error: error.message };
  }
}

/** The images of a list file for the check: `SOURCE@DIGEST` per line (a tag may precede the digest), `#` comments. */
export async function imagesFromList(file: string): Promise<CheckedImage[]> {
  const { readImageList } = await import('../sources/image-list.ts');
  const listed = await readImageList(file);
  const undigested = listed.filter((entry) => entry.reference.digest === undefined);
  if (undigested.length > 0)
    throw new FerryError('INVALID_ARGUMENT', `${file}: the check needs each image by digest; these lines have none: ${undigested.map((e) => `${e.line}: ${e.text}`).join(', ')}`, { file });
  return listed.map((entry) => ({ source: entry.text.slice(0, entry.text.lastIndexOf('@')), digest: entry.reference.digest ?? '' }));
}

/** The images of a bundle for the check, by source and digest, read from its verified view only (local artifacts have no source registry). */
export async function imagesFromBundle(bundle: string): Promise<CheckedImage[]> {
  const { verifyWithView, verificationFailed } = await import('./verify.ts');
  const { report, view } = await verifyWithView(bundle);
  if (view === undefined) throw verificationFailed(report, 'its images are not checked against the mirror configuration');
  return view.images.filter((image) => image.artifactType === undefined).map((image) => ({ source: image.source, digest: image.digest }));
}

/**
 * The app's check of the files its Mirror configuration step saved: the
 * bundle's images against the target with the wizard's access. Undefined when
 * the check itself could not run (the registry unreachable): the files are
 * saved either way, and the wizard says nothing rather than something wrong.
 */
export async function checkSavedMapping(dir: string, target: string, view: VerifiedBundle, settings: RegistrySettings): Promise<MirrorCheckReport | undefined> {
  const images = view.images.filter((image) => image.artifactType === undefined).map((image) => ({ source: image.source, digest: image.digest }));
  if (images.length === 0) return undefined;
  try {
    const report = await runMirrorCheck({ config: dir, registry: target, images, settings });
    // A registry that answered none of the questions (unreachable, or the push's login is not in these settings) proves nothing either way.
    return report.rows.length > 0 && report.rows.every((row) => row.state === 'error') ? undefined : report;
  } catch (error) {
    if (error instanceof FerryError) return undefined;
    throw error;
  }
}
