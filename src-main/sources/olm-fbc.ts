/**
 * The files of a file-based catalog (FBC): under the catalog root
 * (`/configs` unless the image's configs label says otherwise) each package
 * folder holds one or more files of `olm.package`, `olm.channel` and
 * `olm.bundle` objects. opm reads a file as JSON when it starts with `{` (a
 * stream of objects, as `opm render` writes them) and as YAML otherwise (one
 * or many `---` documents); so does this reader. The objects go to
 * olm-dependencies.ts readOlmCatalog, the one fold of every catalog format.
 * https://olm.operatorframework.io/docs/reference/file-based-catalogs/
 */
import { parseAllDocuments } from 'yaml';
import { FerryError } from '../../src-shared/errors.ts';

/** Alias expansions allowed per YAML document; a catalog has no reason to use anchors at all. */
const MAX_ALIAS_COUNT = 16;

/** Catalog files are `.json`, `.yaml` or `.yml`; anything else under the root (README, icons) is not read. */
export const FBC_FILE = /\.(json|ya?ml)$/;

/** Splits a stream of concatenated JSON values (what `opm render` writes) into parsed values; each value goes through JSON.parse. */
export function parseJsonStream(text: string, where: string): unknown[] {
  const values: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (i >= text.length) break;
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (depth === 0) {
        throw new FerryError('INVALID_MANIFEST', `${where}: expected a JSON object at offset ${start}`, { path: where });
      }
    }
    try {
      values.push(JSON.parse(text.slice(start, i)));
    } catch (error) {
      throw new FerryError('INVALID_MANIFEST', `${where}: invalid JSON at offset ${start}: ${error instanceof Error ? error.message : String(error)}`, { path: where });
    }
  }
  return values;
}

/** Reads a YAML stream (one or many `---` documents) strictly with the `yaml` package: YAML 1.2 core schema, no custom tags, unique keys, no merges. */
export function parseYamlStream(text: string, where: string): unknown[] {
  const documents = parseAllDocuments(text, { version: '1.2', schema: 'core', customTags: [], resolveKnownTags: false, merge: false, uniqueKeys: true, strict: true, prettyErrors: true });
  if ('empty' in documents) {
    // A stream of only comments or directives: no document, but it may still carry errors.
    const problem = documents.errors[0];
    if (problem) throw new FerryError('INVALID_MANIFEST', `${where}: invalid YAML: ${problem.message}`, { path: where });
    return [];
  }
  const values: unknown[] = [];
  for (const [n, doc] of documents.entries()) {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw new FerryError('INVALID_MANIFEST', `${where}: document ${n + 1}: invalid YAML: ${problem.message}`, { path: where, document: n + 1 });
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      throw new FerryError('INVALID_MANIFEST', `${where}: document ${n + 1}: ${error instanceof Error ? error.message : String(error)}`, { path: where, document: n + 1 });
    }
    // `---` followed by nothing is an empty document, not an object.
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/** The catalog objects of one file: JSON when it starts with `{` (as opm decides), YAML otherwise. */
export function parseCatalogFile(bytes: Buffer, where: string): unknown[] {
  const text = bytes.toString('utf8');
  return text.trimStart().startsWith('{') ? parseJsonStream(text, where) : parseYamlStream(text, where);
}

/** Normalises the configs label (`/configs/`, `./configs`) to the tar path prefix `configs`. */
export function normaliseRoot(label: string): string {
  return label.replace(/^\.?\/+/, '').replace(/\/+$/, '');
}

/** The package folder a catalog file belongs to (`configs/<package>/…`, or `configs/<package>.json` at the root); undefined outside the root. */
export function packageFolderOf(root: string, path: string): string | undefined {
  const prefix = root === '' ? '' : `${root}/`;
  if (!path.startsWith(prefix) || !FBC_FILE.test(path)) return undefined;
  const rest = path.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? rest.replace(FBC_FILE, '') : rest.slice(0, slash);
}
