/**
 * The strict YAML reader (base/yaml-read.ts): what hand-written parsers
 * misread is read exactly as the `yaml` package's own `parse` reads it, or
 * refused with the line; duplicate keys, unknown tags, alias bombs and
 * oversize documents are refused naming the file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readYaml, readYamlFile, YAML_MAX_BYTES } from '../../src-main/base/yaml-read.ts';
import { FerryError } from '../../src-shared/errors.ts';

function refusal(run: () => unknown): FerryError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    return error as FerryError;
  }
  throw new Error('expected a FerryError');
}

/** Reads `text` both ways: the reader's value must equal `yaml`'s, or the reader must refuse with a line number. */
function sameAsYaml(text: string): { value: unknown } | { line: number } {
  let reference: unknown;
  let referenceFailed = false;
  try {
    reference = parse(text);
  } catch {
    referenceFailed = true;
  }
  try {
    const { value } = readYaml(text, 'set.yaml');
    expect(referenceFailed, 'the reader accepted what yaml refuses').toBe(false);
    expect(value).toEqual(reference);
    return { value };
  } catch (error) {
    if (!(error instanceof FerryError)) throw error;
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.details).toMatchObject({ file: 'set.yaml' });
    expect(error.message).toMatch(/^set\.yaml:\d+:\d+: /);
    return { line: Number(error.details?.line) };
  }
}

describe('read exactly as yaml reads it, or refused with a line number', () => {
  it('a: [b: c] is a list holding a one-pair mapping', () => {
    expect(sameAsYaml('a: [b: c]\n')).toEqual({ value: { a: [{ b: 'c' }] } });
  });

  it('a: {b:1} is a mapping whose only key is "b:1"', () => {
    expect(sameAsYaml('a: {b:1}\n')).toEqual({ value: { a: { 'b:1': null } } });
  });

  it('a tab before # starts a comment', () => {
    expect(sameAsYaml('a: b\t# comment\nc: [d,\t# comment\n  e]\n')).toEqual({ value: { a: 'b', c: ['d', 'e'] } });
  });

  it('a: b: c is refused, naming its line', () => {
    expect(sameAsYaml('x: 1\na: b: c\n')).toEqual({ line: 2 });
  });

  it.each([
    ['block and flow collections', 'platforms: [linux/amd64, "linux/arm64"]\nimages:\n  - quay.io/org/app:v1   # pinned\nimageLists:\n- lists/ket-1.6.txt\n'],
    ['quoting and typed scalars', 'quoted: "a \\"b\\" #c"\nsingle: \'it\'\'s\'\nnumbers: [1, -2, 3.5, 0, 0x1f, 0o17]\nbooleans: [true, yes, on, null, ~]\nempty:\n'],
    ['nested sequences', 'a:\n  - - x\n    - y\n  -\n    - z\nb: {c: [1, 2], d: {e: f}}\n'],
    ['block scalars and anchors', 'a: |\n  two\n  lines\nb: >-\n  folded\n  text\nlist: &l [x, y]\nagain: *l\n'],
    ['a document marker and a byte-order mark', '\ufeff---\na: 1\n...\n'],
  ])('%s', (_name, text) => {
    expect(sameAsYaml(text)).toHaveProperty('value');
  });
});

describe('refusals name the file and the line:column', () => {
  it.each([
    ['a duplicate key', 'images: []\ntags: []\nimages: [x]\n', 3, 1],
    ['a duplicate key in a flow mapping', 'a: {b: 1, b: 2}\n', 1, 11],
    ['an unknown tag', 'a: 1\nb: !!python/object:os.system x\n', 2, 4],
    ['a local tag', 'a: !secret x\n', 1, 4],
    ['a YAML 1.1 tag outside the core schema', 'a: !!binary aGVsbG8=\n', 1, 4],
    ['a collection as a key', '? [a]\n: 1\n', 1, 3],
    ['two documents', 'a: 1\n---\nb: 2\n', 2, 1],
    ['a tab as indentation', 'a:\n\t- x\n', 2, 1],
    ['an unterminated flow sequence', 'a: [1, 2\n', 2, 1],
    ['an alias before its anchor', 'a: *x\nb: &x 1\n', 1, 4],
  ])('%s', (_name, text, line, column) => {
    const error = refusal(() => readYaml(text, 'set.yaml'));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.details).toMatchObject({ file: 'set.yaml', line, column });
    expect(error.message.startsWith(`set.yaml:${line}:${column}: `)).toBe(true);
  });

  it('an alias bomb stops after a few expansions, naming an alias', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join(
      '\n',
    );
    const error = refusal(() => readYaml(bomb, 'bomb.yaml'));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toMatch(/^bomb\.yaml:2:\d+: .*alias/);
  });

  it('a few shared anchors still read', () => {
    expect(readYaml('list: &l [a, b]\none: *l\ntwo: *l\nthree: *l\n', 'set.yaml').value).toEqual({ list: ['a', 'b'], one: ['a', 'b'], two: ['a', 'b'], three: ['a', 'b'] });
  });

  it('an oversize document is refused before it is parsed', () => {
    // Invalid YAML past the limit: a parse would fail with a syntax error, the size check answers first.
    const error = refusal(() => readYaml(`a: [${'x'.repeat(YAML_MAX_BYTES)}`, 'big.yaml'));
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain('big.yaml');
    expect(error.details).toMatchObject({ file: 'big.yaml', limit: YAML_MAX_BYTES });
    expect(refusal(() => readYaml('a: 12345\n', 'small.yaml', { maxBytes: 8 })).details).toMatchObject({ size: 9, limit: 8 });
  });

  it('__proto__ stays an own key and never reaches a prototype', () => {
    const { value } = readYaml('__proto__: {polluted: true}\n', 'set.yaml');
    expect(Object.hasOwn(value as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('positions for later checks', () => {
  it('finds a value, a key, and the nearest node of a path that goes further than the file', () => {
    const content = readYaml('tags:\n  - repository: r\n    latest: 0\ndeckhouse:\n  source: x\n', 'set.yaml');
    expect(content.position(['tags', 0, 'latest'])).toEqual({ line: 3, column: 13 });
    expect(content.position(['tags', 0, 'latest'], 'key')).toEqual({ line: 3, column: 5 });
    expect(content.position(['tags', 0, 'semver'])).toEqual({ line: 2, column: 5 });
    expect(content.position(['deckhouse'], 'key')).toEqual({ line: 4, column: 1 });
  });
});

describe('files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-yaml-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('checks the size on the file before reading it', async () => {
    const path = join(dir, 'big.yaml');
    await writeFile(path, 'a: 1\n'.repeat(10));
    await expect(readYamlFile(path, { maxBytes: 20 })).rejects.toMatchObject({ code: 'INVALID_CONTENT', details: { file: path, size: 50, limit: 20 } });
  });

  it('a missing file is an IO_ERROR naming it', async () => {
    const path = join(dir, 'missing.yaml');
    await expect(readYamlFile(path, { what: 'image set' })).rejects.toMatchObject({ code: 'IO_ERROR', message: `cannot read image set ${path}: ENOENT` });
  });

  it('in JSON mode, text that is not JSON is refused with its line:column, and JSON gets the same strict read', async () => {
    const path = join(dir, 'set.json');
    await writeFile(path, '{\n  "images": ["a"],\n  "tags": []\n  "x": 1\n}\n');
    await expect(readYamlFile(path, { format: 'json' })).rejects.toMatchObject({ code: 'INVALID_CONTENT', details: { file: path, line: 4, column: 3 } });
    await writeFile(path, '{"images": ["a"]');
    await expect(readYamlFile(path, { format: 'json' })).rejects.toMatchObject({ code: 'INVALID_CONTENT', details: { file: path, line: 1, column: 17 } });
    await writeFile(path, 'images: [a]\n');
    await expect(readYamlFile(path, { format: 'json' })).rejects.toMatchObject({ code: 'INVALID_CONTENT', message: `${path}: not valid JSON: Unexpected token 'i'`, details: { file: path } });
    await writeFile(path, '{\n\t"images": ["a"],\n\t"images": ["b"]\n}\n');
    await expect(readYamlFile(path, { format: 'json' })).rejects.toMatchObject({ code: 'INVALID_CONTENT', details: { file: path, line: 3, column: 2 } });
    await writeFile(path, '\ufeff{"images": ["a", "b\\/c\\u00e9"], "n": 1.5e3}');
    expect((await readYamlFile(path, { format: 'json' })).value).toEqual({ images: ['a', 'b/cé'], n: 1500 });
  });
});
