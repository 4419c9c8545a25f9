/**
 * What the wizards ask the engine beyond an export or an import (issue 17):
 * the export's folder check, a site's receipts and holdings, the import's
 * pull-secret merge and the last import's target. Kept beside contract.ts,
 * which re-exports them, so the contract file stays one screen of methods.
 */

import type { BundleSkipped } from '../model/bundle.ts';

/**
 * How the export wizard runs a plan that has references it cannot carry: "Continue without these" runs it
 * with `keepGoing`, so those references (and any whose download fails) are skipped and listed in ferry.json.
 */
export interface ExportRunOptions {
  keepGoing?: boolean;
}

/** What a keep-going export left out, for the Done page: "Carried N of M; skipped: …". */
export interface ExportSkippedResult {
  /** References (images and local artifacts, not the signatures that travel with them) the bundle carries. */
  carried: number;
  /** Each reference left out, with its reason; empty when nothing was skipped. */
  skipped: BundleSkipped[];
}

/** The export wizard's check of the folder it will write to, before any job starts. */
export interface ExportTargetCheck {
  /** True when the folder (or its nearest existing parent) is a folder this process can write. */
  writable: boolean;
  /** Why it cannot be used, in plain words naming the folder. */
  problem?: string;
  /** Free bytes on the drive that holds it, when the system says. */
  freeBytes?: number;
}

/** A receipt carried back from a site, now in the catalog (`receipt:add`, like `ferry receipt add`). */
export interface ReceiptAddedResult {
  site: string;
  registry: string;
  bundleId: string | null;
  /** Digests the catalog now knows the site holds from this receipt. */
  digests: number;
}

/** What the catalog knows a site holds, for the export wizard's incremental choice. */
export interface SiteOverview {
  name: string;
  /** False when no receipt names this site yet (an incremental export for it is refused). */
  known: boolean;
  receipts: number;
  /** When the newest receipt's import happened (ISO), or null. */
  lastImport: string | null;
  images: number;
  blobs: number;
  bytes: number;
}

/**
 * The import wizard's pull-secret merge (`ferry import --pull-secret`, in the
 * app): the cluster's pull secret `file` gets the mirror's login and is saved
 * as `saveAs`, the original left as it was. The password only travels in.
 */
export interface PullSecretMergeInput {
  file: string;
  saveAs: string;
  /** The import target (`REGISTRY[/PREFIX]`); the login is keyed by its registry host, as the CLI keys it. */
  target: string;
  username: string;
  password: string;
}

/** Where the last import went, so the wizard starts there next time (issue 17); never a login. */
export interface LastImportTarget {
  target: string;
  site?: string;
  plainHttp: boolean;
  tlsVerify: boolean;
  caCertFile?: string;
  authFile?: string;
}
