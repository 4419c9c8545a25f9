/**
 * oc-mirror v2 ImageSetConfiguration files (sources/image-set-config-schema.ts):
 * a realistic file and oc-mirror's own example (its local chart left out) are accepted with oc-mirror's
 * defaults; keys oc-mirror knows but Ferry does not carry out are refused by
 * path as unsupported; typos and wrong types are refused with file:line:col.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readYaml } from '../../src-main/base/yaml-read.ts';
import { isImageSetConfiguration, parseImageSetConfiguration } from '../../src-main/sources/image-set-config-schema.ts';
import { FerryError } from '../../src-shared/errors.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'oc-mirror');

function parse(text: string, file = 'isc.yaml'): ReturnType<typeof parseImageSetConfiguration> {
  return parseImageSetConfiguration(readYaml(text, file), file);
}

function refusal(text: string): FerryError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('INVALID_CONTENT');
    return error as FerryError;
  }
  throw new Error('expected the file to be refused');
}

const HEAD = 'kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\n';

/** Modelled on oc-mirror's docs (mirroring-workflows.md, filtering.md): every supported key once. */
const REALISTIC = `${HEAD}mirror:
  platform:
    architectures: [amd64, arm64]
    graph: true
    channels:
    - name: stable-4.18
      type: ocp
      minVersion: 4.18.1
      maxVersion: 4.18.6
      shortestPath: true
    - name: fast-4.17
      full: true
  operators:
  - catalog: registry.redhat.io/redhat/redhat-operator-index:v4.18
    packages:
    - name: aws-load-balancer-operator
      defaultChannel: stable-v1
      channels:
      - name: stable-v1
        minVersion: 1.1.0
        maxVersion: 1.2.0
    - name: 3scale-operator
      minVersion: 0.11.0
  - catalog: registry.example.com/catalogs/community:v1
    full: true
    skipDependencies: true
  additionalImages:
  - name: registry.redhat.io/ubi9/ubi:latest
  - name: quay.io/openshifttest/hello-openshift@sha256:61b8f5e1a3b5dbd9e2c35fd448dc5106337d7a299873dd3a6f0cd8d4891ecc27
  blockedImages:
  - name: registry.redhat.io/ubi9/ubi-minimal.*
  helm:
    repositories:
    - name: podinfo
      url: https://stefanprodan.github.io/podinfo
      charts:
      - name: podinfo
        version: 5.0.0
`;

describe('accepted ImageSetConfiguration files', () => {
  it('reads a realistic file with oc-mirror defaults filled in', () => {
    const isc = parse(REALISTIC);
    expect(isc.mirror.platform?.channels).toEqual([
      { name: 'stable-4.18', type: 'ocp', minVersion: '4.18.1', maxVersion: '4.18.6', shortestPath: true, full: false },
      { name: 'fast-4.17', type: 'ocp', shortestPath: false, full: true },
    ]);
    expect(isc.mirror.platform?.architectures).toEqual(['amd64', 'arm64']);
    expect(isc.mirror.operators[0]?.packages[0]?.channels?.[0]).toEqual({ name: 'stable-v1', minVersion: '1.1.0', maxVersion: '1.2.0' });
    expect(isc.mirror.operators[0]?.full).toBe(false);
    expect(isc.mirror.operators[1]).toMatchObject({ full: true, skipDependencies: true, packages: [] });
    expect(isc.mirror.additionalImages.map((image) => image.name)).toHaveLength(2);
    expect(isc.mirror.blockedImages).toEqual([{ name: 'registry.redhat.io/ubi9/ubi-minimal.*' }]);
    expect(isc.mirror.helm?.repositories[0]?.charts).toEqual([{ name: 'podinfo', version: '5.0.0' }]);
    expect(isImageSetConfiguration(readYaml(REALISTIC, 'isc.yaml').value)).toBe(true);
    expect(isImageSetConfiguration({ images: [] })).toBe(false);
  });

  it("reads oc-mirror's own documentation example once its local chart is left out", async () => {
    const file = join(FIXTURES, 'image-set-config.yaml');
    const text = (await readFile(file, 'utf8')).replace(/^    local:\n(?:     .*\n?)+/m, '');
    const isc = parseImageSetConfiguration(readYaml(text, file), file);
    expect(isc.mirror.platform).toEqual({
      channels: [{ name: 'stable-4.18', type: 'ocp', minVersion: '4.18.1', maxVersion: '4.18.1', shortestPath: false, full: false }],
      architectures: ['amd64'],
      graph: true,
    });
    expect(isc.mirror.operators[0]?.packages.map((p) => p.name)).toEqual(['aws-load-balancer-operator', '3scale-operator', 'node-observability-operator']);
    expect(isc.mirror.helm).toEqual({ repositories: [{ name: 'cosigned', url: 'https://sigstore.github.io/helm-charts', charts: [{ name: 'cosigned', version: '0.1.23' }] }] });
  });
});

it("reads oc-mirror's own happy-path file, its release image named outright", async () => {
  const file = join(FIXTURES, 'isc-happy-path.yaml');
  const isc = parseImageSetConfiguration(readYaml(await readFile(file, 'utf8'), file), file);
  expect(isc.mirror.platform).toEqual({ channels: [], architectures: ['amd64'], graph: false, release: 'quay.io/oc-mirror/release/test-release-index:v0.0.1' });
});

describe('refused ImageSetConfiguration files', () => {
  it("names the local chart of oc-mirror's own documentation example, with its line", async () => {
    const file = join(FIXTURES, 'image-set-config.yaml');
    expect(() => parseImageSetConfiguration(readYaml(readFileSync(file, 'utf8'), file), file)).toThrow(
      `${file}:28:6: mirror.helm.local is an oc-mirror key Ferry does not support yet (a chart on local disk)`,
    );
  });

  it('refuses a release named beside channels (oc-mirror would ignore the channels), and graph without channels', () => {
    const error = refusal(`${HEAD}mirror:
  platform:
    release: quay.io/openshift-release-dev/ocp-release:4.18.1-x86_64
    graph: true
    channels:
    - name: stable-4.18
`);
    expect(error.message).toContain('isc.yaml:5:14: mirror.platform.release names one release image, and oc-mirror then ignores channels: keep one of release and channels');
    expect(error.message).toContain('isc.yaml:6:12: mirror.platform.graph needs release channels');
  });

  it('refuses every unsupported key by path, all in one error', () => {
    const error = refusal(`${HEAD}archiveSize: 4
mirror:
  platform:
    kubeVirtContainer: true
  operators:
  - catalog: registry.redhat.io/redhat/redhat-operator-index:v4.18
    targetCatalog: my/catalog
    targetTag: v1
  additionalImages:
  - name: registry.redhat.io/ubi9/ubi:latest
    targetRepo: ubi
  samples:
  - name: x
`);
    const paths = (error.details?.problems as Array<{ path: string; message: string }>).map((p) => p.path);
    expect(paths.sort()).toEqual(
      ['archiveSize', 'mirror.additionalImages[0].targetRepo', 'mirror.operators[0].targetCatalog', 'mirror.operators[0].targetTag', 'mirror.platform.kubeVirtContainer', 'mirror.samples'].sort(),
    );
    expect(error.message).toContain('isc.yaml:9:20: mirror.operators[0].targetCatalog is an oc-mirror key Ferry does not support yet');
    expect(error.message).not.toContain('not a known key');
  });

  it('refuses a typo as an unknown key, at its line', () => {
    const error = refusal(`${HEAD}mirror:\n  operators:\n  - catalog: registry.example.com/index:v1\n    pakages:\n    - name: foo\n`);
    expect(error.message).toBe('isc.yaml:6:5: mirror.operators[0].pakages is not a known key');
  });

  it('refuses wrong types, bad versions and an inverted range', () => {
    const error = refusal(`${HEAD}mirror:
  platform:
    graph: "yes"
    architectures: [x86_64]
    channels:
    - name: stable-4.18
      type: rhel
      minVersion: '4.18'
  operators:
  - catalog: registry.example.com/index:v1
    packages: foo
  - catalog: registry.example.com/index:v2
    packages:
    - name: foo
      minVersion: 2.0.0
      maxVersion: 1.0.0
  helm:
    repositories:
    - name: r
      url: ftp://charts.example.com
      charts: []
`);
    const messages = (error.details?.problems as Array<{ message: string }>).map((p) => p.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'mirror.platform.graph must be true or false',
        'mirror.platform.architectures[0] must be amd64, arm64, ppc64le, s390x or multi',
        'mirror.platform.channels[0].type must be ocp or okd',
        'mirror.platform.channels[0].minVersion must be a release version such as 4.18.1',
        'mirror.operators[0].packages must be a list',
        'mirror.operators[1].packages[0].maxVersion must not be below minVersion 2.0.0',
        'mirror.helm.repositories[0].url must be an http(s) URL',
        'mirror.helm.repositories[0].charts must list at least 1',
      ]),
    );
  });

  it('refuses another kind or oc-mirror v1 API version, and a missing mirror', () => {
    expect(refusal('kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v1alpha2\nmirror: {}\n').message).toBe(
      'isc.yaml:2:13: apiVersion must be mirror.openshift.io/v2alpha1 (oc-mirror v2)',
    );
    expect(refusal('kind: DeleteImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror: {}\n').message).toBe('isc.yaml:1:7: kind must be ImageSetConfiguration');
    expect(refusal(HEAD).message).toContain('mirror is required');
  });
});
