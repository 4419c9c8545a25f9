/**
 * Issue 14, referrers: what kind a referrer is, the verify check that ties each
 * referrer to an image the bundle carries, and the import plan placing a
 * referrer where its subject lands (an image set's target included).
 */
import { describe, expect, it } from 'vitest';
import type { VerifiedBundle, VerifiedManifest } from '../../src-main/bundle/bundle-view.ts';
import { checkReferrers } from '../../src-main/bundle/referrer-check.ts';
import { referrerKind } from '../../src-main/oci/referrer-kind.ts';
import type { ImageManifest } from '../../src-main/oci/registry/manifests.ts';
import { planImport } from '../../src-main/transfer/import-plan.ts';
import { referrerPresence } from '../../src-main/usecases/inspect-bundle.ts';
import type { BundleImage, BundleManifest } from '../../src-shared/model/bundle.ts';
import { describe as descriptorOf, imageManifest, jsonContent, MediaTypes, toContent, type Content } from '../harness/fixture-content.ts';

const EMPTY = { mediaType: MediaTypes.ociEmpty, digest: `sha256:${'4'.repeat(64)}`, size: 2 };

function manifestOf(fields: Partial<ImageManifest>): ImageManifest {
  return { schemaVersion: 2, config: EMPTY, layers: [], ...fields };
}

describe('referrerKind', () => {
  it('trusts the cosign tag suffix first', () => {
    expect(referrerKind(undefined, { cosignTagSuffix: 'sig' })).toBe('signature');
    expect(referrerKind(undefined, { cosignTagSuffix: 'att' })).toBe('attestation');
    expect(referrerKind(manifestOf({ artifactType: 'application/spdx+json' }), { cosignTagSuffix: 'sig' })).toBe('signature');
  });

  it('reads artifact types and layer media types', () => {
    expect(referrerKind(manifestOf({ artifactType: 'application/spdx+json' }))).toBe('sbom');
    expect(referrerKind(manifestOf({ artifactType: 'application/vnd.cyclonedx+json' }))).toBe('sbom');
    expect(referrerKind(manifestOf({ artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' }))).toBe('signature');
    expect(referrerKind(manifestOf({ layers: [{ ...EMPTY, mediaType: 'application/vnd.dsse.envelope.v1+json' }] }))).toBe('attestation');
    expect(referrerKind(manifestOf({ layers: [{ ...EMPTY, mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }] }))).toBe('signature');
    expect(referrerKind(undefined, { artifactType: 'application/vnd.cncf.notary.signature' })).toBe('signature');
  });

  it('tells a sigstore bundle attestation from a signature by its predicate annotation', () => {
    const bundle = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    expect(referrerKind(manifestOf({ artifactType: bundle }))).toBe('signature');
    expect(referrerKind(manifestOf({ artifactType: bundle, annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' } }))).toBe('attestation');
  });

  it('calls anything else other', () => {
    expect(referrerKind(manifestOf({ artifactType: 'application/vnd.example.thing' }))).toBe('other');
  });
});

/** A bundle of one image (with an image set target) and one signature tied to it. */
function signedBundle(): { view: VerifiedBundle; image: Content; signature: Content; manifest: BundleManifest } {
  const config = jsonContent(MediaTypes.ociConfig, { os: 'linux', architecture: 'amd64' });
  const layer = jsonContent(MediaTypes.ociLayerTar, { layer: 1 });
  const image = imageManifest(MediaTypes.ociManifest, config, [layer]);
  const empty = toContent(MediaTypes.ociEmpty, Buffer.from('{}'));
  const payload = jsonContent('application/vnd.dev.cosign.simplesigning.v1+json', { critical: {} });
  const signature = imageManifest(MediaTypes.ociManifest, empty, [payload], { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', subject: descriptorOf(image) });
  const manifests = new Map<string, VerifiedManifest>([
    [
      image.digest,
      {
        bytes: image.data,
        mediaType: image.mediaType,
        kind: 'image',
        children: [
          { role: 'config', descriptor: descriptorOf(config) },
          { role: 'layer', descriptor: descriptorOf(layer) },
        ],
      },
    ],
    [
      signature.digest,
      {
        bytes: signature.data,
        mediaType: signature.mediaType,
        kind: 'image',
        subject: descriptorOf(image),
        children: [
          { role: 'config', descriptor: descriptorOf(empty) },
          { role: 'layer', descriptor: descriptorOf(payload) },
        ],
      },
    ],
  ]);
  const subjectEntry: BundleImage = {
    name: 'quay.io/org/app:v1',
    source: 'quay.io/org/app:v1',
    tag: 'v1',
    digest: image.digest,
    mediaType: image.mediaType,
    platforms: [],
    size: 1,
    targets: [{ path: 'apps/web', tag: 'stable' }],
  };
  const sigName = `quay.io/org/app:${image.digest.replace(':', '-')}.sig`;
  const signatureEntry: BundleImage = {
    name: sigName,
    source: sigName,
    tag: `${image.digest.replace(':', '-')}.sig`,
    digest: signature.digest,
    mediaType: signature.mediaType,
    platforms: [],
    size: 1,
    referrer: { subject: image.digest, kind: 'signature' },
  };
  const manifest = {
    formatVersion: 1,
    bundleId: '00000000-0000-4000-8000-000000000000',
    sequence: 1,
    created: '2026-01-01T00:00:00Z',
    exporter: { host: 'h', user: 'u', ferryVersion: '0' },
    form: 'directory',
    imageSet: { references: [], lists: [], platforms: [] },
    images: [signatureEntry, subjectEntry],
    blobs: [],
    parts: [],
    parent: null,
  } satisfies BundleManifest;
  const view: VerifiedBundle = {
    dir: '/media/signed',
    form: 'directory',
    manifest,
    ferryJson: undefined,
    ferryJsonDigest: undefined,
    index: { bytes: Buffer.from('{}'), entries: [] },
    indexDigest: 'sha256:0',
    images: [
      { name: signatureEntry.name, source: signatureEntry.source, digest: signature.digest, mediaType: signature.mediaType, referrer: { subject: image.digest, kind: 'signature' } },
      { name: subjectEntry.name, source: subjectEntry.source, digest: image.digest, mediaType: image.mediaType, targets: [{ path: 'apps/web', tag: 'stable' }] },
    ],
    manifests,
    sizes: new Map(),
  };
  return { view, image, signature, manifest };
}

describe('referrers in a bundle', () => {
  it('a referrer lands where its subject lands, after it, keeping its cosign tag', () => {
    const { view, image, signature } = signedBundle();
    const plan = planImport(view, { registry: 'mirror.local', prefix: 'site', keepRegistryHost: false });
    expect(plan.images.map((i) => [i.digest, i.destination.repository, i.destination.tag])).toEqual([
      [image.digest, 'site/apps/web', 'stable'],
      [signature.digest, 'site/apps/web', `${image.digest.replace(':', '-')}.sig`],
    ]);
    expect(plan.images[1]?.referrer).toEqual({ subject: image.digest, kind: 'signature' });
    // A referrer is no source of its own: the mirror configuration maps the image's repository only.
    expect(plan.mappings).toEqual([{ source: 'quay.io/org/app', mirror: 'mirror.local/site/apps/web' }]);
  });

  it('verification ties each referrer to an image the bundle carries, as its manifest says', () => {
    const { view, image, manifest } = signedBundle();
    expect(checkReferrers(manifest, view.manifests)).toEqual([]);
    const elsewhere = `sha256:${'e'.repeat(64)}`;
    const orphan = { ...manifest, images: manifest.images.map((i) => (i.referrer ? { ...i, referrer: { subject: elsewhere, kind: 'signature' as const } } : i)) };
    const problems = checkReferrers(orphan, view.manifests);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/belongs to sha256:e+, which is not an image this bundle carries/);
    expect(problems[1]).toContain(`its manifest is attached to ${image.digest}`);
    // Its cosign tag names the real image, not the one ferry.json now ties it to.
    expect(problems[2]).toMatch(/may carry only the tag sha256-e+\.sig, or none/);
  });

  it('the inspector says per image what travels with it', () => {
    const { view, image } = signedBundle();
    expect(referrerPresence(view)).toEqual([{ image: 'quay.io/org/app:v1', digest: image.digest, signature: true, attestation: false, sbom: false }]);
  });
});
