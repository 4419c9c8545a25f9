import { describe, expect, it } from 'vitest';
import { formatReference, parseReference, parseRegistryPrefix, pathDepth } from '../../src-main/oci/reference.ts';
import { FerryError } from '../../src-shared/errors.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference: good names', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['registry-1.docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['localhost/a', 'localhost/a:latest'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest'],
    [`localhost:5000/a/b@${D}`, `localhost:5000/a/b@${D}`],
    [`quay.io/openshift-release-dev/ocp-release:4.16.12-x86_64@${D}`, `quay.io/openshift-release-dev/ocp-release:4.16.12-x86_64@${D}`],
    ['127.0.0.1:5000/ns/app:v1', '127.0.0.1:5000/ns/app:v1'],
    ['[::1]:5000/app:v1', '[::1]:5000/app:v1'],
    ['registry.deckhouse.io/deckhouse/ee/release-channel:stable', 'registry.deckhouse.io/deckhouse/ee/release-channel:stable'],
    ['a__b/c-d---e/f.g_h:TAG_1.0-x', 'docker.io/a__b/c-d---e/f.g_h:TAG_1.0-x'],
    ['Registry.Example.com/x', 'Registry.Example.com/x:latest'],
    [`ghcr.io/x/y@sha512:${'b'.repeat(128)}`, `ghcr.io/x/y@sha512:${'b'.repeat(128)}`],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => {
      expect(formatReference(parseReference(input))).toBe(expected);
    });
  }

  it('splits host, repository, tag and digest', () => {
    expect(parseReference(`localhost:5000/a/b:v1@${D}`)).toEqual({ registry: 'localhost:5000', repository: 'a/b', tag: 'v1', digest: D });
  });
});

describe('parseReference: bad names say which part is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /reference is empty/],
    [' nginx', /leading or trailing spaces/],
    ['Nginx', /repository name "Nginx" must be lowercase|registry host/],
    ['docker.io/Library/nginx', /repository name "Library\/nginx" must be lowercase/],
    ['nginx:', /tag ""/],
    ['nginx:-bad', /tag "-bad" is invalid/],
    [`nginx:${'a'.repeat(129)}`, /tag "a+" is invalid/],
    ['nginx@sha256:abc', /digest "sha256:abc" is invalid.*64/],
    ['nginx@md5:d41d8cd98f00b204e9800998ecf8427e', /unsupported algorithm "md5"/],
    ['nginx@', /digest ""/],
    ['a//b', /empty path component/],
    ['a/b/', /empty path component/],
    ['host:port:x/a', /registry host "host:port:x"|tag/],
    ['-host.com/a', /registry host "-host.com"/],
    ['example.com/a_-b', /path component "a_-b"/],
    ['example.com/.a', /path component ".a"/],
    [`example.com/${'a'.repeat(250)}`, /longer than 255/],
    ['example.com:/a', /registry host "example.com:"/],
  ];
  for (const [input, message] of cases) {
    it(JSON.stringify(input), () => {
      let caught: unknown;
      try {
        parseReference(input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(FerryError);
      expect((caught as FerryError).code).toBe('INVALID_REFERENCE');
      expect((caught as FerryError).message).toMatch(message);
      expect((caught as FerryError).message).toContain(`"${input}"`);
    });
  }
});

describe('pathDepth', () => {
  it('counts path components, the empty prefix as none', () => {
    expect(pathDepth('')).toBe(0);
    expect(pathDepth('mirror')).toBe(1);
    expect(pathDepth('mirror/library/nginx')).toBe(3);
  });
});

describe('parseRegistryPrefix', () => {
  it('splits registry and prefix', () => {
    expect(parseRegistryPrefix('mirror.local:5000/ocp/')).toEqual({ registry: 'mirror.local:5000', prefix: 'ocp' });
    expect(parseRegistryPrefix('127.0.0.1:5000')).toEqual({ registry: '127.0.0.1:5000', prefix: '' });
  });
  it('rejects a bad prefix by name', () => {
    expect(() => parseRegistryPrefix('mirror.local/Bad')).toThrow(/prefix component "Bad"/);
  });
});

describe('a login in a reference or destination (issue 11, finding 8)', () => {
  const secret = 'ref-secret-4417';
  it.each([`alice:${secret}@registry.local/app:v1`, `alice:${secret}@registry.local:5000/app@sha256:${'a'.repeat(64)}`, `alice:${secret}@localhost:5000`, `${secret}@registry.local/app`])(
    'parseReference refuses %s without echoing it',
    (input) => {
      let caught: unknown;
      try {
        parseReference(input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'INVALID_REFERENCE', message: expect.stringMatching(/user name\/password/) });
      expect(JSON.stringify(caught)).not.toContain(secret);
      expect((caught as Error).message).not.toContain(secret);
    },
  );

  it('parseRegistryPrefix refuses a login without echoing it', () => {
    expect(() => parseRegistryPrefix(`alice:${secret}@mirror.local:5000/ocp`)).toThrow(/user name\/password/);
    expect(() => parseRegistryPrefix(`alice:${secret}@mirror.local:5000/ocp`)).not.toThrow(new RegExp(secret));
  });

  it('a digest reference is still a digest reference', () => {
    expect(parseReference(`registry.local/app@sha256:${'a'.repeat(64)}`).digest).toBe(`sha256:${'a'.repeat(64)}`);
    expect(() => parseReference('registry.local/app@sha256:short')).toThrow(/digest/);
    expect(() => parseReference('app:v1@sha256:short')).toThrow(/digest/);
  });
});
