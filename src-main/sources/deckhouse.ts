/**
 * Resolves a `deckhouse:` image-set section into exact references, with the
 * rules Deckhouse Kubernetes Platform enforces on air-gapped updates (its
 * "Updating DKP in air-gapped environment" guide) and the layout
 * `d8 mirror pull` / `d8 mirror push` use: release channels are read from
 * `version.json` inside `release-channel:<channel>` images, minor releases are
 * never skipped, a suspended channel stops the resolve, every module the
 * source lists is carried with its own channels (deckhouse-modules.ts), the
 * component images listed inside installer and module images come along by
 * digest (deckhouse-components.ts), and the vulnerability databases have fixed
 * tags. Every image is placed relative to the source root, so an import to
 * `REGISTRY/PATH` lands where a cluster configured with that path looks.
 * Registry reads only (DESIGN.md decision 8).
 * Guide: https://deckhouse.io/products/kubernetes-platform/guides/airgapped-update.html
 */
import { FerryError } from '../../src-shared/errors.ts';
import { checkContent } from '../base/content-check.ts';
import { resolveModules } from './deckhouse-modules.ts';
import { resolvePlatform } from './deckhouse-platform.ts';
import { DeckhousePlan, DeckhouseReads, mapBounded } from './deckhouse-reads.ts';
import { deckhouseSchema, type DeckhouseConfig } from './image-set-schema.ts';
import type { ResolveContext, ResolvedSection } from './types.ts';

export { DEFAULT_CHANNELS } from './image-set-schema.ts';
export type { DeckhouseConfig, DeckhouseModule } from './image-set-schema.ts';
export { describeRelease, parseReleaseInfo, sequentialMinors, withChannelVersions, type ReleaseInfo } from './deckhouse-release.ts';

/** The vulnerability database images of DKP EE, with the fixed tags `operator-trivy` pulls every six hours. */
export const SECURITY_DATABASES: readonly { name: string; tag: string }[] = [
  { name: 'trivy-db', tag: '2' },
  { name: 'trivy-java-db', tag: '1' },
  { name: 'trivy-checks', tag: '0' },
  { name: 'trivy-bdu', tag: '1' },
];

/**
 * Checks a `deckhouse:` section given as a plain value (an image set checks it
 * with the whole file); every problem is INVALID_CONTENT naming the key.
 */
export function parseDeckhouseConfig(config: unknown): DeckhouseConfig {
  return checkContent(deckhouseSchema, config, { prefix: ['deckhouse'], subject: 'deckhouse' });
}

/**
 * Adds the security databases. Asked for explicitly, a missing one is an
 * error; by default (d8 allows missing tags here) an edition without them is
 * noted and skipped.
 */
async function securityDatabases(reads: DeckhouseReads, required: boolean): Promise<void> {
  const found = await mapBounded(SECURITY_DATABASES, async (db) => ({ ...db, present: await reads.exists(`security/${db.name}`, db.tag) }));
  for (const db of found) {
    const path = `security/${db.name}`;
    if (db.present) reads.plan.addTag(path, db.tag);
    else if (required) {
      throw new FerryError('NOT_FOUND', `${reads.name(path, db.tag)} does not exist; security databases are published for DKP EE only (deckhouse.securityDatabases)`, {
        repository: `${reads.root}/${path}`,
        tag: db.tag,
      });
    }
  }
  const missing = found.filter((db) => !db.present).map((db) => db.name);
  if (missing.length > 0) reads.plan.notes.push(`deckhouse: security database(s) ${missing.join(', ')} not published by this edition (${reads.registry}/${reads.root}/security), skipped`);
}

/** Resolves a `deckhouse:` section given as a plain value: checked first, then {@link resolveDeckhouseConfig}. */
export async function resolveDeckhouse(config: unknown, context: ResolveContext): Promise<ResolvedSection> {
  return resolveDeckhouseConfig(parseDeckhouseConfig(config), context);
}

/** Resolves a checked `deckhouse:` section into the images to carry and plan notes (requirements, disruptions, canary, changelog, skipped parts). */
export async function resolveDeckhouseConfig(parsed: DeckhouseConfig, context: ResolveContext): Promise<ResolvedSection> {
  const plan = new DeckhousePlan(parsed.source.registry, parsed.source.repository);
  const reads = new DeckhouseReads(parsed, context, plan);
  if (!parsed.noPlatform) await resolvePlatform(reads);
  if (!parsed.noModules) await resolveModules(reads);
  else if (parsed.modules.length > 0) plan.notes.push(`deckhouse: noModules is set, modules ${parsed.modules.map((m) => m.name).join(', ')} are not carried`);
  if (parsed.securityDatabases !== false) await securityDatabases(reads, parsed.securityDatabases === true);
  return { images: [...plan.images.values()], notes: plan.notes };
}
