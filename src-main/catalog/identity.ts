/**
 * Bundle identity: a bundle is its id AND the sha256 of its exact ferry.json
 * bytes. Anyone can write any id into a ferry.json, so an id alone must never
 * let a second bundle take over an earlier bundle's row and links. A bundle
 * whose id the catalog knows with another digest is written down as a
 * conflict (with an audit entry) and refused, never merged.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { appendAudit } from './audit.ts';
import type { BundleConflict, BundleDirection, BundleSighting } from './types.ts';
import { nowIso, type Sql } from './sql.ts';
import { requireDigest, requireOneOf, requireText } from './validate.ts';

/**
 * Checks a bundle's identity against the catalog before anything of it is
 * used: passes for a new id, for the same id with the same ferry.json digest,
 * and for a row recorded before digests were kept (which adopts this one on
 * record). Another digest under a known id is recorded as a conflict, in its
 * own committed transaction, and throws BUNDLE_CONFLICT.
 */
export function checkBundleIdentity(sql: Sql, bundleId: string, seen: BundleSighting): void {
  const id = requireText('bundleId', bundleId);
  const digest = requireDigest('manifestDigest', seen.manifestDigest);
  const direction = requireOneOf('direction', seen.direction, ['export', 'import'] as const);
  const path = requireText('path', seen.path);
  const known = sql.get<{ digest: string | null }>('SELECT manifest_digest AS digest FROM bundles WHERE id = ?', id);
  if (known?.digest == null || known.digest === digest) return;
  const knownDigest = known.digest;
  sql.write(() => {
    sql.run('INSERT INTO bundle_conflicts (bundle_id, known_digest, manifest_digest, path, direction, seen_at) VALUES (?, ?, ?, ?, ?, ?)', id, knownDigest, digest, path, direction, nowIso());
    appendAudit(sql, 'bundle-conflict', id, { path, direction, knownDigest, manifestDigest: digest });
  });
  throw new FerryError(
    'BUNDLE_CONFLICT',
    `bundle ${id} at ${path} is not the bundle the catalog knows by that id: its ferry.json is ${digest}, the catalog recorded ${knownDigest}. It was refused and recorded as a conflict.`,
    { bundleId: id, path, manifestDigest: digest, knownDigest },
  );
}

/** Every refused bundle, newest first, for `ferry catalog conflicts` and the officer's review. */
export function bundleConflicts(sql: Sql, limit: number): BundleConflict[] {
  return sql.all<{ bundleId: string; knownDigest: string; manifestDigest: string; path: string; direction: BundleDirection; seenAt: string }>(
    `SELECT bundle_id AS bundleId, known_digest AS knownDigest, manifest_digest AS manifestDigest, path, direction, seen_at AS seenAt
     FROM bundle_conflicts ORDER BY seen_at DESC, id DESC LIMIT ?`,
    limit,
  );
}
