/**
 * The pure parts of `ferry serve`'s HTTP layer, table-driven: which endpoint
 * a path names (names with slashes, read from the path's end), which names
 * and tags the spec allows, and which byte range a Range header asks for.
 */
import { describe, expect, it } from 'vitest';
import { RegistryProblem } from '../../src-main/serve/problems.ts';
import { parseByteRange } from '../../src-main/serve/routes-blobs.ts';
import { parseRegistryPath, registryPath } from '../../src-main/serve/routes-path.ts';
import { isRepositoryName, isTagName as isTag } from '../../src-main/serve/store-layout.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseRegistryPath', () => {
  it.each([
    ['/v2/', { kind: 'base' }],
    ['/v2', { kind: 'base' }],
    ['/v2/_catalog', { kind: 'catalog' }],
    ['/v2/alpine/tags/list', { kind: 'tags', name: 'alpine' }],
    ['/v2/library/alpine/manifests/3.20', { kind: 'manifest', name: 'library/alpine', reference: '3.20' }],
    [`/v2/a/b/c/manifests/${DIGEST}`, { kind: 'manifest', name: 'a/b/c', reference: DIGEST }],
    [`/v2/a/manifests/${DIGEST.replace(':', '%3A')}`, { kind: 'manifest', name: 'a', reference: DIGEST }],
    [`/v2/team/app/blobs/${DIGEST}`, { kind: 'blob', name: 'team/app', digest: DIGEST }],
    ['/v2/team/app/blobs/uploads/', { kind: 'uploads', name: 'team/app' }],
    ['/v2/team/app/blobs/uploads', { kind: 'uploads', name: 'team/app' }],
    ['/v2/team/app/blobs/uploads/abc123', { kind: 'upload', name: 'team/app', id: 'abc123' }],
    [`/v2/team/app/referrers/${DIGEST}`, { kind: 'referrers', name: 'team/app', digest: DIGEST }],
    // Components named like endpoints are parts of the name when the endpoint is further right.
    ['/v2/blobs/manifests/v1', { kind: 'manifest', name: 'blobs', reference: 'v1' }],
    ['/v2/x/blobs/uploads/tags/list', { kind: 'tags', name: 'x/blobs/uploads' }],
    [`/v2/a/blobs/blobs/${DIGEST}`, { kind: 'blob', name: 'a/blobs', digest: DIGEST }],
  ])('%s', (path, route) => {
    expect(parseRegistryPath(path)).toEqual(route);
  });

  it.each(['/', '/v1/', '/v2/alpine', '/v2/alpine/tags', '/v2/_catalog/', '/v2/manifests/v1', '/v2/a/%E0%A4%A'])('names no endpoint: %s', (path) => {
    expect(parseRegistryPath(path)).toBeUndefined();
  });

  it.each(['/v2/Alpine/tags/list', '/v2/a//b/manifests/v1', '/v2/-a/blobs/uploads/', `/v2/${'a'.repeat(256)}/tags/list`])('refuses a bad name with NAME_INVALID: %s', (path) => {
    expect(() => parseRegistryPath(path)).toThrow(RegistryProblem);
    try {
      parseRegistryPath(path);
    } catch (error) {
      expect((error as RegistryProblem).code).toBe('NAME_INVALID');
    }
  });

  it('writes Location paths with a readable digest', () => {
    expect(registryPath('a/b', 'blobs', DIGEST)).toBe(`/v2/a/b/blobs/${DIGEST}`);
  });
});

describe('names and tags (distribution-spec grammar)', () => {
  it.each(['a', 'a/b', 'library/alpine', 'a.b_c__d-e--f', 'x0/y1/z2'])('name %s is allowed', (name) => {
    expect(isRepositoryName(name)).toBe(true);
  });
  it.each(['', 'A', 'a/', '/a', 'a..b', 'a_-b', '_a', 'a/_layers', 'a b'])('name "%s" is refused', (name) => {
    expect(isRepositoryName(name)).toBe(false);
  });
  it.each(['latest', 'v1.2.3', '_x', 'A-b.c_d', 'a'.repeat(128)])('tag %s is allowed', (tag) => {
    expect(isTag(tag)).toBe(true);
  });
  it.each(['', '.x', '-x', 'a:b', 'a/b', 'a'.repeat(129)])('tag "%s" is refused', (tag) => {
    expect(isTag(tag)).toBe(false);
  });
});

describe('parseByteRange (RFC 9110 §14.1.2) of a 100-byte blob', () => {
  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=90-500', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    [undefined, undefined],
    ['bytes=abc', undefined],
    ['bytes=0-1,5-6', undefined],
    ['bytes=9-3', undefined],
    ['items=0-1', undefined],
  ] as const)('%s', (header, expected) => {
    expect(parseByteRange(header, 100)).toEqual(expected);
  });
});
