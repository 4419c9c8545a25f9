/**
 * The read side of the catalog: the listings `ferry catalog …` and the UI
 * show. Each query is answered from an index (see migration 5) so it stays
 * under 20 ms with 100,000 blobs and 500 bundles.
 */
import type { BundleEvent, BundleRef, BundleSummary, CatalogBlob, CatalogImage, MonthTotals, SiteContents, SiteSummary, TagHistoryEntry } from './types.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference, parseReference, repositoryName } from '../oci/reference.ts';
import { isDigest } from '../oci/digest.ts';
import { parseStrings } from './sanitise.ts';
import { requireSite } from './records.ts';
import type { Sql } from './sql.ts';
import { requireLimit, requireText } from './validate.ts';

const BUNDLE_COLUMNS = `id, form, path, created, sequence, parent, bytes, blob_count AS blobs, image_count AS images, direction, site`;

/** One row per event (migration 9): the bundle's columns with the event's direction, path and site. */
const EVENT_COLUMNS = `b.id AS id, b.form AS form, e.path AS path, b.created AS created, b.sequence AS sequence, b.parent AS parent, b.bytes AS bytes,
  b.blob_count AS blobs, b.image_count AS images, e.direction AS direction, e.site AS site`;

/** Bundles newest first, with their sizes: one row per export and per import, so a bundle both exported and imported here shows twice. */
export function bundles(sql: Sql, limit: number): BundleSummary[] {
  return sql.all<BundleSummary>(`SELECT ${EVENT_COLUMNS} FROM bundles b JOIN bundle_events e ON e.bundle_id = b.id ORDER BY b.created DESC, b.rowid DESC, e.id DESC LIMIT ?`, requireLimit(limit));
}

/** The export and import rows of the given bundles, newest bundle first (a search's answer, as full rows). */
export function bundleRows(sql: Sql, ids: readonly string[]): BundleSummary[] {
  if (ids.length === 0) return [];
  const wanted = ids.map((id) => requireText('bundle id', id));
  return sql.all<BundleSummary>(
    `SELECT ${EVENT_COLUMNS} FROM bundles b JOIN bundle_events e ON e.bundle_id = b.id WHERE b.id IN (SELECT value FROM json_each(?))
     ORDER BY b.created DESC, b.rowid DESC, e.id DESC`,
    JSON.stringify(wanted),
  );
}

/** Each time a bundle was recorded here: exported, imported, where and for which site, in the order first recorded. */
export function bundleEvents(sql: Sql, id: string): BundleEvent[] {
  const bundleId = requireBundle(sql, id);
  return sql.all<BundleEvent>('SELECT direction, path, site, recorded_at AS recordedAt FROM bundle_events WHERE bundle_id = ? ORDER BY id', bundleId);
}

/** One bundle by id, or undefined. */
export function bundle(sql: Sql, id: string): BundleSummary | undefined {
  return sql.get<BundleSummary>(`SELECT ${BUNDLE_COLUMNS} FROM bundles WHERE id = ?`, requireText('bundle id', id));
}

function requireBundle(sql: Sql, id: string): string {
  const bundleId = requireText('bundle id', id);
  if (sql.get('SELECT 1 FROM bundles WHERE id = ?', bundleId) === undefined) {
    throw new FerryError('NOT_FOUND', `no bundle "${bundleId}" in the catalog`, { bundleId });
  }
  return bundleId;
}

/** The images of one bundle, by reference. */
export function bundleImages(sql: Sql, id: string): CatalogImage[] {
  const bundleId = requireBundle(sql, id);
  const rows = sql.all<Omit<CatalogImage, 'platforms'> & { platforms: string }>(
    `SELECT bi.name AS name, i.reference AS reference, i.repository AS repository, i.tag AS tag, i.digest AS digest,
       i.media_type AS mediaType, i.platforms AS platforms, i.size AS size
     FROM bundle_images bi JOIN images i ON i.id = bi.image_id WHERE bi.bundle_id = ? ORDER BY i.reference`,
    bundleId,
  );
  return rows.map((row) => ({ ...row, platforms: parseStrings(row.platforms) }));
}

/** The blobs of one bundle, by digest. */
export function bundleBlobs(sql: Sql, id: string): CatalogBlob[] {
  const bundleId = requireBundle(sql, id);
  return sql.all<CatalogBlob>('SELECT digest, size FROM bundle_blobs WHERE bundle_id = ? ORDER BY digest', bundleId);
}

/**
 * The other spelling of a reference or repository the user typed: `nginx`
 * is stored as `docker.io/library/nginx`. Returns the input when it does not
 * parse (it may still match a stored string verbatim).
 */
function normalised(input: string): { reference: string; repository: string } {
  try {
    const parsed = parseReference(input);
    const name = input.includes('@') ? input.slice(0, input.indexOf('@')) : input;
    const pinned = input.includes('@') || name.lastIndexOf(':') > name.lastIndexOf('/');
    // A tag or digest names one image; a bare name means every tag of the repository.
    return pinned ? { reference: formatReference(parsed), repository: input } : { reference: input, repository: repositoryName(parsed) };
  } catch {
    return { reference: input, repository: input };
  }
}

/**
 * Bundles that hold an image reference, any tag of a repository, or a blob or
 * manifest digest, newest first: "which bundle carried this?".
 */
export function bundlesContaining(sql: Sql, referenceOrDigest: string): BundleRef[] {
  const needle = requireText('reference or digest', referenceOrDigest);
  if (isDigest(needle)) {
    return sql.all<BundleRef>(
      `SELECT id, created FROM bundles WHERE id IN (
         SELECT bundle_id FROM bundle_blobs WHERE digest = ?
         UNION SELECT bi.bundle_id FROM images i JOIN bundle_images bi ON bi.image_id = i.id WHERE i.digest = ?)
       ORDER BY created DESC, rowid DESC`,
      needle,
      needle,
    );
  }
  const { reference, repository } = normalised(needle);
  return sql.all<BundleRef>(
    `SELECT id, created FROM bundles WHERE id IN (
       SELECT bi.bundle_id FROM images i JOIN bundle_images bi ON bi.image_id = i.id
       WHERE i.reference IN (?, ?) OR i.repository IN (?, ?))
     ORDER BY created DESC, rowid DESC`,
    needle,
    reference,
    needle,
    repository,
  );
}

/** Sites with their registries, receipt count and last import time. */
export function sites(sql: Sql): SiteSummary[] {
  const rows = sql.all<{ name: string; registries: string; receipts: number; lastImport: string | null }>(
    `SELECT s.name AS name, s.registries AS registries,
       (SELECT count(*) FROM receipts r WHERE r.site = s.name) AS receipts,
       (SELECT max(imported_at) FROM receipts r WHERE r.site = s.name) AS lastImport
     FROM sites s ORDER BY s.name`,
  );
  return rows.map((row) => ({ ...row, registries: parseStrings(row.registries) }));
}

/** What a site's registry holds per its receipts: the images imported there and the distinct digests with their bytes. */
export function siteContents(sql: Sql, siteName: string): SiteContents {
  const site = requireSite(sql, siteName);
  const images = sql.all<{ reference: string; digest: string; destination: string }>(
    `SELECT ri.source AS reference, ri.digest AS digest, ri.destination AS destination
     FROM receipts r JOIN receipt_images ri ON ri.receipt_id = r.id WHERE r.site = ?
     GROUP BY ri.source, ri.digest, ri.destination ORDER BY ri.source, max(r.imported_at) DESC`,
    site,
  );
  // Kept on the site's row as digests are added and sized (migration 8), not summed over every digest here.
  const totals = sql.get<{ blobs: number; bytes: number; unsized: number }>('SELECT digests AS blobs, digest_bytes AS bytes, unsized_digests AS unsized FROM sites WHERE name = ?', site);
  return { images, blobs: totals?.blobs ?? 0, bytes: totals?.bytes ?? 0, unsized: totals?.unsized ?? 0 };
}

/** Which digest each tag of one repository had in which bundle, newest bundle first. */
export function tagHistory(sql: Sql, repository: string): TagHistoryEntry[] {
  const needle = requireText('repository', repository);
  return sql.all<TagHistoryEntry>(
    `SELECT i.tag AS tag, i.digest AS digest, b.id AS bundleId, b.created AS created
     FROM images i JOIN bundle_images bi ON bi.image_id = i.id JOIN bundles b ON b.id = bi.bundle_id
     WHERE i.repository IN (?, ?)
     ORDER BY b.created DESC, b.rowid DESC, i.tag`,
    needle,
    normalised(needle).repository,
  );
}

/**
 * The digest the site's receipts last recorded at one target tag
 * (`registry/repository:tag`), for the Review step's "moved" tags when the
 * registry cannot be asked; undefined when no receipt names it.
 */
export function recordedTagDigest(sql: Sql, repository: string, tag: string): string | undefined {
  // Destinations starting with `repository:tag@`, as a range on the destination index (migration 8): from the
  // prefix up to, not including, the prefix with its final '@' raised to 'A'.
  const prefix = `${requireText('repository', repository)}:${requireText('tag', tag)}@`;
  return sql.get<{ digest: string }>(
    `SELECT ri.digest AS digest FROM receipt_images ri JOIN receipts r ON r.id = ri.receipt_id
     WHERE ri.destination >= ? AND ri.destination < ? ORDER BY r.imported_at DESC, r.id DESC LIMIT 1`,
    prefix,
    `${prefix.slice(0, -1)}A`,
  )?.digest;
}

/** Bundles, bytes, exports and imports per calendar month (UTC, by bundle creation), newest month first; a bundle exported and imported here counts once in bundles and bytes, once in each of exports and imports. */
export function totalsPerMonth(sql: Sql): MonthTotals[] {
  return sql.all<MonthTotals>(
    `SELECT substr(b.created, 1, 7) AS month, count(*) AS bundles, coalesce(sum(b.bytes), 0) AS bytes,
       coalesce(sum(EXISTS (SELECT 1 FROM bundle_events e WHERE e.bundle_id = b.id AND e.direction = 'export')), 0) AS exports,
       coalesce(sum(EXISTS (SELECT 1 FROM bundle_events e WHERE e.bundle_id = b.id AND e.direction = 'import')), 0) AS imports
     FROM bundles b GROUP BY month ORDER BY month DESC`,
  );
}

/**
 * The images the receipts record as imported under `under` (`host/` or
 * `host/prefix/`), by source and digest: what `ferry mirror-config check`
 * checks by default (receipts exist for imports with a site).
 */
export function importedImages(sql: Sql, under: string): Array<{ source: string; digest: string }> {
  const needle = requireText('registry', under);
  return sql.all<{ source: string; digest: string }>('SELECT DISTINCT source, digest FROM receipt_images WHERE substr(destination, 1, ?) = ? ORDER BY source, digest', needle.length, needle);
}
