import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { emptyAuthFile } from '../harness/ferry-access.ts';
import { buildOpenShiftFixture, COMPONENTS_REPOSITORY, RELEASE_ARCH, RELEASE_REPOSITORY, RELEASE_VERSION, seedOpenShiftFixture, type OpenShiftFixture } from '../harness/openshift-fixture.ts';
import { startRegistry, type RunningRegistry } from '../harness/registry.ts';
import { Teardown } from '../harness/teardown.ts';
import { skopeoInspectRawDigest } from '../harness/skopeo.ts';
import { runFerry } from '../harness/test-helpers.ts';
import { registriesFor } from '../harness/ferry-access.ts';
import { startReleaseServices, type ReleaseServices } from '../harness/release-services.ts';
import { sha256Digest } from '../../src-main/oci/digest.ts';
import { RELEASE_SIGNATURES_ARTIFACT_TYPE, RELEASE_SIGNATURE_MEDIA_TYPE } from '../../src-main/oci/openshift-artifacts.ts';
import { TITLE_ANNOTATION } from '../../src-main/oci/local-artifact.ts';
import { readBlobToBuffer } from '../../src-main/oci/registry/blobs.ts';
import { getManifest } from '../../src-main/oci/registry/manifests.ts';

let source: RunningRegistry;
let site: RunningRegistry;
let fixture: OpenShiftFixture;
let work: string;
let services: ReleaseServices;
const flags = ['--plain-http', '--authfile', emptyAuthFile];

const teardown = new Teardown();

beforeAll(async () => {
  const anonymous = async (): Promise<RunningRegistry> => teardown.add(await startRegistry({ mode: 'anonymous' }), (started) => started.stop());
  [source, site] = await Promise.all([anonymous(), anonymous()]);
  fixture = await buildOpenShiftFixture(source.host);
  await seedOpenShiftFixture(source, fixture);
  services = teardown.add(await startReleaseServices(fixture), (started) => started.close());
  work = await mkdtemp(join(tmpdir(), 'ferry-openshift-set-'));
});

afterAll(async () => {
  await teardown.run();
  if (work) await rm(work, { recursive: true, force: true });
});

it('export --set → import lands the release payload where oc adm release mirror would, and the IDMS maps both release repositories', async () => {
  const set = join(work, 'openshift.yaml');
  await writeFile(set, `openshift:\n  releases:\n    - ${source.host}/${RELEASE_REPOSITORY}:${RELEASE_VERSION}-${RELEASE_ARCH}\n`);
  const bundle = join(work, 'bundle');
  const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags, '--signature-store', services.signatureStore, '--json');
  expect(exported.code, exported.stderr).toBe(0);
  const mirror = join(work, 'mirror-config');
  const imported = await runFerry('import', bundle, '--to', `${site.host}/ocp`, ...flags, '--mirror-config', mirror, '--receipt', join(work, 'receipt.json'));
  expect(imported.code, imported.stderr).toBe(0);
  const tag = `${RELEASE_VERSION}-${RELEASE_ARCH}`;
  expect(await skopeoInspectRawDigest(`docker://${site.host}/ocp/openshift/release-images:${tag}`, site)).toBe(sha256Digest(fixture.release.manifest.data));
  expect(fixture.components.size).toBeGreaterThanOrEqual(12);
  for (const [name, image] of fixture.components) {
    expect(await skopeoInspectRawDigest(`docker://${site.host}/ocp/openshift/release:${tag}-${name}`, site), name).toBe(sha256Digest(image.manifest.data));
  }
  const idms = parse(await readFile(join(mirror, 'openshift', 'imagedigestmirrorset.yaml'), 'utf8')) as { spec: { imageDigestMirrors: Array<{ source: string; mirrors: string[] }> } };
  expect(idms.spec.imageDigestMirrors.map((m) => [m.source, m.mirrors])).toEqual(
    expect.arrayContaining([
      [`${source.host}/${RELEASE_REPOSITORY}`, [`${site.host}/ocp/openshift/release-images`]],
      [`${source.host}/${COMPONENTS_REPOSITORY}`, [`${site.host}/ocp/openshift/release`]],
    ]),
  );
});

it('export --set with platform channels → import carries the releases of the graph and their signatures artifact', async () => {
  const set = join(work, 'channels.yaml');
  await writeFile(
    set,
    ['openshift:', '  platform:', '    channels:', '      - name: stable-4.16', '        minVersion: 4.16.0', '        maxVersion: 4.16.12', '        shortestPath: true', ''].join('\n'),
  );
  const bundle = join(work, 'channels-bundle');
  const exported = await runFerry('export', '--to', bundle, '--set', set, ...flags, '--update-service', services.updateService, '--signature-store', services.signatureStore, '--json');
  expect(exported.code, exported.stderr).toBe(0);
  const mirror = join(work, 'channels-mirror-config');
  const imported = await runFerry('import', bundle, '--to', `${site.host}/channels`, ...flags, '--mirror-config', mirror, '--receipt', join(work, 'channels-receipt.json'));
  expect(imported.code, imported.stderr).toBe(0);
  const registries = teardown.add(registriesFor(site), (opened) => opened.close());
  const client = await registries.client(site.host);
  for (const version of ['4.16.0', '4.16.2', '4.16.12']) {
    const tag = `${version}-x86_64`;
    const release = fixture.releases.get(tag);
    expect(await skopeoInspectRawDigest(`docker://${site.host}/channels/openshift/release-images:${tag}`, site), tag).toBe(release?.image.manifest.digest);
    const artifact = await getManifest(client, 'channels/openshift/release-signatures', tag);
    if (artifact.kind !== 'image') throw new Error(`${tag}: the signatures artifact is not an image manifest`);
    expect(artifact.manifest.artifactType).toBe(RELEASE_SIGNATURES_ARTIFACT_TYPE);
    const hex = release?.image.manifest.digest.replace('sha256:', '') ?? '';
    const count = version === RELEASE_VERSION ? 2 : 1;
    expect(artifact.manifest.layers.map((layer) => [layer.mediaType, layer.annotations?.[TITLE_ANNOTATION]])).toEqual(
      Array.from({ length: count }, (_, i) => [RELEASE_SIGNATURE_MEDIA_TYPE, `sha256-${hex}-${i + 1}`]),
    );
    for (const [i, layer] of artifact.manifest.layers.entries()) {
      expect(await readBlobToBuffer(client, 'channels/openshift/release-signatures', layer)).toEqual(services.signatures.get(`sha256=${hex}/signature-${i + 1}`));
    }
    // The import writes the cluster's signature ConfigMap from the artifact's layers.
    const configMap = parse(await readFile(join(mirror, 'openshift', 'release-signatures', `sha256-${hex}.yaml`), 'utf8')) as { binaryData: Record<string, string> };
    expect(Object.keys(configMap.binaryData)).toEqual(Array.from({ length: count }, (_, i) => `sha256-${hex}-${i + 1}`));
    expect(Buffer.from(configMap.binaryData[`sha256-${hex}-1`] ?? '', 'base64')).toEqual(services.signatures.get(`sha256=${hex}/signature-1`));
  }
  // 4.16.1 and 4.16.3 are in the range but not on the shortest path.
  for (const tag of ['4.16.1-x86_64', '4.16.3-x86_64']) await expect(getManifest(client, 'channels/openshift/release-images', tag)).rejects.toMatchObject({ code: 'NOT_FOUND' });
});
