/**
 * The export's own journal, kept in the bundle folder while an export runs:
 * the bundle's identity (so a resumed export keeps its id), the order of its
 * content and the archive parts already completed. It is written durably
 * after each part and removed once ferry.json is in place.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PartInfo } from './parts.ts';
import { writeFileDurable } from '../base/durable-write.ts';

/** The journal's file name: a dot file, outside the OCI layout and never inside a tar part. */
export const EXPORT_STATE_FILE = '.ferry-export.json';

/** What a resumed export needs to continue exactly where the last run stopped. */
export interface ExportState {
  version: 1;
  bundleId: string;
  created: string;
  form: 'directory' | 'archive';
  partSize: number | null;
  /** Digests of the content in write order; a different plan means the parts cannot be reused. */
  content: string[];
  /** sha256 of index.json: the same blobs under other names are a different bundle. */
  index: string;
  parts: PartInfo[];
}

/** Reads the journal; a missing or unreadable one means a fresh start. */
export async function readExportState(dir: string): Promise<ExportState | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, EXPORT_STATE_FILE), 'utf8')) as Partial<ExportState>;
    if (parsed.version !== 1 || typeof parsed.bundleId !== 'string' || typeof parsed.index !== 'string' || !Array.isArray(parsed.content) || !Array.isArray(parsed.parts)) return undefined;
    return parsed as ExportState;
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
  return state.form === job.form && state.partSize === job.partSize && state.index === job.index
    && state.content.length === job.content.length && state.content.every((digest, i) => digest === job.content[i]);
}
