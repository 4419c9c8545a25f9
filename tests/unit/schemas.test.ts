/**
 * The zod schemas of the documents Ferry reads: each accepts what Ferry
 * writes and refuses, by JSON path, what it must not trust.
 */
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { BUNDLE_MANIFEST_DOCUMENT, parseBundleManifest } from '../../src-shared/schemas/bundle-manifest.ts';
import { SEALED_LOGIN_DOCUMENT, VAULT_DOCUMENT } from '../../src-shared/schemas/credential-vault.ts';
import { parseJsonDocument, type JsonDocumentKind } from '../../src-shared/schemas/document.ts';
import { EXPORT_STATE_DOCUMENT } from '../../src-shared/schemas/export-state.ts';
import { IMAGE_INDEX_DOCUMENT, IMAGE_MANIFEST_DOCUMENT, LAYOUT_INDEX_DOCUMENT } from '../../src-shared/schemas/oci.ts';
import { RECEIPT_DOCUMENT } from '../../src-shared/schemas/receipt.ts';
import { SETTINGS_DOCUMENT } from '../../src-shared/schemas/settings.ts';
import { parseManifest } from '../../src-main/oci/registry/manifests.ts';
import type { z } from 'zod';

const digest = `sha256:${'a'.repeat(64)}`;
const valid: BundleManifest = {
  formatVersion: 1,
  bundleId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  sequence: 1,
  created: '2026-11-21T20:00:00.000Z',
  exporter: { host: 'laptop', user: 'engineer', ferryVersion: '0.1.0' },
  form: 'archive',
  imageSet: { references: ['quay.io/org/app:v1'], lists: [{ file: 'images.txt', references: [] }], platforms: [] },
  images: [
    {
      name: 'quay.io/org/app:v1',
      source: 'quay.io/org/app:v1',
      tag: 'v1',
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      platforms: ['linux/amd64'],
      size: 10,
      targets: [{ path: 'org/app', tag: 'v1' }],
    },
  ],
  blobs: [{ digest, size: 10 }],
  parts: [{ name: 'part-000000.tar', size: 4096, sha256: 'b'.repeat(64) }],
  parent: null,
};

function refusal<S extends z.ZodType>(value: unknown, kind: JsonDocumentKind<S>, file = 'doc.json'): FerryError {
  try {
    parseJsonDocument(typeof value === 'string' ? value : JSON.stringify(value), kind, file);
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('ferry.json schema', () => {
  it('accepts a valid manifest and returns it unchanged', () => {
    expect(parseBundleManifest(JSON.stringify(valid), 'ferry.json')).toEqual(valid);
  });

  it('names every broken field and the file, as BUNDLE_INVALID', () => {
    const broken = { ...valid, formatVersion: 3, extra: true, blobs: [{ digest: 'sha256:XYZ', size: -1 }], parts: [{ name: '../etc/passwd', size: 1, sha256: 'b'.repeat(64) }] } as Record<
      string,
      unknown
    >;
    delete broken.bundleId;
    const error = refusal(broken, BUNDLE_MANIFEST_DOCUMENT, '/media/usb/b/ferry.json');
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toContain('/media/usb/b/ferry.json does not match the bundle schema');
    for (const problem of [
      '$.formatVersion: must be 1 or 2',
      '$.bundleId: is missing',
      '$.extra: is not allowed',
      '$.blobs[0].digest: must be a sha256 digest',
      '$.blobs[0].size: must be at least 0',
      '$.parts[0].name: must be a plain file name',
    ])
      expect(error.message).toContain(problem);
    expect(error.details).toMatchObject({ file: '/media/usb/b/ferry.json', path: '$.formatVersion' });
  });

  it('a local artifact needs format 2 and a target, so an older reader refuses such a bundle by its version', () => {
    const image = { name: 'ket/debs:v1', source: 'file:debs', digest: `sha256:${'c'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', platforms: [], size: 10 };
    const artifact = { ...image, artifactType: 'application/vnd.ferry.package-repository.v1', targets: [{ path: 'ket/debs', tag: 'v1' }] };
    expect(parseBundleManifest(JSON.stringify({ ...valid, formatVersion: 2, images: [artifact] }), 'ferry.json').images[0]?.artifactType).toBe(artifact.artifactType);
    expect(refusal({ ...valid, formatVersion: 1, images: [artifact] }, BUNDLE_MANIFEST_DOCUMENT, 'ferry.json').message).toContain('$.images[0].artifactType: needs formatVersion 2');
    expect(refusal({ ...valid, formatVersion: 2, images: [{ ...image, artifactType: artifact.artifactType }] }, BUNDLE_MANIFEST_DOCUMENT, 'ferry.json').message).toContain(
      '$.images[0].targets: must name where a local artifact lands',
    );
  });

  it('refuses keys a plain lookup would find on Object.prototype, at any depth', () => {
    // toString and hasOwnProperty are not prototype-reaching keys, so the strict reader lets them through; the schema refuses them as unknown.
    const text = JSON.stringify(valid);
    for (const [changed, path] of [
      [text.replace('{"formatVersion":1', '{"toString":"x","formatVersion":1'), '$.toString'],
      [text.replace('"images":[{', '"images":[{"hasOwnProperty":1,'), '$.images[0].hasOwnProperty'],
      [text.replace('"exporter":{', '"exporter":{"valueOf":1,'), '$.exporter.valueOf'],
    ]) {
      expect(refusal(changed, BUNDLE_MANIFEST_DOCUMENT).message).toContain(`${path}: is not allowed`);
    }
  });

  it('refuses constructor, __proto__ and duplicate keys before the schema runs, naming the path', () => {
    const text = JSON.stringify(valid);
    expect(refusal(text.replace('"blobs":[{', '"blobs":[{"constructor":1,'), BUNDLE_MANIFEST_DOCUMENT).details).toMatchObject({ path: '$.blobs[0].constructor' });
    expect(refusal(text.replace('"images":[{', '"images":[{"__proto__":{},'), BUNDLE_MANIFEST_DOCUMENT).details).toMatchObject({ path: '$.images[0].__proto__' });
    expect(refusal(text.replace('"blobs":[{', '"blobs":[{"size":1,'), BUNDLE_MANIFEST_DOCUMENT).details).toMatchObject({ path: '$.blobs[0].size' });
    expect(refusal(text.replace('{"formatVersion":1', '{"formatVersion":1,"formatVersion":1'), BUNDLE_MANIFEST_DOCUMENT)).toMatchObject({
      code: 'BUNDLE_INVALID',
      details: { path: '$.formatVersion' },
    });
  });

  it('refuses image names, sources, tags and media types holding control or invisible characters, naming the path but not the text', () => {
    const image = valid.images[0];
    if (!image) throw new Error('fixture has no image');
    for (const [field, value] of [
      ['name', 'example.com/app:v1\u001b[2J\u001b[1;1Hverified'],
      ['source', 'example.com/app:v1\u009b8m'],
      ['tag', 'v1\u202e'],
      ['mediaType', 'application/vnd.oci.image.index.v1+json\n'],
    ] as const) {
      const error = refusal({ ...valid, images: [{ ...image, [field]: value }] }, BUNDLE_MANIFEST_DOCUMENT, 'ferry.json');
      expect(error.code, field).toBe('BUNDLE_INVALID');
      expect(error.message, field).toContain(`$.images[0].${field}: must not hold control characters`);
      expect(error.message, field).not.toMatch(/[\u001b\u009b\u202e]/);
    }
    expect(parseBundleManifest(JSON.stringify({ ...valid, images: [{ ...image, name: 'registry.example.com/été/app:v1' }] }), 'ferry.json').images[0]?.name).toBe('registry.example.com/été/app:v1');
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parseBundleManifest('{"formatVersion": 1,', 'x/ferry.json')).toThrow(/x\/ferry.json is not valid JSON/);
  });
});

describe('OCI shapes', () => {
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 2 };

  it('index.json: entries are descriptors; a bad one is named by path as BUNDLE_INVALID', () => {
    const index = {
      schemaVersion: 2,
      manifests: [
        { ...config, annotations: { 'org.opencontainers.image.ref.name': 'v1' } },
        { mediaType: 'x', digest: 'sha256:short', size: 1 },
      ],
    };
    const error = refusal(index, LAYOUT_INDEX_DOCUMENT, 'index.json');
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toContain('$.manifests[1].digest: must be a sha256 or sha512 digest');
    expect(refusal({ schemaVersion: 2 }, LAYOUT_INDEX_DOCUMENT).message).toContain('$.manifests: is missing');
    expect(refusal({ schemaVersion: 2, manifests: [{ ...config, annotations: { a: 1 } }] }, LAYOUT_INDEX_DOCUMENT).message).toContain('$.manifests[0].annotations.a');
    const hostileName = { schemaVersion: 2, manifests: [{ ...config, annotations: { 'org.opencontainers.image.ref.name': 'v1\u202e' } }] };
    expect(refusal(hostileName, LAYOUT_INDEX_DOCUMENT).message).toContain('must not hold control characters');
  });

  it('keeps fields the schema does not name, as the image spec asks', () => {
    const index = { schemaVersion: 2, manifests: [{ ...config, data: 'e30=', 'io.example.extension': true }], 'io.example.top': 1 };
    expect(parseJsonDocument(JSON.stringify(index), IMAGE_INDEX_DOCUMENT, 'i')).toEqual(index);
  });

  it('manifests: schemaVersion, config, layers and sizes are checked; the error is INVALID_MANIFEST with the path and digest', () => {
    expect(refusal({ schemaVersion: 1, config, layers: [] }, IMAGE_MANIFEST_DOCUMENT).message).toContain('$.schemaVersion: must be 2');
    expect(refusal({ schemaVersion: 2, config: { ...config, size: 1.5 }, layers: [] }, IMAGE_MANIFEST_DOCUMENT).message).toContain('$.config.size: must be a whole number');
    let error: unknown;
    try {
      parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [config, { digest: 'nope' }] })), undefined, digest, 'quay.io/org/app:v1');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'INVALID_MANIFEST', details: { digest, path: '$.layers[1].mediaType' } });
    expect(() => parseManifest(Buffer.from('{"schemaVersion":2,"config":{},"config":{},"layers":[]}'), undefined, digest, 's')).toThrow(/appears twice/);
  });
});

describe('receipts, journals, settings and the vault', () => {
  const receipt = {
    receiptVersion: 1,
    site: 'plant-7',
    registry: 'mirror.local:5000/ocp',
    bundleId: null,
    importedAt: '2026-11-21T20:00:00.000Z',
    images: [{ name: 'a', source: 'quay.io/a:v1', destination: 'mirror.local:5000/ocp/a:v1', digest }],
    digests: [digest],
  };

  it('a receipt is INVALID_CONTENT naming the path', () => {
    expect(parseJsonDocument(JSON.stringify(receipt), RECEIPT_DOCUMENT, 'r.json')).toEqual(receipt);
    const error = refusal({ ...receipt, digests: ['md5:abc'] }, RECEIPT_DOCUMENT, 'r.json');
    expect(error).toMatchObject({ code: 'INVALID_CONTENT', details: { file: 'r.json', path: '$.digests[0]' } });
    expect(refusal({ ...receipt, images: [{ ...receipt.images[0], extra: 1 }] }, RECEIPT_DOCUMENT).message).toContain('$.images[0].extra: is not allowed');
    expect(refusal({ ...receipt, receiptVersion: 2 }, RECEIPT_DOCUMENT).message).toContain('$.receiptVersion: must be 1');
  });

  it('ferry.json times must carry a zone: a local time would shift ages and expiry by hours', () => {
    for (const created of ['2026-12-02T12:00:00+02:00', '2026-12-02T12:00:00.123456Z'])
      expect(parseJsonDocument(JSON.stringify({ ...valid, created }), BUNDLE_MANIFEST_DOCUMENT, 'f').created).toBe(created);
    for (const created of ['2026-12-02T12:00:00', '2026-12-02T', '12/02/2026', '2026-13-45T12:00:00Z']) {
      expect(refusal({ ...valid, created }, BUNDLE_MANIFEST_DOCUMENT).details).toMatchObject({ path: '$.created' });
    }
    expect(refusal({ ...valid, expires: '2027-01-01T00:00:00' }, BUNDLE_MANIFEST_DOCUMENT).details).toMatchObject({ path: '$.expires' });
  });

  it('an export journal is refused when a part or a digest is malformed', () => {
    const state = {
      version: 1,
      bundleId: valid.bundleId,
      created: valid.created,
      form: 'archive',
      partSize: 1024,
      content: [digest],
      index: 'c'.repeat(64),
      parts: [{ name: 'part-000000.tar', size: 1024, sha256: 'd'.repeat(64) }],
    };
    expect(parseJsonDocument(JSON.stringify(state), EXPORT_STATE_DOCUMENT, 'j')).toEqual(state);
    expect(refusal({ ...state, parts: [{ name: 'part-000000.tar', size: -1, sha256: 'd'.repeat(64) }] }, EXPORT_STATE_DOCUMENT).details).toMatchObject({ path: '$.parts[0].size' });
    expect(refusal({ ...state, form: 'zip' }, EXPORT_STATE_DOCUMENT).details).toMatchObject({ path: '$.form' });
  });

  it('settings normalise as they are read and refuse unknown keys and duplicates', () => {
    expect(parseJsonDocument('{"registries": [{"address": " r.local:5000/ ", "authFile": "  "}]}', SETTINGS_DOCUMENT, 's')).toEqual({
      registries: [{ address: 'r.local:5000', plainHttp: false, tlsVerify: true }],
      defaults: {},
    });
    expect(refusal({ registries: [{ address: 'r.local', username: 'op' }] }, SETTINGS_DOCUMENT).details).toMatchObject({ path: '$.registries[0].username' });
    expect(refusal({ registries: [{ address: 'r.local' }, { address: 'r.local/' }] }, SETTINGS_DOCUMENT).message).toContain('$.registries[1].address: r.local is listed twice');
    expect(refusal({ registries: [{ address: 'https://r.local' }] }, SETTINGS_DOCUMENT).message).toContain('without a scheme');
    expect(refusal({ defaults: { partSize: 'four gigs' } }, SETTINGS_DOCUMENT).details).toMatchObject({ path: '$.defaults.partSize' });
  });

  it('the vault file and a sealed login', () => {
    expect(parseJsonDocument('{"version": 1, "entries": {"r.local": {"username": "op", "sealed": "c2VhbGVk"}}}', VAULT_DOCUMENT, 'v')).toEqual({
      version: 1,
      entries: { 'r.local': { username: 'op', sealed: 'c2VhbGVk' } },
    });
    expect(refusal('{"version": 1, "entries": {"r": 5}}', VAULT_DOCUMENT).details).toMatchObject({ path: '$.entries.r' });
    expect(refusal('{"version": 1, "entries": {"constructor": {"username": "op", "sealed": ""}}}', VAULT_DOCUMENT).details).toMatchObject({ path: '$.entries.constructor' });
    expect(refusal('{"host": "r", "username": "op", "password": "p", "password": "q"}', SEALED_LOGIN_DOCUMENT).code).toBe('CREDENTIALS_ERROR');
  });
});
