/**
 * The policy's `image-signatures` rule over real bundles on disk (issue 14,
 * "Done when"): with `requireImageSignatures: [vendor]`, a bundle whose image
 * carries the vendor's cosign signature passes and one whose image carries
 * none, or only a stranger's, is refused naming the image. The facts come
 * from usecases/trust-review.ts checkPolicy, as import and Review get them.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifiedBundle } from '../../src-main/bundle/bundle-view.ts';
import { verifyBundleDetailed } from '../../src-main/bundle/verify.ts';
import { Catalog } from '../../src-main/catalog/index.ts';
import { readSitePolicy, type SitePolicy } from '../../src-main/trust/policy.ts';
import { checkPolicy } from '../../src-main/usecases/trust-review.ts';
import { removeDir, trackDir } from '../harness/cleanup.ts';
import { smallImageEntry, writeBundle, type BundleEntry } from '../harness/signed-bundle.ts';
import { buildCosignSignature, makeFixtureKey, type FixtureKey } from '../harness/signed-images.ts';

const REFERENCE = 'registry.example/team/app';
const vendor = makeFixtureKey();
const stranger = makeFixtureKey();
const dirs: string[] = [];
let policy: SitePolicy;
let catalog: Catalog;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-policy-images-'));
  trackDir(dir);
  dirs.push(dir);
  await writeFile(join(dir, 'vendor.pub'), vendor.publicKeyPem);
  await writeFile(join(dir, 'policy.yaml'), 'trustedKeys:\n  - {name: vendor, role: image-signer, publicKey: vendor.pub}\nrequireImageSignatures: [vendor]\n');
  policy = (await readSitePolicy(join(dir, 'policy.yaml'))) as SitePolicy;
  catalog = Catalog.open(':memory:');
});
afterAll(() => {
  catalog.close();
  for (const dir of dirs) removeDir(dir);
});

/** The image's `.sig` tag-fallback signature by `key`, as a referrer entry of the bundle. */
function signatureBy(image: BundleEntry, key: FixtureKey): BundleEntry {
  const built = buildCosignSignature(image.manifest.digest, REFERENCE, key);
  const tag = `${image.manifest.digest.replace(':', '-')}.sig`;
  return {
    name: `${REFERENCE}:${tag}`,
    source: `${REFERENCE}:${tag}`,
    manifest: built.manifest,
    blobs: [built.config, ...built.layers],
    referrer: { subject: image.manifest.digest, kind: 'signature' },
  };
}

async function bundleOf(entries: BundleEntry[]): Promise<VerifiedBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-policy-images-'));
  trackDir(dir);
  dirs.push(dir);
  await writeBundle(dir, entries);
  const { view } = await verifyBundleDetailed(dir);
  if (!view) throw new Error('the bundle did not verify');
  return view;
}

describe('requireImageSignatures', () => {
  it('passes an image signed by the required key', async () => {
    const image = await smallImageEntry(`${REFERENCE}:v1`, 'signed');
    const { verdict } = await checkPolicy(await bundleOf([image, signatureBy(image, vendor)]), policy, undefined, catalog, undefined);
    expect(verdict.rules.find((r) => r.id === 'image-signatures')).toMatchObject({ ok: true, details: ['all 1 image(s) signed by vendor'] });
    expect(verdict.ok).toBe(true);
  });

  it.each([
    ['unsigned', (image: BundleEntry) => [image]],
    ['signed by a key the policy does not trust', (image: BundleEntry) => [image, signatureBy(image, stranger)]],
  ])('refuses an image %s, naming it', async (_what, entries) => {
    const image = await smallImageEntry(`${REFERENCE}:v2`, 'unsigned');
    const { verdict } = await checkPolicy(await bundleOf(entries(image)), policy, undefined, catalog, undefined);
    const rule = verdict.rules.find((r) => r.id === 'image-signatures');
    expect(rule?.ok).toBe(false);
    expect(rule?.details[0]).toContain(`${REFERENCE}:v2 (${image.manifest.digest}) lacks a valid signature by vendor`);
    expect(verdict.ok).toBe(false);
  });
});
