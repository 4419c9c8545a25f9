/**
 * The catalog as the app's catalog screen reads it (issue 17): a search that
 * finds what the screen itself shows (a digest's first 12 characters, a bundle
 * id prefix, an image's short name), a bundle opened with its events, images
 * and receipts, the per-site view and the receipts list. The CLI's exact
 * queries stay in queries.ts.
 */
import type { BundleDetail, ReceiptSummary, SiteHoldings } from './types.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { bundle, bundleEvents, bundleImages, bundlesContaining, sites } from './queries.ts';
import type { Sql } from './sql.ts';
import { requireLimit, requireText } from './validate.ts';

/** Shortest digest or id prefix searched as a prefix: 4 hex digits already narrow 65,536 ways; fewer would match almost anything. */
const MIN_PREFIX = 4;
/** How many bundles one search answers at most (the screen shows a history, not an archive). */
const SEARCH_LIMIT = 200;

/** The end of a prefix range: the prefix with its last character raised by one, so `x >= prefix AND x < end` is an index range. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** LIKE's wildcards taken literally, for a substring search with `ESCAPE '\'`. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Bundle ids matching what a person typed into the catalog's search, newest
 * first: everything bundlesContaining finds (a full reference, repository or
 * digest), plus a digest prefix (`sha256:0123abcd…` or bare hex, as the app
 * shortens digests) of an image or blob, a bundle id prefix, and a part of an
 * image's reference or name (`oci-single`, `library/nginx`).
 */
export function searchBundleIds(sql: Sql, text: string): string[] {
  const needle = requireText('search', text).trim();
  const found = new Set(isExactMatchable(needle) ? bundlesContaining(sql, needle).map((row) => row.id) : []);
  const hex = /^(?:sha256:)?([0-9a-f]+)$/i.exec(needle)?.[1]?.toLowerCase();
  if (hex !== undefined && hex.length >= MIN_PREFIX) {
    const prefix = `sha256:${hex}`;
    const ids = sql.column<string>(
      `SELECT id FROM bundles WHERE id IN (
         SELECT bundle_id FROM bundle_blobs WHERE digest >= ? AND digest < ?
         UNION SELECT bi.bundle_id FROM images i JOIN bundle_images bi ON bi.image_id = i.id WHERE i.digest >= ? AND i.digest < ?)
       ORDER BY created DESC, rowid DESC LIMIT ?`,
      prefix,
      prefixEnd(prefix),
      prefix,
      prefixEnd(prefix),
      SEARCH_LIMIT,
    );
    for (const id of ids) found.add(id);
  }
  if (needle.length >= MIN_PREFIX) {
    // A bundle id as the tables shorten it (its first 12 characters, a UUID's dash included).
    for (const id of sql.column<string>('SELECT id FROM bundles WHERE id >= ? AND id < ? ORDER BY created DESC, rowid DESC LIMIT ?', needle, prefixEnd(needle), SEARCH_LIMIT)) found.add(id);
  }
  if (needle.length >= 2) {
    const pattern = `%${likeLiteral(needle)}%`;
    const ids = sql.column<string>(
      `SELECT id FROM bundles WHERE id IN (
         SELECT bi.bundle_id FROM images i JOIN bundle_images bi ON bi.image_id = i.id
         WHERE i.reference LIKE ? ESCAPE '\\' OR bi.name LIKE ? ESCAPE '\\')
       ORDER BY created DESC, rowid DESC LIMIT ?`,
      pattern,
      pattern,
      SEARCH_LIMIT,
    );
    for (const id of ids) found.add(id);
  }
  return [...found].slice(0, SEARCH_LIMIT);
}

/** bundlesContaining refuses nothing it can parse; a bare word with spaces or a lone `sha256:` is left to the prefix and substring searches. */
function isExactMatchable(needle: string): boolean {
  return needle !== '' && !/\s/.test(needle) && needle !== 'sha256:';
}

/** The receipts newest first (by import time), with how many images and digests each names. */
export function receipts(sql: Sql, limit: number, where: { bundleId?: string } = {}): ReceiptSummary[] {
  return sql.all<ReceiptSummary>(
    `SELECT r.id AS id, r.site AS site, r.registry AS registry, r.bundle_id AS bundleId, r.imported_at AS importedAt, r.added_at AS addedAt,
       (SELECT count(*) FROM receipt_images ri WHERE ri.receipt_id = r.id) AS images, r.digest_count AS digests
     FROM receipts r WHERE (? IS NULL OR r.bundle_id = ?) ORDER BY r.imported_at DESC, r.id DESC LIMIT ?`,
    where.bundleId ?? null,
    where.bundleId ?? null,
    requireLimit(limit),
  );
}

/** Every site with its registries, receipts, last import, images, digests and bytes (totals kept on the site's row, migration 8). */
export function siteOverviews(sql: Sql): SiteHoldings[] {
  const counts = new Map(
    sql
      .all<{ site: string; images: number; digests: number; bytes: number; unsized: number }>(
        `SELECT s.name AS site, s.digests AS digests, s.digest_bytes AS bytes, s.unsized_digests AS unsized,
           (SELECT count(*) FROM (SELECT DISTINCT ri.source, ri.digest FROM receipts r JOIN receipt_images ri ON ri.receipt_id = r.id WHERE r.site = s.name)) AS images
         FROM sites s`,
      )
      .map((row) => [row.site, row]),
  );
  return sites(sql).map((site) => {
    const row = counts.get(site.name);
    return { ...site, images: row?.images ?? 0, digests: row?.digests ?? 0, bytes: row?.bytes ?? 0, unsized: row?.unsized ?? 0 };
  });
}

/** A bundle opened from the catalog: its row, its export and import events, its images and the receipts naming it; NOT_FOUND when unknown. */
export function bundleDetail(sql: Sql, id: string): BundleDetail {
  const row = bundle(sql, id);
  if (row === undefined) throw new FerryError('NOT_FOUND', `no bundle "${id}" in the catalog`, { bundleId: id });
  return { bundle: row, events: bundleEvents(sql, id), images: bundleImages(sql, id), receipts: receipts(sql, SEARCH_LIMIT, { bundleId: row.id }) };
}
