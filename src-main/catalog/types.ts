/**
 * The shapes the catalog hands out: plain, JSON-ready rows the CLI prints
 * with `--json` and the UI receives over IPC unchanged.
 */
import type { BundleDirection } from '../../src-shared/model/catalog.ts';

// The rows front ends receive (catalog:bundles, catalog:totals) are the contract's, declared once in src-shared.
export type {
  AuditCheck,
  AuditEntry,
  BundleDetail,
  BundleDirection,
  BundleEvent,
  BundleSummary,
  CatalogImage,
  MonthTotals,
  ReceiptSummary,
  SiteHoldings,
  SiteSummary,
} from '../../src-shared/model/catalog.ts';

/** How `recordBundle` places a bundle: where it lives, which way it went, for which site. */
export interface RecordBundleOptions {
  path: string;
  direction: BundleDirection;
  site?: string;
  /** sha256 of the exact ferry.json bytes: with the bundle id, what identifies a bundle (another digest under a known id is a conflict). */
  manifestDigest: string;
}

/** Where a bundle whose identity is checked was seen, for the conflict record. */
export type BundleSighting = Pick<RecordBundleOptions, 'path' | 'direction' | 'manifestDigest'>;

/** A bundle refused because its id was known with another ferry.json, as `ferry catalog conflicts` lists it. */
export interface BundleConflict {
  bundleId: string;
  /** The ferry.json digest the catalog recorded first for this id. */
  knownDigest: string;
  /** The ferry.json digest of the bundle that was refused. */
  manifestDigest: string;
  path: string;
  direction: BundleDirection;
  seenAt: string;
}

/** One blob (config, layer or manifest) by digest and size. */
export interface CatalogBlob {
  digest: string;
  size: number;
}

/** A bundle that holds a given reference or digest, for "where is this image?". */
export interface BundleRef {
  id: string;
  created: string;
}

/** What a site's registry holds according to its receipts. */
export interface SiteContents {
  images: Array<{ reference: string; digest: string; destination: string }>;
  /** Distinct blob and manifest digests. */
  blobs: number;
  /** Bytes of the digests whose size the catalog knows (see `unsized`). */
  bytes: number;
  /** Digests no recorded bundle gave a size for, so `bytes` leaves them out. */
  unsized: number;
}

/** One step of a repository's tag history: which digest a tag had in which bundle. */
export interface TagHistoryEntry {
  /** Null for an image pinned by digest only. */
  tag: string | null;
  digest: string;
  bundleId: string;
  created: string;
}

/** The kinds of job that keep a journal. */
export type JobKind = 'export' | 'import';

/** How a job ended; 'running' until `finishJob`. */
export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A journal entry's state: done items are skipped on resume, failed ones retried. */
export type JobItemState = 'done' | 'failed';

/** A job as listed by `jobs()`, with its journal's counts. */
export interface JobSummary {
  id: number;
  kind: JobKind;
  key: string;
  /** The job's parameters with every secret-looking key dropped. */
  params: Record<string, unknown>;
  status: JobStatus;
  started: string;
  updated: string;
  finished: string | null;
  /** How many times the job was resumed after an interruption. */
  resumes: number;
  bundleId: string | null;
  done: number;
  failed: number;
  /** Bytes of the done items that reported a size. */
  bytes: number;
}

/** The audit chain's head, to keep outside the catalog: it exposes a rewritten or truncated log. */
export interface AuditAnchor {
  rows: number;
  hash: string;
}
