/**
 * Referrers round trip (issue 14): an image's cosign signature, attestation
 * and SBOM (tag fallback) and its referrers-shape SBOM and signature (one image
 * through the fallback index tag, one through the referrers API alone, served
 * by the shim in front of the real registry) travel in the bundle, verify, and
 * arrive at the mirror: found there by digest, by cosign tag, and through the
 * fallback index Ferry writes (a registry without the API) or the referrers
 * API (one with it). `--no-referrers` leaves them out; a registry that fails
 * the referrers lookup does not stop the export and is noted in the plan.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src-shared/model/bundle.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startReferrersProxy, type ReferrersProxy } from '../harness/referrers-proxy.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { attachEverything, attachReferrerSignature, attachSbomReferrer, fallbackTag, makeFixtureKey, pushSmallImage, type SignedImageFixture, type SubjectImage } from '../harness/signed-images.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const teardown = new Teardown();
let source: RunningRegistry;
let shim: ReferrersProxy;
let work: string;
let signed: SubjectImage;
let signedFixture: SignedImageFixture;
let apiOnly: SubjectImage;
let apiOnlyReferrers: string[];
let unsigned: SubjectImage;
let bundle: string;

const access = ['--plain-http', '--authfile', emptyAuthFile];
const through = (registry: { host: string }, image: SubjectImage, tag = 'v1'): string => `${registry.host}/${image.repository}:${tag}`;

async function ferry(...argv: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await runFerry(...argv);
  if (result.code !== 0) throw new Error(`ferry ${argv[0]} exited ${result.code}: ${result.stderr}`);
  return result;
}

async function readFerryJson(dir: string): Promise<BundleManifest> {
  return JSON.parse(await readFile(join(dir, 'ferry.json'), 'utf8')) as BundleManifest;
}

/** GETs a manifest by tag or digest: its status and the digest the registry serves it under. */
async function manifestAt(registry: { url: string }, repository: string, reference: string): Promise<{ status: number; digest: string | null; body: string }> {
  const accept = ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json'].join(', ');
  const response = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, { headers: { accept } });
  const body = await response.text();
  return { status: response.status, digest: response.headers.get('docker-content-digest'), body };
}

beforeAll(async () => {
  source = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  shim = teardown.add(await startReferrersProxy(source), (started) => started.stop());
  work = await mkdtemp(join(tmpdir(), 'ferry-referrers-test-'));
  const key = makeFixtureKey();
  signed = await pushSmallImage(source, 'signed/app', 'v1', 'signed app');
  signedFixture = await attachEverything(signed, key);
  // Only the referrers API finds these: the fixture's fallback index tag is deleted again.
  apiOnly = await pushSmallImage(source, 'signed/api-only', 'v1', 'api-only app');
  const sbom = await attachSbomReferrer(apiOnly);
  const signature = await attachReferrerSignature(apiOnly, key);
  apiOnlyReferrers = [sbom.manifest.digest, signature.manifest.digest];
  const deleted = await fetch(`${source.url}/v2/${apiOnly.repository}/manifests/${signature.index.digest}`, { method: 'DELETE' });
  expect(deleted.status).toBe(202);
  expect((await manifestAt(source, apiOnly.repository, fallbackTag(apiOnly.digest))).status).toBe(404);
  unsigned = await pushSmallImage(source, 'plain/unsigned', 'v1', 'unsigned app');
  bundle = join(work, 'bundle');
  await ferry('export', '--to', bundle, through(shim, signed), through(shim, apiOnly), through(shim, unsigned), ...access);
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('referrers travel with their images', () => {
  it('export carries every referrer as an image tied to its subject, by cosign tag or by digest', async () => {
    const manifest = await readFerryJson(bundle);
    const referrers = manifest.images.filter((image) => image.referrer !== undefined);
    const of = (subject: SubjectImage): Array<{ name: string; digest: string; kind: string }> =>
      referrers.filter((image) => image.referrer?.subject === subject.digest).map((image) => ({ name: image.name, digest: image.digest, kind: image.referrer?.kind ?? '' }));
    const repo = `${shim.host}/${signed.repository}`;
    expect(of(signed)).toEqual(
      expect.arrayContaining([
        { name: `${repo}:${fallbackTag(signed.digest, 'sig')}`, digest: signedFixture.signature.manifest.digest, kind: 'signature' },
        { name: `${repo}:${fallbackTag(signed.digest, 'att')}`, digest: signedFixture.attestation.manifest.digest, kind: 'attestation' },
        { name: `${repo}:${fallbackTag(signed.digest, 'sbom')}`, digest: signedFixture.sbom.manifest.digest, kind: 'sbom' },
        { name: `${repo}@${signedFixture.sbomReferrer.manifest.digest}`, digest: signedFixture.sbomReferrer.manifest.digest, kind: 'sbom' },
        { name: `${repo}@${signedFixture.referrerSignature.manifest.digest}`, digest: signedFixture.referrerSignature.manifest.digest, kind: 'signature' },
      ]),
    );
    expect(of(signed)).toHaveLength(5);
    expect(
      of(apiOnly)
        .map((r) => r.digest)
        .sort(),
    ).toEqual([...apiOnlyReferrers].sort());
    expect(of(unsigned)).toEqual([]);
    // The shim was asked: the API route is what found the api-only image's referrers.
    expect(shim.referrersAsked).toContain(`${apiOnly.repository}@${apiOnly.digest}`);
    // Their blobs are in the bundle and in index.json, so verification's graph check covers them.
    const index = JSON.parse(await readFile(join(bundle, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    for (const referrer of referrers) expect(index.manifests.map((m) => m.digest)).toContain(referrer.digest);
    const listed = new Set(manifest.blobs.map((blob) => blob.digest));
    for (const layer of [...signedFixture.signature.layers, ...signedFixture.sbomReferrer.layers]) expect(listed.has(layer.digest)).toBe(true);
    const verified = await ferry('verify', bundle);
    expect(verified.stdout).toMatch(/verified/i);
  });

  it('the inspector shows per image which of signature, attestation and SBOM are present', async () => {
    const { stdout } = await ferry('inspect', bundle, '--json');
    const inspection = JSON.parse(stdout) as { referrers: Array<{ image: string; signature: boolean; attestation: boolean; sbom: boolean }> };
    const byImage = new Map(inspection.referrers.map((r) => [r.image, r]));
    expect(byImage.get(through(shim, signed))).toMatchObject({ signature: true, attestation: true, sbom: true });
    expect(byImage.get(through(shim, apiOnly))).toMatchObject({ signature: true, attestation: false, sbom: true });
    expect(byImage.get(through(shim, unsigned))).toMatchObject({ signature: false, attestation: false, sbom: false });
    expect((await ferry('inspect', bundle)).stdout).toContain('signature, attestation, SBOM present');
  });

  it('import into a registry without the referrers API: found by digest, by cosign tag, and through the fallback index Ferry writes', async () => {
    const mirror = await startRegistry({ mode: 'anonymous' });
    try {
      await ferry('import', bundle, '--to', `${mirror.host}/mirror`, ...access);
      const at = (image: SubjectImage): string => `mirror/${image.repository}`;
      for (const attached of [signedFixture.signature, signedFixture.attestation, signedFixture.sbom, signedFixture.sbomReferrer, signedFixture.referrerSignature]) {
        expect((await manifestAt(mirror, at(signed), attached.manifest.digest)).status).toBe(200);
      }
      for (const [suffix, attached] of [
        ['sig', signedFixture.signature],
        ['att', signedFixture.attestation],
        ['sbom', signedFixture.sbom],
      ] as const) {
        expect((await manifestAt(mirror, at(signed), fallbackTag(signed.digest, suffix))).digest).toBe(attached.manifest.digest);
      }
      for (const [image, expected] of [
        [signed, [signedFixture.sbomReferrer.manifest.digest, signedFixture.referrerSignature.manifest.digest]],
        [apiOnly, apiOnlyReferrers],
      ] as const) {
        const index = await manifestAt(mirror, at(image), fallbackTag(image.digest));
        expect(index.status).toBe(200);
        const listed = (JSON.parse(index.body) as { manifests: Array<{ digest: string; artifactType?: string }> }).manifests;
        expect(listed.map((m) => m.digest).sort()).toEqual([...expected].sort());
        expect(listed.every((m) => typeof m.artifactType === 'string')).toBe(true);
      }
      // The unsigned image gets no referrers and no fallback index.
      expect((await manifestAt(mirror, at(unsigned), fallbackTag(unsigned.digest))).status).toBe(404);
      // Importing again adds nothing to the index (merged, not duplicated).
      await ferry('import', bundle, '--to', `${mirror.host}/mirror`, ...access);
      const again = JSON.parse((await manifestAt(mirror, at(apiOnly), fallbackTag(apiOnly.digest))).body) as { manifests: unknown[] };
      expect(again.manifests).toHaveLength(2);
    } finally {
      await mirror.stop();
    }
  });

  it('import into a registry with the referrers API: found there through GET referrers, and no fallback tag is written', async () => {
    const mirror = await startRegistry({ mode: 'anonymous' });
    const front = await startReferrersProxy(mirror);
    try {
      await ferry('import', bundle, '--to', `${front.host}/mirror`, ...access);
      for (const [image, expected] of [
        [signed, [signedFixture.sbomReferrer.manifest.digest, signedFixture.referrerSignature.manifest.digest]],
        [apiOnly, apiOnlyReferrers],
      ] as const) {
        const response = await fetch(`${front.url}/v2/mirror/${image.repository}/referrers/${image.digest}`);
        const listed = ((await response.json()) as { manifests: Array<{ digest: string }> }).manifests;
        expect(listed.map((m) => m.digest).sort()).toEqual([...expected].sort());
        expect((await manifestAt(mirror, `mirror/${image.repository}`, fallbackTag(image.digest))).status).toBe(404);
      }
      expect((await manifestAt(mirror, `mirror/${signed.repository}`, fallbackTag(signed.digest, 'sig'))).digest).toBe(signedFixture.signature.manifest.digest);
    } finally {
      await front.stop();
      await mirror.stop();
    }
  });

  it('--no-referrers leaves them out', async () => {
    const dir = join(work, 'no-referrers');
    await ferry('export', '--to', dir, through(shim, signed), through(shim, apiOnly), '--no-referrers', ...access);
    const manifest = await readFerryJson(dir);
    expect(manifest.images.map((image) => image.digest).sort()).toEqual([signed.digest, apiOnly.digest].sort());
    expect(manifest.images.some((image) => image.referrer !== undefined)).toBe(false);
  });

  it("an image set's `referrers: false` leaves them out too", async () => {
    const set = join(work, 'no-referrers.yaml');
    await writeFile(set, `referrers: false\nimages:\n  - ${through(shim, signed)}\n`);
    const dir = join(work, 'set-no-referrers');
    await ferry('export', '--to', dir, '--set', set, ...access);
    expect((await readFerryJson(dir)).images.map((image) => image.digest)).toEqual([signed.digest]);
  });

  it('a registry that fails the referrers lookup does not stop the export; the plan notes it', async () => {
    const failing = await startReferrersProxy(source, { failWith: 403 });
    try {
      const dir = join(work, 'failing-lookup');
      const { stdout } = await ferry('export', '--to', dir, through(failing, apiOnly), ...access);
      expect(stdout).toMatch(/note: referrers of .*api-only.* could not be listed/);
      const manifest = await readFerryJson(dir);
      expect(manifest.images.map((image) => image.digest)).toEqual([apiOnly.digest]);
      expect(manifest.imageSet.notes?.some((note) => note.includes('could not be listed'))).toBe(true);
    } finally {
      await failing.stop();
    }
  });
});
