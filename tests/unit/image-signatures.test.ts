/**
 * trust/image-signatures.ts on real bundles written to disk and verified, with
 * real keys: which trusted keys signed each image, and why a signature counts
 * for nothing (untrusted key, another image's signature moved here, a payload
 * that is not cosign's, a damaged annotation), plus the refusal when a
 * payload changes on disk after verification.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyBundleDetailed } from '../../src-main/bundle/verify.ts';
import type { VerifiedBundle } from '../../src-main/bundle/bundle-view.ts';
import { viewBlobReader } from '../../src-main/bundle/view-blobs.ts';
import { checkImageSignatures, type ImageSignatureKey } from '../../src-main/trust/image-signatures.ts';
import { removeDir, trackDir } from '../harness/cleanup.ts';
import { smallImageEntry, writeBundle, type BundleEntry } from '../harness/signed-bundle.ts';
import { buildCosignSignature, buildReferrerSignature, makeFixtureKey, simpleSigningPayload, type BuiltSignature, type FixtureKey, type SignatureOptions } from '../harness/signed-images.ts';
import { failure } from '../harness/test-helpers.ts';
import { imageManifest, MediaTypes, toContent } from '../harness/fixture-content.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});

const exporter = makeFixtureKey();
const vendor = makeFixtureKey();
const stranger = makeFixtureKey();
const edKey = makeFixtureKey('ed25519');
const trusted: ImageSignatureKey[] = [
  { name: 'exporter-1', publicKey: exporter.publicKey },
  { name: 'vendor', publicKey: vendor.publicKey },
  { name: 'ed', publicKey: edKey.publicKey },
];
const REFERENCE = 'registry.example/team/app';

/** A signature entry: under the image's cosign `.sig` tag, or (any other `suffix`, for more than one per image) by digest, as export carries those found through the referrers API. */
function signatureEntry(image: BundleEntry, built: BuiltSignature, suffix = 'sig'): BundleEntry {
  const name = suffix === 'sig' ? `${REFERENCE}:${image.manifest.digest.replace(':', '-')}.sig` : `${REFERENCE}@${built.manifest.digest}`;
  return {
    name,
    source: name,
    manifest: built.manifest,
    blobs: [built.config, ...built.layers],
    referrer: { subject: image.manifest.digest, kind: 'signature' },
  };
}

function tagSignature(image: BundleEntry, key: FixtureKey, options: SignatureOptions = {}, suffix = 'sig'): BundleEntry {
  return signatureEntry(image, buildCosignSignature(image.manifest.digest, REFERENCE, key, options), suffix);
}

async function bundleOf(entries: BundleEntry[], form: 'directory' | 'archive' = 'directory', omit: string[] = []): Promise<VerifiedBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-image-signatures-'));
  trackDir(dir);
  dirs.push(dir);
  await writeBundle(dir, entries, form, omit);
  const outcome = await verifyBundleDetailed(dir);
  expect(outcome.report.checks.filter((check) => !check.ok)).toEqual([]);
  if (!outcome.view) throw new Error('no verified view');
  return outcome.view;
}

async function check(view: VerifiedBundle, keys: readonly ImageSignatureKey[] = trusted): ReturnType<typeof checkImageSignatures> {
  return checkImageSignatures(view, keys, viewBlobReader(view));
}

describe('checkImageSignatures', () => {
  it('names the trusted keys whose signatures hold, per image, through the tag fallback and the referrers shape alike', async () => {
    const signed = await smallImageEntry(`${REFERENCE}:v1`, 'signed');
    const unsigned = await smallImageEntry(`${REFERENCE}:v2`, 'unsigned');
    const referred = await smallImageEntry(`${REFERENCE}:v3`, 'referred');
    const viaReferrers = buildReferrerSignature({ mediaType: referred.manifest.mediaType, digest: referred.manifest.digest, size: referred.manifest.size }, REFERENCE, vendor);
    const view = await bundleOf([signed, unsigned, referred, tagSignature(signed, exporter), signatureEntry(referred, viaReferrers, 'ref'), tagSignature(referred, edKey, {}, 'ed')]);
    const results = await check(view);
    expect([...results.keys()].sort()).toEqual([signed.manifest.digest, unsigned.manifest.digest, referred.manifest.digest].sort());
    expect(results.get(signed.manifest.digest)).toEqual({ signedBy: ['exporter-1'], problems: [] });
    expect(results.get(unsigned.manifest.digest)).toEqual({ signedBy: [], problems: [] });
    expect(results.get(referred.manifest.digest)).toEqual({ signedBy: ['vendor', 'ed'], problems: [] });
    // Without the keys, the same signatures count for nothing.
    const none = await check(view, []);
    expect(none.get(signed.manifest.digest)?.signedBy).toEqual([]);
    expect(none.get(signed.manifest.digest)?.problems[0]).toMatch(/made by no trusted key/);
  });

  it('reads payloads out of the parts of an archive bundle in one pass', async () => {
    const signed = await smallImageEntry(`${REFERENCE}:v1`, 'archived');
    const unsigned = await smallImageEntry(`${REFERENCE}:v2`, 'archived-unsigned');
    const view = await bundleOf([signed, unsigned, tagSignature(signed, exporter), tagSignature(signed, vendor, {}, 'v')], 'archive');
    expect(view.form).toBe('archive');
    const results = await check(view);
    expect(results.get(signed.manifest.digest)).toEqual({ signedBy: ['exporter-1', 'vendor'], problems: [] });
    expect(results.get(unsigned.manifest.digest)).toEqual({ signedBy: [], problems: [] });
  });

  it('does not count a genuine signature of another image moved next to this one', async () => {
    const victim = await smallImageEntry(`${REFERENCE}:prod`, 'victim');
    const other = await smallImageEntry(`${REFERENCE}:dev`, 'other');
    const moved = signatureEntry(victim, buildCosignSignature(other.manifest.digest, REFERENCE, exporter));
    const view = await bundleOf([victim, other, moved]);
    const result = (await check(view)).get(victim.manifest.digest);
    expect(result?.signedBy).toEqual([]);
    expect(result?.problems).toEqual([expect.stringContaining(`signed by exporter-1 for the image ${other.manifest.digest}, not this image ${victim.manifest.digest}`)]);
  });

  it('refuses verified payloads that are not cosign image signatures, read strictly', async () => {
    const image = await smallImageEntry(`${REFERENCE}:v1`, 'strict');
    const digest = image.manifest.digest;
    const atomic = Buffer.from(
      JSON.stringify({ critical: { identity: { 'docker-reference': REFERENCE }, image: { 'docker-manifest-digest': digest }, type: 'atomic container signature' }, optional: null }),
    );
    const extra = Buffer.from(
      JSON.stringify({ critical: { identity: { 'docker-reference': REFERENCE }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature', scope: 'any' } }),
    );
    const duplicate = Buffer.from(
      `{"critical":{"identity":{"docker-reference":"${REFERENCE}"},"image":{"docker-manifest-digest":"${digest}","docker-manifest-digest":"sha256:${'0'.repeat(64)}"},"type":"cosign container image signature"}}`,
    );
    const view = await bundleOf([
      image,
      tagSignature(image, exporter, { payload: atomic }, 'a'),
      tagSignature(image, exporter, { payload: extra }, 'b'),
      tagSignature(image, exporter, { payload: duplicate }, 'c'),
    ]);
    const result = (await check(view)).get(digest);
    expect(result?.signedBy).toEqual([]);
    expect(result?.problems).toHaveLength(3);
    const text = result?.problems.join('\n') ?? '';
    expect(text).toMatch(/\$\.critical\.type: must be "cosign container image signature"/);
    expect(text).toMatch(/\$\.critical\.scope: is not allowed/);
    expect(text).toMatch(/"docker-manifest-digest" appears twice/);
    expect(text).not.toContain('\n  ');
    for (const problem of result?.problems ?? []) expect(problem).toMatch(/signed by exporter-1, but its payload is not a cosign image signature/);
  });

  it('names damaged annotations and signatures over other bytes, and still counts the good signature beside them', async () => {
    const image = await smallImageEntry(`${REFERENCE}:v1`, 'damaged');
    const digest = image.manifest.digest;
    const otherBytes = simpleSigningPayload(REFERENCE, digest, { note: 'not these bytes' });
    const good = tagSignature(image, vendor);
    const view = await bundleOf([
      image,
      good,
      tagSignature(image, exporter, { signature: 'not base64!' }, 'x'),
      tagSignature(image, exporter, { signature: Buffer.from('short').toString('base64') }, 'y'),
      tagSignature(image, stranger, {}, 'z'),
      signatureEntry(image, buildCosignSignature(digest, REFERENCE, exporter, { signature: buildCosignSignature(digest, REFERENCE, exporter, { payload: otherBytes }).signature }), 'w'),
    ]);
    const result = (await check(view)).get(digest);
    expect(result?.signedBy).toEqual(['vendor']);
    const text = result?.problems.join('\n') ?? '';
    expect(text).toContain('dev.cosignproject.cosign/signature annotation that is not base64');
    expect(result?.problems.filter((problem) => /made by no trusted key/.test(problem))).toHaveLength(3);
    expect(result?.problems).toHaveLength(4);
  });

  it('names signature manifests of other kinds (a Sigstore bundle, anything else) as not checked', async () => {
    const image = await smallImageEntry(`${REFERENCE}:v1`, 'other-kinds');
    const subject = { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size };
    const asSigstore = (built: BuiltSignature, mediaType: string): BuiltSignature => {
      const layer = toContent(mediaType, Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}'));
      const manifest = imageManifest(MediaTypes.ociManifest, built.config, [layer], { artifactType: mediaType, subject });
      return { ...built, manifest, layers: [layer] };
    };
    const base = buildReferrerSignature(subject, REFERENCE, exporter);
    const view = await bundleOf([
      image,
      signatureEntry(image, asSigstore(base, 'application/vnd.dev.sigstore.bundle.v0.3+json'), 'bundle'),
      signatureEntry(image, asSigstore(base, 'application/vnd.cncf.notary.signature'), 'notary'),
    ]);
    const result = (await check(view)).get(image.manifest.digest);
    expect(result?.signedBy).toEqual([]);
    expect(result?.problems).toEqual([expect.stringContaining("is a Sigstore bundle (cosign's new bundle format)"), expect.stringContaining('so it is no cosign simple signing signature')]);
  });

  it('says so when an incremental bundle left a payload out', async () => {
    const image = await smallImageEntry(`${REFERENCE}:v1`, 'incremental');
    const signature = tagSignature(image, exporter);
    const payload = signature.blobs[1];
    if (!payload) throw new Error('no payload');
    const view = await bundleOf([image, signature], 'directory', [payload.digest]);
    expect(view.sizes.has(payload.digest)).toBe(false);
    const result = (await check(view)).get(image.manifest.digest);
    expect(result).toEqual({ signedBy: [], problems: [expect.stringContaining(`its payload ${payload.digest} is not in this bundle`)] });
  });

  it('refuses a payload whose bytes changed on disk after verification', async () => {
    const image = await smallImageEntry(`${REFERENCE}:v1`, 'changed');
    const signature = tagSignature(image, exporter);
    const view = await bundleOf([image, signature]);
    const payload = signature.blobs.find((blob) => blob.mediaType === 'application/vnd.dev.cosign.simplesigning.v1+json');
    if (!payload) throw new Error('no payload');
    const forged = Buffer.from(payload.data);
    forged[forged.length - 2] = 'x'.charCodeAt(0);
    await writeFile(join(view.dir, 'blobs', 'sha256', payload.digest.slice('sha256:'.length)), forged);
    const error = await failure(check(view));
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain(payload.digest);
  });
});
