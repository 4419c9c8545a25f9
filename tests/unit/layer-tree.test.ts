import { describe, expect, it } from 'vitest';
import { classifyPath, layerVerdict, mergeLayers, normaliseLayerPath, selectEntries, throughLink, type LayerEntry } from '../../src-main/oci/layer-tree.ts';

const file = (path: string, size = 1): LayerEntry => ({ kind: 'entry', path, type: 'file', size, mode: 0o644 });
const dir = (path: string): LayerEntry => ({ kind: 'entry', path, type: 'dir', size: 0, mode: 0o755 });
const link = (path: string, target: string): LayerEntry => ({ kind: 'entry', path, type: 'symlink', size: 0, mode: 0o777, linkTarget: target });
const whiteout = (path: string): LayerEntry => ({ kind: 'whiteout', path });
const opaque = (path: string): LayerEntry => ({ kind: 'opaque', path });

const paths = (layers: LayerEntry[][]): string[] => mergeLayers(layers).map((e) => `${e.path}${e.type === 'dir' ? '/' : ''}@${e.layer ?? '-'}`);

describe('layer paths', () => {
  it('normalises tar names and refuses the root and names climbing out of it', () => {
    expect(normaliseLayerPath('./etc/os-release')).toBe('etc/os-release');
    expect(normaliseLayerPath('/usr/bin/')).toBe('usr/bin');
    expect(normaliseLayerPath('a/./b//c')).toBe('a/b/c');
    expect(normaliseLayerPath('./')).toBeUndefined();
    expect(normaliseLayerPath('../etc/passwd')).toBeUndefined();
    expect(normaliseLayerPath('a/../../b')).toBeUndefined();
  });

  it('tells whiteouts and opaque markers from files, and drops AUFS metadata', () => {
    expect(classifyPath('etc/.wh.passwd')).toEqual({ kind: 'whiteout', path: 'etc/passwd' });
    expect(classifyPath('.wh.tmp')).toEqual({ kind: 'whiteout', path: 'tmp' });
    expect(classifyPath('var/cache/.wh..wh..opq')).toEqual({ kind: 'opaque', path: 'var/cache' });
    expect(classifyPath('.wh..wh.plnk')).toEqual({ kind: 'ignored' });
    expect(classifyPath('etc/wh.passwd')).toEqual({ kind: 'entry' });
  });

  it('resolves a link inside the root: relative, absolute and climbing past the root', () => {
    expect(throughLink('lib', 'usr/lib', 'lib/libc.so')).toBe('usr/lib/libc.so');
    expect(throughLink('etc/os-release', '../usr/lib/os-release', 'etc/os-release')).toBe('usr/lib/os-release');
    expect(throughLink('a/b', '/c', 'a/b/d')).toBe('c/d');
    expect(throughLink('a/b', '../../../x', 'a/b')).toBe('x');
  });
});

describe('mergeLayers', () => {
  it('lets a later layer replace a file and keeps the rest', () => {
    expect(paths([[dir('etc'), file('etc/a', 1), file('etc/b')], [file('etc/a', 9)]])).toEqual(['etc/@0', 'etc/a@1', 'etc/b@0']);
    expect(mergeLayers([[file('x', 1)], [file('x', 9)]])[0]?.size).toBe(9);
  });

  it('removes a whited-out file and a whited-out folder with everything below it', () => {
    expect(
      paths([
        [dir('etc'), file('etc/a'), file('etc/b'), dir('opt'), file('opt/x/y')],
        [whiteout('etc/a'), whiteout('opt')],
      ]),
    ).toEqual(['etc/@0', 'etc/b@0']);
  });

  it('lets a whiteout act only on lower layers, never on its own layer', () => {
    expect(paths([[file('a')], [whiteout('a'), file('a', 5)]])).toEqual(['a@1']);
    expect(paths([[file('a')], [file('a', 5), whiteout('a')]])).toEqual(['a@1']);
  });

  it('empties an opaque folder of lower content but keeps the folder and what its own layer adds', () => {
    expect(
      paths([
        [dir('d'), file('d/old'), file('d/sub/deep'), file('e')],
        [opaque('d'), file('d/new')],
      ]),
    ).toEqual(['d/@0', 'd/new@1', 'e@0']);
  });

  it('replaces a folder by a file or symlink, dropping what was below it', () => {
    expect(paths([[dir('lib'), file('lib/x')], [link('lib', 'usr/lib')]])).toEqual(['lib@1']);
  });

  it('turns a file into an implied folder when a later layer puts something below it', () => {
    expect(paths([[file('a')], [file('a/b')]])).toEqual(['a/@-', 'a/b@1']);
  });

  it('brings a path back after a whiteout when a higher layer adds it again', () => {
    expect(paths([[file('a', 1)], [whiteout('a')], [file('a', 3)]])).toEqual(['a@2']);
  });

  it('selects a subtree and a depth', () => {
    const tree = mergeLayers([[dir('etc'), file('etc/a'), dir('etc/ssl'), file('etc/ssl/cert'), file('etcetera')]]);
    expect(selectEntries(tree, 'etc', undefined).map((e) => e.path)).toEqual(['etc', 'etc/a', 'etc/ssl', 'etc/ssl/cert']);
    expect(selectEntries(tree, '/etc/', 1).map((e) => e.path)).toEqual(['etc', 'etc/a', 'etc/ssl']);
    expect(selectEntries(tree, undefined, 1).map((e) => e.path)).toEqual(['etc', 'etcetera']);
  });
});

describe('layerVerdict', () => {
  it('finds the entry itself first, whatever else the layer holds', () => {
    expect(layerVerdict([whiteout('a'), file('a', 4)], 'a')).toMatchObject({ kind: 'entry', entry: { path: 'a', size: 4 } });
  });

  it('hides a path whose file or folder a layer whited out, or whose folder it made opaque', () => {
    expect(layerVerdict([whiteout('etc/a')], 'etc/a').kind).toBe('hidden');
    expect(layerVerdict([whiteout('etc')], 'etc/a').kind).toBe('hidden');
    expect(layerVerdict([opaque('etc'), file('etc/b')], 'etc/a').kind).toBe('hidden');
    expect(layerVerdict([opaque('')], 'etc/a').kind).toBe('hidden');
  });

  it('leaves a path alone when the layer only touches others', () => {
    expect(layerVerdict([whiteout('etc/ab'), dir('etc'), file('etc/b')], 'etc/a')).toEqual({ kind: 'none' });
    expect(layerVerdict([opaque('etc/a')], 'etc/a')).toEqual({ kind: 'none' });
  });

  it('follows a symlinked ancestor and stops at a file ancestor', () => {
    expect(layerVerdict([link('lib', 'usr/lib')], 'lib/os-release')).toEqual({ kind: 'redirect', path: 'usr/lib/os-release', via: 'lib' });
    expect(layerVerdict([file('lib')], 'lib/os-release').kind).toBe('hidden');
  });
});
