/**
 * Reading a bundle's own JSON documents — ferry.json and index.json — through
 * the strict reader and their schemas. A broken one is BUNDLE_INVALID with
 * details `{ file, path }`; every reader of a bundle (verify, import, the
 * catalog's records, the bundle finder) goes through here.
 */
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
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

/** The bundle's ferry.json, checked; a folder without one is not a finished bundle (BUNDLE_INVALID). */
export async function readBundleManifest(bundleDir: string): Promise<BundleManifest> {
  const manifest = await readBundleManifestIfPresent(bundleDir);
  if (manifest === undefined) {
    const file = join(bundleDir, BUNDLE_FILES.manifest);
    throw new FerryError('BUNDLE_INVALID', `${bundleDir} has no ${BUNDLE_FILES.manifest}: it is not a finished bundle (an export may have stopped early; run it again to finish)`, { file, path: '$' });
  }
  return manifest;
}

/** The entries of an index.json (a bundle's or a plain layout's), checked; `file` is what errors name. */
export function parseLayoutIndex(text: string | Uint8Array, file: string): IndexEntry[] {
  return parseJsonDocument(text, LAYOUT_INDEX_DOCUMENT, file).manifests;
}
