import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog } from '../../src-main/catalog/index.ts';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-audit-'));
  path = join(dir, 'catalog.sqlite');
  const catalog = Catalog.open(path);
  for (let i = 1; i <= 5; i += 1) catalog.audit(`action-${i}`, `subject-${i}`, { n: i }, 'alice');
  catalog.close();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs SQL on the catalog file with a raw connection, as someone bypassing Ferry would. */
function tamper(...statements: string[]): void {
  const raw = new Database(path);
  try {
    for (const statement of statements) raw.exec(statement);
  } finally {
    raw.close();
  }
}

function check(anchor?: { rows: number; hash: string }): ReturnType<Catalog['checkAudit']> {
  const catalog = Catalog.open(path);
  try {
    return catalog.checkAudit(anchor);
  } finally {
    catalog.close();
  }
}

const UNPROTECT = 'DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;';

describe('audit log', () => {
  it('chains every row and verifies', () => {
    expect(check()).toEqual({ ok: true, rows: 5 });
    const catalog = Catalog.open(path);
    try {
      const log = catalog.auditLog();
      expect(log.map((row) => row.action)).toEqual(['action-5', 'action-4', 'action-3', 'action-2', 'action-1']);
      expect(log[0]).toMatchObject({ id: 5, actor: 'alice', subject: 'subject-5', details: { n: 5 } });
      expect(log[0]?.prevHash).toBe(log[1]?.hash);
      catalog.audit('default-actor', 'x');
      expect(catalog.auditLog(1)[0]?.actor).not.toBe('');
    } finally {
      catalog.close();
    }
  });

  it('keeps a chain intact across two writers on the same file', () => {
    const a = Catalog.open(path);
    const b = Catalog.open(path);
    try {
      for (let i = 0; i < 20; i += 1) (i % 2 === 0 ? a : b).audit('write', `row-${i}`);
      expect(a.checkAudit()).toEqual({ ok: true, rows: 25 });
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses UPDATE and DELETE through SQL', () => {
    expect(() => tamper("UPDATE audit SET actor = 'mallory' WHERE id = 2")).toThrow(/append-only/);
    expect(() => tamper('DELETE FROM audit WHERE id = 2')).toThrow(/append-only/);
    expect(check().ok).toBe(true);
  });

  const cases: Array<[string, string, number, RegExp]> = [
    ['an edited row', "UPDATE audit SET actor = 'mallory' WHERE id = 3", 3, /edited/],
    ['edited details', `UPDATE audit SET details = '{"n":99}' WHERE id = 2`, 2, /edited/],
    ['a deleted row', 'DELETE FROM audit WHERE id = 2', 2, /missing or out of order/],
    ['a deleted and renumbered row', 'DELETE FROM audit WHERE id = 2; UPDATE audit SET id = id - 1 WHERE id > 2', 2, /does not follow/],
    ['two swapped rows', `UPDATE audit SET id = 100 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = 100;`, 2, /does not follow/],
    ['rows deleted from the end', 'DELETE FROM audit WHERE id >= 4', 4, /deleted from the end/],
  ];
  it.each(cases)('detects %s with its row number', (_name, sql, row, reason) => {
    tamper(UNPROTECT, sql);
    const result = check();
    expect(result.ok).toBe(false);
    expect(result.brokenAt).toBe(row);
    expect(result.reason).toMatch(reason);
  });

  it('detects a truncated log that also hid its tracks, given an anchor kept elsewhere', () => {
    const catalog = Catalog.open(path);
    const anchor = catalog.auditHead();
    catalog.close();
    expect(anchor.rows).toBe(5);
    expect(check(anchor)).toEqual({ ok: true, rows: 5 });
    tamper(UNPROTECT, "DELETE FROM audit WHERE id = 5; UPDATE sqlite_sequence SET seq = 4 WHERE name = 'audit'");
    expect(check()).toEqual({ ok: true, rows: 4 });
    expect(check(anchor)).toMatchObject({ ok: false, brokenAt: 5 });
  });
});
