/**
 * The receipt use case: a receipt carried back from a disconnected site goes
 * into the catalog, so the next export for that site leaves out what it
 * already has.
 */
import type { SiteOverview } from '../../src-shared/api/contract.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { readReceipt } from '../bundle/receipt.ts';
import type { Catalog } from '../catalog/index.ts';

/** What adding a receipt answers. */
export interface ReceiptAdded {
  site: string;
  bundleId: string | null;
  registry: string;
  /** The receipt's row in the catalog. */
  receiptId: number;
  /** Digests the catalog now knows the site holds from this receipt. */
  digests: number;
}

/** Records the receipt in `file` for `site` (or the site named inside it), with an audit entry. */
export async function addReceipt(catalog: Catalog, file: string, site: string | undefined): Promise<ReceiptAdded> {
  const receipt = await readReceipt(file);
  const name = site ?? receipt.site ?? undefined;
  if (!name) throw new FerryError('INVALID_ARGUMENT', `${file} names no site: say which site it comes from`, { argument: 'site', file });
  catalog.ensureSite(name, [receipt.registry]);
  const added = catalog.addReceipt(receipt, name);
  catalog.audit('receipt.add', name, { bundleId: receipt.bundleId, registry: receipt.registry, digests: added.digests });
  return { site: name, bundleId: receipt.bundleId, registry: receipt.registry, receiptId: added.receiptId, digests: added.digests };
}

/** What the catalog knows `site` holds, from its receipts: the export wizard shows it beside "Incremental for site". */
export function siteOverview(catalog: Catalog, site: string): SiteOverview {
  const name = site.trim();
  const summary = catalog.sites().find((s) => s.name === name);
  if (!summary || summary.receipts === 0) return { name, known: false, receipts: 0, lastImport: null, images: 0, blobs: 0, bytes: 0 };
  const contents = catalog.siteContents(name);
  return { name, known: true, receipts: summary.receipts, lastImport: summary.lastImport, images: contents.images.length, blobs: contents.blobs, bytes: contents.bytes };
}
