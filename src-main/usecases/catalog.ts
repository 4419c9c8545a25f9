/**
 * The catalog's use cases for front ends: open the catalog the user named
 * (or the default one) and ask it what it remembers — bundles, their images
 * and blobs, sites, tag history, monthly totals, the audit log check.
 */
import {
  Catalog,
  defaultCatalogPath,
  type AuditCheck,
  type BundleConflict,
  type BundleSummary,
  type CatalogBlob,
  type CatalogImage,
  type MonthTotals,
  type SiteContents,
  type SiteSummary,
  type TagHistoryEntry,
} from '../catalog/index.ts';

/** Default and ceiling of a bundle listing, so one call cannot read the whole catalog into a screen. */
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
  | { kind: 'conflicts' };

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
}

/** The bundles recorded, newest first: all of them up to a clamped limit, or only those holding a reference, repository or digest. */
export function listBundles(catalog: Catalog, query: { limit?: number; contains?: string }): BundleSummary[] {
  // The search finds ids; it answers the same full rows as the listing, so a front end shows every column for a search too.
  if (query.contains !== undefined) return catalog.bundlesContaining(query.contains).flatMap((found) => catalog.bundle(found.id) ?? []);
  const limit = query.limit !== undefined && Number.isInteger(query.limit) && query.limit > 0 ? Math.min(query.limit, BUNDLES_MAX_LIMIT) : BUNDLES_DEFAULT_LIMIT;
  return catalog.bundles(limit);
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
  }
}

// Front ends hold the catalog they opened without reaching below the use-case layer.
export type { Catalog };
