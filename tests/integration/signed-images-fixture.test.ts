/**
 * The signed-images fixture against the real registry: every tag it makes is
 * there for skopeo, the manifests name the right blobs, the referrers-shape
 * manifests carry `subject` and sit in the fallback index, and the simple
 * signing signature verifies with openssl (an independent verifier) over the
 * payload bytes the registry serves.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, trackDir } from '../harness/cleanup.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { CosignTypes, attachEverything, fallbackTag, makeFixtureKey, pushSmallImage, type SignedImageFixture, type SubjectImage } from '../harness/signed-images.ts';
import { dockerRef, skopeoInspectRaw, skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { Teardown } from '../harness/teardown.ts';

const execFileAsync = promisify(execFile);
const teardown = new Teardown();
let registry: RunningRegistry;
let subject: SubjectImage;
let fixture: SignedImageFixture;
let work: string;
const key = makeFixtureKey();

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  work = await mkdtemp(join(tmpdir(), 'ferry-signed-images-'));
  trackDir(work);
  subject = await pushSmallImage(registry, 'team/app', 'v1', 'signed');
  fixture = await attachEverything(subject, key);
}, 120_000);

afterAll(async () => {
  await teardown.run();
  removeDir(work);
});

async function blobBytes(digest: string): Promise<Buffer> {
  const response = await fetch(`${registry.url}/v2/${subject.repository}/blobs/${digest}`);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('signed-images fixture', () => {
  it('puts every cosign tag and the referrers fallback tag where skopeo finds them, with the digests it returned', async () => {
    const expected: Array<[string, string]> = [
      [fallbackTag(subject.digest, 'sig'), fixture.signature.manifest.digest],
      [fallbackTag(subject.digest, 'att'), fixture.attestation.manifest.digest],
      [fallbackTag(subject.digest, 'sbom'), fixture.sbom.manifest.digest],
      [fallbackTag(subject.digest), fixture.fallbackIndex.digest],
    ];
    for (const [tag, digest] of expected) expect(await skopeoInspectRawDigest(dockerRef(registry, subject.repository, tag), registry)).toBe(digest);
    expect(fixture.signature.tag).toBe(`sha256-${subject.digest.slice(7)}.sig`);
  });

  it('pushes the referrers-shape manifests by digest with subject and artifactType, both listed in the fallback index', async () => {
    for (const referrer of [fixture.sbomReferrer, fixture.referrerSignature]) {
      const raw = JSON.parse((await skopeoInspectRaw(dockerRef(registry, subject.repository, referrer.manifest.digest), registry)).toString()) as Record<string, unknown>;
      expect(raw.subject).toEqual({ mediaType: subject.mediaType, digest: subject.digest, size: subject.size });
      expect(raw.artifactType).toBe(referrer === fixture.sbomReferrer ? CosignTypes.spdxJson : CosignTypes.artifactSignature);
    }
    const index = JSON.parse((await skopeoInspectRaw(dockerRef(registry, subject.repository, fallbackTag(subject.digest)), registry)).toString()) as {
      manifests: Array<{ digest: string; artifactType: string }>;
    };
    expect(index.manifests.map((entry) => [entry.digest, entry.artifactType])).toEqual([
      [fixture.sbomReferrer.manifest.digest, CosignTypes.spdxJson],
      [fixture.referrerSignature.manifest.digest, CosignTypes.artifactSignature],
    ]);
  });

  it('signs a payload naming the image digest, and openssl verifies the annotation over the payload the registry serves', async () => {
    const manifest = JSON.parse((await skopeoInspectRaw(dockerRef(registry, subject.repository, fallbackTag(subject.digest, 'sig')), registry)).toString()) as {
      layers: Array<{ mediaType: string; digest: string; annotations: Record<string, string> }>;
    };
    const layer = manifest.layers[0];
    expect(layer?.mediaType).toBe(CosignTypes.simpleSigning);
    const payload = await blobBytes(layer?.digest ?? '');
    const parsed = JSON.parse(payload.toString()) as { critical: { image: Record<string, string>; type: string; identity: Record<string, string> } };
    expect(parsed.critical.image['docker-manifest-digest']).toBe(subject.digest);
    expect(parsed.critical.type).toBe('cosign container image signature');
    expect(parsed.critical.identity['docker-reference']).toBe(`${registry.host}/team/app`);

    const files = { key: join(work, 'cosign.pub'), payload: join(work, 'payload.json'), sig: join(work, 'payload.sig') };
    await writeFile(files.key, key.publicKeyPem);
    await writeFile(files.payload, payload);
    await writeFile(files.sig, Buffer.from(layer?.annotations[CosignTypes.signatureAnnotation] ?? '', 'base64'));
    const good = await execFileAsync('openssl', ['dgst', '-sha256', '-verify', files.key, '-signature', files.sig, files.payload]);
    expect(good.stdout).toContain('Verified OK');

    await writeFile(files.payload, Buffer.concat([payload, Buffer.from(' ')]));
    const bad = await execFileAsync('openssl', ['dgst', '-sha256', '-verify', files.key, '-signature', files.sig, files.payload]).then(
      () => 'verified',
      (error: unknown) => String((error as { stdout?: unknown }).stdout),
    );
    expect(bad).toContain('Verification failure');
  });

  it('wraps the attestation as a DSSE envelope over an in-toto statement about the image', async () => {
    const envelope = JSON.parse((await blobBytes(fixture.attestation.envelope.digest)).toString()) as { payloadType: string; payload: string; signatures: Array<{ sig: string }> };
    expect(envelope.payloadType).toBe(CosignTypes.inTotoPayload);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as { subject: Array<{ digest: { sha256: string } }> };
    expect(statement.subject[0]?.digest.sha256).toBe(subject.digest.slice(7));
    expect(envelope.signatures).toHaveLength(1);
  });
});
