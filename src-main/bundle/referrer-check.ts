/**
 * The referrer part of a bundle's graph check (issue 14): every image ferry.json
 * marks as a referrer is tied to an image the bundle carries, and a referrer
 * whose manifest names a `subject` names that very image. Import places a
 * referrer by its subject, so a referrer pointing nowhere (or at another image
 * than its manifest says) is a broken bundle, refused before any write.
 */
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { CollectedManifest } from './bundle-graph.ts';

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
  }
  return problems;
}
