/**
 * The catalog rows that cross to front ends (`catalog:bundles`,
 * `catalog:totals`): plain, JSON-ready data, declared here once so the
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
