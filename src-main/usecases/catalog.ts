/**
 * The catalog's use cases for front ends: open the catalog the user named
 * (or the default one) and ask it what it remembers — bundles, their images
 * and blobs, sites, tag history, monthly totals, the audit log check.
 */
import {
  Catalog,
  defaultCatalogPath,
  type AuditCheck,
  type AuditEntry,
  type BundleConflict,
  type BundleDetail,
  type BundleSummary,
  type CatalogBlob,
  type CatalogImage,
  type MonthTotals,
  type ReceiptSummary,
  type SiteContents,
  type SiteHoldings,
  type SiteSummary,
  type TagHistoryEntry,
} from '../catalog/index.ts';

/** Default and ceiling of a listing (bundles, receipts, audit rows), so one call cannot read the whole catalog into a screen. */
const BUNDLES_DEFAULT_LIMIT = 50;
const BUNDLES_MAX_LIMIT = 1_000;

/** Opens the catalog at `path`, else at FERRY_CATALOG or the per-OS default. */
export function openCatalog(path?: string): Catalog {
  return Catalog.open(path ?? defaultCatalogPath());
}

/** Where the catalog lives when none is named (FERRY_CATALOG, else the per-OS data folder). */
export { defaultCatalogPath };

/** Every question a front end may ask the catalog. */
export type CatalogQuery =
  | { kind: 'bundles'; limit?: number; contains?: string }
  | { kind: 'images'; bundleId: string }
  | { kind: 'blobs'; bundleId: string }
  | { kind: 'sites' }
  | { kind: 'site'; name: string }
  | { kind: 'history'; repository: string }
  | { kind: 'totals' }
  | { kind: 'audit' }
  | { kind: 'conflicts' }
  | { kind: 'bundle'; bundleId: string }
  | { kind: 'siteOverviews' }
  | { kind: 'receipts'; limit?: number }
  | { kind: 'auditLog'; limit?: number };

/** The typed answer of each query. */
export interface CatalogAnswers {
  bundles: BundleSummary[];
  images: CatalogImage[];
  blobs: CatalogBlob[];
  sites: SiteSummary[];
  site: SiteContents;
  history: TagHistoryEntry[];
  totals: MonthTotals[];
  audit: AuditCheck;
  conflicts: BundleConflict[];
  bundle: BundleDetail;
  siteOverviews: SiteHoldings[];
  receipts: ReceiptSummary[];
  auditLog: { entries: AuditEntry[]; check: AuditCheck };
}

/** The bundles recorded, newest first, one row per export and per import: all of them up to a clamped limit, or only those a search finds (a reference, repository, digest or digest prefix, an image's name). */
export function listBundles(catalog: Catalog, query: { limit?: number; contains?: string }): BundleSummary[] {
  // The search finds ids; it answers the same full rows as the listing, so a front end shows every column for a search too.
  // A bundle exported and imported here answers both rows; the search also takes what the app shows (a digest's first
  // characters, an id prefix, an image's short name).
  if (query.contains !== undefined) return catalog.bundleRows(catalog.searchBundleIds(query.contains));
  return catalog.bundles(clampLimit(query.limit));
}

/** A listing's limit from a front end: a positive integer up to the ceiling, else the default. */
function clampLimit(limit: number | undefined): number {
  return limit !== undefined && Number.isInteger(limit) && limit > 0 ? Math.min(limit, BUNDLES_MAX_LIMIT) : BUNDLES_DEFAULT_LIMIT;
}

/** Answers one catalog question. */
export function queryCatalog<K extends CatalogQuery['kind']>(catalog: Catalog, query: Extract<CatalogQuery, { kind: K }>): CatalogAnswers[K];
export function queryCatalog(catalog: Catalog, query: CatalogQuery): CatalogAnswers[CatalogQuery['kind']] {
  switch (query.kind) {
    case 'bundles':
      return listBundles(catalog, query);
    case 'images':
      return catalog.bundleImages(query.bundleId);
    case 'blobs':
      return catalog.bundleBlobs(query.bundleId);
    case 'sites':
      return catalog.sites();
    case 'site':
      return catalog.siteContents(query.name);
    case 'history':
      return catalog.tagHistory(query.repository);
    case 'totals':
      return catalog.totalsPerMonth();
    case 'audit':
      return catalog.checkAudit();
    case 'conflicts':
      return catalog.bundleConflicts();
    case 'bundle':
      return catalog.bundleDetail(query.bundleId);
    case 'siteOverviews':
      return catalog.siteOverviews();
    case 'receipts':
      return catalog.receipts(clampLimit(query.limit));
    case 'auditLog':
      return { entries: catalog.auditLog(clampLimit(query.limit)), check: catalog.checkAudit() };
  }
}

// Front ends hold the catalog they opened without reaching below the use-case layer.
export type { Catalog };
