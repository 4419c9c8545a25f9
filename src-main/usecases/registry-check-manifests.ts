/**
 * The manifest half of `ferry registry check`: the rows for each manifest kind
 * the probe pushed, and the clean-up that deletes every probe manifest and
 * blob by digest again, recording what could not be deleted as a leftover.
 */
import type { RegistryCheckReport } from '../../src-shared/model/registry-check.ts';
import type { RegistryClient } from '../oci/registry/client.ts';
import { deleteByDigest, isAccessRefusal, isUnsupported, refusalWords, type ProbeRefusal } from '../oci/registry/probe-access.ts';
import type { KindAnswer, ManifestFinding, ProbeContent, ProbeTrail } from '../oci/registry/probe-manifests.ts';
import type { RowDetails } from './registry-check-rows.ts';

type Draft = Omit<RegistryCheckReport, 'rows'>;

function accepted(answer: KindAnswer): boolean | null {
  return answer.state === 'stored' ? true : answer.state === 'refused' ? false : null;
}

function words(answer: KindAnswer, repository: string): string {
  if (answer.state === 'stored') return `stored by digest in ${repository}`;
  if (answer.state === 'skipped') return answer.why;
  return `refused: ${answer.refusal.message}`;
}

/** Fills the four acceptance fields and their rows from what the manifest probe found. */
export function manifestRows(draft: Draft, details: RowDetails, found: ManifestFinding, repository: string): void {
  draft.accepts = { ociIndex: accepted(found.index), dockerManifestList: accepted(found.dockerList), artifactType: accepted(found.artifact), subject: accepted(found.referrer) };
  details['oci-index'] = { detail: words(found.index, repository) };
  details['docker-manifest-list'] = { detail: words(found.dockerList, repository) };
  details['artifact-type'] = { detail: words(found.artifact, repository) };
  details.subject = { detail: words(found.referrer, repository) };
}

/** Names a probe manifest for the leftovers list. */
function manifestWords(item: ProbeContent): string {
  return `an untagged probe manifest (${item.mediaType})`;
}

/**
 * Deletes the probe manifests (referrers and lists first), then the probe blobs, by digest. The first
 * answer decides `deletes`: accepted, or refused as unsupported (405, `UNSUPPORTED`). Anything that stays
 * is listed in `leftovers`, with where it is.
 */
export async function cleanUpProbes(client: RegistryClient, draft: Draft, details: RowDetails, repository: string, trail: ProbeTrail, signal?: AbortSignal): Promise<void> {
  let first: { ok: true } | { ok: false; refusal: ProbeRefusal } | undefined;
  let deleted = 0;
  const remove = async (kind: 'manifests' | 'blobs', item: ProbeContent, leftover: string): Promise<void> => {
    const answer = await deleteByDigest(client, repository, kind, item.digest, signal);
    first ??= answer.ok ? { ok: true } : { ok: false, refusal: answer.refusal };
    if (answer.ok) deleted += 1;
    else draft.leftovers.push(`${draft.registry}/${repository}@${item.digest}: ${leftover} (${refusalWords(answer.refusal)})`);
  };
  for (const item of trail.manifests) await remove('manifests', item, manifestWords(item));
  for (const item of trail.blobs) await remove('blobs', item, 'a probe blob no manifest references');
  const total = trail.manifests.length + trail.blobs.length;
  if (first === undefined) return;
  if (first.ok) {
    draft.deletes = true;
    details.deletes = { detail: `deleted ${deleted} of ${total} probe manifests and blobs by digest` };
  } else {
    draft.deletes = isUnsupported(first.refusal) ? false : null;
    const who = isAccessRefusal(first.refusal) ? 'this login may not delete: ' : '';
    details.deletes = { detail: `${who}a DELETE by digest answered ${refusalWords(first.refusal)}; the probes stay, untagged (see leftovers)` };
  }
}
