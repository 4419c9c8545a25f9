/**
 * `ferry import --mirror-config` writes the OpenShift cluster resources a
 * bundle calls for: CatalogSource and ClusterCatalog for an image of section
 * openshift.catalog (by digest, named after the tag it lands under), one
 * signature ConfigMap per release digest from the signature artifact's layers
 * (read from the bundle, digest-checked), and an UpdateService over the graph
 * data image and the release images' mirror repository. The bundle is built
 * by the export engine from harness images placed in those sections, so the
 * import wiring is tested apart from the resolvers that place them.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundleDetailed } from '../../src-main/bundle/verify.ts';
import {
  CATALOG_SECTION,
  GRAPH_SECTION,
  RELEASE_SIGNATURE_MEDIA_TYPE,
  RELEASE_SIGNATURES_ARTIFACT_TYPE,
  RELEASE_SIGNATURES_PATH,
  RELEASE_SIGNATURES_SECTION,
} from '../../src-main/oci/openshift-artifacts.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { formatReference, parseReference } from '../../src-main/oci/reference.ts';
import { exportBundle } from '../../src-main/transfer/export.ts';
import { readReleaseSignatures } from '../../src-main/transfer/release-signatures.ts';
import { emptyAuthFile, registriesFor } from '../harness/ferry-access.ts';
import { buildFixtures, seedFixtures, type FixtureImage, type FixtureName } from '../harness/fixtures.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { failure, runFerry } from '../harness/test-helpers.ts';

let source: RunningRegistry;
let site: RunningRegistry;
let fixtures: Record<FixtureName, FixtureImage>;
let work: string;
const flags = ['--plain-http', '--authfile', emptyAuthFile];
const teardown = new Teardown();
const RELEASE = '4.16.12-x86_64';
const signatures = [Buffer.from('-----BEGIN PGP MESSAGE-----\nfirst\n'), Buffer.from([0x89, 0x02, 0x1c, 0x04, 0x00, 0xff])];

/** The fixture pinned by digest, as resolvers pin what they place. */
const pinned = (name: FixtureName): string => `${source.host}/${fixtures[name].repository}@${fixtures[name].manifestDigest}`;
const releaseHex = (): string => fixtures['oci-index'].manifestDigest.slice('sha256:'.length);

/** Exports the catalog, release and graph images placed in their OpenShift sections, with the release's signature artifact. */
async function exportOpenShiftBundle(bundle: string, archive: boolean, incremental?: { parent: { bundleId: string; sequence: number }; siteHas: ReadonlySet<string> }): Promise<void> {
  const files = await Promise.all(
    signatures.map(async (bytes, index) => {
      const file = join(work, `signature-${index + 1}`);
      await writeFile(file, bytes);
      return { mediaType: RELEASE_SIGNATURE_MEDIA_TYPE, file, title: `sha256-${releaseHex()}-${index + 1}` };
    }),
  );
  const placements = new Map([
    [pinned('oci-single'), { targets: [{ path: 'redhat/redhat-operator-index', tag: 'v4.18' }], section: CATALOG_SECTION }],
    [pinned('oci-index'), { targets: [{ path: 'openshift/release-images', tag: RELEASE }], section: 'openshift.release' }],
    [pinned('docker-schema2'), { targets: [{ path: 'openshift/graph-image', tag: 'latest' }], section: GRAPH_SECTION }],
  ]);
  const registries = registriesFor(source);
  try {
    await exportBundle(
      {
        references: [...placements.keys()].map((reference) => parseReference(reference)),
        imageSet: { references: [], lists: [], platforms: [] },
        target: bundle,
        platforms: ALL_PLATFORMS,
        placements,
        archive,
        ...(incremental ? { incremental } : {}),
        ...(archive ? { partSize: 1024 * 1024 } : {}),
        artifacts: [
          {
            source: `https://signatures.example/sha256=${releaseHex()}`,
            target: { path: RELEASE_SIGNATURES_PATH, tag: RELEASE },
            section: RELEASE_SIGNATURES_SECTION,
            artifactType: RELEASE_SIGNATURES_ARTIFACT_TYPE,
            config: { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') },
            layers: files,
          },
        ],
      },
      registries,
    );
  } finally {
    await registries.close();
  }
}

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, site] = await Promise.all([anonymous(), anonymous()]);
  fixtures = await buildFixtures();
  await seedFixtures(source, [fixtures['oci-single'], fixtures['oci-index'], fixtures['docker-schema2']]);
  work = await mkdtemp(join(tmpdir(), 'ferry-cluster-resources-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

const readYaml = async (dir: string, path: string): Promise<unknown> => parse(await readFile(join(dir, ...path.split('/')), 'utf8'));

describe('import writes the OpenShift cluster resources a bundle calls for', () => {
  for (const form of ['directory', 'archive'] as const) {
    it(`from the ${form} form: CatalogSource, ClusterCatalog, signature ConfigMap and UpdateService`, async () => {
      const bundle = join(work, `bundle-${form}`);
      await exportOpenShiftBundle(bundle, form === 'archive');
      const mirror = join(work, `mirror-config-${form}`);
      const imported = await runFerry('import', bundle, '--to', `${site.host}/ocp`, ...flags, '--mirror-config', mirror, '--receipt', join(work, `receipt-${form}.json`));
      expect(imported.code, imported.stderr).toBe(0);

      const catalog = `${site.host}/ocp/redhat/redhat-operator-index@${fixtures['oci-single'].manifestDigest}`;
      expect(await readYaml(mirror, 'openshift/cs-redhat-operator-index-v4-18.yaml')).toEqual({
        apiVersion: 'operators.coreos.com/v1alpha1',
        kind: 'CatalogSource',
        metadata: { name: 'cs-redhat-operator-index-v4-18', namespace: 'openshift-marketplace' },
        spec: { sourceType: 'grpc', image: catalog },
      });
      expect(await readYaml(mirror, 'openshift/cc-redhat-operator-index-v4-18.yaml')).toMatchObject({ kind: 'ClusterCatalog', spec: { source: { type: 'Image', image: { ref: catalog } } } });

      const configMap = await readYaml(mirror, `openshift/release-signatures/sha256-${releaseHex()}.yaml`);
      expect(configMap).toMatchObject({
        kind: 'ConfigMap',
        metadata: { name: `sha256-${releaseHex()}`, namespace: 'openshift-config-managed', labels: { 'release.openshift.io/verification-signatures': '' } },
      });
      const binaryData = (configMap as { binaryData: Record<string, string> }).binaryData;
      expect(Object.keys(binaryData)).toEqual([`sha256-${releaseHex()}-1`, `sha256-${releaseHex()}-2`]);
      expect(Object.values(binaryData).map((text) => Buffer.from(text, 'base64'))).toEqual(signatures);

      expect(await readYaml(mirror, 'openshift/updateservice.yaml')).toMatchObject({
        kind: 'UpdateService',
        spec: { replicas: 2, releases: `${site.host}/ocp/openshift/release-images`, graphDataImage: `${site.host}/ocp/openshift/graph-image@${fixtures['docker-schema2'].manifestDigest}` },
      });
    });
  }

  it('reads a signature layer an incremental bundle leaves out from the site registry, digest-checked', async () => {
    const parent = join(work, 'bundle-parent');
    await exportOpenShiftBundle(parent, false);
    const first = await runFerry('import', parent, '--to', `${site.host}/inc`, ...flags, '--receipt', join(work, 'receipt-parent.json'));
    expect(first.code, first.stderr).toBe(0);
    const { view } = await verifyBundleDetailed(parent);
    const bundleId = view?.manifest?.bundleId;
    if (!view || bundleId === undefined) throw new Error('no verified parent');
    const child = join(work, 'bundle-child');
    await exportOpenShiftBundle(child, false, { parent: { bundleId, sequence: 1 }, siteHas: new Set(view.sizes.keys()) });
    const childView = (await verifyBundleDetailed(child)).view;
    const omitted = new Set((childView?.manifest?.omitted ?? []).map((blob) => blob.digest));
    const signatureLayers = [...(childView?.manifests.values() ?? [])].flatMap((m) => m.children).filter((c) => c.descriptor.mediaType === RELEASE_SIGNATURE_MEDIA_TYPE);
    expect(signatureLayers.length).toBe(2);
    for (const layer of signatureLayers) expect(omitted.has(layer.descriptor.digest)).toBe(true);
    const mirror = join(work, 'mirror-config-child');
    const imported = await runFerry('import', child, '--to', `${site.host}/inc`, ...flags, '--mirror-config', mirror, '--receipt', join(work, 'receipt-child.json'));
    expect(imported.code, imported.stderr).toBe(0);
    const configMap = (await readYaml(mirror, `openshift/release-signatures/sha256-${releaseHex()}.yaml`)) as { binaryData: Record<string, string> };
    expect(Object.values(configMap.binaryData).map((text) => Buffer.from(text, 'base64'))).toEqual(signatures);
  });

  it('refuses a signature layer changed on the media after verification', async () => {
    const bundle = join(work, 'bundle-tampered');
    await exportOpenShiftBundle(bundle, false);
    const { report, view } = await verifyBundleDetailed(bundle);
    expect(report.ok).toBe(true);
    if (!view) throw new Error('no verified view');
    const layer = [...view.manifests.values()].flatMap((m) => m.children).find((child) => child.descriptor.mediaType === RELEASE_SIGNATURE_MEDIA_TYPE)?.descriptor;
    if (!layer) throw new Error('no signature layer');
    const blob = join(bundle, 'blobs', 'sha256', layer.digest.slice('sha256:'.length));
    const original = await readFile(blob);
    await writeFile(blob, Buffer.from(original.map((byte, index) => (index === 0 ? byte ^ 1 : byte))));
    const error = await failure(readReleaseSignatures(view));
    expect(error.code).toBe('DIGEST_MISMATCH');
    expect(error.message).toContain(layer.digest);
  });

  it('writes no cluster resource for a bundle without OpenShift sections', async () => {
    const list = join(work, 'plain.txt');
    await writeFile(list, `${formatReference({ registry: source.host, repository: fixtures['oci-single'].repository, tag: fixtures['oci-single'].tag })}\n`);
    const bundle = join(work, 'bundle-plain');
    expect((await runFerry('export', '--to', bundle, '--images', list, ...flags)).code).toBe(0);
    const mirror = join(work, 'mirror-config-plain');
    const imported = await runFerry('import', bundle, '--to', `${site.host}/plain`, ...flags, '--mirror-config', mirror);
    expect(imported.code, imported.stderr).toBe(0);
    expect((await readdir(join(mirror, 'openshift'))).sort()).toEqual(['imagecontentsourcepolicy.yaml', 'imagedigestmirrorset.yaml', 'imagetagmirrorset.yaml']);
  });
});
