/**
 * Image list files (`--images FILE`): one reference per line, `#` comments,
 * as KET's seed-registry and hauler's lists are written.
 */
import { readFile } from 'node:fs/promises';
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { parseReference } from '../oci/reference.ts';

/** One reference of a list, with where it came from for error messages. */
export interface ListedReference {
  reference: Reference;
  text: string;
  line: number;
}

/** Parses list text; every bad line is reported at once, each with its file and line number. */
export function parseImageList(text: string, fileName: string): ListedReference[] {
  const out: ListedReference[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') return;
    try {
      out.push({ reference: parseReference(line), text: line, line: index + 1 });
    } catch (error) {
      problems.push(`${fileName}:${index + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  if (problems.length > 0) {
    throw new FerryError('INVALID_REFERENCE', `${problems.length} bad reference${problems.length > 1 ? 's' : ''} in ${fileName}:\n  ${problems.join('\n  ')}`, { file: fileName, problems });
  }
  if (out.length === 0) throw new FerryError('INVALID_CONTENT', `${fileName} lists no images`, { file: fileName });
  return out;
}

/** Reads and parses an image list file; a missing file is an error naming it. */
export async function readImageList(path: string): Promise<ListedReference[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FerryError('IO_ERROR', `cannot read image list ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { file: path });
  }
  return parseImageList(text, path);
}

/**
 * Where a source lands under `--to REGISTRY/PREFIX`: the source host is
 * dropped and its path kept, as oc-mirror does.
 */
export function mirrorDestination(source: Reference, registry: string, prefix: string): Reference {
  const repository = prefix === '' ? source.repository : `${prefix}/${source.repository}`;
  const out: Reference = { registry, repository };
  if (source.tag !== undefined) out.tag = source.tag;
  if (source.digest !== undefined) out.digest = source.digest;
  return out;
}
