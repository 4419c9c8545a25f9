import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBlob, readBlobToBuffer } from '../../src-main/oci/registry/blobs.ts';
import type { RegistryClient } from '../../src-main/oci/registry/client.ts';
import { getManifest, headManifest, putManifest } from '../../src-main/oci/registry/manifests.ts';
import { listReferrers } from '../../src-main/oci/registry/referrers.ts';
import type { Registries } from '../../src-main/oci/registry/registries.ts';
import { listTags } from '../../src-main/oci/registry/tags.ts';
import { blobExists, mountBlob, uploadBlob } from '../../src-main/oci/registry/uploads.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import { registriesFor } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, SIGNATURE_ARTIFACT_TYPE, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';

let registry: RunningRegistry;
let registries: Registries;
let client: RegistryClient;
let fixtures: Record<FixtureName, FixtureImage>;

const teardown = new Teardown();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(registry, Object.values(fixtures));
  registries = teardown.add(registriesFor(registry), (opened) => opened.close());
  client = await registries.client(registry.host);
});

afterAll(() => teardown.run());

const NAMES: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index', 'docker-list', 'artifact-referrer', 'empty-layer', 'big-layers'];

describe('manifests', () => {
  for (const name of NAMES) {
    it(`${name}: GET by tag keeps the exact bytes, media type and digest skopeo sees`, async () => {
      const fixture = fixtures[name];
      const manifest = await getManifest(client, fixture.repository, fixture.tag);
      expect(manifest.digest).toBe(fixture.manifestDigest);
      expect(manifest.mediaType).toBe(fixture.mediaType);
      expect(sha256Digest(manifest.bytes)).toBe(fixture.manifestDigest);
      expect(await skopeoInspectRawDigest(`docker://${registry.host}/${fixture.repository}:${fixture.tag}`, registry)).toBe(manifest.digest);
      const byDigest = await getManifest(client, fixture.repository, fixture.manifestDigest);
      expect(byDigest.bytes.equals(manifest.bytes)).toBe(true);
    });
  }

  it('HEAD reports the digest, and undefined for a missing tag', async () => {
    const fixture = fixtures['oci-single'];
    expect((await headManifest(client, fixture.repository, fixture.tag))?.digest).toBe(fixture.manifestDigest);
    expect(await headManifest(client, fixture.repository, 'no-such-tag')).toBeUndefined();
  });

  it('a plain-HTTP registry reached over HTTPS is a TLS_ERROR with a plain-http hint, and no flag in its words', async () => {
    const overTls = registriesFor(registry, { plainHttp: false });
    try {
      const error = await getManifest(await overTls.client(registry.host), 'fixtures/oci-single', 'v1').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'TLS_ERROR', details: { hint: { kind: 'plain-http', host: registry.host } } });
      expect((error as Error).message).not.toMatch(/--[a-z]/);
    } finally {
      await overTls.close();
    }
  });

  it('a missing tag is NOT_FOUND at once, naming the reference and the registry code', async () => {
    const before = client.requestCounts.get('GET') ?? 0;
    const error = await getManifest(client, 'fixtures/oci-single', 'missing').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect((error as Error).message).toContain(`${registry.host}/fixtures/oci-single:missing`);
    expect((error as Error).message).toContain('MANIFEST_UNKNOWN');
    expect((client.requestCounts.get('GET') ?? 0) - before).toBe(1);
  });

  it('PUT by tag and by digest keeps the digest; a digest that does not match the bytes is refused before sending', async () => {
    const fixture = fixtures['docker-schema2'];
    const manifest = await getManifest(client, fixture.repository, fixture.tag);
    expect(await putManifest(client, fixture.repository, 'copy-of-v1', manifest.bytes, manifest.mediaType)).toBe(fixture.manifestDigest);
    expect(await skopeoInspectRawDigest(`docker://${registry.host}/${fixture.repository}:copy-of-v1`, registry)).toBe(fixture.manifestDigest);
    const wrong = `sha256:${'0'.repeat(64)}`;
    await expect(putManifest(client, fixture.repository, wrong, manifest.bytes, manifest.mediaType)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });
});

describe('blobs', () => {
  it('streams every blob of every fixture with its digest verified', async () => {
    for (const name of NAMES) {
      const fixture = fixtures[name];
      for (const blob of fixture.blobs) {
        const bytes = await readBlobToBuffer(client, fixture.repository, blob);
        expect(bytes.length).toBe(blob.size);
        expect(sha256Digest(bytes)).toBe(blob.digest);
      }
    }
  });

  it('refuses a blob whose declared size is wrong, naming the blob', async () => {
    const blob = fixtures['oci-single'].blobs[1];
    if (!blob) throw new Error('fixture has no layer');
    await expect(readBlobToBuffer(client, 'fixtures/oci-single', { digest: blob.digest, size: blob.size - 1 })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(readBlobToBuffer(client, 'fixtures/oci-single', { digest: blob.digest, size: blob.size + 1 })).rejects.toThrow(new RegExp(blob.digest));
  });

  it('an empty blob reads as zero bytes', async () => {
    const empty = fixtures['empty-layer'].blobs.find((b) => b.size === 0) ?? fixtures['empty-layer'].blobs[1];
    if (!empty) throw new Error('no empty layer');
    const chunks: Buffer[] = [];
    for await (const chunk of readBlob(client, fixtures['empty-layer'].repository, empty)) chunks.push(chunk);
    expect(Buffer.concat(chunks).length).toBe(empty.size);
  });
});

describe('uploads', () => {
  const content = Buffer.alloc(5 * 1024 * 1024 + 123, 7);
  const blob = { digest: sha256Digest(content), size: content.length };
  const from = (bytes: Buffer) =>
    async function* (offset: number) {
      for (let i = offset; i < bytes.length; i += 1024 * 1024) yield bytes.subarray(i, Math.min(bytes.length, i + 1024 * 1024));
    };

  it('monolithic upload, then HEAD finds it', async () => {
    expect(await blobExists(client, 'uploads/mono', blob.digest)).toBe(false);
    await uploadBlob(client, 'uploads/mono', blob, from(content));
    expect(await blobExists(client, 'uploads/mono', blob.digest)).toBe(true);
    expect(sha256Digest(await readBlobToBuffer(client, 'uploads/mono', blob))).toBe(blob.digest);
  });

  it('chunked upload with inclusive Content-Range', async () => {
    await uploadBlob(client, 'uploads/chunked', blob, from(content), { chunkSize: 2 * 1024 * 1024 });
    expect(await blobExists(client, 'uploads/chunked', blob.digest)).toBe(true);
  });

  it('cross-repository mount gives 201; from a repository without the blob it falls back to an upload session', async () => {
    expect(await mountBlob(client, 'uploads/mounted', blob.digest, 'uploads/mono')).toBe('mounted');
    expect(await blobExists(client, 'uploads/mounted', blob.digest)).toBe(true);
    const other = Buffer.from('not anywhere yet');
    const otherBlob = { digest: sha256Digest(other), size: other.length };
    const fallback = await mountBlob(client, 'uploads/fallback', otherBlob.digest, 'uploads/mono');
    expect(fallback).not.toBe('mounted');
    if (fallback === 'mounted') return;
    await uploadBlob(client, 'uploads/fallback', otherBlob, from(other), { location: fallback.location });
    expect(await blobExists(client, 'uploads/fallback', otherBlob.digest)).toBe(true);
  });

  it('an upload whose bytes do not match the digest is refused by the registry and not committed', async () => {
    const lie = { digest: sha256Digest(Buffer.from('something else')), size: content.length };
    await expect(uploadBlob(client, 'uploads/lie', lie, from(content))).rejects.toMatchObject({ code: 'REGISTRY_ERROR' });
    expect(await blobExists(client, 'uploads/lie', lie.digest)).toBe(false);
  });
});

describe('tags and referrers', () => {
  it('lists every tag of a repository', async () => {
    const fixture = fixtures['oci-single'];
    const manifest = await getManifest(client, fixture.repository, fixture.tag);
    const extra = ['a1', 'a2', 'a3', 'a4', 'a5'];
    for (const tag of extra)
      await putManifest(client, 'paged/repo', tag, manifest.bytes, manifest.mediaType).catch(async () => {
        // The blobs must exist in the repository first: mount them from the fixture.
        for (const blob of fixture.blobs) await mountBlob(client, 'paged/repo', blob.digest, fixture.repository);
        await putManifest(client, 'paged/repo', tag, manifest.bytes, manifest.mediaType);
      });
    // Distribution 2.8 ignores `n` on tag lists; Link pagination is tested through the fault proxy in faults.test.ts.
    const tags = await listTags(client, 'paged/repo', { pageSize: 2 });
    expect(tags.sort()).toEqual(extra);
  });

  it('finds the signature through the sha256-<hex> tag fallback (Distribution 2.8 has no referrers API)', async () => {
    const artifact = fixtures['artifact-referrer'];
    const subject = artifact.subject;
    if (!subject) throw new Error('artifact fixture has no subject');
    const referrers = await listReferrers(client, artifact.repository, subject.digest);
    expect(referrers.map((d) => d.digest)).toContain(artifact.manifestDigest);
    expect(await listReferrers(client, artifact.repository, subject.digest, { artifactType: SIGNATURE_ARTIFACT_TYPE })).toHaveLength(1);
    expect(await listReferrers(client, artifact.repository, subject.digest, { artifactType: 'application/x-none' })).toHaveLength(0);
    expect(await listReferrers(client, artifact.repository, fixtures['docker-schema2'].manifestDigest)).toEqual([]);
  });
});

describe('connections', () => {
  it('existence checks (HEAD) reuse one keep-alive connection instead of opening one each', async () => {
    const fixture = fixtures['oci-single'];
    // A client of its own, so no connection is already open; undici reports every new connection on this channel.
    const own = registriesFor(registry);
    let connections = 0;
    const onConnect = (): void => {
      connections += 1;
    };
    diagnostics.subscribe('undici:client:connected', onConnect);
    try {
      const fresh = await own.client(registry.host);
      for (let i = 0; i < 20; i += 1) {
        expect(await blobExists(fresh, fixture.repository, fixture.blobs[i % fixture.blobs.length]?.digest ?? '')).toBe(true);
        expect((await headManifest(fresh, fixture.repository, fixture.tag))?.digest).toBe(fixture.manifestDigest);
      }
    } finally {
      diagnostics.unsubscribe('undici:client:connected', onConnect);
      await own.close();
    }
    // Sequential requests need one connection (the /v2/ ping may use it too); undici's default would open 40.
    expect(connections).toBeLessThanOrEqual(2);
  });
});
