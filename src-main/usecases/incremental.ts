/**
 * The base of an incremental export: what the site already holds and the
 * bundle it last imported, from its receipts in the catalog or from a receipt
 * file. Used by the export use case for every front end.
 */
import { FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import { readReceipt } from '../bundle/receipt.ts';
import type { Catalog } from '../catalog/index.ts';

/** What an incremental export builds on: the parent bundle and every digest the site holds. */
export interface IncrementalBase {
  parent: { bundleId: string; sequence: number };
  siteHas: Set<string>;
}

/** The base from a receipt file (it wins) or from the site's receipts in the catalog; undefined when neither is named. */
export async function incrementalBase(catalog: Catalog, site: string | undefined, receiptFile: string | undefined): Promise<IncrementalBase | undefined> {
  if (receiptFile !== undefined) {
    const receipt = await readReceipt(receiptFile);
    if (!receipt.bundleId) throw new FerryError('INVALID_CONTENT', `${receiptFile} names no bundle, so an incremental bundle would have no parent`, { file: receiptFile });
    const known = catalog.bundle(receipt.bundleId);
    return { parent: { bundleId: receipt.bundleId, sequence: known?.sequence ?? 0 }, siteHas: new Set(receipt.digests) };
  }
  if (site === undefined) return undefined;
  const parent = catalog.latestBundleForSite(site);
  if (!parent) {
    throw new FerryError('NOT_FOUND', `site ${site} has no receipt in the catalog (${catalog.path}); load the receipt the site sent back first`, {
      site,
      hint: { kind: 'site-receipt', site } satisfies ErrorHint,
    });
  }
  return { parent, siteHas: catalog.siteDigests(site) };
}
