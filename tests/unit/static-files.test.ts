/**
 * The renderer file resolver shared by browser mode and the desktop app's
 * app://ferry protocol: what it refuses without touching the disk, what it
 * finds on disk, and the content type each file is served with.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentTypeFor, lookupStatic, realRoot, resolveStaticPath, SECURITY_HEADERS, UNKNOWN_CONTENT_TYPE } from '../../src-main/server/static-files.ts';

/** A renderer folder beside a secret the resolver must never reach. */
let root = '';

beforeAll(async () => {
  const parent = mkdtempSync(join(tmpdir(), 'ferry-static-'));
  mkdirSync(join(parent, 'renderer', 'assets'), { recursive: true });
  writeFileSync(join(parent, 'secret.txt'), 'secret');
  writeFileSync(join(parent, 'renderer', 'index.html'), '<!doctype html><title>Ferry</title>');
  writeFileSync(join(parent, 'renderer', 'assets', 'index-abc.js'), 'export {};');
  writeFileSync(join(parent, 'renderer', 'assets', 'index-abc.css'), 'body {}');
  writeFileSync(join(parent, 'renderer', 'assets', 'font.WOFF2'), 'wOF2');
  writeFileSync(join(parent, 'renderer', 'assets', 'blob.bin'), 'bytes');
  symlinkSync(join(parent, 'secret.txt'), join(parent, 'renderer', 'assets', 'link.txt'));
  root = await realRoot(join(parent, 'renderer'));
});

describe('resolveStaticPath: refusals, decided without the disk', () => {
  const refused: Array<[string, 400 | 403]> = [
    ['/../secret.txt', 403],
    ['/assets/../../secret.txt', 403],
    ['/assets/../index.html', 403],
    ['/./index.html', 403],
    ['/%2e%2e/secret.txt', 403],
    ['/%2E%2E/secret.txt', 403],
    ['/..%2fsecret.txt', 403],
    ['/assets/%2e%2e%2f%2e%2e%2fsecret.txt', 403],
    ['/..', 403],
    ['/..\\secret.txt', 400],
    ['/assets\\..\\..\\secret.txt', 400],
    ['/%5c..%5csecret.txt', 400],
    ['//etc/passwd', 400],
    ['/assets//index-abc.js', 400],
    ['/%2fetc%2fpasswd', 400],
    ['/C:/Windows/win.ini', 400],
    ['/index.html::$DATA', 400],
    ['/index.html%00.js', 400],
    ['/index.html\0', 400],
    ['/%zz', 400],
    ['/%', 400],
    ['index.html', 400],
    ['', 400],
    ['/assets/', 400],
  ];
  it.each(refused)('refuses %j with %i', (urlPath, status) => {
    const resolution = resolveStaticPath('/srv/renderer', urlPath);
    expect(resolution).toMatchObject({ kind: 'refused', status });
  });

  it('maps / to index.html and a nested path to its file inside the root', () => {
    expect(resolveStaticPath(root, '/')).toEqual({ kind: 'path', path: join(root, 'index.html') });
    expect(resolveStaticPath(root, '/assets/index-abc.js')).toEqual({ kind: 'path', path: join(root, 'assets', 'index-abc.js') });
    expect(resolveStaticPath(root, '/assets/a%20b.js')).toEqual({ kind: 'path', path: join(root, 'assets', 'a b.js') });
  });

  it('decodes once only: a double-encoded dot segment is a literal file name, still inside the root', () => {
    const resolution = resolveStaticPath(root, '/%252e%252e/secret.txt');
    expect(resolution).toEqual({ kind: 'path', path: join(root, '%2e%2e', 'secret.txt') });
    expect(resolution.kind === 'path' && resolution.path.startsWith(`${root}${sep}`)).toBe(true);
  });
});

describe('lookupStatic: the disk', () => {
  it('finds index.html for / with its size and HTML type', async () => {
    expect(await lookupStatic(root, '/')).toEqual({ kind: 'file', path: join(root, 'index.html'), size: 35, type: 'text/html; charset=utf-8' });
    expect(await lookupStatic(root, '/index.html')).toMatchObject({ kind: 'file', path: join(root, 'index.html') });
  });

  it('finds the assets with their types', async () => {
    expect(await lookupStatic(root, '/assets/index-abc.js')).toMatchObject({ kind: 'file', type: 'text/javascript; charset=utf-8' });
    expect(await lookupStatic(root, '/assets/index-abc.css')).toMatchObject({ kind: 'file', type: 'text/css; charset=utf-8' });
    expect(await lookupStatic(root, '/assets/font.WOFF2')).toMatchObject({ kind: 'file', type: 'font/woff2' });
    expect(await lookupStatic(root, '/assets/blob.bin')).toMatchObject({ kind: 'file', type: UNKNOWN_CONTENT_TYPE });
  });

  it('answers 404 for unknown files, directories and a double-encoded traversal', async () => {
    for (const urlPath of ['/missing.js', '/assets/missing.js', '/assets', '/%252e%252e/secret.txt']) {
      expect(await lookupStatic(root, urlPath), urlPath).toEqual({ kind: 'status', status: 404 });
    }
  });

  it('refuses a symlink that leads out of the folder', async () => {
    expect(await lookupStatic(root, '/assets/link.txt')).toEqual({ kind: 'status', status: 403 });
  });

  it('passes the resolver refusals through', async () => {
    expect(await lookupStatic(root, '/../secret.txt')).toEqual({ kind: 'status', status: 403 });
    expect(await lookupStatic(root, '/..\\secret.txt')).toEqual({ kind: 'status', status: 400 });
  });
});

describe('contentTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['a.js', 'text/javascript; charset=utf-8'],
    ['a.mjs', 'text/javascript; charset=utf-8'],
    ['a.css', 'text/css; charset=utf-8'],
    ['a.json', 'application/json; charset=utf-8'],
    ['a.js.map', 'application/json; charset=utf-8'],
    ['a.svg', 'image/svg+xml'],
    ['a.PNG', 'image/png'],
    ['a.woff2', 'font/woff2'],
    ['a.exe', UNKNOWN_CONTENT_TYPE],
    ['Makefile', UNKNOWN_CONTENT_TYPE],
  ])('%s is %s', (path, type) => {
    expect(contentTypeFor(path)).toBe(type);
  });
});

describe('SECURITY_HEADERS: the CSP both front ends send', () => {
  /** The CSP as a map of directive to its sources. */
  const directives = new Map(
    SECURITY_HEADERS['Content-Security-Policy']
      ?.split(';')
      .map((part) => part.trim().split(/\s+/))
      .map(([name, ...sources]) => [name ?? '', sources]),
  );

  it('allows styles from the renderer files only: no inline <style> or style attribute (React style props go through CSSOM)', () => {
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(SECURITY_HEADERS['Content-Security-Policy']).not.toContain('unsafe');
  });

  it('allows scripts from the renderer files only, no plugins, no framing', () => {
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(SECURITY_HEADERS['Referrer-Policy']).toBe('no-referrer');
  });
});
