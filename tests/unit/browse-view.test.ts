/**
 * What the app's browser shows: untrusted names and file contents with their
 * control and bidi characters as escapes, the file tree built from a listing,
 * and a file's start handed over as text only when it is UTF-8 without NUL.
 */
import { describe, expect, it } from 'vitest';
import { previewOf } from '../../src-main/service/browse.ts';
import { EMPTY_TREE, listsDeeper, mergeEntries, treePath } from '../../src-renderer/file-tree.ts';
import { visibleParts } from '../../src-renderer/visible-text.ts';
import type { BrowseFileEntry } from '../../src-shared/api/contract.ts';

const shown = (text: string, lines: boolean): string =>
  visibleParts(text, { lines })
    .map((part) => ('text' in part ? part.text : `[${part.escape}]`))
    .join('');

describe('visibleParts', () => {
  it('shows bidi overrides, zero-width characters, escapes and NUL in a name, newlines included', () => {
    expect(shown('evil\u202Egnp.txt', false)).toBe('evil[\\u202e]gnp.txt');
    expect(shown('a\u200Bb\u2066c', false)).toBe('a[\\u200b]b[\\u2066]c');
    expect(shown('tag\nline\x1b[2J\0', false)).toBe('tag[\\n]line[\\x1b][2J[\\x00]');
    expect(shown('plain-name_1.0', false)).toBe('plain-name_1.0');
  });

  it("keeps a file's line breaks and tabs, and shows a lone carriage return and escape sequences", () => {
    expect(shown('{\n\t"version": "v1.60.1"\r\n}\n', true)).toBe('{\n\t"version": "v1.60.1"\r\n}\n');
    expect(shown('ok\rfake\x1b[31m', true)).toBe('ok[\\r]fake[\\x1b][31m');
    expect(shown('\u2028', true)).toBe('[\\u2028]');
  });

  it('shows a lone surrogate as its escape', () => {
    expect(shown('a\uD800b', false)).toBe('a[\\ud800]b');
  });
});

const entry = (path: string, type: BrowseFileEntry['type'] = 'file', size = 1): BrowseFileEntry => ({ path, type, size, mode: 0o644 });

describe('the file tree', () => {
  it('puts every entry under its folder, folders first, and makes up folders a listing only implies', () => {
    const tree = mergeEntries(EMPTY_TREE, [entry('./version.json'), entry('deckhouse/candi/images_digests.json'), entry('/bin', 'dir', 0), entry('bin/sh', 'symlink', 0)]);
    expect(tree.get('')?.map((n) => `${n.type}:${n.path}`)).toEqual(['dir:bin', 'dir:deckhouse', 'file:version.json']);
    expect(tree.get('deckhouse')?.map((n) => n.path)).toEqual(['deckhouse/candi']);
    expect(tree.get('deckhouse/candi')?.map((n) => n.name)).toEqual(['images_digests.json']);
    expect(tree.get('bin')?.map((n) => n.name)).toEqual(['sh']);
  });

  it('adds a folder listed later without losing what was there, replacing an entry listed twice', () => {
    const first = mergeEntries(EMPTY_TREE, [entry('etc', 'dir', 0), entry('version.json', 'file', 10)]);
    const next = mergeEntries(first, [entry('etc/os-release', 'file', 5), entry('version.json', 'file', 12)]);
    expect(next.get('')?.map((n) => `${n.path}:${n.size}`)).toEqual(['etc:0', 'version.json:12']);
    expect(next.get('etc')?.map((n) => n.path)).toEqual(['etc/os-release']);
  });

  it('takes folders named like Object.prototype members from an untrusted image as plain folders', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const tree = mergeEntries(
      EMPTY_TREE,
      names.map((name) => entry(`${name}/x`)),
    );
    expect(tree.get('')?.map((n) => `${n.type}:${n.path}`)).toEqual(names.sort().map((name) => `dir:${name}`));
    for (const name of names) expect(tree.get(name)?.map((n) => n.path)).toEqual([`${name}/x`]);
    const again = mergeEntries(tree, [entry('__proto__/y'), entry('constructor', 'dir', 0)]);
    expect(again.get('__proto__')?.map((n) => n.name)).toEqual(['x', 'y']);
    expect(again.get('unlisted')).toBeUndefined();
  });

  it('tells a whole tree from one folder', () => {
    expect(listsDeeper([entry('etc', 'dir'), entry('version.json')], '')).toBe(false);
    expect(listsDeeper([entry('etc/os-release')], '')).toBe(true);
    expect(listsDeeper([entry('etc/os-release')], 'etc')).toBe(false);
    expect(treePath('./etc/')).toBe('etc');
  });
});

describe('the preview of a file', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('is text for UTF-8 without NUL', () => {
    expect(previewOf('version.json', { bytes: bytes('{"version":"v1.60.1"}\n'), size: 22, truncated: false })).toEqual({
      path: 'version.json',
      size: 22,
      truncated: false,
      binary: false,
      text: '{"version":"v1.60.1"}\n',
    });
  });

  it('is binary, with no text, for NUL or bytes that are not UTF-8', () => {
    expect(previewOf('bin/app', { bytes: Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x00]), size: 5, truncated: false })).toMatchObject({ binary: true, text: '' });
    expect(previewOf('latin1.txt', { bytes: Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x21]), size: 5, truncated: false })).toMatchObject({ binary: true, text: '' });
  });

  it('leaves out a character the byte cap cut in two, but refuses the same bytes at the real end of a file', () => {
    const cut = bytes('caf\u00e9').slice(0, 4);
    expect(previewOf('long.txt', { bytes: cut, size: 300_000, truncated: true })).toMatchObject({ binary: false, text: 'caf', truncated: true });
    expect(previewOf('short.txt', { bytes: cut, size: 4, truncated: false })).toMatchObject({ binary: true });
  });
});
