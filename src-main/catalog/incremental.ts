/**
 * The base of an incremental export: what the site already holds and the
 * bundle it last imported, from its receipts in the catalog or from a receipt
 * file. Shared by the CLI's and the app's incremental exports.
 */
import { FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import { readReceipt } from '../bundle/receipt.ts';
import type { Catalog } from './catalog.ts';

/** The base of an incremental export: from the site's receipts in the catalog, or from a receipt file (the app's export uses it too). */
export async function incrementalBase(catalog: Catalog, site: string | undefined, receiptFile: unknown): Promise<{ parent: { bundleId: string; sequence: number }; siteHas: Set<string> } | undefined> {
  if (typeof receiptFile === 'string') {
    const receipt = await readReceipt(receiptFile);
    if (!receipt.bundleId) throw new FerryError('INVALID_CONTENT', `receipt ${receiptFile} names no bundle, so an incremental bundle would have no parent`, { file: receiptFile, field: 'bundleId' });
    const known = catalog.bundle(receipt.bundleId);
    return { parent: { bundleId: receipt.bundleId, sequence: known?.sequence ?? 0 }, siteHas: new Set(receipt.digests) };
  }
  if (site === undefined) return undefined;
  const parent = catalog.latestBundleForSite(site);
  if (!parent) throw new FerryError('NOT_FOUND', `site ${site} has no receipt in the catalog (${catalog.path}), so nothing says what it already holds; add a receipt from the site first`, { site, hint: { kind: 'site-receipt', site } satisfies ErrorHint });
  return { parent, siteHas: catalog.siteDigests(site) };
}
