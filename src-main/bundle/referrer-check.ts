/**
 * The referrer part of a bundle's graph check (issue 14): every image ferry.json
 * marks as a referrer is tied to an image the bundle carries, and a referrer
 * whose manifest names a `subject` names that very image. Import places a
 * referrer by its subject, so a referrer pointing nowhere (or at another image
 * than its manifest says) is a broken bundle, refused before any write. A
 * referrer lands under its own tag, so that tag must be the one export keeps
 * for its kind (`sha256-<subject hex>.sig|.att|.sbom`) or none: any other
 * would let a "signature" replace a real image's tag on the mirror.
 */
import type { BundleImage, BundleManifest } from '../../src-shared/model/bundle.ts';
import { parseReference } from '../oci/reference.ts';
import { referrerTagFor } from '../oci/referrer-kind.ts';
import type { CollectedManifest } from './bundle-graph.ts';

/** Problems with one referrer's tags (ferry.json `tag` and its source reference's tag), naming the entry. */
function tagProblems(image: BundleImage, referrer: NonNullable<BundleImage['referrer']>): string[] {
  const allowed = referrerTagFor(referrer.subject, referrer.kind);
  const rule = allowed === undefined ? `a referrer of kind ${referrer.kind} travels by digest only` : `a ${referrer.kind} of ${referrer.subject} may carry only the tag ${allowed}, or none`;
  let sourceTag: string | undefined;
  try {
    sourceTag = parseReference(image.source).tag;
  } catch (error) {
    return [`referrer ${image.name}: its source "${image.source}" is no reference Ferry can read (${error instanceof Error ? error.message : String(error)})`];
  }
  // ferry.json's `tag` and the source reference's tag: each one that is not the allowed tag, once.
  const foreign = new Set([sourceTag, image.tag].filter((tag): tag is string => tag !== undefined && tag !== allowed));
  return [...foreign].map((tag) => `referrer ${image.name} is tagged "${tag}", but ${rule} (any other tag would move an image's tag on import)`);
}

/** Problems with ferry.json's referrers, each naming the referrer; `reached` is the graph walk's manifests by digest. */
export function checkReferrers(manifest: BundleManifest, reached: ReadonlyMap<string, CollectedManifest>): string[] {
  const subjects = new Set(manifest.images.filter((image) => image.referrer === undefined).map((image) => image.digest));
  const problems: string[] = [];
  for (const image of manifest.images) {
    if (image.referrer === undefined) continue;
    const { subject } = image.referrer;
    if (!subjects.has(subject)) problems.push(`referrer ${image.name} belongs to ${subject}, which is not an image this bundle carries`);
    const named = reached.get(image.digest)?.subject?.digest;
    if (named !== undefined && named !== subject) problems.push(`referrer ${image.name}: its manifest is attached to ${named}, but ferry.json ties it to ${subject}`);
    problems.push(...tagProblems(image, image.referrer));
  }
  return problems;
}
