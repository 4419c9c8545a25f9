/**
 * How a finished export or import is written into the catalog — the bundle,
 * the site and its receipt, and an audit entry — so every front end leaves
 * the same record.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { BUNDLE_MANIFEST_DOCUMENT, FERRY_JSON_LIMIT } from '../../src-shared/schemas/bundle-manifest.ts';
import { parseJsonDocument } from '../../src-shared/schemas/document.ts';
import { readBundleFile } from '../base/safe-file.ts';
import type { ImportReceipt } from '../bundle/receipt.ts';
import type { Catalog } from '../catalog/index.ts';
import type { ImportSummary } from '../transfer/import.ts';

/** A bundle as the catalog identifies it: its ferry.json, parsed, and the sha256 of its exact bytes. */
export interface IdentifiedBundle {
  manifest: BundleManifest;
  manifestDigest: string;
}

/** Reads a finished bundle's ferry.json once: the parsed manifest and the digest of the very bytes parsed. */
export async function identifyBundle(dir: string): Promise<IdentifiedBundle> {
  const file = join(dir, BUNDLE_FILES.manifest);
  // The bundle is on media: opened safely (no symlink, FIFO or device) and capped like every read of ferry.json.
  const bytes = await readBundleFile(dir, BUNDLE_FILES.manifest, { limit: FERRY_JSON_LIMIT, what: BUNDLE_FILES.manifest });
  return { manifest: parseJsonDocument(bytes, BUNDLE_MANIFEST_DOCUMENT, file), manifestDigest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/** Records a finished export: its bundle (from the ferry.json the export wrote) and an audit entry. */
export function recordExport(catalog: Catalog, bundle: string, { manifest, manifestDigest }: IdentifiedBundle, site: string | undefined): void {
  catalog.recordBundle(manifest, { path: bundle, direction: 'export', manifestDigest, ...(site ? { site } : {}) });
  catalog.audit('export', manifest.bundleId, { path: bundle, images: manifest.images.length, blobs: manifest.blobs.length, parent: manifest.parent, site: site ?? null });
}

/** Records a finished import: the bundle when it is a Ferry bundle, the site and its receipt when named, and an audit entry. */
export function recordImport(catalog: Catalog, summary: ImportSummary, bundle: IdentifiedBundle | undefined, receipt: ImportReceipt, site: string | undefined): void {
  if (bundle !== undefined) catalog.recordBundle(bundle.manifest, { path: summary.bundle, direction: 'import', manifestDigest: bundle.manifestDigest, ...(site ? { site } : {}) });
  if (site) {
    catalog.ensureSite(site, [summary.target]);
    catalog.addReceipt(receipt, site);
  }
  catalog.audit('import', summary.bundleId ?? summary.bundle, { target: summary.target, images: summary.images.length, pushed: summary.blobs.copied, site: site ?? null });
}
