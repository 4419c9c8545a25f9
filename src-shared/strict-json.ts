/**
 * The strict JSON reader for every JSON document Ferry reads from disk, media
 * or a registry. On top of JSON's grammar it refuses, naming the JSON path:
 * documents over a size cap, duplicate keys (parsers disagree on which one
 * wins, so two readers could see two documents) and the prototype keys
 * `__proto__`, `constructor` and `prototype` (they reach Object.prototype
 * through any later `obj[key]` lookup or merge).
 *
 * Speed: the value comes from the engine's JSON.parse. Duplicates are ruled
 * out by counting (see `mayHoldDuplicates`); only a document that could hold
 * one is parsed again by momoa, a kept JSON parser that keeps every member
 * with its location, to name the duplicate (up to EXACT_CHECK_LIMIT). Plain
 * TypeScript, no node imports, so the engine and the renderer share it.
 */
import { parse as parseJsonTree, type DocumentNode, type ValueNode } from '@humanwhocodes/momoa';
import { FerryError, type ErrorCode } from './errors.ts';

/** Keys that reach a prototype through a plain property lookup; refused at any depth. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** How one kind of document is read: what to call it, how big it may be, and the error code a refusal carries. */
export interface StrictJsonOptions {
  /** The file (or subject) errors name, e.g. `/media/usb/bundle/ferry.json`. */
  file: string;
  /** The largest document accepted, in UTF-8 bytes. */
  maxBytes: number;
  /** BUNDLE_INVALID for ferry.json and index.json, INVALID_MANIFEST for manifests; INVALID_CONTENT when not given. */
  code?: ErrorCode;
}

/** A JSON path segment: an object key or an array index. */
export type JsonPathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Writes a path the way error messages name it: `$.images[3].constructor`, `$.annotations["org.opencontainers.image.ref.name"]`. */
export function formatJsonPath(segments: readonly PropertyKey[]): string {
  let path = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path;
}

/** UTF-8 length of a string without encoding it (a lone surrogate counts as the 3 bytes of U+FFFD). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

function countColons(text: string): number {
  let count = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) count += 1;
  return count;
}

/** Deeper nesting than this is refused: no Ferry document comes near it, and the walk below recurses. */
export const MAX_JSON_DEPTH = 512;

/** What the walk counted, for the duplicate test. */
interface Counted {
  members: number;
  colonsInStrings: number;
}

/** Why the walk stopped: a prototype key, or nesting too deep. */
type WalkProblem = 'prototype-key' | 'too-deep';

/**
 * Walks the parsed value: counts the members and the colons inside its
 * strings, for the duplicate test, and stops at the first prototype key or at
 * nesting beyond MAX_JSON_DEPTH. With `path`, it keeps the current path in it
 * (pushed and popped), so a second walk can name where the first one stopped;
 * without, it is the fast first walk. for-in sees exactly the own keys here:
 * JSON.parse defines every member as an own property (`__proto__` included),
 * and an enumerable key inherited from a polluted prototype can only make the
 * count disagree, which sends the text to the exact check.
 */
function walk(value: unknown, counted: Counted, depth: number, path?: JsonPathSegment[]): WalkProblem | undefined {
  if (typeof value === 'string') {
    counted.colonsInStrings += countColons(value);
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_JSON_DEPTH) return 'too-deep';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      path?.push(i);
      const problem = walk(value[i], counted, depth + 1, path);
      if (problem) return problem;
      path?.pop();
    }
    return undefined;
  }
  for (const key in value) {
    path?.push(key);
    if (PROTOTYPE_KEYS.has(key)) return 'prototype-key';
    counted.members += 1;
    counted.colonsInStrings += countColons(key);
    const problem = walk((value as Record<string, unknown>)[key], counted, depth + 1, path);
    if (problem) return problem;
    path?.pop();
  }
  return undefined;
}

/**
 * True when the text may hold a duplicate key. In valid JSON a colon outside a
 * string is a member separator, so the text's colons are (members written) +
 * (colons written inside strings). JSON.parse keeps one member per key; the
 * parsed value's members + the colons of its strings can only be smaller, and
 * equal only when no member was dropped — unless a string spells a colon as
 * `\u003a`, which adds a colon the text does not show; such a text is checked
 * by momoa too.
 */
function mayHoldDuplicates(text: string, parsed: Counted): boolean {
  return countColons(text) !== parsed.members + parsed.colonsInStrings || /\\u003a/i.test(text);
}

/**
 * The largest text the exact duplicate check parses into a tree: momoa's tree
 * is ~14 times the text, so beyond this a document whose count does not add up
 * is refused without locating the duplicate. Ferry writes no `\u003a`, so its
 * own documents never need the exact check.
 */
export const EXACT_CHECK_LIMIT = 16 * 1024 * 1024;

/** The first duplicate key in the tree, with its path and line. */
function findDuplicate(tree: DocumentNode): { segments: JsonPathSegment[]; line: number } | undefined {
  const stack: Array<{ node: ValueNode; segments: JsonPathSegment[] }> = [{ node: tree.body, segments: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { node, segments } = next;
    if (node.type === 'Object') {
      const seen = new Set<string>();
      for (const member of node.members) {
        const key = member.name.type === 'String' ? member.name.value : member.name.name;
        if (seen.has(key)) return { segments: [...segments, key], line: member.name.loc.start.line };
        seen.add(key);
      }
      for (const member of node.members) stack.push({ node: member.value, segments: [...segments, member.name.type === 'String' ? member.name.value : member.name.name] });
    } else if (node.type === 'Array') {
      node.elements.forEach((element, index) => stack.push({ node: element.value, segments: [...segments, index] }));
    }
  }
  return undefined;
}

/**
 * Parses one JSON document strictly. Throws a FerryError with the options'
 * code and `{ file, path }` details for a document that is too large, not
 * JSON, or holds a duplicate or prototype key anywhere.
 */
export function parseStrictJson(input: string | Uint8Array, options: StrictJsonOptions): unknown {
  const code = options.code ?? 'INVALID_CONTENT';
  const refuse = (segments: JsonPathSegment[], reason: string): never => {
    const path = formatJsonPath(segments);
    throw new FerryError(code, `${options.file}: ${reason} at ${path}`, { file: options.file, path });
  };
  const tooLarge = (size: number | string): never => {
    throw new FerryError(code, `${options.file} is ${size} bytes, more than such a file may be (${options.maxBytes})`, { file: options.file, path: '$', size, limit: options.maxBytes });
  };
  let text: string;
  if (typeof input === 'string') {
    // A UTF-8 byte is never fewer than one UTF-16 unit and a unit never more than 3 bytes, so the exact count is needed only in between.
    if (input.length > options.maxBytes) tooLarge(`over ${options.maxBytes}`);
    if (input.length * 3 > options.maxBytes) {
      const bytes = utf8Length(input);
      if (bytes > options.maxBytes) tooLarge(bytes);
    }
    text = input;
  } else {
    if (input.byteLength > options.maxBytes) tooLarge(input.byteLength);
    try {
      // ignoreBOM keeps a byte order mark in the text, so JSON.parse refuses it as it refuses it in a string.
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      return refuse([], 'the text is not valid UTF-8');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Only the position: the engine's message quotes the text, which may be a secret (a vault, a settings file).
    const at = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw new FerryError(code, `${options.file} is not valid JSON${at === undefined ? '' : ` (at character ${at})`}`, { file: options.file, path: '$' });
  }
  const counted: Counted = { members: 0, colonsInStrings: 0 };
  if (walk(value, counted, 0) !== undefined) {
    // Walk again keeping the path, to name where the first walk stopped.
    const path: JsonPathSegment[] = [];
    const problem = walk(value, { members: 0, colonsInStrings: 0 }, 0, path);
    if (problem === 'too-deep') refuse(path, `the document nests deeper than ${MAX_JSON_DEPTH} levels`);
    refuse(path, `the key "${String(path[path.length - 1])}" is not allowed (it names a prototype)`);
  }
  if (mayHoldDuplicates(text, counted)) {
    if (text.length > EXACT_CHECK_LIMIT) refuse([], `may hold a duplicate key: its keys do not add up, and a document over ${EXACT_CHECK_LIMIT} bytes is not parsed again to locate it`);
    let tree: DocumentNode;
    try {
      tree = parseJsonTree(text, { mode: 'json' });
    } catch {
      return refuse([], 'cannot be checked for duplicate keys (the exact parser refuses it)');
    }
    const duplicate = findDuplicate(tree);
    if (duplicate) refuse(duplicate.segments, `the key "${String(duplicate.segments[duplicate.segments.length - 1])}" appears twice in one object (line ${duplicate.line})`);
  }
  return value;
}
