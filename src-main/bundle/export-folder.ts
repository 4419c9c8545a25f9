/**
 * What an export may find in its target folder and how it tidies it: only a
 * Ferry export (its journal or its ferry.json) is resumed or reused; leftovers
 * of an earlier, different job are removed after the new journal is durable,
 * so a kill at any instant leaves a journal that describes what is on disk.
 * A partial bundle run again is retired the same way, and the archive form
 * resumes from the parts the journal records.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../src-shared/errors.ts';
import { isFerryLeftover } from '../base/leftovers.ts';
import { entryKind, KIND_WORDS, listBundleFolder, type SafeDirEntry } from '../base/safe-file.ts';
import { BUNDLE_FILES, type BundleManifest } from '../../src-shared/model/bundle.ts';
import { readBundleManifestIfPresent } from './bundle-manifest.ts';
import { EXPORT_STATE_FILE, readExportState, saveExportState, type ExportState } from './export-state.ts';
import { partName, type PartInfo } from './parts.ts';
import { writeArchiveForm } from './write-archive.ts';
import type { FormWriterContext } from './write-directory.ts';

/** Every name an export writes at the top of its folder (`signatures/` when it signs the bundle). */
const OWN_ENTRY = /^(oci-layout|index\.json|ferry\.json|blobs|signatures|\.ferry-export\.json|part-\d{6}\.tar(\.partial)?)$/;

/** What the folder holds before an export starts. */
export interface FolderState {
  /** A finished bundle (ferry.json), already schema-checked. */
  finished: BundleManifest | undefined;
  /** The journal of an unfinished export. */
  journal: ExportState | undefined;
}

/**
 * Reads the folder; refuses one that holds anything but a Ferry export, and
 * one that holds export files without the journal that proves they are ours
 * (another tool's OCI layout is never reused, since its blobs were not verified by us).
 */
export async function inspectFolder(dir: string): Promise<FolderState> {
  const entries = ((await listBundleFolder(dir, '', { code: 'INVALID_ARGUMENT' })) ?? []).filter((entry) => !isFerryLeftover(entry.name));
  const names = entries.map((entry) => entry.name);
  const foreign = names.filter((name) => !OWN_ENTRY.test(name));
  if (foreign.length > 0) {
    throw new FerryError('INVALID_ARGUMENT', `${dir} is not empty and is not a Ferry bundle (found ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); choose an empty folder`, {
      path: dir,
    });
  }
  await refuseOddKinds(dir, entries);
  const finished = names.includes(BUNDLE_FILES.manifest) ? await readBundleManifestIfPresent(dir) : undefined;
  const journal = await readExportState(dir);
  if (!finished && !journal && names.length > 0) {
    throw new FerryError(
      'INVALID_ARGUMENT',
      `${dir} holds ${names.slice(0, 3).join(', ')} but no Ferry export journal (${EXPORT_STATE_FILE}): it was not written by this export; choose an empty folder`,
      { path: dir },
    );
  }
  return { finished, journal };
}

/**
 * Refuses a folder whose export names are not what an export writes: `blobs`
 * and `blobs/sha256` real folders, everything else a regular file. A symlink
 * there (to a host folder, say) would have the export write through it.
 */
async function refuseOddKinds(dir: string, entries: SafeDirEntry[]): Promise<void> {
  const odd = (name: string, kind: SafeDirEntry['kind'], wanted: 'directory' | 'file'): FerryError =>
    new FerryError('INVALID_ARGUMENT', `${dir} holds ${name} as ${KIND_WORDS[kind]} where an export writes ${KIND_WORDS[wanted]}: it was not written by an export; choose an empty folder`, {
      path: join(dir, name),
    });
  for (const entry of entries) {
    const wanted = entry.name === 'blobs' || entry.name === BUNDLE_FILES.signatures ? 'directory' : 'file';
    if (entry.kind !== wanted) throw odd(entry.name, entry.kind, wanted);
  }
  if (!entries.some((entry) => entry.name === 'blobs')) return;
  for (const entry of (await listBundleFolder(dir, 'blobs', { code: 'INVALID_ARGUMENT' })) ?? []) {
    if (entry.name === 'sha256' && entry.kind !== 'directory') throw odd('blobs/sha256', entry.kind, 'directory');
  }
}

/** Removes what an earlier job left that the new one cannot use: all its parts, and for an archive the layout files too. */
export async function removeStale(dir: string, previous: ExportState, form: 'directory' | 'archive'): Promise<void> {
  for (let index = 0; index <= previous.parts.length; index += 1) {
    await rm(join(dir, partName(index)), { force: true });
    await rm(join(dir, `${partName(index)}.partial`), { force: true });
  }
  if (form === 'archive') {
    for (const name of [BUNDLE_FILES.ociLayout, BUNDLE_FILES.index, 'blobs']) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** The journaled parts that are still on disk with their recorded size, up to the first one that is not. */
export async function partsStillThere(dir: string, parts: PartInfo[]): Promise<PartInfo[]> {
  const kept: PartInfo[] = [];
  for (const part of parts) {
    // lstat only: a symlink or FIFO in place of a part is not a part this export wrote.
    const info = await entryKind(dir, part.name).catch(() => undefined);
    if (info?.kind !== 'file' || info.size !== part.size) break;
    kept.push(part);
  }
  return kept;
}

/** Removes Ferry's leftovers a kill left at the top of the folder (durable-write temps, a media write probe). */
export async function sweepTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) if (isFerryLeftover(name)) await rm(join(dir, name), { force: true });
}

/**
 * A finished partial bundle in the folder, run again: its ferry.json (and the
 * signatures over it) and its parts go, after the new journal is durable, so
 * the export retries what it skipped and reuses the blobs it wrote.
 */
export async function retirePartial(dir: string, finished: BundleManifest): Promise<void> {
  await rm(join(dir, BUNDLE_FILES.manifest), { force: true });
  await rm(join(dir, BUNDLE_FILES.signatures), { recursive: true, force: true });
  for (const part of finished.parts) await rm(join(dir, part.name), { force: true });
}

/**
 * Writes the archive form, resuming the parts a killed run completed (the
 * journal records each one as it closes), and starts the parts over once when
 * bytes a killed run left in them fail their digest.
 */
export async function writeArchive(context: FormWriterContext, partSize: number, state: ExportState, dir: string): Promise<PartInfo[]> {
  const archive = { ...context, partSize, mtime: new Date(state.created), completedParts: state.parts };
  const onPartComplete = async (parts: PartInfo[]): Promise<void> => saveExportState(dir, { ...state, parts });
  try {
    return await writeArchiveForm({ ...archive, onPartComplete });
  } catch (error) {
    // Bytes a killed run left in completed parts failed their blob's digest: start the archive over, once.
    const badResume = state.parts.length > 0 && error instanceof FerryError && (error.code === 'DIGEST_MISMATCH' || error.code === 'SIZE_MISMATCH');
    if (!badResume) throw error;
    await saveExportState(dir, { ...state, parts: [] });
    await removeStale(dir, state, 'directory');
    return writeArchiveForm({ ...archive, completedParts: [], onPartComplete });
  }
}
