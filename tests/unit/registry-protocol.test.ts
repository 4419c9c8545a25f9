import { describe, expect, it } from 'vitest';
import { parseChallenges, scopeStrings } from '../../src-main/oci/registry/auth.ts';
import { redirectTarget } from '../../src-main/oci/registry/client.ts';
import { errorForNetwork, errorForStatus, isTemporary, parseRetryAfter, redactUrl, RegistryError } from '../../src-main/oci/registry/errors.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { nextLink } from '../../src-main/oci/registry/tags.ts';
import { parseManifest } from '../../src-main/oci/registry/manifests.ts';
import { referrersFallbackTag } from '../../src-main/oci/registry/referrers.ts';

describe('parseChallenges', () => {
  it('reads a Docker Hub style bearer challenge', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      { scheme: 'Bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
    ]);
  });
  it('reads several challenges, unquoted values, escapes and an error parameter', () => {
    expect(parseChallenges(['Basic realm="Registry Realm"', 'Bearer realm=https://h/t, error="insufficient_scope", scope="repository:a:pull,push" , service="a\\"b"'])).toEqual([
      { scheme: 'Basic', params: { realm: 'Registry Realm' } },
      { scheme: 'Bearer', params: { realm: 'https://h/t', error: 'insufficient_scope', scope: 'repository:a:pull,push', service: 'a"b' } },
    ]);
  });
  it('returns nothing for a missing header', () => {
    expect(parseChallenges(undefined)).toEqual([]);
  });
});

describe('scopeStrings', () => {
  it('merges actions per repository and sorts, so equal needs share one token', () => {
    expect(
      scopeStrings([
        { repository: 'b', actions: ['push'] },
        { repository: 'a', actions: ['pull'] },
        { repository: 'b', actions: ['pull'] },
      ]),
    ).toEqual(['repository:a:pull', 'repository:b:pull,push']);
  });
});

describe('errors', () => {
  it('parses Retry-After as seconds or an HTTP-date', () => {
    const now = Date.parse('Sat, 21 Nov 2026 10:00:00 GMT');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('redacts query strings and user info from URLs', () => {
    expect(redactUrl('https://user:pw@s3.example.com/bucket/blob?X-Amz-Signature=secret&_state=abc')).toBe('https://s3.example.com/bucket/blob');
  });

  it('maps statuses to codes, keeps registry codes, and marks only temporary ones for retry', () => {
    const body = JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] });
    const denied = errorForStatus({ status: 403, method: 'GET', url: 'https://r/v2/a/manifests/v1?x=1', subject: 'r/a:v1', body });
    expect(denied.code).toBe('DENIED');
    expect(denied.temporary).toBe(false);
    expect(denied.message).toBe('r/a:v1: GET https://r/v2/a/manifests/v1 returned 403 (DENIED: requested access to the resource is denied)');
    expect(denied.details).toMatchObject({ registryCodes: ['DENIED'], status: 403 });
    const unauthorized = errorForStatus({ status: 401, method: 'GET', url: 'https://token.r:8443/token', subject: 's', body: '', registry: 'r:5000' });
    expect(unauthorized.details?.hint).toEqual({ kind: 'credentials', host: 'r:5000' });
    expect(unauthorized.message).toContain('wants credentials');
    expect(unauthorized.message).not.toContain('--');
    expect(errorForStatus({ status: 401, method: 'GET', url: 'https://r:5000/v2/', subject: 's', body: '' }).details?.hint).toEqual({ kind: 'credentials', host: 'r:5000' });
    expect(denied.details?.hint).toBeUndefined();
    for (const status of [429, 500, 502, 503, 504]) expect(errorForStatus({ status, method: 'GET', url: 'https://r/', subject: 's', body: '' }).temporary).toBe(true);
    for (const status of [400, 401, 403, 404, 405, 416]) expect(errorForStatus({ status, method: 'GET', url: 'https://r/', subject: 's', body: '' }).temporary).toBe(false);
    expect(errorForStatus({ status: 429, method: 'GET', url: 'https://r/', subject: 's', body: '', retryAfter: '2' }).retryAfterMs).toBe(2000);
  });

  it('treats resets as temporary, with no hint', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(isTemporary(reset)).toBe(true);
    const network = errorForNetwork(reset, { method: 'GET', url: 'https://r/', subject: 's' });
    expect(network).toMatchObject({ code: 'NETWORK_ERROR', temporary: true });
    expect(network.details?.hint).toBeUndefined();
  });

  // Codes and messages as Node 22 reports them for each failure (see tests/integration/auth.test.ts for the real handshakes).
  it.each([
    ['a self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', 'ca-certificate'],
    ['a private CA in the chain', 'SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain', 'ca-certificate'],
    ['an unknown issuer', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate', 'ca-certificate'],
    ['another name', 'ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames", 'tls-verify'],
    ['an expired certificate', 'CERT_HAS_EXPIRED', 'certificate has expired', 'tls-verify'],
    ['a plain-HTTP server', 'ERR_SSL_WRONG_VERSION_NUMBER', 'error:0A00010B:SSL routines:ssl3_get_record:wrong version number', 'plain-http'],
  ])('%s is a TLS_ERROR carrying a %s… hint for the host, and no flag in its message', (_why, code, message, kind) => {
    const tls = errorForNetwork(Object.assign(new Error(message), { code }), { method: 'GET', url: 'https://mirror.local:5000/v2/', subject: 's' });
    expect(tls).toBeInstanceOf(RegistryError);
    expect(tls).toMatchObject({ code: 'TLS_ERROR', temporary: false });
    expect(tls.details?.hint).toEqual({ kind, host: 'mirror.local:5000' });
    expect(tls.message).toContain('mirror.local:5000');
    expect(tls.message).not.toMatch(/--[a-z]/);
  });

  it('gives no hint for a TLS failure it cannot explain', () => {
    const tls = errorForNetwork(Object.assign(new Error('sslv3 alert handshake failure'), { code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' }), { method: 'GET', url: 'https://r/', subject: 's' });
    expect(tls.code).toBe('TLS_ERROR');
    expect(tls.details?.hint).toBeUndefined();
  });
});

it('errorForNetwork keeps a digest mismatch of a streamed body as it is', () => {
  const mismatch = new FerryError('DIGEST_MISMATCH', 'blob x: content digest does not match');
  expect(errorForNetwork(mismatch, { method: 'PUT', url: 'https://r/', subject: 's' })).toBe(mismatch);
});

describe('redirectTarget', () => {
  const from = new URL('https://registry.example.com/v2/a/blobs/sha256:x');
  it('resolves relative and absolute locations', () => {
    expect(redirectTarget(from, '/other', 1, 's').href).toBe('https://registry.example.com/other');
    expect(redirectTarget(from, 'https://cdn.example.com/x?sig=1', 1, 's').host).toBe('cdn.example.com');
  });
  it('refuses https to http, a missing Location and loops', () => {
    expect(() => redirectTarget(from, 'http://cdn.example.com/x', 1, 's')).toThrow(expect.objectContaining({ code: 'INSECURE_REDIRECT' }));
    expect(() => redirectTarget(from, undefined, 1, 's')).toThrow(/without a Location/);
    expect(() => redirectTarget(from, '/x', 6, 's')).toThrow(/more than 5 redirects/);
  });
});

describe('nextLink', () => {
  it('finds rel="next" among several links', () => {
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"')).toBe('/v2/a/tags/list?n=2&last=b');
    expect(nextLink('<https://x/prev>; rel="prev", <https://x/next?a=1,2>; rel=next')).toBe('https://x/next?a=1,2');
    expect(nextLink(undefined)).toBeUndefined();
    expect(nextLink('<https://x/prev>; rel="prev"')).toBeUndefined();
  });
});

describe('parseManifest', () => {
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 };
  it('accepts an OCI image and an index without mediaType, telling them apart by shape', () => {
    const image = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [] })), 'application/json', 'd', 's');
    expect(image.kind).toBe('image');
    expect(image.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const index = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), undefined, 'd', 's');
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  });
  it('names what is wrong', () => {
    expect(() => parseManifest(Buffer.from('{'), undefined, 'd', 'r/a:v1')).toThrow('r/a:v1: manifest is not valid JSON');
    expect(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 1, config, layers: [] })), undefined, 'd', 's')).toThrow(/\$\.schemaVersion: must be 2/);
    expect(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [{ digest: 'nope' }] })), undefined, 'd', 's')).toThrow(/\$\.layers\[0\]\.mediaType: /);
    expect(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] })), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'd', 's')).toThrow(
      /schema 1 is not supported/,
    );
  });
});

it('referrersFallbackTag replaces the colon', () => {
  expect(referrersFallbackTag(`sha256:${'b'.repeat(64)}`)).toBe(`sha256-${'b'.repeat(64)}`);
});

describe('tag and catalog pages', () => {
  it('are read as strict JSON against their schema: a repeated key or a list of non-names is refused by name', async () => {
    const { startStaticServer } = await import('../harness/chart-fixture.ts');
    const { listTagsPage, listRepositoriesPage } = await import('../../src-main/oci/registry/tags.ts');
    const { DEFAULT_ACCESS, Registries } = await import('../../src-main/oci/registry/registries.ts');
    const server = await startStaticServer();
    const registries = new Registries({ ...DEFAULT_ACCESS, plainHttp: true });
    try {
      const json = (text: string) => ({ body: Buffer.from(text), headers: { 'content-type': 'application/json' } });
      server.files.set('/v2/', json('{}'));
      server.files.set('/v2/good/tags/list', json('{"name":"good","tags":["b","a"]}'));
      server.files.set('/v2/twice/tags/list', json('{"tags":["a"],"tags":["b"]}'));
      server.files.set('/v2/_catalog', json('{"repositories":[1,2]}'));
      const client = await registries.client(new URL(server.url).host);
      expect((await listTagsPage(client, 'good')).names).toEqual(['a', 'b']);
      const twice = await listTagsPage(client, 'twice').then(
        () => undefined,
        (error: unknown) => error as FerryError,
      );
      expect([twice?.code, twice?.message]).toEqual(['REGISTRY_ERROR', `tags of ${new URL(server.url).host}/twice: the key "tags" appears twice in one object (line 1) at $.tags`]);
      const catalog = await listRepositoriesPage(client).then(
        () => undefined,
        (error: unknown) => error as FerryError,
      );
      expect(catalog?.message).toBe(`repositories of ${new URL(server.url).host}: "repositories" is not a list of names`);
    } finally {
      await registries.close();
      await server.close();
    }
  });
});
