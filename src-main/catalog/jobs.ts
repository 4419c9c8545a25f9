/**
 * The job journal: export and import note each item (blob, manifest, part)
 * as it completes, so a killed job restarts where it stopped instead of from
 * the beginning. One running job per (kind, key); starting it again resumes it.
 */
import type { JobItemState, JobKind, JobStatus, JobSummary } from './types.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseObject, sanitisedJson } from './sanitise.ts';
import { nowIso, type Sql } from './sql.ts';
import { requireLimit, requireOneOf, requireSize, requireText } from './validate.ts';

const JOB_KINDS = ['export', 'import'] as const;
const ITEM_STATES = ['done', 'failed'] as const;
const END_STATES = ['succeeded', 'failed', 'cancelled'] as const;

/**
 * Starts a job, or resumes the running one with the same kind and key (the
 * caller derives the key from what the job produces, e.g. the bundle folder).
 * Params are stored without secret-looking keys; a resumed job keeps its
 * original params.
 */
export function startJob(sql: Sql, kind: JobKind, key: string, params: Record<string, unknown>): { id: number; resumed: boolean } {
  const jobKind = requireOneOf('job kind', kind, JOB_KINDS);
  const jobKey = requireText('job key', key);
  const stored = sanitisedJson('job params', params);
  return sql.write(() => {
    const now = nowIso();
    const running = sql.get<{ id: number }>("SELECT id FROM jobs WHERE kind = ? AND key = ? AND status = 'running'", jobKind, jobKey);
    if (running !== undefined) {
      sql.run('UPDATE jobs SET resumes = resumes + 1, updated = ? WHERE id = ?', now, running.id);
      return { id: running.id, resumed: true };
    }
    const id = sql.statement('INSERT INTO jobs (kind, key, params, started, updated) VALUES (?, ?, ?, ?, ?) RETURNING id').pluck(true).get(jobKind, jobKey, stored, now, now) as number;
    return { id, resumed: false };
  });
}

function requireJob(sql: Sql, jobId: number): { status: JobStatus } {
  const job = Number.isSafeInteger(jobId) ? sql.get<{ status: JobStatus }>('SELECT status FROM jobs WHERE id = ?', jobId) : undefined;
  if (job === undefined) throw new FerryError('NOT_FOUND', `no job ${jobId} in the catalog`, { jobId });
  return job;
}

/** Notes one item of a job as done or failed (the last call for an item wins). */
export function markItem(sql: Sql, jobId: number, item: string, state: JobItemState, bytes?: number): void {
  const itemName = requireText('job item', item);
  const itemState = requireOneOf('item state', state, ITEM_STATES);
  const size = bytes === undefined ? null : requireSize('bytes', bytes);
  const now = nowIso();
  try {
    sql.write(() => {
      sql.run(
        `INSERT INTO job_items (job_id, item, state, bytes, updated) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (job_id, item) DO UPDATE SET state = excluded.state, bytes = excluded.bytes, updated = excluded.updated`,
        jobId,
        itemName,
        itemState,
        size,
        now,
      );
      sql.run('UPDATE jobs SET updated = ? WHERE id = ?', now, jobId);
    });
  } catch (error) {
    // The foreign key refuses an unknown job; report that as NOT_FOUND rather than a constraint failure.
    requireJob(sql, jobId);
    throw error;
  }
}

/** The items a resumed job can skip. */
export function doneItems(sql: Sql, jobId: number): Set<string> {
  requireJob(sql, jobId);
  return new Set(sql.column<string>("SELECT item FROM job_items WHERE job_id = ? AND state = 'done'", jobId));
}

/** Ends a running job; its journal stays for `ferry catalog` and support, and the next start of the same key begins afresh. */
export function finishJob(sql: Sql, jobId: number, status: Exclude<JobStatus, 'running'>, bundleId?: string): void {
  const endStatus = requireOneOf('job status', status, END_STATES);
  const bundle = bundleId === undefined ? null : requireText('bundle id', bundleId);
  sql.write(() => {
    const job = requireJob(sql, jobId);
    if (job.status !== 'running') {
      throw new FerryError('INVALID_ARGUMENT', `job ${jobId} already ended (${job.status})`, { jobId, status: job.status });
    }
    const now = nowIso();
    sql.run('UPDATE jobs SET status = ?, finished = ?, updated = ?, bundle_id = coalesce(?, bundle_id) WHERE id = ?', endStatus, now, now, bundle, jobId);
  });
}

/** Jobs newest first, with their journal counts. */
export function jobs(sql: Sql, limit: number): JobSummary[] {
  const rows = sql.all<Omit<JobSummary, 'params'> & { params: string }>(
    `SELECT j.id AS id, j.kind AS kind, j.key AS key, j.params AS params, j.status AS status, j.started AS started,
       j.updated AS updated, j.finished AS finished, j.resumes AS resumes, j.bundle_id AS bundleId,
       (SELECT count(*) FROM job_items WHERE job_id = j.id AND state = 'done') AS done,
       (SELECT count(*) FROM job_items WHERE job_id = j.id AND state = 'failed') AS failed,
       (SELECT coalesce(sum(bytes), 0) FROM job_items WHERE job_id = j.id AND state = 'done') AS bytes
     FROM jobs j ORDER BY j.id DESC LIMIT ?`,
    requireLimit(limit),
  );
  return rows.map((row) => ({ ...row, params: parseObject(row.params) }));
}
