/**
 * cosign-style image signatures checked offline after a real export (issue
 * 14): images in a real registry get signatures made with node's crypto
 * (tests/harness/signed-images.ts), `ferry export` carries them as referrers,
 * and checkImageSignatures on the verified bundle — directory and archive
 * form — names the trusted key for the signed image, nothing for the unsigned
 * one, and refuses a genuine signature of one image pushed under another
 * image's `.sig` tag, and one made by a key the site does not trust.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundleDetailed } from '../../src-main/bundle/verify.ts';
import { viewBlobReader } from '../../src-main/bundle/view-blobs.ts';
import { checkImageSignatures, type ImageSignatureKey } from '../../src-main/trust/image-signatures.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { attachCosignSignature, attachEverything, makeFixtureKey, pushSmallImage, type SubjectImage } from '../harness/signed-images.ts';
import { Teardown } from '../harness/teardown.ts';
import { runFerry } from '../harness/test-helpers.ts';

const teardown = new Teardown();
const builder = makeFixtureKey();
const outsider = makeFixtureKey();
const keys: ImageSignatureKey[] = [{ name: 'build-pipeline', publicKey: builder.publicKey }];
let registry: RunningRegistry;
let work: string;
const images: Record<'signed' | 'unsigned' | 'moved' | 'outsider', SubjectImage> = {} as Record<'signed' | 'unsigned' | 'moved' | 'outsider', SubjectImage>;

beforeAll(async () => {
  registry = teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  work = await mkdtemp(join(tmpdir(), 'ferry-image-signatures-export-'));
  images.signed = await pushSmallImage(registry, 'apps/signed', 'v1', 'signed');
  images.unsigned = await pushSmallImage(registry, 'apps/unsigned', 'v1', 'unsigned');
  images.moved = await pushSmallImage(registry, 'apps/moved', 'v1', 'moved');
  images.outsider = await pushSmallImage(registry, 'apps/outsider', 'v1', 'outsider');
  await attachEverything(images.signed, builder);
  // A genuine signature by the trusted key, but of the signed image, pushed under the moved image's .sig tag.
  await attachCosignSignature(images.moved, builder, { payloadDigest: images.signed.digest });
  await attachCosignSignature(images.outsider, outsider);
}, 120_000);

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

describe.each(['directory', 'archive'] as const)('image signatures after a real export (%s form)', (form) => {
  it('names the trusted key for the signed image only', async () => {
    const bundle = join(work, form);
    const refs = Object.values(images).map((image) => `${registry.host}/${image.repository}:v1`);
    const exported = await runFerry('export', '--to', bundle, ...refs, '--plain-http', '--authfile', emptyAuthFile, ...(form === 'archive' ? ['--archive'] : []));
    expect(exported.code, exported.stderr).toBe(0);
    const outcome = await verifyBundleDetailed(bundle);
    if (!outcome.view) throw new Error(`bundle did not verify: ${JSON.stringify(outcome.report.checks.filter((check) => !check.ok))}`);
    expect(outcome.view.form).toBe(form);

    const results = await checkImageSignatures(outcome.view, keys, viewBlobReader(outcome.view));
    expect([...results.keys()].sort()).toEqual(
      Object.values(images)
        .map((image) => image.digest)
        .sort(),
    );
    // Two signatures travel with it: the .sig tag and the referrers-shape one.
    expect(results.get(images.signed.digest)).toEqual({ signedBy: ['build-pipeline'], problems: [] });
    expect(results.get(images.unsigned.digest)).toEqual({ signedBy: [], problems: [] });
    const moved = results.get(images.moved.digest);
    expect(moved?.signedBy).toEqual([]);
    expect(moved?.problems).toEqual([expect.stringContaining(`signed by build-pipeline for the image ${images.signed.digest}, not this image ${images.moved.digest}`)]);
    const stranger = results.get(images.outsider.digest);
    expect(stranger?.signedBy).toEqual([]);
    expect(stranger?.problems).toEqual([expect.stringMatching(/made by no trusted key$/)]);
    // The outsider's own key does verify it: the check is about which keys, not whether some signature exists.
    const withOutsider = await checkImageSignatures(outcome.view, [...keys, { name: 'outsider', publicKey: outsider.publicKey }], viewBlobReader(outcome.view));
    expect(withOutsider.get(images.outsider.digest)).toEqual({ signedBy: ['outsider'], problems: [] });
  });
});
