/**
 * The cluster resources' input built from plain data (what `ferry copy --set`
 * has): catalogs by section with the tag they landed under, the UpdateService
 * only with both a graph image and a release image, signatures from a copy's
 * planned signature artifacts read from their files and checked against the
 * digests planned (and pushed) for them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactGraph, type LocalArtifact, type LocalArtifactGraph } from '../../src-main/oci/local-artifact.ts';
import { CATALOG_SECTION, GRAPH_SECTION, RELEASE_SIGNATURE_MEDIA_TYPE, RELEASE_SIGNATURES_ARTIFACT_TYPE, RELEASE_SIGNATURES_SECTION } from '../../src-main/oci/openshift-artifacts.ts';
import { clusterResourcesFrom, signaturesOfArtifacts, type LandedImage } from '../../src-main/usecases/cluster-resources.ts';

const digest = (c: string): string => `sha256:${c.repeat(64)}`;
const KEY = `sha256-${'a'.repeat(64)}-1`;

describe('clusterResourcesFrom', () => {
  const images: LandedImage[] = [
    { section: CATALOG_SECTION, source: `registry.redhat.io/redhat/redhat-operator-index@${digest('c')}`, destination: `mirror.local/ocp/redhat/redhat-operator-index:v4.18@${digest('c')}` },
    { section: 'openshift.release', source: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${digest('e')}`, destination: `mirror.local/ocp/openshift/release:4.16.12-x86_64-etcd@${digest('e')}` },
    { section: 'openshift.release', source: `quay.io/openshift-release-dev/ocp-release@${digest('a')}`, destination: `mirror.local/ocp/openshift/release-images:4.16.12-x86_64@${digest('a')}` },
    { section: GRAPH_SECTION, source: 'graph-data', destination: `mirror.local/ocp/openshift/graph-image:latest@${digest('d')}` },
    { section: 'openshift.operators', source: `quay.io/x/bundle@${digest('b')}`, destination: `mirror.local/ocp/x/bundle@${digest('b')}` },
  ];

  it('names each catalog as the image set did and points at it by digest; the UpdateService takes the release images repository', () => {
    const signature = { key: KEY, bytes: Buffer.from('sig'), release: '4.16.12-x86_64' };
    expect(clusterResourcesFrom(images, [signature, { ...signature }])).toEqual({
      catalogs: [{ source: 'registry.redhat.io/redhat/redhat-operator-index:v4.18', image: `mirror.local/ocp/redhat/redhat-operator-index@${digest('c')}` }],
      signatures: [signature],
      updateService: { graphImage: `mirror.local/ocp/openshift/graph-image@${digest('d')}`, releases: 'mirror.local/ocp/openshift/release-images' },
    });
  });

  it('writes no UpdateService for a graph image without a release image', () => {
    expect(
      clusterResourcesFrom(
        images.filter((image) => image.section !== 'openshift.release'),
        [],
      ).updateService,
    ).toBeUndefined();
  });
});

describe('signaturesOfArtifacts', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-signature-files-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const artifact = (file: string, overrides: Partial<LocalArtifact['layers'][number]> = {}): LocalArtifact => ({
    source: 'https://mirror.openshift.com/pub/openshift-v4/signatures/openshift/release',
    target: { path: 'openshift/release-signatures', tag: '4.16.12-x86_64' },
    section: RELEASE_SIGNATURES_SECTION,
    artifactType: RELEASE_SIGNATURES_ARTIFACT_TYPE,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') },
    layers: [{ mediaType: RELEASE_SIGNATURE_MEDIA_TYPE, file, title: KEY, ...overrides }],
  });

  /** Plans the artifacts as the copy does (hashing their files), the graphs signaturesOfArtifacts checks against. */
  const planned = (...artifacts: LocalArtifact[]): Promise<LocalArtifactGraph[]> => Promise.all(artifacts.map((a) => buildArtifactGraph(a)));

  it('reads each signature file under its key, with the release of its artifact', async () => {
    const file = join(dir, 'signature-1');
    await writeFile(file, Buffer.from([0x89, 0x02]));
    const files: LocalArtifact = { ...artifact(file), section: 'files' };
    expect(await signaturesOfArtifacts(await planned(artifact(file), files))).toEqual([{ key: KEY, bytes: Buffer.from([0x89, 0x02]), release: '4.16.12-x86_64' }]);
  });

  it('refuses a layer of another media type or title, and a file too big to be a signature', async () => {
    const file = join(dir, 'signature-1');
    await writeFile(file, 'x');
    await expect(signaturesOfArtifacts(await planned(artifact(file, { mediaType: 'application/octet-stream' })))).rejects.toThrow(/is not a application\/vnd.ferry.openshift.release-signature.v1/);
    await expect(signaturesOfArtifacts(await planned(artifact(file, { title: 'signature-1' })))).rejects.toThrow(/layer signature-1 is not/);
    const big = join(dir, 'big');
    await writeFile(big, Buffer.alloc(256 * 1024 + 1));
    await expect(signaturesOfArtifacts(await planned(artifact(big)))).rejects.toThrow(/more than a release signature/);
  });

  it('refuses a signature file changed after the copy planned (and pushed) it, naming the file', async () => {
    const file = join(dir, 'signature-1');
    await writeFile(file, 'pushed');
    const graphs = await planned(artifact(file));
    await writeFile(file, 'edited'); // same size: only the digest tells
    await expect(signaturesOfArtifacts(graphs)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining(`${file} (${KEY}) now hashes to`) });
  });
});
