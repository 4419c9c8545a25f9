/**
 * The one YAML reader of Ferry: every YAML file Ferry reads (image sets, and
 * JSON image sets, JSON being YAML 1.2) goes through the `yaml` package with
 * its strict options, so nothing is silently misread and a hostile file costs
 * bounded memory and time. Problems are INVALID_CONTENT naming the file and the
 * line:column; a value's position can be asked for later, so a schema error
 * can point at the line too.
 */
import { open } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type DocumentOptions, type Node, type ParseOptions, type SchemaOptions } from 'yaml';
import { FerryError } from '../../src-shared/errors.ts';

/**
 * Largest YAML document read, in bytes, checked before parsing. An image set
 * is a few kilobytes even with hundreds of references (long lists belong in
 * imageLists files); 1 MiB leaves two orders of magnitude of room while
 * bounding the parser's memory and time on a hostile or mistaken file.
 */
export const YAML_MAX_BYTES = 1024 * 1024;

/**
 * Alias expansions allowed (the `yaml` package's `maxAliasCount`, default 100).
 * A file may share a list through an anchor a few times; a "billion laughs"
 * document, whose aliases multiply, is stopped after this many expansions.
 */
const MAX_ALIAS_COUNT = 16;

/** A position in a file, 1-based, as editors show it. */
export interface TextPosition {
  line: number;
  column: number;
}

/** A path into a document: mapping keys and sequence indexes, as schema errors give them. */
export type ValuePath = readonly PropertyKey[];

/** A read document: its plain value, and where any part of it was written. */
export interface YamlContent {
  value: unknown;
  /** Where the value at `path` starts (`of: 'key'`: its mapping key); the nearest enclosing node when the path goes further than the file. */
  position: (path: ValuePath, of?: 'key' | 'value') => TextPosition | undefined;
}

/** Options for one read. */
export interface YamlReadOptions {
  /** Size cap in bytes; default {@link YAML_MAX_BYTES}. */
  maxBytes?: number;
  /** `json`: the text must also be JSON (a `.json` file), checked with JSON.parse before the strict read. */
  format?: 'yaml' | 'json';
  /** What the file is, for I/O errors: "cannot read image set FILE". */
  what?: string;
}

/**
 * The strict parse options: YAML 1.2's core schema with no custom tags and
 * none of YAML 1.1's (`!!binary`, `!!timestamp`, …), so an unknown tag such as
 * `!!python/object` is a warning, which this reader refuses; unique keys; keys
 * that are strings (a `? [a]` key is refused, not stringified); no `<<` merges;
 * unique keys (checked by {@link duplicateKey}).
 */
const PARSE_OPTIONS: Readonly<ParseOptions & DocumentOptions & SchemaOptions> = {
  version: '1.2',
  schema: 'core',
  customTags: [],
  resolveKnownTags: false,
  merge: false,
  // Checked after parsing, in one pass (duplicateKey): the library compares each new key with every earlier one of its
  // mapping, so a document of a few MiB holding one mapping of many short keys would take minutes.
  uniqueKeys: false,
  stringKeys: true,
  strict: true,
  prettyErrors: false,
};

function tooLarge(file: string, size: number, limit: number): FerryError {
  return new FerryError('INVALID_CONTENT', `${file} is ${size} bytes, more than the ${limit} bytes a YAML file may have`, { file, size, limit });
}

function invalid(file: string, where: TextPosition | undefined, message: string): FerryError {
  const at = where ? `:${where.line}:${where.column}` : '';
  return new FerryError('INVALID_CONTENT', `${file}${at}: ${message}`, { file, ...(where ? { line: where.line, column: where.column } : {}) });
}

/** The 1-based line and column of a character offset. */
function positionOf(text: string, offset: number): TextPosition {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** Refuses text that is not JSON, naming the line:column V8 reports; the message never quotes the text. */
function checkJson(text: string, file: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // V8 names an offset ("at position 13"), the end, or neither ("Unexpected token 'i', "…" is not valid JSON").
    const offset = /at position (\d+)/.exec(message)?.[1];
    const end = message.includes('end of JSON input') ? text.trimEnd().length : undefined;
    const reason = message.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    const at = offset !== undefined ? Number(offset) : end;
    throw invalid(file, at === undefined ? undefined : positionOf(text, at), `not valid JSON: ${reason}`);
  }
}

/** The first key that repeats an earlier one of its mapping (scalar keys compared by value, as the library does), in one pass over the document. */
function duplicateKey(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const value: unknown = pair.key.value;
        const id = `${typeof value}:${String(value)}`;
        if (seen.has(id)) {
          found = pair.key;
          return visit.BREAK;
        }
        seen.add(id);
      }
      return undefined;
    },
  });
  return found;
}

/** The first alias of a document, to place an alias error that the library reports without a position. */
function firstAlias(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_key, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

/** Follows `path` through maps and sequences; returns the deepest node reached, and the pair's key node when asked for. */
function nodeAt(doc: Document, path: ValuePath, of: 'key' | 'value'): Node | undefined {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const step of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(step));
      if (pair) {
        keyNode = pair.key;
        next = pair.value;
      }
    } else if (isSeq(node) && typeof step === 'number') {
      next = node.items[step];
      keyNode = undefined;
    }
    if (next === undefined || next === null) return (of === 'key' && keyNode ? keyNode : node) as Node | undefined;
    node = next;
  }
  return (of === 'key' && keyNode ? keyNode : node) as Node | undefined;
}

/**
 * Parses YAML text strictly; `file` names the source in every error. The size
 * cap is checked first, then syntax errors and warnings (an unknown tag is a
 * warning in the library and an error here), then alias expansion.
 */
export function readYaml(text: string, file: string, options: YamlReadOptions = {}): YamlContent {
  const limit = options.maxBytes ?? YAML_MAX_BYTES;
  const size = Buffer.byteLength(text, 'utf8');
  if (size > limit) throw tooLarge(file, size, limit);
  if (options.format === 'json') checkJson(text.replace(/^\ufeff/, ''), file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lines });
  const at = (offset: number | undefined): TextPosition | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw invalid(file, at(problem.pos[0]), problem.message);
  const repeated = duplicateKey(doc);
  if (repeated) throw invalid(file, at(repeated.range?.[0]), 'Map keys must be unique');
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // Excessive or unresolved aliases: the library throws a ReferenceError without a position.
    if (!(error instanceof ReferenceError)) throw error;
    throw invalid(file, at(firstAlias(doc)?.range?.[0]), error.message);
  }
  return {
    value,
    position: (path, of = 'value') => at(nodeAt(doc, path, of)?.range?.[0]),
  };
}

/** Reads a YAML file with {@link readYaml}; the size cap is checked on the file before it is read into memory. */
export async function readYamlFile(path: string, options: YamlReadOptions = {}): Promise<YamlContent> {
  const limit = options.maxBytes ?? YAML_MAX_BYTES;
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > limit) throw tooLarge(path, size, limit);
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw new FerryError('IO_ERROR', `cannot read ${options.what ? `${options.what} ` : ''}${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { file: path }, { cause: error });
  }
  return readYaml(text, path, options);
}

/** A parsed YAML value as a mapping (a plain object), or undefined when it is a scalar, a list or null: for walking documents whose shape is not trusted. */
export function asMapping(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
