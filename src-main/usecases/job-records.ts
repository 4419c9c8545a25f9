/**
 * How a finished export or import is written into the catalog — the bundle,
 * the site and its receipt, and an audit entry — so every front end leaves
 * the same record.
 */
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { ImportReceipt } from '../bundle/receipt.ts';
import type { Catalog } from '../catalog/index.ts';
import type { ImportSummary } from '../transfer/import-start.ts';

/** A bundle as the catalog identifies it: its ferry.json, parsed, and the sha256 of its exact bytes (from the verified view, or as the export wrote them). */
export interface IdentifiedBundle {
  manifest: BundleManifest;
  manifestDigest: string;
}

/** Records a finished export: its bundle (from the ferry.json the export wrote) and an audit entry. */
export function recordExport(catalog: Catalog, bundle: string, { manifest, manifestDigest }: IdentifiedBundle, site: string | undefined): void {
  catalog.recordBundle(manifest, { path: bundle, direction: 'export', manifestDigest, ...(site ? { site } : {}) });
  // A partial (keep-going) export says so in its audit entry, naming what it left out: the bundle row holds only what it carries.
  const partial = manifest.skipped?.length ? { status: 'partial', skipped: manifest.skipped.map((s) => `${s.reference}: ${s.reason}`) } : {};
  catalog.audit('export', manifest.bundleId, { path: bundle, images: manifest.images.length, blobs: manifest.blobs.length, parent: manifest.parent, site: site ?? null, ...partial });
}

/** Records a finished import: the bundle (from the ferry.json verification read) when it is a Ferry bundle, the site and its receipt when named, and an audit entry. */
export function recordImport(catalog: Catalog, summary: ImportSummary, bundle: IdentifiedBundle | undefined, receipt: ImportReceipt, site: string | undefined): void {
  if (bundle !== undefined) catalog.recordBundle(bundle.manifest, { path: summary.bundle, direction: 'import', manifestDigest: bundle.manifestDigest, ...(site ? { site } : {}) });
  if (site) {
    catalog.ensureSite(site, [summary.target]);
    catalog.addReceipt(receipt, site);
  }
  catalog.audit('import', summary.bundleId ?? summary.bundle, { target: summary.target, images: summary.images.length, pushed: summary.blobs.copied, site: site ?? null });
}
