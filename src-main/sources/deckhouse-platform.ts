/**
 * The Deckhouse platform of a `deckhouse:` section: the release channels
 * (`<root>/release-channel:<channel>`), the versions the sequential-minor rule
 * requires, per version `<root>:<v>`, `release-channel:<v>`, `install:<v>` and
 * `install-standalone:<v>`, and the component images every carried installer
 * image lists (deckhouse-components.ts), as `d8 mirror pull` carries them.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { carryComponents, platformComponents } from './deckhouse-components.ts';
import { mapBounded, type DeckhouseReads } from './deckhouse-reads.ts';
import { sequentialMinors, withChannelVersions } from './deckhouse-release.ts';
import { compareVersions, formatVersion } from './versions.ts';

const RELEASE = 'release-channel';
const INSTALL = 'install';
const REPOS = { image: '', release: RELEASE, extras: [INSTALL, 'install-standalone'] };

/** The versions of the platform to carry, with their images and notes added to the plan; empty when none is. */
async function platformVersions(reads: DeckhouseReads): Promise<Array<{ tag: string; extras: string[] }>> {
  const { config, plan } = reads;
  if (config.tag !== undefined) {
    if (!(await reads.exists('', config.tag))) throw new FerryError('NOT_FOUND', `${reads.name('', config.tag)} does not exist (deckhouse.tag)`, { tag: config.tag });
    plan.notes.push(`deckhouse: release channels not consulted, tag ${config.tag} is pinned`);
    return reads.carryVersions([config.tag], REPOS, '', new Map(), true);
  }
  const channels = await reads.channels(RELEASE, 'deckhouse', true);
  if (!channels) throw new FerryError('NOT_FOUND', `${reads.registry}/${reads.root}/${RELEASE}: none of the channels ${config.channels.join(', ')} exists`, { repository: `${reads.root}/${RELEASE}` });
  const channelVersions = [...channels.values()].map((i) => i.version).sort(compareVersions);
  const to = channelVersions.at(-1);
  const from = config.sinceVersion ?? channelVersions[0];
  if (!to || !from) return [];
  if (compareVersions(from, to) > 0) {
    plan.notes.push(`deckhouse: sinceVersion ${formatVersion(from)} is newer than every channel (newest ${formatVersion(to)}); no platform version to carry`);
    return [];
  }
  const tags = await reads.versionTags('');
  const latest = sequentialMinors(tags, from, to, `${reads.registry}/${reads.root}`);
  const versions = withChannelVersions(latest, channelVersions, from, tags).map((v) => formatVersion(v));
  for (const [channel, info] of channels) {
    if (!versions.includes(formatVersion(info.version))) plan.notes.push(`deckhouse: channel ${channel} points at ${formatVersion(info.version)}, which is not carried`);
  }
  const known = new Map([...channels.values()].map((i) => [formatVersion(i.version), i]));
  return reads.carryVersions(versions, REPOS, '', known, true);
}

/** Adds the platform: channels, versions and every component image their installer images list. */
export async function resolvePlatform(reads: DeckhouseReads): Promise<void> {
  const carried = await platformVersions(reads);
  const withInstaller = carried.filter((v) => v.extras.includes(INSTALL)).map((v) => v.tag);
  for (const v of carried) {
    if (!v.extras.includes(INSTALL)) reads.plan.notes.push(`deckhouse: ${v.tag} has no installer image (${reads.name(INSTALL, v.tag)}), so its component images are not carried`);
  }
  const lists = await mapBounded(withInstaller, async (tag) => {
    const list = await platformComponents(reads, tag);
    if (!list) {
      throw new FerryError('NOT_FOUND', `${reads.name(INSTALL, tag)} holds neither deckhouse/candi/images_digests.json nor deckhouse/candi/images_tags.json, so its component images are unknown`, {
        reference: reads.name(INSTALL, tag),
      });
    }
    return list;
  });
  if (lists.length === 0) return;
  const added = await carryComponents(reads, '', lists, 'deckhouse', false);
  const listed = lists.map((l, i) => `${withInstaller[i] ?? ''} ${l.digests.length + l.tags.length}`).join(', ');
  reads.plan.notes.push(`deckhouse: ${added} component image(s) from ${lists.length} installer image(s) (${listed} listed)`);
}
