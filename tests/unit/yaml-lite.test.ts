import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseYaml } from '../../src-main/sources/yaml-lite.ts';

const documents: Record<string, string> = {
  'image set': `---
# what the plant needs
platforms: [linux/amd64, "linux/arm64"]
images:
  - quay.io/org/app:v1
  - docker.io/library/nginx@sha256:${'a'.repeat(64)}   # pinned
imageLists:
- lists/ket-1.6.txt
tags:
  - repository: registry.k8s.io/pause
    semver: ">=3.9 <4"
  - repository: ghcr.io/org/tool
    regex: '^v\\d+\\.\\d+$'
    latest: 3
deckhouse:
  source: registry.deckhouse.io/deckhouse/ee
  license: deckhouse-license
  sinceVersion: v1.68
  ignoreSuspend: false
  modules:
    - console@~1.35
    - name: stronghold
  securityDatabases: true
openshift:
  releases: ['quay.io/openshift-release-dev/ocp-release:4.16.12-x86_64']
  operators:
    - catalog: registry.redhat.io/redhat/redhat-operator-index:v4.16
      packages:
        - name: cluster-logging
          channels: [stable-6.0]
          minVersion: 6.0.1
        - {name: "loki-operator", maxVersion: '6.1.0'}
  additionalImages: []
empty:
quoted: "a \\"b\\" #c"
single: 'it''s'
numbers: [1, -2, 3.5, 0]
`,
  'nested sequences': `a:
  - - x
    - y
  -
    - z
b: {c: [1, 2], d: {e: f}}
`,
};

describe('yaml-lite', () => {
  for (const [name, text] of Object.entries(documents)) {
    it(`reads "${name}" as the yaml library does`, () => {
      expect(parseYaml(text, 'set.yaml')).toEqual(parse(text));
    });
  }

  it('refuses what it does not support, naming file and line', () => {
    expect(() => parseYaml('a: &x 1\nb: *x\n', 'set.yaml')).toThrow('set.yaml:1: "&"');
    expect(() => parseYaml('a: |\n  text\n', 'set.yaml')).toThrow(/set.yaml:1: "\|"/);
    expect(() => parseYaml('a: 1\na: 2\n', 'set.yaml')).toThrow('set.yaml:2: duplicate key "a"');
    expect(() => parseYaml('a: 1\n---\nb: 2\n', 'set.yaml')).toThrow('set.yaml:2: one document');
    expect(() => parseYaml('a:\n\t- x\n', 'set.yaml')).toThrow('set.yaml:2: tabs');
    expect(() => parseYaml('a: [1, 2\n', 'set.yaml')).toThrow(/set.yaml:1/);
  });
});
