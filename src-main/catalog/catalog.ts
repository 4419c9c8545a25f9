/**
 * The catalog: Ferry's memory of every bundle, site, receipt, job and audit
 * event, in one SQLite file in the user's data folder. It is what makes
 * incremental bundles (leave out what a site has), resumable jobs and the
 * audit trail possible. The CLI, the app and export/import all go through
 * this class; it never stores a credential.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { defaultCatalogPath } from '../base/data-folder.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { ImportReceipt } from '../bundle/receipt.ts';
import type {
  AuditAnchor,
  AuditCheck,
  AuditEntry,
  BundleConflict,
  BundleDetail,
  BundleEvent,
  BundleRef,
  BundleSighting,
  BundleSummary,
  CatalogBlob,
  CatalogImage,
  JobItemState,
  JobKind,
  JobStatus,
  JobSummary,
  MonthTotals,
  ReceiptSummary,
  RecordBundleOptions,
  SiteContents,
  SiteHoldings,
  SiteSummary,
  TagHistoryEntry,
} from './types.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { appendAudit, auditHead, auditLog, checkAudit, latestAudit } from './audit.ts';
import { bundleConflicts, checkBundleIdentity } from './identity.ts';
import * as journal from './jobs.ts';
import { migrate } from './migrations.ts';
import * as read from './queries.ts';
import * as write from './records.ts';
import * as view from './views.ts';
import { guarded, Sql } from './sql.ts';

/** How long a writer waits for another process's lock before failing: long enough for a 10,000-blob record. */
const BUSY_TIMEOUT_MS = 5000;
/** Rows a listing returns unless asked otherwise: a screenful. */
const DEFAULT_LIMIT = 50;

/** Where the catalog lives; defined in base so that the bundle layer (receipts) can find the data folder without importing the catalog. */
export { defaultCatalogPath };

/** One open catalog file. Synchronous by design: better-sqlite3 calls take microseconds, and a transaction never spans an await. */
export class Catalog {
  /** The catalog file this instance has open. */
  readonly path: string;
  readonly #sql: Sql;

  private constructor(path: string, sql: Sql) {
    this.path = path;
    this.#sql = sql;
  }

  /**
   * Opens (creating folders and file as needed) and migrates the catalog.
   * WAL lets the app read while a CLI export writes; synchronous=NORMAL in
   * WAL never corrupts the file and may lose only the last commits on power
   * loss, which the journal tolerates (an item redone is harmless) and which
   * keeps a per-blob journal write from costing an fsync.
   * https://www.sqlite.org/wal.html https://www.sqlite.org/pragma.html#pragma_synchronous
   */
  static open(path: string = defaultCatalogPath()): Catalog {
    return guarded('open', path, () => {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
      try {
        db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        migrate(db);
        return new Catalog(path, new Sql(db));
      } catch (error) {
        db.close();
        throw error;
      }
    });
  }

  /** Closes the file; the instance is unusable afterwards. */
  close(): void {
    if (this.#sql.db.open) this.#sql.db.close();
  }

  #do<T>(what: string, fn: (sql: Sql) => T): T {
    if (!this.#sql.db.open) throw new FerryError('IO_ERROR', `catalog ${this.path}: ${what} failed: the catalog is closed`, { path: this.path });
    return guarded(what, this.path, () => fn(this.#sql));
  }

  // Records

  /** Records a bundle from its ferry.json after an export or import; re-recording the same bundle replaces it, another ferry.json under its id is refused (BUNDLE_CONFLICT). */
  recordBundle(manifest: BundleManifest, options: RecordBundleOptions): void {
    this.#do('record bundle', (sql) => write.recordBundle(sql, manifest, options));
  }

  /** Refuses (and records as a conflict) a bundle whose id the catalog knows with another ferry.json: run before an import writes anything. */
  checkBundleIdentity(bundleId: string, seen: BundleSighting): void {
    this.#do('check bundle identity', (sql) => checkBundleIdentity(sql, bundleId, seen));
  }

  /** Bundles refused because their id was known with another ferry.json, newest first. */
  bundleConflicts(limit: number = DEFAULT_LIMIT): BundleConflict[] {
    return this.#do('list bundle conflicts', (sql) => bundleConflicts(sql, limit));
  }

  // Sites and receipts

  /** Makes a site exist, adding registries to the ones it already lists. */
  ensureSite(name: string, registries?: string[]): void {
    this.#do('ensure site', (sql) => write.ensureSite(sql, name, registries));
  }

  /** Every site, for `ferry catalog sites`. */
  sites(): SiteSummary[] {
    return this.#do('list sites', (sql) => read.sites(sql));
  }

  /** Stores a receipt carried back from `site` (the argument wins over the receipt's own site field). */
  addReceipt(receipt: ImportReceipt, site: string): { receiptId: number; digests: number } {
    return this.#do('add receipt', (sql) => write.addReceipt(sql, receipt, site));
  }

  /** Every digest the site's receipts say its registry holds: what an incremental export leaves out. */
  siteDigests(site: string): Set<string> {
    return this.#do('read site digests', (sql) => write.siteDigests(sql, site));
  }

  /** The newest bundle imported at the site (the parent of the next incremental bundle), or undefined before the first receipt. */
  latestBundleForSite(site: string): { bundleId: string; sequence: number } | undefined {
    return this.#do('find latest bundle for site', (sql) => write.latestBundleForSite(sql, site));
  }

  /**
   * The highest sequence recorded on an export channel (ferry.json's `channel`): by exports, imports, or either
   * when no direction is given; `except` leaves one bundle out. Exports number on from it; imports refuse a replay.
   */
  highestSequence(channel: string, direction?: 'export' | 'import', except?: string): number | undefined {
    return this.#do('read highest sequence', (sql) => write.highestSequence(sql, channel, direction, except));
  }

  // Jobs

  /** Starts a job, or resumes the unfinished one with the same kind and key. */
  startJob(kind: JobKind, key: string, params: Record<string, unknown>): { id: number; resumed: boolean } {
    return this.#do('start job', (sql) => journal.startJob(sql, kind, key, params));
  }

  /** Journals one item of a job as done or failed. */
  markItem(jobId: number, item: string, state: JobItemState, bytes?: number): void {
    this.#do('mark job item', (sql) => journal.markItem(sql, jobId, item, state, bytes));
  }

  /** The items a resumed job skips. */
  doneItems(jobId: number): Set<string> {
    return this.#do('read job items', (sql) => journal.doneItems(sql, jobId));
  }

  /** Ends a running job, naming the bundle it produced or imported. */
  finishJob(jobId: number, status: Exclude<JobStatus, 'running'>, bundleId?: string): void {
    this.#do('finish job', (sql) => journal.finishJob(sql, jobId, status, bundleId));
  }

  /** Jobs newest first, with their journal counts. */
  jobs(limit: number = DEFAULT_LIMIT): JobSummary[] {
    return this.#do('list jobs', (sql) => journal.jobs(sql, limit));
  }

  // Audit log

  /** Appends who did what to which subject; details are stored without secret-looking keys. */
  audit(action: string, subject: string, details?: Record<string, unknown>, actor?: string): void {
    this.#do('append audit row', (sql) => appendAudit(sql, action, subject, details, actor));
  }

  /** Verifies the audit hash chain (and an anchor kept elsewhere, if given), naming the first bad row. */
  checkAudit(anchor?: AuditAnchor): AuditCheck {
    return this.#do('check audit log', (sql) => checkAudit(sql, anchor));
  }

  /** The audit log newest first, for `ferry catalog audit`. */
  auditLog(limit: number = DEFAULT_LIMIT): AuditEntry[] {
    return this.#do('list audit log', (sql) => auditLog(sql, limit));
  }

  /** The newest audit row of one action (`policy.changed`), or undefined when there is none. */
  latestAudit(action: string): AuditEntry | undefined {
    return this.#do('read audit log', (sql) => latestAudit(sql, action));
  }

  /** The chain's current head, to keep outside the catalog (a report, a ticket) and check against later. */
  auditHead(): AuditAnchor {
    return this.#do('read audit head', (sql) => auditHead(sql));
  }

  // Queries

  /** Bundles newest first, with sizes and counts. */
  bundles(limit: number = DEFAULT_LIMIT): BundleSummary[] {
    return this.#do('list bundles', (sql) => read.bundles(sql, limit));
  }

  /** One bundle by id, or undefined when the catalog does not know it. */
  bundle(id: string): BundleSummary | undefined {
    return this.#do('read bundle', (sql) => read.bundle(sql, id));
  }

  /** The images of a bundle; NOT_FOUND for an unknown bundle. */
  bundleImages(bundleId: string): CatalogImage[] {
    return this.#do('list bundle images', (sql) => read.bundleImages(sql, bundleId));
  }

  /** The blobs of a bundle; NOT_FOUND for an unknown bundle. */
  bundleBlobs(bundleId: string): CatalogBlob[] {
    return this.#do('list bundle blobs', (sql) => read.bundleBlobs(sql, bundleId));
  }

  /** Bundles holding an image reference, a repository, or a blob/manifest digest, newest first. */
  bundlesContaining(referenceOrDigest: string): BundleRef[] {
    return this.#do('find bundles', (sql) => read.bundlesContaining(sql, referenceOrDigest));
  }

  /** What a site holds according to its receipts. */
  siteContents(site: string): SiteContents {
    return this.#do('read site contents', (sql) => read.siteContents(sql, site));
  }

  /** Source and digest of every image the receipts record under `under` (`host/` or `host/prefix/`), for the mapping check. */
  importedImages(under: string): Array<{ source: string; digest: string }> {
    return this.#do('read imported images', (sql) => read.importedImages(sql, under));
  }

  /** The history of one repository's tags across bundles, newest first. */
  tagHistory(repository: string): TagHistoryEntry[] {
    return this.#do('read tag history', (sql) => read.tagHistory(sql, repository));
  }

  /** The digest the site's receipts last recorded at a target tag (`registry/repository`, tag), or undefined. */
  recordedTagDigest(repository: string, tag: string): string | undefined {
    return this.#do('read recorded tag', (sql) => read.recordedTagDigest(sql, repository, tag));
  }

  /** The export and import rows of the given bundles, newest first (a search's answer as the listing shows it). */
  bundleRows(ids: readonly string[]): BundleSummary[] {
    return this.#do('list bundles', (sql) => read.bundleRows(sql, ids));
  }

  /** Each time a bundle was recorded here (exported, imported), oldest first; NOT_FOUND for an unknown bundle. */
  bundleEvents(bundleId: string): BundleEvent[] {
    return this.#do('list bundle events', (sql) => read.bundleEvents(sql, bundleId));
  }

  /** Bundle ids matching the app's search: a reference, repository or digest, a digest or id prefix, or part of an image's name. */
  searchBundleIds(text: string): string[] {
    return this.#do('search bundles', (sql) => view.searchBundleIds(sql, text));
  }

  /** A bundle with its events, images and the receipts naming it; NOT_FOUND for an unknown bundle. */
  bundleDetail(bundleId: string): BundleDetail {
    return this.#do('read bundle', (sql) => view.bundleDetail(sql, bundleId));
  }

  /** The receipts carried back from sites, newest import first. */
  receipts(limit: number = DEFAULT_LIMIT): ReceiptSummary[] {
    return this.#do('list receipts', (sql) => view.receipts(sql, limit));
  }

  /** Every site with what its receipts say it holds (images, digests, bytes) and when it last imported. */
  siteOverviews(): SiteHoldings[] {
    return this.#do('list sites', (sql) => view.siteOverviews(sql));
  }

  /** Bundle counts and bytes per month, newest month first. */
  totalsPerMonth(): MonthTotals[] {
    return this.#do('total per month', (sql) => read.totalsPerMonth(sql));
  }
}
