/**
 * Every OpenShift object Ferry writes beside the mirror configuration —
 * ImageDigestMirrorSet, ImageTagMirrorSet, ImageContentSourcePolicy,
 * CatalogSource, ClusterCatalog, the release-signature ConfigMaps and the
 * UpdateService — parsed back with `yaml` and validated with ajv against the
 * openAPIV3Schema of the real CRDs (vendored in tests/fixtures/crds/, see its
 * README). The API server's own strictness is emulated where the schema alone
 * is lenient: unknown fields are refused (kubectl's strict field validation),
 * object metadata is checked as ObjectMeta, and the CEL rules of the
 * ClusterCatalog schema run as JavaScript translations. Each kind also has a
 * broken object that must fail, so the validation itself is shown to bite.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { MirrorConfigOptions, RepositoryMapping } from '../../src-main/mirror-config/mapping.ts';
import { catalogObjectName, renderClusterResources, type ClusterResourcesInput } from '../../src-main/mirror-config/openshift-resources.ts';
import { writeMirrorConfig } from '../../src-main/mirror-config/write.ts';
import { RELEASE_SIGNATURE_KEY, releaseSignatureKey } from '../../src-main/oci/openshift-artifacts.ts';
import { isReleaseSignatureKey } from '../../src-main/transfer/release-signatures.ts';
import { field, isObject, loadChecks, problems, type Json, type KindCheck } from '../harness/crd-schemas.ts';

const options: MirrorConfigOptions = { mirrorRegistry: 'mirror.local:5000/ocp' };
const mappings: RepositoryMapping[] = [
  { source: 'quay.io/openshift-release-dev/ocp-release', mirror: 'mirror.local:5000/ocp/openshift/release-images' },
  { source: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev', mirror: 'mirror.local:5000/ocp/openshift/release' },
  { source: 'registry.redhat.io/redhat/redhat-operator-index', mirror: 'mirror.local:5000/ocp/redhat/redhat-operator-index' },
];
const hex = (c: string): string => c.repeat(64);
const RELEASE_A = hex('a');
const RELEASE_B = hex('b');
const CATALOG_DIGEST = `sha256:${hex('c')}`;
const OTHER_CATALOG_DIGEST = `sha256:${'0123456789ab'.repeat(5)}cdef`;
const GRAPH_DIGEST = `sha256:${hex('d')}`;
const signatureBytes = (n: number): Buffer => Buffer.from([0x89, 0x02, 0x1c, n, 0x00, 0xff, 0x80]);
const resources: ClusterResourcesInput = {
  catalogs: [
    { source: 'registry.redhat.io/redhat/redhat-operator-index:v4.18', image: `mirror.local:5000/ocp/redhat/redhat-operator-index@${CATALOG_DIGEST}` },
    { source: `quay.io/example/my_catalog.idx@${OTHER_CATALOG_DIGEST}`, image: `mirror.local:5000/ocp/example/my_catalog.idx@${OTHER_CATALOG_DIGEST}` },
  ],
  signatures: [
    { key: `sha256-${RELEASE_A}-2`, bytes: signatureBytes(2), release: '4.16.12-x86_64' },
    { key: `sha256-${RELEASE_A}-1`, bytes: signatureBytes(1), release: '4.16.12-x86_64' },
    { key: `sha256-${RELEASE_B}-1`, bytes: signatureBytes(3), release: '4.16.13-x86_64' },
  ],
  updateService: { graphImage: `mirror.local:5000/ocp/openshift/graph-image@${GRAPH_DIGEST}`, releases: 'mirror.local:5000/ocp/openshift/release-images' },
};

let root: string;
let checks: Map<string, KindCheck>;
beforeAll(async () => {
  checks = await loadChecks();
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-openshift-resources-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every YAML document of the written files under openshift/, parsed back strictly. */
async function writtenObjects(dir: string, written: string[]): Promise<Array<{ file: string; object: Json }>> {
  const out: Array<{ file: string; object: Json }> = [];
  for (const file of written.filter((path) => path.startsWith('openshift/'))) {
    const documents = parseAllDocuments(await readFile(join(dir, ...file.split('/')), 'utf8'), { strict: true, uniqueKeys: true });
    if (!Array.isArray(documents)) throw new Error(`${file}: no documents`);
    for (const document of documents) {
      expect(document.errors, file).toEqual([]);
      const object: unknown = document.toJS();
      if (!isObject(object)) throw new Error(`${file}: not an object`);
      out.push({ file, object });
    }
  }
  return out;
}

describe('cluster resources against the vendored CRD schemas', () => {
  it('writes every object under openshift/, each parsing back with yaml and valid against its CRD', async () => {
    const { written } = await writeMirrorConfig(root, mappings, options, resources);
    expect(written.filter((path) => path.startsWith('openshift/')).sort()).toEqual([
      'openshift/cc-my-catalog-idx-0123456789ab.yaml',
      'openshift/cc-redhat-operator-index-v4-18.yaml',
      'openshift/cs-my-catalog-idx-0123456789ab.yaml',
      'openshift/cs-redhat-operator-index-v4-18.yaml',
      'openshift/imagecontentsourcepolicy.yaml',
      'openshift/imagedigestmirrorset.yaml',
      'openshift/imagetagmirrorset.yaml',
      `openshift/release-signatures/sha256-${RELEASE_A}.yaml`,
      `openshift/release-signatures/sha256-${RELEASE_B}.yaml`,
      'openshift/updateservice.yaml',
    ]);
    const objects = await writtenObjects(root, written);
    for (const { file, object } of objects) expect(problems(checks, object), file).toEqual([]);
    expect(new Set(objects.map(({ object }) => object.kind))).toEqual(
      new Set(['ImageDigestMirrorSet', 'ImageTagMirrorSet', 'ImageContentSourcePolicy', 'CatalogSource', 'ClusterCatalog', 'ConfigMap', 'UpdateService']),
    );
  });

  it('points each catalog object at the mirrored catalog by digest, named as oc-mirror v2 names them', async () => {
    const { written } = await writeMirrorConfig(root, mappings, options, resources);
    const objects = await writtenObjects(root, written);
    const catalogSources = objects.filter(({ object }) => object.kind === 'CatalogSource').map(({ object }) => object);
    expect(catalogSources).toContainEqual({
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'CatalogSource',
      metadata: { name: 'cs-redhat-operator-index-v4-18', namespace: 'openshift-marketplace' },
      spec: { sourceType: 'grpc', image: `mirror.local:5000/ocp/redhat/redhat-operator-index@${CATALOG_DIGEST}` },
    });
    expect(objects.find(({ object }) => field(object, 'metadata', 'name') === 'cc-my-catalog-idx-0123456789ab')?.object).toEqual({
      apiVersion: 'olm.operatorframework.io/v1',
      kind: 'ClusterCatalog',
      metadata: { name: 'cc-my-catalog-idx-0123456789ab' },
      spec: { source: { type: 'Image', image: { ref: `mirror.local:5000/ocp/example/my_catalog.idx@${OTHER_CATALOG_DIGEST}` } } },
    });
    // OLM makes a Service named after the CatalogSource: a DNS-1035 label.
    for (const source of catalogSources) expect(String(field(source, 'metadata', 'name'))).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it('writes one signature ConfigMap per release digest, binaryData the base64 of each signature under its key', async () => {
    const { written } = await writeMirrorConfig(root, mappings, options, resources);
    const objects = await writtenObjects(root, written);
    const configMaps = objects.filter(({ object }) => object.kind === 'ConfigMap');
    expect(configMaps.map(({ object }) => field(object, 'metadata', 'name'))).toEqual([`sha256-${RELEASE_A}`, `sha256-${RELEASE_B}`]);
    const first = configMaps[0]?.object;
    expect(field(first, 'metadata')).toEqual({ name: `sha256-${RELEASE_A}`, namespace: 'openshift-config-managed', labels: { 'release.openshift.io/verification-signatures': '' } });
    const binaryData = field(first, 'binaryData');
    if (!isObject(binaryData)) throw new Error('no binaryData');
    expect(Object.keys(binaryData)).toEqual([`sha256-${RELEASE_A}-1`, `sha256-${RELEASE_A}-2`]);
    expect(Buffer.from(String(binaryData[`sha256-${RELEASE_A}-2`]), 'base64')).toEqual(signatureBytes(2));
    expect(await readFile(join(root, 'openshift', 'release-signatures', `sha256-${RELEASE_B}.yaml`), 'utf8')).toContain('4.16.13-x86_64');
  });

  it('writes the UpdateService over the mirrored graph image and release repository', async () => {
    const { written } = await writeMirrorConfig(root, mappings, options, resources);
    const update = (await writtenObjects(root, written)).find(({ object }) => object.kind === 'UpdateService')?.object;
    expect(field(update, 'metadata')).toEqual({ name: 'ferry-update-service', namespace: 'openshift-update-service' });
    expect(field(update, 'spec')).toEqual({ replicas: 2, releases: 'mirror.local:5000/ocp/openshift/release-images', graphDataImage: `mirror.local:5000/ocp/openshift/graph-image@${GRAPH_DIGEST}` });
  });

  it('writes no cluster resource without the input, and nothing at all when the input is refused', async () => {
    expect((await writeMirrorConfig(join(root, 'plain'), mappings, options)).written.filter((path) => /openshift\/(c[sc]-|release-|update)/.test(path))).toEqual([]);
    const bad: ClusterResourcesInput = { ...resources, signatures: [{ key: `sha256-${RELEASE_A}-0`, bytes: signatureBytes(0), release: '4.16.12-x86_64' }] };
    await expect(writeMirrorConfig(join(root, 'refused'), mappings, options, bad)).rejects.toThrow(/sha256-a{64}-0" is not named sha256-<64 hex digits>-<number>/);
    await expect(readdir(join(root, 'refused'))).rejects.toThrow(/ENOENT/);
  });
});

describe('cluster resource input is checked', () => {
  const render = (input: Partial<ClusterResourcesInput>): Map<string, string> => renderClusterResources({ catalogs: [], signatures: [], ...input }, options);
  const catalog = (image: string): ClusterResourcesInput['catalogs'] => [{ source: 'registry.redhat.io/redhat/redhat-operator-index:v4.18', image }];

  it('refuses a catalog not named by digest, or outside the mirror registry', () => {
    expect(() => render({ catalogs: catalog('mirror.local:5000/ocp/redhat/redhat-operator-index:v4.18') })).toThrow(/must name the mirrored image by digest alone/);
    expect(() => render({ catalogs: catalog(`other.example/ocp/redhat/redhat-operator-index@${CATALOG_DIGEST}`) })).toThrow(/is not under the mirror registry "mirror.local:5000\/ocp"/);
  });

  it('refuses a signature key given twice, a release that is no tag, and an update service outside the registry', () => {
    const signature = { key: `sha256-${RELEASE_A}-1`, bytes: signatureBytes(1), release: '4.16.12-x86_64' };
    expect(() => render({ signatures: [signature, signature] })).toThrow(/is given twice/);
    expect(() => render({ signatures: [{ ...signature, release: '4.16 x86_64\n# injected' }] })).toThrow(/is not a <version>-<arch> tag/);
    expect(() => render({ updateService: { graphImage: `mirror.local:5000/ocp/openshift/graph-image@${GRAPH_DIGEST}`, releases: 'quay.io/openshift-release-dev/ocp-release' } })).toThrow(
      /is not under the mirror registry/,
    );
  });

  it('checks a signature key with the one pattern the bundle reader and the ConfigMap writer share', () => {
    const keys = [
      releaseSignatureKey(`sha256:${RELEASE_A}`, 1),
      releaseSignatureKey(`sha256:${RELEASE_B}`, 999_999),
      `sha256-${RELEASE_A}-0`,
      `sha256-${RELEASE_A}-1000000`,
      `sha256-${'A'.repeat(64)}-1`,
      `sha512-${RELEASE_A}-1`,
      `sha256-${RELEASE_A}-1\n`,
    ];
    const accepted = (key: string): boolean => {
      try {
        render({ signatures: [{ key, bytes: signatureBytes(1), release: '4.16.12-x86_64' }] });
        return true;
      } catch {
        return false;
      }
    };
    expect(keys.map((key) => RELEASE_SIGNATURE_KEY.test(key))).toEqual([true, true, false, false, false, false, false]);
    for (const key of keys) {
      expect(isReleaseSignatureKey(key), key).toBe(RELEASE_SIGNATURE_KEY.test(key));
      expect(accepted(key), key).toBe(RELEASE_SIGNATURE_KEY.test(key));
    }
  });

  it('gives two catalogs that would share a name distinct names, and one catalog listed twice one pair of objects', () => {
    const files = render({
      catalogs: [
        { source: 'quay.io/a/index:v1', image: `mirror.local:5000/ocp/a/index@${CATALOG_DIGEST}` },
        { source: 'quay.io/b/index:v1', image: `mirror.local:5000/ocp/b/index@${CATALOG_DIGEST}` },
        { source: 'quay.io/b/index:v1', image: `mirror.local:5000/ocp/b/index@${CATALOG_DIGEST}` },
      ],
    });
    const names = [...files.keys()].filter((path) => path.startsWith('openshift/cs-'));
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
    for (const name of names) expect(name).toMatch(/^openshift\/cs-index-v1-[0-9a-f]{8}\.yaml$/);
  });

  it('keeps a long catalog name a 63-character DNS-1035 label', () => {
    const name = catalogObjectName('cs', `quay.io/x/${'very-long-catalog-name-'.repeat(4)}index:${'V'.repeat(20)}`, {
      repository: `m/${'very-long-catalog-name-'.repeat(4)}index`,
      digest: CATALOG_DIGEST,
    });
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^cs-very-long-catalog-name-.*-vvvvvvvvvvvv$/);
  });
});

describe('the schema checks refuse a broken object of every kind', () => {
  /** The valid rendered object of a kind, to break one field of. */
  async function valid(kind: string): Promise<Json> {
    const { written } = await writeMirrorConfig(root, mappings, options, resources);
    const found = (await writtenObjects(root, written)).find(({ object }) => object.kind === kind)?.object;
    if (!found) throw new Error(`no ${kind} written`);
    expect(problems(checks, found)).toEqual([]);
    return found;
  }
  const broken: Array<[string, (object: Json) => void, RegExp]> = [
    ['ImageDigestMirrorSet', (o) => ((field(o, 'spec', 'imageDigestMirrors', 0) as Json).mirrors = ['mirror.local:5000/ocp/release:4.16']), /mirrors\/0 must match pattern/],
    ['ImageTagMirrorSet', (o) => delete (field(o, 'spec', 'imageTagMirrors', 0) as Json).source, /must have required property 'source'/],
    ['ImageContentSourcePolicy', (o) => ((field(o, 'spec', 'repositoryDigestMirrors', 0) as Json).mirrorz = []), /must NOT have additional properties/],
    ['CatalogSource', (o) => delete (field(o, 'spec') as Json).sourceType, /must have required property 'sourceType'/],
    ['ClusterCatalog', (o) => ((field(o, 'spec', 'source', 'image') as Json).ref = 'mirror.local:5000/ocp/redhat/redhat-operator-index'), /x-kubernetes-validations/],
    ['UpdateService', (o) => ((field(o, 'spec') as Json).replicas = 0), /replicas must be >= 1/],
    ['ConfigMap', (o) => ((field(o, 'binaryData') as Json)[`sha256-${RELEASE_A}-1`] = 'not base64!'), /binaryData\/sha256-a{64}-1 must match pattern/],
  ];
  for (const [kind, breakIt, why] of broken) {
    it(`refuses a broken ${kind}`, async () => {
      const object = await valid(kind);
      breakIt(object);
      expect(problems(checks, object).join('\n')).toMatch(why);
    });
  }

  it('refuses an object name that is no DNS-1123 subdomain, and a namespace on a cluster-scoped kind', async () => {
    const object = await valid('ClusterCatalog');
    (field(object, 'metadata') as Json).name = 'CC_Bad';
    (field(object, 'metadata') as Json).namespace = 'openshift-marketplace';
    expect(problems(checks, object).join('\n')).toMatch(/cluster-scoped kind takes no namespace[\s\S]*\/metadata\/name must match pattern/);
  });
});
