/**
 * Writing what happened into the catalog: bundles (from their ferry.json),
 * sites, and the receipts carried back from sites. Each write is one
 * transaction, so a crash leaves either the whole record or none of it.
 */
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import type { ImportReceipt } from '../bundle/receipt.ts';
import type { CatalogImage, RecordBundleOptions } from './types.ts';
import { FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import { parseStrings } from './sanitise.ts';
import { checkBundleIdentity } from './identity.ts';
import { nowIso, type Sql } from './sql.ts';
import { requireDigest, requireOneOf, requireRegistry, requireSiteName, requireSize, requireText, requireTime } from './validate.ts';

/** The repository of a normalised reference: the reference without `@digest` and `:tag`. */
export function repositoryOf(reference: string): string {
  const at = reference.indexOf('@');
  const name = at < 0 ? reference : reference.slice(0, at);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/** An image as its row stores it: the catalog's API shape with platforms kept as JSON text. */
type CheckedImage = Omit<CatalogImage, 'platforms'> & { platforms: string };

function checkImages(manifest: BundleManifest): CheckedImage[] {
  if (!Array.isArray(manifest.images)) throw new FerryError('INVALID_ARGUMENT', 'bundle manifest has no images array', { field: 'images' });
  return manifest.images.map((image, index) => {
    const reference = requireText(`images[${index}].source`, image.source);
    const platforms = Array.isArray(image.platforms) ? image.platforms.filter((p): p is string => typeof p === 'string') : [];
    return {
      name: typeof image.name === 'string' ? image.name : reference,
      reference,
      repository: repositoryOf(reference),
      tag: typeof image.tag === 'string' && image.tag !== '' ? image.tag : null,
      digest: requireDigest(`images[${index}].digest`, image.digest),
      mediaType: requireText(`images[${index}].mediaType`, image.mediaType),
      platforms: JSON.stringify(platforms),
      size: requireSize(`images[${index}].size`, image.size),
    };
  });
}

/** Unique blobs by digest (a manifest listing one twice must not count it twice). */
function checkBlobs(manifest: BundleManifest): Map<string, number> {
  if (!Array.isArray(manifest.blobs)) throw new FerryError('INVALID_ARGUMENT', 'bundle manifest has no blobs array', { field: 'blobs' });
  const blobs = new Map<string, number>();
  manifest.blobs.forEach((blob, index) => {
    blobs.set(requireDigest(`blobs[${index}].digest`, blob.digest), requireSize(`blobs[${index}].size`, blob.size));
  });
  return blobs;
}

/**
 * Records a bundle and everything it holds in one transaction. A bundle is
 * its id and its ferry.json digest: recording the same bundle again replaces
 * its row and links instead of duplicating them (its export and its import
 * stay two events, bundle_events), while another ferry.json
 * under a known id is refused as a conflict (identity.ts). Unknown manifest
 * fields (such as a future `omitted` list) are ignored.
 */
export function recordBundle(sql: Sql, manifest: BundleManifest, options: RecordBundleOptions): void {
  const id = requireText('bundleId', manifest.bundleId);
  const form = requireOneOf('form', manifest.form, ['directory', 'archive'] as const);
  const created = requireTime('created', manifest.created);
  const sequence = requireSize('sequence', manifest.sequence);
  const parent = manifest.parent === null ? null : requireText('parent', manifest.parent);
  const path = requireText('path', options.path);
  const direction = requireOneOf('direction', options.direction, ['export', 'import'] as const);
  const site = options.site === undefined ? null : requireSiteName(options.site);
  const manifestDigest = requireDigest('manifestDigest', options.manifestDigest);
  const channel = manifest.channel === undefined ? null : requireText('channel', manifest.channel);
  const images = checkImages(manifest);
  const blobs = checkBlobs(manifest);
  let bytes = 0;
  for (const size of blobs.values()) bytes += size;
  const imageCount = new Set(images.map((image) => `${image.reference}\n${image.digest}`)).size;

  const upsertImage = sql
    .statement(
      `
    INSERT INTO images (reference, repository, tag, digest, media_type, platforms, size) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (reference, digest) DO UPDATE SET tag = excluded.tag, media_type = excluded.media_type, platforms = excluded.platforms, size = excluded.size
    RETURNING id`,
    )
    .pluck(true);
  const linkImage = sql.statement('INSERT OR IGNORE INTO bundle_images (bundle_id, image_id, name) VALUES (?, ?, ?)');
  const insertBlob = sql.statement('INSERT OR IGNORE INTO blobs (digest, size) VALUES (?, ?)');
  const linkBlob = sql.statement('INSERT INTO bundle_blobs (bundle_id, digest, size) VALUES (?, ?, ?)');
  // Receipts may name digests before any bundle gave their size; fill them in (a partial index keeps this a no-op lookup)
  // and move each site's totals (migration 8) by what was filled in.
  const sizeSiteDigest = sql.statement('UPDATE site_digests SET size = ? WHERE digest = ? AND size IS NULL RETURNING site').pluck(true);
  const sized = new Map<string, { digests: number; bytes: number }>();

  checkBundleIdentity(sql, id, { path, direction, manifestDigest });
  sql.write(() => {
    if (site !== null) ensureSite(sql, site);
    sql.run(
      `INSERT INTO bundles (id, form, path, created, sequence, parent, bytes, blob_count, image_count, direction, site, recorded_at, manifest_digest, channel)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET form = excluded.form, path = excluded.path, created = excluded.created,
         sequence = excluded.sequence, parent = excluded.parent, bytes = excluded.bytes, blob_count = excluded.blob_count,
         image_count = excluded.image_count, direction = excluded.direction, site = coalesce(excluded.site, bundles.site),
         recorded_at = excluded.recorded_at, manifest_digest = excluded.manifest_digest, channel = excluded.channel`,
      id,
      form,
      path,
      created,
      sequence,
      parent,
      bytes,
      blobs.size,
      imageCount,
      direction,
      site,
      nowIso(),
      manifestDigest,
      channel,
    );
    // The event (migration 9): an export and an import of one bundle are two rows; recording the same one again updates it.
    sql.run(
      `INSERT INTO bundle_events (bundle_id, direction, path, site, recorded_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (bundle_id, direction) DO UPDATE SET path = excluded.path, site = coalesce(excluded.site, bundle_events.site), recorded_at = excluded.recorded_at`,
      id,
      direction,
      path,
      site,
      nowIso(),
    );
    sql.run('DELETE FROM bundle_images WHERE bundle_id = ?', id);
    sql.run('DELETE FROM bundle_blobs WHERE bundle_id = ?', id);
    for (const image of images) {
      const imageId = upsertImage.get(image.reference, image.repository, image.tag, image.digest, image.mediaType, image.platforms, image.size);
      linkImage.run(id, imageId, image.name);
    }
    // In digest order: the blobs table and the digest index are keyed by random digests, so sorted inserts visit
    // each of their pages once, in order, instead of reading and dirtying pages all over a large catalog.
    for (const [digest, size] of [...blobs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      insertBlob.run(digest, size);
      linkBlob.run(id, digest, size);
      for (const siteName of sizeSiteDigest.all(size, digest) as string[]) {
        const totals = sized.get(siteName) ?? { digests: 0, bytes: 0 };
        totals.digests += 1;
        totals.bytes += size;
        sized.set(siteName, totals);
      }
    }
    for (const [siteName, totals] of sized) {
      sql.run('UPDATE sites SET digest_bytes = digest_bytes + ?, unsized_digests = unsized_digests - ? WHERE name = ?', totals.bytes, totals.digests, siteName);
    }
  });
}

/** Creates a site if it is new, adding any registries not yet listed (existing ones are kept). */
export function ensureSite(sql: Sql, name: string, registries: readonly string[] = []): void {
  const site = requireSiteName(name);
  const wanted = registries.map((registry) => requireRegistry(registry));
  sql.write(() => {
    const row = sql.get<{ registries: string }>('SELECT registries FROM sites WHERE name = ?', site);
    if (row === undefined) {
      sql.run('INSERT INTO sites (name, registries, created) VALUES (?, ?, ?)', site, JSON.stringify([...new Set(wanted)]), nowIso());
      return;
    }
    const known = parseStrings(row.registries);
    const merged = [...new Set([...known, ...wanted])];
    if (merged.length !== known.length) sql.run('UPDATE sites SET registries = ? WHERE name = ?', JSON.stringify(merged), site);
  });
}

/** Throws NOT_FOUND unless the site exists, so a typo in a site name is not read as "the site has nothing". */
export function requireSite(sql: Sql, name: string): string {
  const site = requireSiteName(name);
  if (sql.get('SELECT 1 FROM sites WHERE name = ?', site) === undefined) {
    throw new FerryError('NOT_FOUND', `no site named "${site}" in the catalog; add a receipt from it first`, { site, hint: { kind: 'site-receipt', site } satisfies ErrorHint });
  }
  return site;
}

/**
 * Stores a receipt for `site` (the argument wins over the receipt's own
 * `site` field): the receipt row, its images and digests, and the site's
 * digest union. The site is created if new and the receipt's registry added
 * to it. Adding the same receipt twice returns the first one's id.
 */
export function addReceipt(sql: Sql, receipt: ImportReceipt, siteName: string): { receiptId: number; digests: number } {
  const site = requireSiteName(siteName);
  const registry = requireRegistry(receipt.registry);
  const bundleId = receipt.bundleId === null ? null : requireText('bundleId', receipt.bundleId);
  const importedAt = requireTime('importedAt', receipt.importedAt);
  if (!Array.isArray(receipt.digests) || !Array.isArray(receipt.images)) {
    throw new FerryError('INVALID_ARGUMENT', 'receipt needs images and digests arrays', { field: 'digests' });
  }
  const images = receipt.images.map((image, index) => ({
    name: requireText(`images[${index}].name`, image.name),
    source: requireText(`images[${index}].source`, image.source),
    destination: requireText(`images[${index}].destination`, image.destination),
    digest: requireDigest(`images[${index}].digest`, image.digest),
  }));
  // Image (manifest) digests are present too, whether or not the writer repeated them in `digests`.
  const digests = new Set(receipt.digests.map((digest, index) => requireDigest(`digests[${index}]`, digest)));
  for (const image of images) digests.add(image.digest);

  return sql.write(() => {
    const existing = sql.get<{ id: number; digest_count: number }>(
      'SELECT id, digest_count FROM receipts WHERE site = ? AND registry = ? AND imported_at = ? AND bundle_id IS ?',
      site,
      registry,
      importedAt,
      bundleId,
    );
    if (existing !== undefined) return { receiptId: existing.id, digests: existing.digest_count };
    ensureSite(sql, site, [registry]);
    const receiptId = sql
      .statement('INSERT INTO receipts (site, registry, bundle_id, imported_at, added_at, digest_count) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
      .pluck(true)
      .get(site, registry, bundleId, importedAt, nowIso(), digests.size) as number;
    const addImage = sql.statement('INSERT INTO receipt_images (receipt_id, name, source, destination, digest) VALUES (?, ?, ?, ?, ?)');
    for (const image of images) addImage.run(receiptId, image.name, image.source, image.destination, image.digest);
    const addDigest = sql.statement('INSERT INTO receipt_digests (receipt_id, digest) VALUES (?, ?)');
    // RETURNING answers only for a digest new to the site: those move the site's totals (migration 8).
    const addSiteDigest = sql.statement('INSERT INTO site_digests (site, digest, size) VALUES (?, ?, (SELECT size FROM blobs WHERE digest = ?)) ON CONFLICT (site, digest) DO NOTHING RETURNING size');
    let added = 0;
    let addedBytes = 0;
    let addedUnsized = 0;
    for (const digest of digests) {
      addDigest.run(receiptId, digest);
      const row = addSiteDigest.get(site, digest, digest) as { size: number | null } | undefined;
      if (row === undefined) continue;
      added += 1;
      if (row.size === null) addedUnsized += 1;
      else addedBytes += row.size;
    }
    sql.run('UPDATE sites SET digests = digests + ?, digest_bytes = digest_bytes + ?, unsized_digests = unsized_digests + ? WHERE name = ?', added, addedBytes, addedUnsized, site);
    return { receiptId, digests: digests.size };
  });
}

/** Every digest any receipt of the site says its registry holds: what an incremental export may leave out. */
export function siteDigests(sql: Sql, siteName: string): Set<string> {
  const site = requireSite(sql, siteName);
  // One string across the boundary instead of one per row: a third less CPU at 200,000 digests (docs/performance.md,
  // "Catalog"). A digest never holds a space (requireDigest checked each one on its way in).
  const joined = sql.column<string | null>("SELECT group_concat(digest, ' ') FROM site_digests WHERE site = ?", site)[0];
  return new Set(joined == null ? [] : joined.split(' '));
}

/** The bundle of the site's newest receipt (by import time), with its sequence when the catalog knows it, else 0. */
export function latestBundleForSite(sql: Sql, siteName: string): { bundleId: string; sequence: number } | undefined {
  const site = requireSite(sql, siteName);
  const row = sql.get<{ bundleId: string; sequence: number | null }>(
    `SELECT r.bundle_id AS bundleId, b.sequence AS sequence FROM receipts r LEFT JOIN bundles b ON b.id = r.bundle_id
     WHERE r.site = ? AND r.bundle_id IS NOT NULL ORDER BY r.imported_at DESC, r.id DESC LIMIT 1`,
    site,
  );
  return row === undefined ? undefined : { bundleId: row.bundleId, sequence: row.sequence ?? 0 };
}

/**
 * The highest sequence the catalog recorded for a bundle on `channel`: exported
 * (the next export numbers on from it), imported (an import at or below it is a
 * replay), or either when `direction` is not given. `except` leaves one bundle
 * out (the one being judged). Undefined when the channel has none.
 */
export function highestSequence(sql: Sql, channel: string, direction?: 'export' | 'import', except?: string): number | undefined {
  const name = requireText('channel', channel);
  const row = sql.get<{ highest: number | null }>(
    `SELECT max(sequence) AS highest FROM bundles b WHERE channel = ?
       AND (? IS NULL OR EXISTS (SELECT 1 FROM bundle_events e WHERE e.bundle_id = b.id AND e.direction = ?)) AND (? IS NULL OR id <> ?)`,
    name,
    direction ?? null,
    direction ?? null,
    except ?? null,
    except ?? null,
  );
  return row?.highest ?? undefined;
}
