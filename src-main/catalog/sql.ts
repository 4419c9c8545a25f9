/**
 * A thin layer over one better-sqlite3 connection: prepared statements are
 * cached by their SQL (a journal write per blob must not re-parse SQL), and
 * every SQLite failure becomes a FerryError the front ends can show.
 */
import type Database from 'better-sqlite3';
import { FerryError } from '../../src-shared/errors.ts';

/** One connection plus its statement cache, shared by the catalog's parts. */
export class Sql {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.db = db;
  }

  /** The prepared statement for `sql`, prepared once per connection. */
  statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Every row of a query, typed by the caller who wrote the SELECT. */
  all<Row>(sql: string, ...params: unknown[]): Row[] {
    return this.statement(sql)
      .pluck(false)
      .all(...params) as Row[];
  }

  /** The first row of a query, or undefined. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- as in all(): the caller names the row type its SELECT produces; SQLite cannot tell us
  get<Row>(sql: string, ...params: unknown[]): Row | undefined {
    return this.statement(sql)
      .pluck(false)
      .get(...params) as Row | undefined;
  }

  /** The first column of every row, e.g. a list of digests. */
  column<Value>(sql: string, ...params: unknown[]): Value[] {
    return this.statement(sql)
      .pluck(true)
      .all(...params) as Value[];
  }

  /** Runs a write; returns the rows it changed. */
  run(sql: string, ...params: unknown[]): number {
    return this.statement(sql).run(...params).changes;
  }

  /** Runs `fn` in one IMMEDIATE transaction: the write lock is taken up front, so concurrent writers wait (busy_timeout) instead of failing mid-way. */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}

/** Runs a catalog operation and turns any non-Ferry failure into IO_ERROR naming what was being done. */
export function guarded<T>(what: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof FerryError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
    throw new FerryError('IO_ERROR', `catalog ${path}: ${what} failed: ${message}`, code === undefined ? { path } : { path, sqlite: code }, { cause: error });
  }
}

/** The current time as the catalog stores it: ISO 8601 UTC, so text order is time order. */
export function nowIso(): string {
  return new Date().toISOString();
}
