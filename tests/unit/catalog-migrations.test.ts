import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog, MIGRATIONS, SCHEMA_VERSION } from '../../src-main/catalog/index.ts';
import { AUDIT_GENESIS, auditHash } from '../../src-main/catalog/audit.ts';
import { canonicalJson } from '../../src-main/catalog/sanitise.ts';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

/**
 * Sample rows valid at schema version `version`, inserted with a raw
 * connection the way that version of Ferry would have written them.
 */
function insertSamples(db: Database.Database, version: number): void {
  if (version >= 1) {
    const counts = version >= 5 ? ', blob_count, image_count' : '';
    const countValues = version >= 5 ? ', 2, 1' : '';
    db.prepare(
      `INSERT INTO bundles (id, form, path, created, sequence, parent, bytes, direction, site, recorded_at${counts})
      VALUES ('old-bundle', 'archive', '/media/old', '2024-06-01T00:00:00.000Z', 1, NULL, 300, 'export', NULL, '2024-06-01T00:00:00.000Z'${countValues})`,
    ).run();
    db.prepare(
      `INSERT INTO images (id, reference, repository, tag, digest, media_type, platforms, size)
      VALUES (1, 'docker.io/library/redis:7', 'docker.io/library/redis', '7', ?, 'application/vnd.oci.image.index.v1+json', '["linux/amd64"]', 5000)`,
    ).run(digest(50));
    db.prepare('INSERT INTO blobs (digest, size) VALUES (?, 100), (?, 200)').run(digest(1), digest(2));
    db.prepare("INSERT INTO bundle_images (bundle_id, image_id, name) VALUES ('old-bundle', 1, 'redis:7')").run();
    if (version >= 5) db.prepare("INSERT INTO bundle_blobs (bundle_id, digest, size) VALUES ('old-bundle', ?, 100), ('old-bundle', ?, 200)").run(digest(1), digest(2));
    else db.prepare("INSERT INTO bundle_blobs (bundle_id, digest) VALUES ('old-bundle', ?), ('old-bundle', ?)").run(digest(1), digest(2));
  }
  if (version >= 2) {
    db.prepare(`INSERT INTO sites (name, registries, created) VALUES ('plant', '["mirror.local"]', '2024-06-02T00:00:00.000Z')`).run();
    db.prepare(
      `INSERT INTO receipts (id, site, registry, bundle_id, imported_at, added_at, digest_count)
      VALUES (1, 'plant', 'mirror.local', 'old-bundle', '2024-06-03T00:00:00.000Z', '2024-06-04T00:00:00.000Z', 2)`,
    ).run();
    db.prepare(`INSERT INTO receipt_images (receipt_id, name, source, destination, digest) VALUES (1, 'redis:7', 'docker.io/library/redis:7', 'mirror.local/library/redis:7', ?)`).run(digest(50));
    db.prepare('INSERT INTO receipt_digests (receipt_id, digest) VALUES (1, ?), (1, ?)').run(digest(1), digest(50));
    db.prepare("INSERT INTO site_digests (site, digest, size) VALUES ('plant', ?, 100), ('plant', ?, NULL)").run(digest(1), digest(50));
    // Version 8 keeps each site's totals on its row, as that Ferry's receipts counted them up.
    if (version >= 8) db.prepare("UPDATE sites SET digests = 2, digest_bytes = 100, unsized_digests = 1 WHERE name = 'plant'").run();
  }
  if (version >= 3) {
    db.prepare(
      `INSERT INTO jobs (id, kind, key, params, status, started, updated) VALUES (1, 'export', '/media/next', '{"images":["redis"]}', 'running', '2024-06-05T00:00:00.000Z', '2024-06-05T00:00:00.000Z')`,
    ).run();
    db.prepare(`INSERT INTO job_items (job_id, item, state, bytes, updated) VALUES (1, ?, 'done', 100, '2024-06-05T00:00:01.000Z')`).run(digest(1));
  }
  if (version >= 4) {
    const row = { id: 1, at: '2024-06-01T00:00:00.000Z', actor: 'alice', action: 'export', subject: 'old-bundle', details: canonicalJson({ images: 1 }) };
    db.prepare('INSERT INTO audit (id, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      row.id,
      row.at,
      row.actor,
      row.action,
      row.subject,
      row.details,
      AUDIT_GENESIS,
      auditHash(AUDIT_GENESIS, row),
    );
  }
}

/** The schema as SQLite reports it, to compare a migrated catalog with a fresh one. */
function schemaOf(path: string): Array<{ type: string; name: string; sql: string | null }> {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as Array<{ type: string; name: string; sql: string | null }>;
  } finally {
    raw.close();
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-migrate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('catalog migrations', () => {
  it('has one numbered migration per schema version', () => {
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(5);
  });

  const versions = Array.from({ length: SCHEMA_VERSION }, (_, version) => version);
  it.each(versions)('migrates a catalog at version %i to the latest, keeping its data', (version) => {
    const path = join(dir, `v${version}.sqlite`);
    const raw = new Database(path);
    raw.pragma('foreign_keys = ON');
    for (const sql of MIGRATIONS.slice(0, version)) raw.exec(sql);
    raw.pragma(`user_version = ${version}`);
    insertSamples(raw, version);
    raw.close();

    const catalog = Catalog.open(path);
    try {
      if (version >= 1) {
        expect(catalog.bundles()).toEqual([
          { id: 'old-bundle', form: 'archive', path: '/media/old', created: '2024-06-01T00:00:00.000Z', sequence: 1, parent: null, bytes: 300, blobs: 2, images: 1, direction: 'export', site: null },
        ]);
        expect(catalog.bundleBlobs('old-bundle')).toEqual([
          { digest: digest(1), size: 100 },
          { digest: digest(2), size: 200 },
        ]);
        expect(catalog.bundlesContaining('redis').map((b) => b.id)).toEqual(['old-bundle']);
        // Migration 9: the row's one event (its export) is kept as an event of its own.
        expect(catalog.bundleEvents('old-bundle')).toEqual([{ direction: 'export', path: '/media/old', site: null, recordedAt: '2024-06-01T00:00:00.000Z' }]);
        expect(catalog.tagHistory('docker.io/library/redis')).toHaveLength(1);
      } else {
        expect(catalog.bundles()).toEqual([]);
      }
      if (version >= 2) {
        expect(catalog.siteDigests('plant')).toEqual(new Set([digest(1), digest(50)]));
        expect(catalog.latestBundleForSite('plant')).toEqual({ bundleId: 'old-bundle', sequence: 1 });
        expect(catalog.siteContents('plant')).toMatchObject({ blobs: 2, bytes: 100, unsized: 1 });
      }
      if (version >= 3) {
        expect(catalog.startJob('export', '/media/next', {})).toEqual({ id: 1, resumed: true });
        expect(catalog.doneItems(1)).toEqual(new Set([digest(1)]));
      }
      if (version >= 4) expect(catalog.auditLog().map((row) => row.subject)).toEqual(['old-bundle']);
      // The migrated catalog is fully usable: new writes land and the audit chain continues.
      catalog.audit('migrated', path);
      expect(catalog.checkAudit()).toEqual({ ok: true, rows: version >= 4 ? 2 : 1 });
    } finally {
      catalog.close();
    }
    const fresh = join(dir, 'fresh.sqlite');
    Catalog.open(fresh).close();
    expect(schemaOf(path)).toEqual(schemaOf(fresh));
  });

  it('opening an up-to-date catalog changes nothing', () => {
    const path = join(dir, 'c.sqlite');
    Catalog.open(path).close();
    const before = schemaOf(path);
    Catalog.open(path).close();
    expect(schemaOf(path)).toEqual(before);
  });
});
