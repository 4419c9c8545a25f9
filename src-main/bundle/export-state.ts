/**
 * The export's own journal, kept in the bundle folder while an export runs:
 * the bundle's identity (so a resumed export keeps its id), the order of its
 * content and the archive parts already completed. It is written durably
 * after each part and removed once ferry.json is in place.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { EXPORT_STATE_DOCUMENT, type ExportStateSchema } from '../../src-shared/schemas/export-state.ts';
import { readMediaJson } from '../base/json-file.ts';
import { writeFileDurable } from '../base/durable-write.ts';

/** The journal's file name: a dot file, outside the OCI layout and never inside a tar part. */
export const EXPORT_STATE_FILE = '.ferry-export.json';

/** What a resumed export needs to continue exactly where the last run stopped, inferred from the journal's schema. */
export type ExportState = z.infer<typeof ExportStateSchema>;

/**
 * Reads the journal strictly against its schema; a missing one, or one that
 * cannot be read or does not match, means a fresh start (its parts are not reused).
 */
export async function readExportState(dir: string): Promise<ExportState | undefined> {
  try {
    return await readMediaJson(dir, EXPORT_STATE_FILE, EXPORT_STATE_DOCUMENT);
  } catch {
    return undefined;
  }
}

/** Writes the journal durably (temp file, fsync, rename). */
export async function saveExportState(dir: string, state: ExportState): Promise<void> {
  await writeFileDurable(join(dir, EXPORT_STATE_FILE), `${JSON.stringify(state)}\n`);
}

/** Removes the journal once the bundle is complete. */
export async function clearExportState(dir: string): Promise<void> {
  await rm(join(dir, EXPORT_STATE_FILE), { force: true });
}

/** True when a journal describes the same plan and form, so its progress can be reused. */
export function sameJob(state: ExportState, job: Pick<ExportState, 'form' | 'partSize' | 'content' | 'index'>): boolean {
  return (
    state.form === job.form &&
    state.partSize === job.partSize &&
    state.index === job.index &&
    state.content.length === job.content.length &&
    state.content.every((digest, i) => digest === job.content[i])
  );
}
