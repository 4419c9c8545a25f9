/**
 * Reading a bundle's own JSON documents — ferry.json and index.json — through
 * the strict reader and their schemas. A broken one is BUNDLE_INVALID with
 * details `{ file, path }`. Verification parses index.json here; import,
 * inspect and the catalog use what verification parsed (bundle-view.ts); the
 * bundle finder and an export into an existing folder read ferry.json here.
 */
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { BUNDLE_MANIFEST_DOCUMENT } from '../../src-shared/schemas/bundle-manifest.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { LAYOUT_INDEX_DOCUMENT } from '../../src-shared/schemas/oci.ts';
import type { IndexEntry } from './layout.ts';
import { readMediaJson } from '../base/json-file.ts';

/** The bundle's ferry.json, checked; undefined when the folder has none (a plain OCI layout, or an unfinished export). */
export async function readBundleManifestIfPresent(bundleDir: string): Promise<BundleManifest | undefined> {
  return readMediaJson(bundleDir, BUNDLE_FILES.manifest, BUNDLE_MANIFEST_DOCUMENT);
}

/** The entries of an index.json (a bundle's or a plain layout's), checked; `file` is what errors name. */
export function parseLayoutIndex(text: string | Uint8Array, file: string): IndexEntry[] {
  return parseJsonDocument(text, LAYOUT_INDEX_DOCUMENT, file).manifests;
}
