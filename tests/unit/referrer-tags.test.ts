/**
 * Review item 3 (issue 14): a referrer entry in ferry.json cannot set or move a
 * tag. Verification refuses a referrer tagged anything but the cosign tag of its
 * kind (`sha256-<subject hex>.sig|.att|.sbom`) or nothing, naming the entry; the
 * schema refuses `targets` and `artifactType` on a referrer; the import plan
 * refuses a referrer's foreign tag on its own, and two images setting one
 * repository:tag to different manifests. Real bundles written to disk and verified.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VerifiedBundle } from '../../src-main/bundle/bundle-view.ts';
import { verifyBundleDetailed } from '../../src-main/bundle/verify.ts';
import { planImport } from '../../src-main/transfer/import-plan.ts';
import { parseBundleManifest } from '../../src-shared/schemas/bundle-manifest.ts';
import { removeDir, trackDir } from '../harness/cleanup.ts';
import { smallImageEntry, writeBundle, type BundleEntry } from '../harness/signed-bundle.ts';
import { buildCosignSignature, makeFixtureKey } from '../harness/signed-images.ts';
import { failure } from '../harness/test-helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});

const key = makeFixtureKey();
const APP = 'quay.io/org/app';
const TARGET = { registry: 'mirror.local', prefix: 'mirror', keepRegistryHost: false };

/** A cosign signature of `subject` carried as a referrer under `source` (a reference with the tag to try, or by digest). */
function signatureAs(subject: BundleEntry, source: (digest: string) => string, kind: 'signature' | 'attestation' | 'sbom' | 'other' = 'signature'): BundleEntry {
  const built = buildCosignSignature(subject.manifest.digest, APP, key);
  const name = source(built.manifest.digest);
  return { name, source: name, manifest: built.manifest, blobs: [built.config, ...built.layers], referrer: { subject: subject.manifest.digest, kind } };
}

const cosignTag = (subject: BundleEntry, suffix: string): string => `${subject.manifest.digest.replace(':', '-')}.${suffix}`;

async function verified(entries: BundleEntry[]): Promise<{ ok: boolean; problems: string[]; view?: VerifiedBundle }> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-referrer-tags-'));
  trackDir(dir);
  dirs.push(dir);
  await writeBundle(dir, entries);
  const outcome = await verifyBundleDetailed(dir);
  const problems = outcome.report.checks.flatMap((check) => check.problems);
  return { ok: outcome.report.ok, problems, ...(outcome.view ? { view: outcome.view } : {}) };
}

describe('a referrer cannot set or move a tag', () => {
  it('verify refuses a "signature" tagged like the app it belongs to, naming the entry', async () => {
    const app = await smallImageEntry(`${APP}:v1`, 'app');
    const forged = signatureAs(app, () => 'quay.io/other/thing:v1');
    const result = await verified([app, forged]);
    expect(result.ok).toBe(false);
    expect(result.view).toBeUndefined();
    expect(result.problems.join('\n')).toContain(`referrer quay.io/other/thing:v1 is tagged "v1", but a signature of ${app.manifest.digest} may carry only the tag ${cosignTag(app, 'sig')}`);
  });

  it('verify refuses a cosign tag of the wrong kind or of another image, and any tag on a referrer of no known kind', async () => {
    const app = await smallImageEntry(`${APP}:v1`, 'app');
    const other = await smallImageEntry(`${APP}:v2`, 'other');
    const wrongKind = signatureAs(app, () => `${APP}:${cosignTag(app, 'att')}`);
    const otherImage = signatureAs(app, () => `${APP}:${cosignTag(other, 'sig')}`);
    const untyped = signatureAs(app, () => `${APP}:${cosignTag(app, 'sig')}`, 'other');
    const result = await verified([app, other, wrongKind, otherImage, untyped]);
    expect(result.ok).toBe(false);
    const text = result.problems.join('\n');
    expect(text).toContain(`referrer ${wrongKind.name} is tagged "${cosignTag(app, 'att')}"`);
    expect(text).toContain(`referrer ${otherImage.name} is tagged "${cosignTag(other, 'sig')}"`);
    expect(text).toContain(`referrer ${untyped.name} is tagged "${cosignTag(app, 'sig')}", but a referrer of kind other travels by digest only`);
  });

  it('verify and plan accept what export writes: the cosign tag of the kind, or no tag at all', async () => {
    const app = await smallImageEntry(`${APP}:v1`, 'app');
    const tagged = signatureAs(app, () => `${APP}:${cosignTag(app, 'sig')}`);
    const byDigest = signatureAs(app, (digest) => `${APP}@${digest}`, 'other');
    const result = await verified([app, tagged, byDigest]);
    expect(result.problems).toEqual([]);
    if (!result.view) throw new Error('no verified view');
    const plan = planImport(result.view, TARGET);
    expect(plan.images.map((image) => [image.destination.repository, image.destination.tag])).toEqual([
      ['mirror/org/app', 'v1'],
      ['mirror/org/app', cosignTag(app, 'sig')],
      ['mirror/org/app', undefined],
    ]);
  });

  it('the plan refuses a referrer tag on its own, without relying on verification', async () => {
    const app = await smallImageEntry(`${APP}:v1`, 'app');
    const { view } = await verified([app, signatureAs(app, () => `${APP}:${cosignTag(app, 'sig')}`)]);
    if (!view) throw new Error('no verified view');
    const tampered: VerifiedBundle = { ...view, images: view.images.map((image) => (image.referrer ? { ...image, source: 'quay.io/other/thing:v1' } : image)) };
    const error = await failure(Promise.resolve().then(() => planImport(tampered, TARGET)));
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toContain(`is tagged "v1", which is no cosign tag of its subject ${app.manifest.digest}`);
  });

  it('the plan refuses two images setting one repository:tag to different manifests, naming both', async () => {
    const first = await smallImageEntry(`${APP}:v1`, 'first');
    const second = { ...(await smallImageEntry(`${APP}:v1`, 'second')), name: 'second-copy' };
    const { view } = await verified([first, second]);
    if (!view) throw new Error('no verified view');
    const error = await failure(Promise.resolve().then(() => planImport(view, TARGET)));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(`${APP}:v1 (${first.manifest.digest}) and ${APP}:v1 (${second.manifest.digest}) would both land at mirror.local/mirror/org/app:v1`);
  });

  it('the schema refuses targets and artifactType on a referrer, naming the JSON path', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const image = { name: 'x', source: 'quay.io/org/app@' + digest, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', platforms: [], size: 1 };
    const ferry = (extra: object): string =>
      JSON.stringify({
        formatVersion: 2,
        bundleId: '6f1c2b7e-3c1a-4f7e-9a51-2b8f0c9d4e10',
        sequence: 1,
        created: '2026-01-01T00:00:00Z',
        exporter: { host: 'h', user: 'u', ferryVersion: '0' },
        form: 'directory',
        imageSet: { references: [], lists: [], platforms: [] },
        images: [{ ...image, referrer: { subject: digest, kind: 'signature' }, ...extra }],
        blobs: [],
        parts: [],
        parent: null,
      });
    expect(() => parseBundleManifest(ferry({}), 'ferry.json')).not.toThrow();
    expect(() => parseBundleManifest(ferry({ targets: [{ path: 'apps/web', tag: 'v1' }] }), 'ferry.json')).toThrow(/images\[0\]\.targets.*not allowed on a referrer/);
    expect(() => parseBundleManifest(ferry({ artifactType: 'application/x-thing' }), 'ferry.json')).toThrow(/images\[0\]\.artifactType.*not allowed on a referrer/);
  });
});
