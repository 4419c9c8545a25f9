/**
 * The `signatures/` folder beside ferry.json (issue 14, docs/bundle-format.md):
 * export signatures, approvals and rejections live there, outside the parts, so
 * an officer can add one on the drive without rewriting the bundle. Verify lets
 * the folder through only as it is written: a real folder (never a symlink)
 * holding at most MAX_STATEMENT_FILES regular files named
 * `<safe-name>.sigstore.json`, each at most MAX_STATEMENT_FILE_BYTES; anything
 * else in it is refused by name. What the statements say is trust/statements.ts's
 * business, never verify's: a statement cannot make a bundle intact or broken.
 */
import { FerryError } from '../../src-shared/errors.ts';
import { BUNDLE_FILES, MAX_STATEMENT_FILE_BYTES, MAX_STATEMENT_FILES, STATEMENT_FILE_PATTERN } from '../../src-shared/model/bundle.ts';
import { DURABLE_TEMP_PATTERN } from '../base/durable-write.ts';
import { entryKind, KIND_WORDS, listBundleFolder, safeFileProblem, shown, type SafeDirEntry } from '../base/safe-file.ts';
import { throwIfCancelled, type CheckRecorder } from './verify-report.ts';

/** Refused entries named in one problem line before the rest are counted. */
const NAMED = 10;

/**
 * Checks the `signatures/` folder when the bundle's top folder holds one
 * (`top` is that folder's safe listing); problems go to the `files` check.
 * Nothing is opened: names, kinds and sizes come from the listing and lstat.
 */
export async function checkSignaturesFolder(dir: string, top: readonly SafeDirEntry[], recorder: CheckRecorder, signal?: AbortSignal): Promise<void> {
  const folder = BUNDLE_FILES.signatures;
  const entry = top.find((candidate) => candidate.name === folder);
  if (entry === undefined) return;
  if (entry.kind !== 'directory') {
    recorder.fail('files', `${folder} is ${KIND_WORDS[entry.kind]}, not a folder: statements are only read from a real ${folder} folder beside ferry.json`);
    return;
  }
  let listed: SafeDirEntry[];
  try {
    listed = (await listBundleFolder(dir, folder, signal ? { signal } : {})) ?? [];
  } catch (error) {
    if (safeFileProblem(error) === 'cancelled' || !(error instanceof FerryError)) throw error;
    recorder.fail('files', error.message, error.code);
    return;
  }
  const refused: string[] = [];
  let statements = 0;
  for (const file of listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    throwIfCancelled(signal);
    const name = `${folder}/${shown(file.name)}`;
    // A durable write's temp file: an approval being written when the drive was pulled; harmless and never read.
    if (DURABLE_TEMP_PATTERN.test(file.name) && file.kind === 'file') continue;
    if (!STATEMENT_FILE_PATTERN.test(file.name)) {
      refused.push(`${name} (not a statement file name: <name>.sigstore.json)`);
      continue;
    }
    if (file.kind !== 'file') {
      refused.push(`${name} (${KIND_WORDS[file.kind]}, not a regular file)`);
      continue;
    }
    const info = await entryKind(dir, `${folder}/${file.name}`, signal ? { signal } : {}).catch((error: unknown) => {
      if (safeFileProblem(error) === 'cancelled') throw error;
      return error instanceof Error ? error.message : String(error);
    });
    if (typeof info === 'string') refused.push(`${name} (${info})`);
    else if (info === undefined)
      continue; // removed since the listing: nothing there to refuse
    else if (info.kind !== 'file') refused.push(`${name} (${KIND_WORDS[info.kind]}, not a regular file)`);
    else if (info.size > MAX_STATEMENT_FILE_BYTES) refused.push(`${name} (${info.size} bytes, more than a statement may be: ${MAX_STATEMENT_FILE_BYTES})`);
    else statements += 1;
  }
  if (refused.length > 0) {
    const more = refused.length > NAMED ? `, … (${refused.length} in all)` : '';
    recorder.fail('files', `the ${folder} folder holds files that are not statements: ${refused.slice(0, NAMED).join(', ')}${more}`);
  }
  if (statements > MAX_STATEMENT_FILES) recorder.fail('files', `the ${folder} folder holds ${statements} statements, more than a bundle may carry (${MAX_STATEMENT_FILES})`);
}
