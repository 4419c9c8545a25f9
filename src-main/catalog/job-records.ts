/**
 * How a finished export or import is written into the catalog — the bundle,
 * the site and its receipt, and an audit entry — shared by the CLI and the
 * app so both leave the same record.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { ImportReceipt } from '../bundle/receipt.ts';
import type { ImportSummary } from '../transfer/import.ts';
import type { Catalog } from './catalog.ts';

/** Records a finished export: its bundle (read back from its ferry.json) and an audit entry. */
export function recordExport(catalog: Catalog, bundle: string, site: string | undefined): void {
  const manifest = JSON.parse(readFileSync(join(bundle, 'ferry.json'), 'utf8')) as BundleManifest;
  catalog.recordBundle(manifest, { path: bundle, direction: 'export', ...(site ? { site } : {}) });
  catalog.audit('export', manifest.bundleId, { path: bundle, images: manifest.images.length, blobs: manifest.blobs.length, parent: manifest.parent, site: site ?? null });
}

/** Records a finished import: the bundle when it is a Ferry bundle, the site and its receipt when named, and an audit entry. */
export function recordImport(catalog: Catalog, summary: ImportSummary, receipt: ImportReceipt | undefined, site: string | undefined): void {
  let manifestText: string | undefined;
  try {
    manifestText = readFileSync(join(summary.bundle, 'ferry.json'), 'utf8');
  } catch {
    manifestText = undefined; // a plain OCI layout has no ferry.json
  }
  if (manifestText !== undefined) catalog.recordBundle(JSON.parse(manifestText) as BundleManifest, { path: summary.bundle, direction: 'import', ...(site ? { site } : {}) });
  if (site && receipt) {
    catalog.ensureSite(site, [summary.target]);
    catalog.addReceipt(receipt, site);
  }
  catalog.audit('import', summary.bundleId ?? summary.bundle, { target: summary.target, images: summary.images.length, pushed: summary.blobs.copied, site: site ?? null });
}
