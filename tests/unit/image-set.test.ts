/**
 * Reading image set files (sources/image-set.ts): the strict YAML reader plus
 * the zod schema. Valid files (the shipped examples among them) read as
 * before; every bad part is INVALID_CONTENT naming the file, the line:column
 * and the path; JSON sets are held to JSON and to the same schema.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readImageSet } from '../../src-main/sources/image-set.ts';
import { FerryError } from '../../src-shared/errors.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-image-set-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function setFile(text: string, name = 'set.yaml'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function refusal(path: string): Promise<FerryError> {
  try {
    await readImageSet(path);
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    return error as FerryError;
  }
  throw new Error(`expected ${path} to be refused`);
}

const FULL = `# what the plant needs
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
  license: env:DECKHOUSE_LICENSE
  sinceVersion: v1.68
  ignoreSuspend: false
  modules:
    - console@~1.35
    - stronghold@1.2.3
  securityDatabases: true
openshift:
  releases: ['quay.io/openshift-release-dev/ocp-release:4.16.12-x86_64']
  operators:
    - catalog: registry.redhat.io/redhat/redhat-operator-index:v4.16
      packages:
        - name: cluster-logging
          channels: [stable-6.0, stable-6.0]
          minVersion: 6.0.1
        - {name: "loki-operator", maxVersion: '6.1.0-rc.1'}
  additionalImages: []
`;

describe('valid image sets', () => {
  it('reads every section: the document as written, the sections parsed', async () => {
    const set = await readImageSet(await setFile(FULL));
    expect(set.document).toEqual(parse(FULL));
    expect(set.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    const { sections } = set;
    expect(sections.images).toEqual([
      { registry: 'quay.io', repository: 'org/app', tag: 'v1' },
      { registry: 'docker.io', repository: 'library/nginx', digest: `sha256:${'a'.repeat(64)}` },
    ]);
    expect(sections.imageLists).toEqual(['lists/ket-1.6.txt']);
    expect(sections.tags?.map((t) => [t.reference, t.semver?.raw, t.regex?.source, t.latest])).toEqual([
      [{ registry: 'registry.k8s.io', repository: 'pause' }, '>=3.9 <4', undefined, undefined],
      [{ registry: 'ghcr.io', repository: 'org/tool' }, undefined, '^v\\d+\\.\\d+$', 3],
    ]);
    expect(sections.deckhouse).toMatchObject({
      source: { registry: 'registry.deckhouse.io', repository: 'deckhouse/ee' },
      license: 'env:DECKHOUSE_LICENSE',
      sinceVersion: { major: 1, minor: 68, patch: 0 },
      channels: ['alpha', 'beta', 'early-access', 'stable', 'rock-solid'],
      ignoreSuspend: false,
      noPlatform: false,
      noModules: false,
      securityDatabases: true,
    });
    expect(sections.deckhouse?.modules.map((m) => [m.name, m.constraint?.raw])).toEqual([
      ['console', '~1.35'],
      ['stronghold', '^1.2.3'],
    ]);
    expect(sections.openshift?.operators[0]?.packages).toEqual([
      { name: 'cluster-logging', channels: [{ name: 'stable-6.0' }], minVersion: '6.0.1' },
      { name: 'loki-operator', maxVersion: '6.1.0-rc.1' },
    ]);
    expect(sections.openshift?.additionalImages).toEqual([]);
  });

  it('reads the shipped examples', async () => {
    const examples = join(import.meta.dirname, '..', '..', 'resources', 'image-sets');
    // Every set file, including those inside an example folder (ket-example/ket.yaml); the folders' notes are not sets.
    const names = (await readdir(examples, { recursive: true })).filter((name) => /\.(ya?ml|json)$/.test(name));
    expect(names).toContain(join('ket-example', 'ket.yaml'));
    for (const name of names) {
      const set = await readImageSet(join(examples, name));
      expect(set.document, name).toEqual(parse(await readFile(join(examples, name), 'utf8')));
    }
  });

  it('treats an empty section as one left out', async () => {
    const set = await readImageSet(await setFile('images:\n  - a/b:1\ntags:\ndeckhouse:\nopenshift: ~\n'));
    expect(set.sections).toMatchObject({ tags: null, deckhouse: null, openshift: null });
  });

  it('reads a JSON set as the equal YAML set', async () => {
    const yaml = await readImageSet(await setFile(FULL));
    const json = await readImageSet(await setFile(JSON.stringify(parse(FULL), null, '\t'), 'set.json'));
    expect(json.document).toEqual(yaml.document);
    expect(json.platforms).toEqual(yaml.platforms);
    expect(json.sections.images).toEqual(yaml.sections.images);
  });
});

describe('refused image sets name the file, the line:column and the path', () => {
  it.each([
    ['an unknown section', 'images: [a/b:1]\nimagez:\n  - a\n', 2, 1, 'imagez is not a known section (sections: platforms, images, imageLists, tags, deckhouse, openshift'],
    ['__proto__ as a section', 'images: [a/b:1]\n__proto__: {}\n', 2, 1, '__proto__ is not a known section'],
    ['constructor as a key', 'tags:\n  - repository: r/x\n    semver: "^1"\n    constructor: 1\n', 4, 5, 'tags[0].constructor is not a known key'],
    ['not a mapping', '- a/b:1\n', 1, 1, 'the image set must be a mapping'],
    ['platforms as a string', 'platforms: linux/amd64\n', 1, 12, 'platforms must be a list of os/arch strings'],
    ['a bad reference', 'images:\n  - quay.io/org/app:v1\n  - "Quay.io/A B"\n', 3, 5, 'images[1] is not an image reference'],
    ['a rule without semver or regex', 'tags:\n  - repository: r/x\n', 2, 5, 'tags[0] needs semver (a range) or regex'],
    ['a rule with a tag', 'tags:\n  - repository: r/x:v1\n    regex: x\n', 2, 17, 'tags[0].repository "r/x:v1" must name a repository without a tag or digest'],
    ['a bad range', 'tags:\n  - repository: r/x\n    semver: "1.2 ||"\n', 3, 13, 'tags[0].semver is not a version range'],
    ['a bad regex', 'tags:\n  - repository: r/x\n    regex: "("\n', 3, 12, 'tags[0].regex is not a valid regular expression'],
    ['latest zero', 'tags:\n  - repository: r/x\n    regex: x\n    latest: 0\n', 4, 13, 'tags[0].latest must be a positive integer'],
    ['a misspelt deckhouse key', 'deckhouse:\n  source: r.example/d8/ee\n  sinceVersoin: v1.68\n', 3, 3, 'deckhouse.sinceVersoin is not a known key'],
    ['a bad module constraint', 'deckhouse:\n  source: r.example/d8/ee\n  modules: [console, "csi-nfs@~one"]\n', 3, 22, 'deckhouse.modules[1] has an invalid version constraint "~one"'],
    ['a deckhouse section that selects nothing', 'deckhouse:\n  source: r.example/d8/ee\n  noPlatform: true\n  noModules: true\n  securityDatabases: false\n', 2, 3, 'deckhouse selects nothing'],
    [
      'an operator version that is no semver',
      'openshift:\n  operators:\n    - catalog: r.io/c:1\n      packages:\n        - name: a\n          minVersion: latest\n',
      6,
      23,
      'openshift.operators[0].packages[0].minVersion must be a semantic version such as 4.2.0, got "latest"',
    ],
    ['a package named twice', 'openshift:\n  operators:\n    - catalog: r.io/c:1\n      packages: [{name: a}, {name: a}]\n', 4, 36, 'openshift.operators[0].packages[1].name repeats package "a"'],
  ])('%s', async (_name, text, line, column, message) => {
    const path = await setFile(text);
    const error = await refusal(path);
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(`${path}:${line}:${column}: ${message}`);
    expect(error.details).toMatchObject({ file: path, line, column });
  });

  it('lists every problem at once', async () => {
    const path = await setFile('platforms: 1\ntags:\n  - repository: r/x\nimagez: []\n');
    const error = await refusal(path);
    expect(error.message).toMatch(new RegExp(`^3 problems in ${path}:\\n`));
    expect(error.message).toContain(`${path}:1:12: platforms must be a list`);
    expect(error.message).toContain(`${path}:3:5: tags[0] needs semver`);
    expect(error.message).toContain(`${path}:4:1: imagez is not a known section`);
    expect((error.details?.problems as unknown[]).length).toBe(3);
  });

  it('a duplicate key is refused by the reader, before the schema', async () => {
    const path = await setFile('images: [a/b:1]\ntags: []\nimages: [c/d:2]\n');
    expect(await refusal(path)).toMatchObject({ code: 'INVALID_CONTENT', details: { file: path, line: 3, column: 1 } });
  });

  it('a malformed JSON set is INVALID_CONTENT naming the file, not INTERNAL', async () => {
    const path = await setFile('{\n  "images": ["a/b:1"],\n}\n', 'set.json');
    const error = await refusal(path);
    expect(error.code).toBe('INVALID_CONTENT');
    expect(error.message).toContain(`${path}:3:1: not valid JSON`);
  });

  it('a missing file is IO_ERROR naming it', async () => {
    const path = join(dir, 'missing.yaml');
    expect(await refusal(path)).toMatchObject({ code: 'IO_ERROR', message: `cannot read image set ${path}: ENOENT` });
  });
});
