/**
 * Errors keep their meaning across front ends: the engine puts a typed hint in
 * `details.hint` and says no flag names; the CLI words each hint as the flags
 * that fix it. (The app's field wording is tested in hint-words.test.ts.)
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHint, ERROR_HINT_KINDS, FerryError, type ErrorHint } from '../../src-shared/errors.ts';
import { errorLines, hintAsFlags } from '../../src-main/cli/error-words.ts';
import { Catalog } from '../../src-main/catalog/index.ts';
import { incrementalBase } from '../../src-main/usecases/incremental.ts';
import { planImport } from '../../src-main/transfer/import-plan.ts';
import type { VerifiedBundle } from '../../src-main/bundle/bundle-view.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import { runFerry } from '../harness/test-helpers.ts';

/** One hint of every kind, so each test covers the whole closed set. */
const EVERY_HINT: Record<ErrorHint['kind'], ErrorHint> = {
  credentials: { kind: 'credentials', host: 'mirror.local:5000' },
  'auth-file-per-registry': { kind: 'auth-file-per-registry' },
  'mirror-login': { kind: 'mirror-login', host: 'mirror.local:5000' },
  'ca-certificate': { kind: 'ca-certificate', host: 'mirror.local:5000' },
  'tls-verify': { kind: 'tls-verify', host: 'mirror.local:5000' },
  'plain-http': { kind: 'plain-http', host: 'mirror.local:5000' },
  'site-receipt': { kind: 'site-receipt', site: 'plant-7' },
  'keep-source-host': { kind: 'keep-source-host', registry: 'mirror.local:5000' },
  'listen-port': { kind: 'listen-port', address: '0.0.0.0:5000' },
  'rate-limit': { kind: 'rate-limit', host: 'mirror.local:5000' },
  'registry-limits': { kind: 'registry-limits', maxNestedPaths: 2, createRepositories: true },
};

/** The flag each kind must name on the command line. */
const FLAG: Record<ErrorHint['kind'], RegExp> = {
  credentials: /--password-stdin.*--creds-file FILE.*--creds USER:PASSWORD.*--authfile FILE/,
  'auth-file-per-registry': /--creds.*--authfile FILE/,
  'mirror-login': /--pull-secret.*--password-stdin.*--creds USER:PASSWORD for mirror\.local:5000/,
  'ca-certificate': /--ca-cert FILE.*mirror\.local:5000\/ca\.crt.*--cert-dir DIR.*--tls-verify=false/,
  'tls-verify': /--tls-verify=false/,
  'plain-http': /--plain-http/,
  'site-receipt': /ferry receipt add FILE --site plant-7.*--site/,
  'keep-source-host': /--keep-registry-host/,
  'listen-port': /^0\.0\.0\.0:5000 .*--listen HOST:PORT with another port/,
  'rate-limit': /^mirror\.local:5000 throttles Ferry: .*--rate-limit N\/s/,
  'registry-limits': /--max-nested-paths 2.*--create-repositories.*--skip-registry-check/,
};

function thrown(fn: () => unknown): FerryError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('expected a FerryError');
}

describe('errorHint reads a hint back from plain JSON details', () => {
  it('keeps every kind through a JSON round trip, as IPC and HTTP carry it', () => {
    expect(Object.keys(EVERY_HINT).sort()).toEqual([...ERROR_HINT_KINDS].sort());
    for (const hint of Object.values(EVERY_HINT)) {
      expect(errorHint(JSON.parse(JSON.stringify({ hint })) as Record<string, unknown>)).toEqual(hint);
    }
  });

  it.each([
    ['no details', undefined],
    ['no hint', { path: '/x' }],
    ['an unknown kind', { hint: { kind: 'reboot', host: 'h' } }],
    ['a kind that is not text', { hint: { kind: 7 } }],
    ['a missing host', { hint: { kind: 'plain-http' } }],
    ['the wrong field', { hint: { kind: 'site-receipt', host: 'h' } }],
    ['an empty host', { hint: { kind: 'credentials', host: '' } }],
    ['a host that is not text', { hint: { kind: 'credentials', host: 5 } }],
    ['a hint that is text', { hint: 'use --creds' }],
  ])('ignores %s', (_why, details) => {
    expect(errorHint(details as Record<string, unknown> | undefined)).toBeUndefined();
  });

  it('drops fields a hint kind does not have', () => {
    expect(errorHint({ hint: { kind: 'plain-http', host: 'h', extra: 'x' } })).toEqual({ kind: 'plain-http', host: 'h' });
  });
});

describe('the CLI words each hint as the flags that fix it', () => {
  it.each(ERROR_HINT_KINDS.map((kind) => [kind]))('%s names its flag', (kind) => {
    expect(hintAsFlags(EVERY_HINT[kind])).toMatch(FLAG[kind]);
  });

  it('prints the message, then the hint on its own line; no hint line without a hint', () => {
    const hint = EVERY_HINT['plain-http'];
    expect(errorLines('copy', { code: 'TLS_ERROR', message: 'it failed', details: { hint } })).toBe(`ferry copy: it failed\n  hint: ${hintAsFlags(hint)}\n`);
    expect(errorLines('copy', { code: 'TLS_ERROR', message: 'it failed' })).toBe('ferry copy: it failed\n');
  });
});

describe('`ferry inspect` against a server that speaks plain HTTP', () => {
  let server: Server;
  let host: string;
  beforeAll(async () => {
    server = createServer((_request, response) => response.end('not a registry'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    host = `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('says so in plain words and prints --plain-http as the hint; --json keeps the hint typed', async () => {
    const { code, stdout, stderr } = await runFerry('inspect', `${host}/app:v1`, '--json');
    expect(code).toBe(1);
    const [message, hintLine] = stderr.split('\n');
    expect(message).toContain('answered without TLS');
    expect(message).not.toMatch(/--[a-z]/);
    expect(hintLine).toBe(`  hint: add --plain-http to reach ${host} over HTTP`);
    expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'TLS_ERROR', details: { hint: { kind: 'plain-http', host } } } });
  });
});

describe('engine errors outside the registry client carry hints, not flags', () => {
  let dir: string;
  let catalog: Catalog;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-hints-'));
    catalog = Catalog.open(join(dir, 'catalog.sqlite'));
  });
  afterAll(async () => {
    catalog.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an incremental export for an unknown site, or one without receipts, carries a site-receipt hint', async () => {
    const unknown = thrown(() => catalog.latestBundleForSite('nowhere'));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.details?.hint).toEqual({ kind: 'site-receipt', site: 'nowhere' });
    expect(unknown.message).not.toMatch(/--[a-z]|ferry receipt/);
    catalog.ensureSite('lab', []);
    const empty = await incrementalBase(catalog, 'lab', undefined).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(empty).toBeInstanceOf(FerryError);
    expect(empty).toMatchObject({ code: 'NOT_FOUND', details: { hint: { kind: 'site-receipt', site: 'lab' } } });
    expect((empty as FerryError).message).not.toMatch(/--[a-z]|ferry receipt/);
  });

  it('two registries landing in one repository carry a keep-source-host hint', () => {
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(Buffer.from('{}')), size: 2 },
        layers: [],
      }),
    );
    const digest = sha256Digest(bytes);
    const mediaType = 'application/vnd.oci.image.manifest.v1+json';
    const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(Buffer.from('{}')), size: 2 };
    const index = Buffer.from('{}');
    const opened: VerifiedBundle = {
      dir: '/media/bundle',
      form: 'oci-layout',
      manifest: undefined,
      ferryJson: undefined,
      ferryJsonDigest: undefined,
      index: { bytes: index, entries: [] },
      indexDigest: sha256Digest(index),
      images: [
        { name: 'a', source: 'docker.io/library/app:v1', digest, mediaType },
        { name: 'b', source: 'quay.io/library/app:v1', digest, mediaType },
      ],
      manifests: new Map([[digest, { bytes, mediaType, kind: 'image' as const, children: [{ role: 'config' as const, descriptor: config }] }]]),
      sizes: new Map(),
    };
    const error = thrown(() => planImport(opened, { registry: 'mirror.local:5000', prefix: '', keepRegistryHost: false }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details?.hint).toEqual({ kind: 'keep-source-host', registry: 'mirror.local:5000' });
    expect(error.message).not.toMatch(/--[a-z]/);
    expect(planImport(opened, { registry: 'mirror.local:5000', prefix: '', keepRegistryHost: true }).images).toHaveLength(2);
  });
});
