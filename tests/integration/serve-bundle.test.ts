import { createHash } from 'node:crypto';
import { cp, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import { openBundleReader } from '../../src-main/serve/bundle-reader.ts';
import { RegistryProblem } from '../../src-main/serve/problems.ts';
import { startRegistryServer } from '../../src-main/serve/registry-server.ts';
import type { RegistryReader } from '../../src-main/serve/storage.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, SIGNATURE_ARTIFACT_TYPE, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { runSkopeo } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';

const NAMES: FixtureName[] = ['oci-single', 'docker-schema2', 'oci-index', 'docker-list', 'artifact-referrer', 'empty-layer', 'big-layers'];
const teardown = new Teardown();
let source: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
let bundle: string;
let archive: string;
let reader: RegistryReader;

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  fixtures = await buildFixtures();
  await seedFixtures(source, Object.values(fixtures));
  work = await mkdtemp(join(tmpdir(), 'ferry-serve-bundle-'));
  const list = join(work, 'images.txt');
  await writeFile(list, NAMES.map((name) => `${source.host}/${fixtures[name].repository}:${fixtures[name].tag}`).join('\n'));
  bundle = join(work, 'bundle');
  archive = join(work, 'archive');
  for (const [dir, extra] of [
    [bundle, []],
    [archive, ['--archive', '--part-size', '1MiB']],
  ] as const) {
    const result = await runFerry('export', '--to', dir, '--images', list, '--plain-http', '--authfile', emptyAuthFile, ...extra);
    if (result.code !== 0) throw new Error(`export failed: ${result.stderr}`);
  }
  reader = await openBundleReader(bundle);
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('openBundleReader: a verified directory bundle served read-only', () => {
  it('lists every image where an import with no prefix would land it, with its tags', async () => {
    expect(reader.readOnly).toBe(true);
    const repositories = await reader.repositories();
    expect(repositories).toEqual([...new Set(NAMES.map((name) => fixtures[name].repository))].sort());
    for (const name of NAMES) {
      const fixture = fixtures[name];
      expect(await reader.tags(fixture.repository), name).toContain(fixture.tag);
      const byTag = await reader.manifest(fixture.repository, fixture.tag);
      expect(byTag?.digest, name).toBe(fixture.manifestDigest);
      expect(byTag?.mediaType, name).toBe(fixture.mediaType);
      expect(sha256(byTag?.bytes ?? Buffer.alloc(0)), name).toBe(fixture.manifestDigest);
      // Every manifest of the graph (an index's children too) by digest; the referrers fallback index is the registry's, not the bundle's.
      for (const manifest of fixture.manifests.filter((m) => m.digest !== fixture.referrersIndexDigest))
        expect((await reader.manifest(fixture.repository, manifest.digest))?.digest, `${name} ${manifest.digest}`).toBe(manifest.digest);
    }
  });

  it('streams every blob, checked against its digest, whole and by range', async () => {
    for (const name of NAMES) {
      const fixture = fixtures[name];
      for (const blob of fixture.blobs) {
        expect(await reader.blobSize(fixture.repository, blob.digest), `${name} ${blob.digest}`).toBe(blob.size);
        const bytes = await readAll(await reader.openBlob(fixture.repository, blob.digest));
        expect(sha256(bytes)).toBe(blob.digest);
      }
    }
    const big = fixtures['big-layers'].blobs.reduce((a, b) => (b.size > a.size ? b : a));
    const whole = await readAll(await reader.openBlob(fixtures['big-layers'].repository, big.digest));
    for (const range of [
      { start: 0, end: 99 },
      { start: 1_500_000, end: big.size - 1 },
      { start: 1024 * 1024 - 10, end: 1024 * 1024 + 10 },
      { start: big.size - 1, end: big.size - 1 },
    ]) {
      const part = await readAll(await reader.openBlob(fixtures['big-layers'].repository, big.digest, range));
      expect(part.equals(whole.subarray(range.start, range.end + 1)), JSON.stringify(range)).toBe(true);
    }
  });

  it('keeps repositories apart, and answers unknown and invalid names as the spec says', async () => {
    const other = fixtures['docker-schema2'].blobs[0];
    expect(other).toBeDefined();
    expect(await reader.blobSize(fixtures['oci-single'].repository, other?.digest ?? '')).toBeUndefined();
    expect(await reader.manifest(fixtures['oci-single'].repository, fixtures['docker-schema2'].manifestDigest)).toBeUndefined();
    expect(await reader.tags('no/such/repository')).toBeUndefined();
    expect(await reader.manifest('no/such/repository', 'v1')).toBeUndefined();
    const problem = await reader.tags('Upper/Case').catch((error: unknown) => error);
    expect(problem).toBeInstanceOf(RegistryProblem);
    expect((problem as RegistryProblem).code).toBe('NAME_INVALID');
    const unknown = await reader.openBlob(fixtures['oci-single'].repository, `sha256:${'0'.repeat(64)}`).catch((error: unknown) => error);
    expect((unknown as RegistryProblem).code).toBe('BLOB_UNKNOWN');
  });

  it('lists the signature as a referrer of its subject, with its artifactType', async () => {
    const artifact = fixtures['artifact-referrer'];
    const subject = artifact.subject?.digest ?? '';
    const referrers = await reader.referrers(artifact.repository, subject);
    const found = referrers.find((r) => r.digest === artifact.manifestDigest);
    expect(found?.artifactType).toBe(SIGNATURE_ARTIFACT_TYPE);
    expect(found?.annotations?.['org.opencontainers.image.created']).toBe('2020-01-01T00:00:00Z');
    expect(await reader.referrers(artifact.repository, fixtures['big-layers'].manifestDigest)).toEqual([]);
  });

  it('never completes a blob response whose bytes changed on the drive after verification', async () => {
    const copy = join(work, 'changed-later');
    await cp(bundle, copy, { recursive: true });
    const served = await openBundleReader(copy);
    const fixture = fixtures['big-layers'];
    const blob = fixture.blobs.reduce((a, b) => (b.size > a.size ? b : a));
    const handle = await open(join(copy, 'blobs', 'sha256', blob.digest.slice('sha256:'.length)), 'r+');
    await handle.write(Buffer.from('X'), 0, 1, blob.size - 5);
    await handle.close();
    for (const range of [undefined, { start: 0, end: 99 }]) {
      // Either the call fails (the range lies in the first chunk, so the whole blob is read before anything is handed on) or the stream does.
      const error = await served
        .openBlob(fixture.repository, blob.digest, range)
        .then(readAll)
        .catch((e: unknown) => e);
      expect(error, JSON.stringify(range)).toBeInstanceOf(FerryError);
      expect((error as FerryError).code).toBe('DIGEST_MISMATCH');
    }
    // Untouched blobs are still served.
    const small = fixtures['oci-single'].blobs[0];
    expect(small && sha256(await readAll(await served.openBlob(fixtures['oci-single'].repository, small.digest)))).toBe(small?.digest);
  });

  it('is pulled by skopeo over HTTP with identical digests, every platform and blob', async () => {
    const server = teardown.add(await startRegistryServer({ reader, host: '127.0.0.1', port: 0 }), (s) => s.close());
    for (const name of NAMES) {
      const fixture = fixtures[name];
      const ref = `docker://${server.address}/${fixture.repository}:${fixture.tag}`;
      const pulled = join(work, `pulled-${name}`);
      await runSkopeo(['copy', '--quiet', '--all', '--preserve-digests', '--src-tls-verify=false', ref, `dir:${pulled}`]);
      expect(sha256(await readFile(join(pulled, 'manifest.json'))), name).toBe(fixture.manifestDigest);
    }
    // Read-only: a push is refused.
    const push = await fetch(`${server.url}/v2/${fixtures['oci-single'].repository}/blobs/uploads/`, { method: 'POST' });
    expect(push.status).toBe(405);
    await server.close();
  });

  it('refuses a bundle that fails verification, serving nothing', async () => {
    const copy = join(work, 'broken');
    await cp(bundle, copy, { recursive: true });
    const blob = fixtures['oci-single'].blobs[0];
    await writeFile(join(copy, 'blobs', 'sha256', blob?.digest.slice('sha256:'.length) ?? ''), 'not the blob');
    const error = await failure(openBundleReader(copy));
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toContain('nothing is served');
  });

  it('refuses an archive bundle before verifying it, naming ferry import --to-store', async () => {
    const error = await failure(openBundleReader(archive));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('--to-store');
  });
});
