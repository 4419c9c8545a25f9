/**
 * The strict JSON reader: duplicate keys, prototype keys, oversize documents,
 * and what it must still accept exactly as JSON.parse reads it.
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import { EXACT_CHECK_LIMIT, formatJsonPath, MAX_JSON_DEPTH, parseStrictJson } from '../../src-shared/strict-json.ts';

const options = { file: 'doc.json', maxBytes: 1024 * 1024 };

function refusal(input: string | Uint8Array, given: Partial<typeof options> & { code?: FerryError['code'] } = {}): FerryError {
  try {
    parseStrictJson(input, { ...options, ...given });
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error(`accepted: ${String(input).slice(0, 80)}`);
}

describe('parseStrictJson refuses duplicate keys, naming the path', () => {
  const cases: Array<[string, string, string]> = [
    ['at the top', '{"a": 1, "b": 2, "a": 3}', '$.a'],
    ['nested in an object', '{"x": {"y": {"k": 1, "k": 1}}}', '$.x.y.k'],
    ['inside an array element', '{"images": [{"n": 1}, {"n": 2}, {"n": 3}, {"digest": "a", "size": 1, "digest": "b"}]}', '$.images[3].digest'],
    ['with a key that is not an identifier', '{"m": {"a.b c": 1, "a.b c": 2}}', '$.m["a.b c"]'],
    ['with the same value twice', '{"a": "same", "a": "same"}', '$.a'],
    ['written with an escape the second time', '{"ab": 1, "a\\u0062": 2}', '$.ab'],
    ['hidden behind an escaped colon in a kept string', '{"a": 1, "a": "\\u003a"}', '$.a'],
    ["in a dropped duplicate's value too", '{"a": {"k": 1, "k": 2}, "b": 1}', '$.a.k'],
  ];
  it.each(cases)('%s', (_name, text, path) => {
    const error = refusal(text);
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.details).toMatchObject({ file: 'doc.json', path });
    expect(error.message).toContain(`at ${path}`);
    expect(error.message).toMatch(/appears twice in one object \(line \d+\)/);
  });

  it('names the line of the second occurrence', () => {
    expect(refusal('{\n  "a": 1,\n  "b": 2,\n  "a": 3\n}').message).toContain('(line 4)');
  });

  it('carries the code the document kind asks for', () => {
    expect(refusal('{"a": 1, "a": 1}', { code: 'BUNDLE_INVALID' }).code).toBe('BUNDLE_INVALID');
  });
});

describe('parseStrictJson refuses prototype keys anywhere', () => {
  const cases: Array<[string, string]> = [
    ['{"__proto__": {"polluted": true}}', '$.__proto__'],
    ['{"constructor": {"prototype": {}}}', '$.constructor'],
    ['{"a": {"prototype": 1}}', '$.a.prototype'],
    ['{"images": [{}, {}, {}, {"name": "x", "constructor": "y"}]}', '$.images[3].constructor'],
    ['[[{"ok": 1}], [{"__proto__": null}]]', '$[1][0].__proto__'],
  ];
  it.each(cases)('%s', (text, path) => {
    const error = refusal(text);
    expect(error.details).toMatchObject({ file: 'doc.json', path });
    expect(error.message).toContain('names a prototype');
  });

  it('leaves Object.prototype alone', () => {
    refusal('{"__proto__": {"polluted": true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts the same words as values and inside longer keys', () => {
    expect(parseStrictJson('{"name": "constructor", "my__proto__": "prototype", "toString": 1}', options)).toEqual({ name: 'constructor', my__proto__: 'prototype', toString: 1 });
  });
});

describe('parseStrictJson enforces the size cap before parsing', () => {
  it('refuses a string over the cap', () => {
    const error = refusal(`"${'a'.repeat(100)}"`, { maxBytes: 50 });
    expect(error.message).toMatch(/doc.json is .* bytes, more than such a file may be \(50\)/);
    expect(error.details).toMatchObject({ file: 'doc.json', path: '$', limit: 50 });
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = `"${'é'.repeat(30)}"`; // 32 characters, 62 bytes
    expect(refusal(text, { maxBytes: 61 }).details).toMatchObject({ size: 62 });
    expect(parseStrictJson(text, { ...options, maxBytes: 62 })).toBe('é'.repeat(30));
  });

  it('refuses bytes over the cap without decoding them', () => {
    expect(refusal(new Uint8Array(51).fill(0x20), { maxBytes: 50 }).details).toMatchObject({ size: 51 });
  });

  it('refuses nesting deeper than the walk allows', () => {
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(refusal(deep).message).toContain(`deeper than ${MAX_JSON_DEPTH}`);
  });
});

describe('parseStrictJson reads valid JSON exactly as JSON.parse does', () => {
  const documents = [
    '{}',
    '[]',
    'null',
    'true',
    '0',
    '-1.5e3',
    '"text"',
    '{"formatVersion": 1, "blobs": [{"digest": "sha256:abc", "size": 10}], "parent": null}',
    '{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}',
    '{"colons": "a:b:c", "key:with:colons": ["x:y", ":"], "escaped": "\\u003a\\u003A"}',
    '{"unicode": "żółw 🐢", "escapes": "\\n\\t\\"\\\\\\/"}',
    ' \n\t{ "spaced" : [ 1 , 2 ] } \n',
  ];
  it.each(documents)('%s', (text) => {
    expect(parseStrictJson(text, options)).toEqual(JSON.parse(text));
    expect(parseStrictJson(new TextEncoder().encode(text), options)).toEqual(JSON.parse(text));
  });

  it('refuses what is not JSON, naming the file but not quoting the text', () => {
    const error = refusal('{"password": "hunter2",');
    expect(error.message).toMatch(/^doc.json is not valid JSON/);
    expect(error.message).not.toContain('hunter2');
    expect(error.details).toMatchObject({ file: 'doc.json', path: '$' });
  });

  it('refuses a byte order mark and bytes that are not UTF-8', () => {
    expect(refusal(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])).message).toContain('not valid JSON');
    expect(refusal(new Uint8Array([0x22, 0xff, 0x22])).message).toContain('not valid UTF-8');
  });
});

describe('formatJsonPath', () => {
  it('writes identifiers with dots, indexes in brackets and other keys quoted', () => {
    expect(formatJsonPath([])).toBe('$');
    expect(formatJsonPath(['images', 3, 'constructor'])).toBe('$.images[3].constructor');
    expect(formatJsonPath(['annotations', 'org.opencontainers.image.ref.name'])).toBe('$.annotations["org.opencontainers.image.ref.name"]');
  });
});

describe('parseStrictJson on large documents', () => {
  it('refuses a duplicate in a document too large to locate it, rather than build a tree of it', () => {
    const filler = `"${'x'.repeat(EXACT_CHECK_LIMIT)}"`;
    const error = refusal(`{"a": ${filler}, "b": 1, "b": 2}`, { maxBytes: 2 * EXACT_CHECK_LIMIT });
    expect(error.message).toContain('may hold a duplicate key');
    expect(error.details).toMatchObject({ path: '$' });
    expect(parseStrictJson(`{"a": ${filler}, "b": 1}`, { ...options, maxBytes: 2 * EXACT_CHECK_LIMIT })).toMatchObject({ b: 1 });
  });
});
