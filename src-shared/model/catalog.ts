/**
 * The catalog rows that cross to front ends (`catalog:bundles`,
 * `catalog:totals`, `catalog:bundle`, `catalog:sites`, `catalog:receipts`,
 * `catalog:audit`): plain, JSON-ready data, declared here once so the
 * catalog returns them and the UI reads them with the same type.
 */

/** Which side wrote the record: the connected side exports, the disconnected side imports. */
export type BundleDirection = 'export' | 'import';

/** One bundle as `ferry catalog bundles` and the catalog screen list it, with its sizes. */
export interface BundleSummary {
  id: string;
  form: 'directory' | 'archive';
  path: string;
  created: string;
  sequence: number;
  parent: string | null;
  /** Sum of the sizes of the bundle's unique blobs. */
  bytes: number;
  blobs: number;
  images: number;
  direction: BundleDirection;
  site: string | null;
}

/** Bundle totals for one calendar month (UTC), for the dashboard and reports. */
export interface MonthTotals {
  /** `YYYY-MM`. */
  month: string;
  bundles: number;
  bytes: number;
  exports: number;
  imports: number;
}

/** One image of a bundle, as `ferry catalog images BUNDLE` lists it. */
export interface CatalogImage {
  /** The image's name inside the bundle (index.json ref.name). */
  name: string;
  reference: string;
  repository: string;
  tag: string | null;
  digest: string;
  mediaType: string;
  platforms: string[];
  size: number;
}

/** A site as `ferry catalog sites` lists it. */
export interface SiteSummary {
  name: string;
  registries: string[];
  receipts: number;
  /** `importedAt` of the newest receipt, or null before the first. */
  lastImport: string | null;
}

/** One row of the audit log, as `ferry catalog audit` prints it. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** The verdict of `checkAudit`; `brokenAt` is the 1-based row number of the first bad row. */
export interface AuditCheck {
  ok: boolean;
  rows: number;
  brokenAt?: number;
  reason?: string;
}

/** One time a bundle was recorded on this machine: exported, or imported (for a site). An export and an import of one bundle are two events. */
export interface BundleEvent {
  direction: BundleDirection;
  path: string;
  site: string | null;
  recordedAt: string;
}

/** A receipt carried back from a site, as the catalog's receipts list shows it. */
export interface ReceiptSummary {
  id: number;
  site: string;
  registry: string;
  /** The bundle the import carried, or null for a receipt of a plain OCI layout. */
  bundleId: string | null;
  importedAt: string;
  addedAt: string;
  images: number;
  digests: number;
}

/** One site with what its receipts say it holds: the catalog's per-site view. */
export interface SiteHoldings extends SiteSummary {
  /** Distinct images (source and digest) its receipts name. */
  images: number;
  /** Distinct blob and manifest digests, and the bytes of those the catalog knows a size for. */
  digests: number;
  bytes: number;
  unsized: number;
}

/** A bundle opened from the catalog: the bundle, its export/import events, its images and the receipts that name it. */
export interface BundleDetail {
  bundle: BundleSummary;
  events: BundleEvent[];
  images: CatalogImage[];
  receipts: ReceiptSummary[];
}
