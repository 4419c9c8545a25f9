/**
 * The append-only audit log of who did what when. Each row stores the hash
 * of the previous row, and its own hash covers its fields and that link, so
 * editing, deleting or reordering a row breaks the chain at that row. SQL
 * triggers refuse UPDATE and DELETE; the chain catches what bypasses them.
 * Someone able to rewrite the whole file can rebuild a valid chain: keep the
 * anchor (`auditHead`) somewhere else to detect that too.
 */
import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import type { AuditAnchor, AuditCheck, AuditEntry } from './types.ts';
import { canonicalJson, parseObject, sanitisedJson } from './sanitise.ts';
import { nowIso, type Sql } from './sql.ts';
import { requireLimit, requireText } from './validate.ts';

/** The previous hash of the first row. */
export const AUDIT_GENESIS = '0'.repeat(64);

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/** sha256(prev_hash + canonical JSON of the row's fields, id included so a renumbered row fails too). */
export function auditHash(prevHash: string, row: Omit<AuditRow, 'prev_hash' | 'hash'>): string {
  const fields = canonicalJson({ id: row.id, at: row.at, actor: row.actor, action: row.action, subject: row.subject, details: row.details });
  return createHash('sha256').update(prevHash).update(fields).digest('hex');
}

/** The OS user, or a neutral name where the account has no passwd entry (some containers). */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** Appends one row. The IMMEDIATE transaction serialises writers, so two processes never link to the same previous row. */
export function appendAudit(sql: Sql, action: string, subject: string, details: Record<string, unknown> = {}, actor?: string): void {
  const row = {
    at: nowIso(),
    actor: requireText('actor', actor ?? currentUser()),
    action: requireText('action', action),
    subject: requireText('subject', subject),
    details: sanitisedJson('audit details', details),
  };
  sql.write(() => {
    const last = sql.get<{ id: number; hash: string }>('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1');
    const id = (last?.id ?? 0) + 1;
    const prevHash = last?.hash ?? AUDIT_GENESIS;
    const hash = auditHash(prevHash, { id, ...row });
    sql.run(
      'INSERT INTO audit (id, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      id,
      row.at,
      row.actor,
      row.action,
      row.subject,
      row.details,
      prevHash,
      hash,
    );
  });
}

/** Rows newest first, for `ferry catalog audit`. */
export function auditLog(sql: Sql, limit: number): AuditEntry[] {
  return sql.all<AuditRow>('SELECT * FROM audit ORDER BY id DESC LIMIT ?', requireLimit(limit)).map((row) => ({
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: parseObject(row.details),
    prevHash: row.prev_hash,
    hash: row.hash,
  }));
}

/** The newest row of one action, or undefined: e.g. the last `policy.changed`, to tell whether the policy file changed since. */
export function latestAudit(sql: Sql, action: string): AuditEntry | undefined {
  const row = sql.get<AuditRow>('SELECT * FROM audit WHERE action = ? ORDER BY id DESC LIMIT 1', requireText('action', action));
  return row === undefined
    ? undefined
    : { id: row.id, at: row.at, actor: row.actor, action: row.action, subject: row.subject, details: parseObject(row.details), prevHash: row.prev_hash, hash: row.hash };
}

/** The chain's head, to note outside the catalog and pass to `checkAudit` later. */
export function auditHead(sql: Sql): AuditAnchor {
  const last = sql.get<{ id: number; hash: string }>('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1');
  return { rows: last?.id ?? 0, hash: last?.hash ?? AUDIT_GENESIS };
}

/**
 * Walks the chain from the first row. Reports the first row (1-based) that
 * is out of place, no longer follows its predecessor, or does not match its
 * own hash; then rows missing from the tail (sqlite_sequence remembers the
 * highest id ever written); then a mismatch with an anchor kept elsewhere.
 */
export function checkAudit(sql: Sql, anchor?: AuditAnchor): AuditCheck {
  let previous = AUDIT_GENESIS;
  let rows = 0;
  let anchorHash: string | undefined;
  for (const row of sql.statement('SELECT * FROM audit ORDER BY id').pluck(false).iterate() as IterableIterator<AuditRow>) {
    rows += 1;
    if (row.id !== rows) return { ok: false, rows, brokenAt: rows, reason: `row ${rows} is missing or out of order (found id ${row.id} in its place)` };
    if (row.prev_hash !== previous) return { ok: false, rows, brokenAt: rows, reason: `row ${rows} does not follow row ${rows - 1}: a row was deleted, inserted or reordered` };
    if (auditHash(row.prev_hash, row) !== row.hash) return { ok: false, rows, brokenAt: rows, reason: `row ${rows} was edited: its hash does not match its content` };
    previous = row.hash;
    if (anchor !== undefined && row.id === anchor.rows) anchorHash = row.hash;
  }
  const highest = sql.get<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'audit'")?.seq ?? 0;
  if (highest > rows) return { ok: false, rows, brokenAt: rows + 1, reason: `rows ${rows + 1}-${highest} were deleted from the end of the log` };
  if (anchor !== undefined && anchor.rows > 0 && anchorHash !== anchor.hash) {
    return { ok: false, rows, brokenAt: Math.min(anchor.rows, rows + 1), reason: `the log does not match the anchor (row ${anchor.rows}, hash ${anchor.hash.slice(0, 12)}…)` };
  }
  return { ok: true, rows };
}
