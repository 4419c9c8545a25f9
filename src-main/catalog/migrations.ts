/**
 * The catalog's schema, as numbered migrations applied at open. Migration k
 * (1-based) takes a database from `PRAGMA user_version` k-1 to k; a database
 * is never migrated down, and a migration is never edited once released —
 * later changes are new entries at the end of the array.
 * https://www.sqlite.org/pragma.html#pragma_user_version
 */
import type Database from 'better-sqlite3';
import { FerryError } from '../../src-shared/errors.ts';

/** The schema, in the order the catalog grew; index i holds the SQL that takes version i to version i + 1. */
export const MIGRATIONS: readonly string[] = [
  // 1: bundles and what they hold. Blobs are content-addressed, so one row
  // per digest serves every bundle; images are one row per (reference, digest).
  `
  CREATE TABLE bundles (
    id TEXT PRIMARY KEY NOT NULL,
    form TEXT NOT NULL CHECK (form IN ('directory', 'archive')),
    path TEXT NOT NULL,
    created TEXT NOT NULL,
    sequence INTEGER NOT NULL CHECK (sequence >= 0),
    parent TEXT,
    bytes INTEGER NOT NULL CHECK (bytes >= 0),
    direction TEXT NOT NULL CHECK (direction IN ('export', 'import')),
    site TEXT,
    recorded_at TEXT NOT NULL
  );
  CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    repository TEXT NOT NULL,
    tag TEXT,
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    platforms TEXT NOT NULL DEFAULT '[]',
    size INTEGER NOT NULL CHECK (size >= 0),
    UNIQUE (reference, digest)
  );
  CREATE TABLE blobs (
    digest TEXT PRIMARY KEY NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0)
  ) WITHOUT ROWID;
  CREATE TABLE bundle_images (
    bundle_id TEXT NOT NULL REFERENCES bundles(id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images(id),
    name TEXT NOT NULL,
    PRIMARY KEY (bundle_id, image_id)
  ) WITHOUT ROWID;
  CREATE TABLE bundle_blobs (
    bundle_id TEXT NOT NULL REFERENCES bundles(id) ON DELETE CASCADE,
    digest TEXT NOT NULL REFERENCES blobs(digest),
    PRIMARY KEY (bundle_id, digest)
  ) WITHOUT ROWID;
  `,
  // 2: sites (a disconnected side) and the receipts carried back from them.
  // site_digests is the union of a site's receipt digests, kept so incremental
  // exports and site queries need not scan every receipt.
  `
  CREATE TABLE sites (
    name TEXT PRIMARY KEY NOT NULL,
    registries TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL
  );
  CREATE TABLE receipts (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL REFERENCES sites(name),
    registry TEXT NOT NULL,
    bundle_id TEXT,
    imported_at TEXT NOT NULL,
    added_at TEXT NOT NULL,
    digest_count INTEGER NOT NULL
  );
  CREATE TABLE receipt_images (
    receipt_id INTEGER NOT NULL REFERENCES receipts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    digest TEXT NOT NULL
  );
  CREATE TABLE receipt_digests (
    receipt_id INTEGER NOT NULL REFERENCES receipts(id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    PRIMARY KEY (receipt_id, digest)
  ) WITHOUT ROWID;
  CREATE TABLE site_digests (
    site TEXT NOT NULL REFERENCES sites(name),
    digest TEXT NOT NULL,
    size INTEGER,
    PRIMARY KEY (site, digest)
  ) WITHOUT ROWID;
  `,
  // 3: the job journal export and import resume from. At most one running job
  // per (kind, key), enforced by a partial unique index.
  `
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('export', 'import')),
    key TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    started TEXT NOT NULL,
    updated TEXT NOT NULL,
    finished TEXT,
    resumes INTEGER NOT NULL DEFAULT 0,
    bundle_id TEXT
  );
  CREATE UNIQUE INDEX jobs_running ON jobs(kind, key) WHERE status = 'running';
  CREATE TABLE job_items (
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    item TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('done', 'failed')),
    bytes INTEGER,
    updated TEXT NOT NULL,
    PRIMARY KEY (job_id, item)
  ) WITHOUT ROWID;
  `,
  // 4: the append-only audit log. Each row carries the hash of the previous
  // one (see audit.ts); the triggers refuse edits through SQL, the hash chain
  // catches edits that bypass them. AUTOINCREMENT keeps the highest id ever
  // used in sqlite_sequence, which exposes rows deleted from the tail.
  `
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  // 5: query speed. Per-bundle counts and per-link blob sizes are kept on the
  // rows (blob sizes never change: a digest names its content), backfilled
  // here, plus the indexes the catalog queries need to stay under 20 ms.
  `
  ALTER TABLE bundles ADD COLUMN blob_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE bundles ADD COLUMN image_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE bundle_blobs ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
  UPDATE bundle_blobs SET size = coalesce((SELECT size FROM blobs WHERE blobs.digest = bundle_blobs.digest), 0);
  UPDATE bundles SET
    blob_count = (SELECT count(*) FROM bundle_blobs WHERE bundle_id = bundles.id),
    image_count = (SELECT count(*) FROM bundle_images WHERE bundle_id = bundles.id);
  CREATE INDEX bundles_created ON bundles(created);
  CREATE INDEX bundle_blobs_digest ON bundle_blobs(digest, bundle_id);
  CREATE INDEX bundle_images_image ON bundle_images(image_id, bundle_id);
  CREATE INDEX images_repository ON images(repository);
  CREATE INDEX images_digest ON images(digest);
  CREATE INDEX receipts_site ON receipts(site, imported_at);
  CREATE INDEX receipt_images_receipt ON receipt_images(receipt_id);
  CREATE INDEX site_digests_unsized ON site_digests(digest) WHERE size IS NULL;
  CREATE INDEX jobs_started ON jobs(started);
  `,
  // 6: bundle identity. A bundle is its id AND the sha256 of its ferry.json
  // bytes; rows recorded before this version have no digest and adopt the
  // first one seen. Another ferry.json under a known id is kept here, refused.
  `
  ALTER TABLE bundles ADD COLUMN manifest_digest TEXT;
  CREATE TABLE bundle_conflicts (
    id INTEGER PRIMARY KEY,
    bundle_id TEXT NOT NULL,
    known_digest TEXT NOT NULL,
    manifest_digest TEXT NOT NULL,
    path TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('export', 'import')),
    seen_at TEXT NOT NULL
  );
  CREATE INDEX bundle_conflicts_bundle ON bundle_conflicts(bundle_id);
  `,
  // 7: export channels (issue 14). A bundle's ferry.json names the channel (connected site + image set) its
  // sequence counts on; recorded on export and import, so the next export on a channel numbers on from the
  // highest, and an import can refuse a replayed older sequence. Rows before this version have none.
  `
  ALTER TABLE bundles ADD COLUMN channel TEXT;
  CREATE INDEX bundles_channel ON bundles(channel, direction, sequence);
  `,
  // 8: speed at 1,000,000 blobs (docs/performance.md, "Catalog"). Each site's totals over its site_digests
  // rows are kept on its row, counted up as receipts add digests and bundles size them, so the site page
  // reads three numbers instead of aggregating 200,000 rows; backfilled here. receipt_images gets an
  // index on destination, so the digest last recorded at a tag is a range lookup, not a scan.
  `
  ALTER TABLE sites ADD COLUMN digests INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sites ADD COLUMN digest_bytes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sites ADD COLUMN unsized_digests INTEGER NOT NULL DEFAULT 0;
  UPDATE sites SET
    digests = (SELECT count(*) FROM site_digests WHERE site = sites.name),
    digest_bytes = (SELECT coalesce(sum(size), 0) FROM site_digests WHERE site = sites.name),
    unsized_digests = (SELECT count(*) FROM site_digests WHERE site = sites.name AND size IS NULL);
  CREATE INDEX receipt_images_destination ON receipt_images(destination);
  `,
  // 9: an export and an import of the same bundle are two events (issue 17): a machine that exports a bundle and
  // imports it again (a lab on both sides) kept only the last, so the export vanished from the catalog and from the
  // channel's highest exported sequence. One row per (bundle, direction) keeps each; the bundles row keeps what the
  // bundle is. Backfilled with the one event every bundle row stands for.
  `
  CREATE TABLE bundle_events (
    id INTEGER PRIMARY KEY,
    bundle_id TEXT NOT NULL REFERENCES bundles(id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('export', 'import')),
    path TEXT NOT NULL,
    site TEXT,
    recorded_at TEXT NOT NULL,
    UNIQUE (bundle_id, direction)
  );
  INSERT INTO bundle_events (bundle_id, direction, path, site, recorded_at) SELECT id, direction, path, site, recorded_at FROM bundles ORDER BY rowid;
  CREATE INDEX bundle_events_direction ON bundle_events(direction, bundle_id);
  `,
];

/** The schema version this build writes: a catalog above it came from a newer Ferry and is left untouched. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Reads `PRAGMA user_version`, the number of migrations a database has had. */
export function schemaVersion(db: Database.Database): number {
  const version = db.pragma('user_version', { simple: true });
  return typeof version === 'number' ? version : 0;
}

/**
 * Applies every missing migration, each in its own IMMEDIATE transaction that
 * re-reads the version first, so two processes opening an old catalog at once
 * never apply a migration twice. Returns the version before and after.
 */
export function migrate(db: Database.Database): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new FerryError('IO_ERROR', `the catalog has schema version ${from}, newer than this Ferry understands (${SCHEMA_VERSION}); upgrade Ferry`, {
      version: from,
      supported: SCHEMA_VERSION,
    });
  }
  const step = db.transaction((): boolean => {
    const current = schemaVersion(db);
    const sql = MIGRATIONS[current];
    if (sql === undefined) return false;
    db.exec(sql);
    db.pragma(`user_version = ${current + 1}`);
    return true;
  });
  while (step.immediate()) {
    // one migration per transaction until none is left
  }
  return { from, to: schemaVersion(db) };
}
