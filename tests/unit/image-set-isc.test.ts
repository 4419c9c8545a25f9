/**
 * oc-mirror's ImageSetConfiguration read as an image set (sources/image-set.ts
 * → image-set-config.ts): translated into Ferry's openshift/charts/blockedImages
 * sections, the vendored oc-mirror examples either read or refused naming
 * exactly what is unsupported; and `blockedImages:` applied over every section
 * with a plan note per pattern.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Registries } from '../../src-main/oci/registry/registries.ts';
import { ALL_PLATFORMS } from '../../src-main/oci/platform.ts';
import { formatReference, parseReference } from '../../src-main/oci/reference.ts';
import { blockImages, readImageSet, resolveImageSet } from '../../src-main/sources/image-set.ts';
import { compileBlockedPattern } from '../../src-main/sources/openshift-schema.ts';
import type { ResolvedImage } from '../../src-main/sources/types.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { emptyAuthFile } from '../harness/ferry-access.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'oc-mirror');
const HEAD = 'kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\n';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-isc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function setFile(text: string, name = 'isc.yaml'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function refusal(path: string): Promise<FerryError> {
  try {
    await readImageSet(path);
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('INVALID_CONTENT');
    return error as FerryError;
  }
  throw new Error(`expected ${path} to be refused`);
}

const FULL = `${HEAD}mirror:
  platform:
    architectures: [amd64, arm64]
    graph: true
    channels:
    - name: stable-4.18
      minVersion: 4.18.1
      maxVersion: 4.18.6
      shortestPath: true
    - name: okd-4.17
      type: okd
      full: true
  operators:
  - catalog: registry.redhat.io/redhat/redhat-operator-index:v4.18
    packages:
    - name: aws-load-balancer-operator
      defaultChannel: stable-v1
      channels:
      - name: stable-v1
        minVersion: 1.1.0
    - name: 3scale-operator
      maxVersion: 0.12.0
  - catalog: registry.example.com/community-index:v1
    full: true
    skipDependencies: true
  additionalImages:
  - name: registry.redhat.io/ubi9/ubi:latest
  blockedImages:
  - name: ubi-minimal
  - name: ^registry\\.example\\.com/.*debug
  helm:
    repositories:
    - name: podinfo
      url: https://stefanprodan.github.io/podinfo
      charts:
      - name: podinfo
        version: 6.7.1
      - name: podinfo-lite
`;

describe('an ImageSetConfiguration read as an image set', () => {
  it("translates every supported key into Ferry's sections", async () => {
    const path = await setFile(FULL);
    const set = await readImageSet(path);
    expect(set.document).toEqual(parse(FULL));
    expect(set.platforms).toEqual([]);
    const { openshift, charts, blockedImages } = set.sections;
    expect(openshift?.platform).toEqual({
      channels: [
        { name: 'stable-4.18', type: 'ocp', minVersion: '4.18.1', maxVersion: '4.18.6', shortestPath: true, full: false },
        { name: 'okd-4.17', type: 'okd', shortestPath: false, full: true },
      ],
      architectures: ['amd64', 'arm64'],
      graph: true,
    });
    expect(openshift?.operators.map((o) => [formatReference(o.catalog), o.full, o.skipDependencies])).toEqual([
      ['registry.redhat.io/redhat/redhat-operator-index:v4.18', false, false],
      ['registry.example.com/community-index:v1', true, true],
    ]);
    expect(openshift?.operators[0]?.packages).toEqual([
      { name: 'aws-load-balancer-operator', defaultChannel: 'stable-v1', channels: [{ name: 'stable-v1', minVersion: '1.1.0' }] },
      { name: '3scale-operator', maxVersion: '0.12.0' },
    ]);
    expect(openshift?.operators[1]?.packages).toEqual([]);
    expect(openshift?.additionalImages.map(formatReference)).toEqual(['registry.redhat.io/ubi9/ubi:latest']);
    expect(openshift?.releases).toEqual([]);
    expect(blockedImages?.map((pattern) => pattern.source)).toEqual(['ubi-minimal', '^registry\\.example\\.com\\/.*debug']);
    expect(charts?.map((c) => [c.repository.kind === 'http' ? c.repository.url.href : '', c.name, 'exact' in c.version ? c.version.exact : c.version.range.raw, c.images])).toEqual([
      ['https://stefanprodan.github.io/podinfo', 'podinfo', '6.7.1', true],
      ['https://stefanprodan.github.io/podinfo', 'podinfo-lite', '*', true],
    ]);
    expect(set.translated).toMatchObject({ blockedImages: ['ubi-minimal', '^registry\\.example\\.com/.*debug'] });
  });

  it('reads a file with only additional images, as a set with an openshift section and nothing else', async () => {
    const set = await readImageSet(await setFile(`${HEAD}mirror:\n  additionalImages:\n  - name: quay.io/org/app@sha256:${'b'.repeat(64)}\n`));
    expect(Object.keys(set.translated ?? {})).toEqual(['openshift']);
    expect(set.sections.openshift?.additionalImages.map(formatReference)).toEqual([`quay.io/org/app@sha256:${'b'.repeat(64)}`]);
  });

  it('reads or refuses each vendored oc-mirror example, naming exactly the unsupported keys', async () => {
    // The file name → the unsupported keys it is refused for; none means it reads.
    const expected: Record<string, string[]> = {
      // helm.local: a chart on local disk.
      'image-set-config.yaml': ['mirror.helm.local'],
      'isc-happy-path.yaml': [],
    };
    const files = (await readdir(FIXTURES)).filter((name) => name.endsWith('.yaml')).sort();
    expect(files).toEqual(Object.keys(expected).sort());
    for (const name of files) {
      const file = join(FIXTURES, name);
      if (expected[name]?.length === 0) {
        await readImageSet(file);
        continue;
      }
      const problems = (await refusal(file)).details?.problems as Array<{ path: string; message: string }>;
      expect(
        problems.map((p) => p.path),
        name,
      ).toEqual(expected[name]);
      for (const problem of problems) expect(problem.message, name).toContain('is an oc-mirror key Ferry does not support yet');
    }
  });

  it("translates oc-mirror's happy-path file: its release image, catalog, additional image and chart", async () => {
    const set = await readImageSet(join(FIXTURES, 'isc-happy-path.yaml'));
    expect(set.translated).toEqual({
      openshift: {
        releases: ['quay.io/oc-mirror/release/test-release-index:v0.0.1'],
        operators: [{ catalog: 'quay.io/oc-mirror/oc-mirror-dev:test-catalog-latest', full: false, skipDependencies: false, packages: [{ name: 'foo' }, { name: 'bar' }, { name: 'baz' }] }],
        additionalImages: ['quay.io/openshifttest/hello-openshift@sha256:61b8f5e1a3b5dbd9e2c35fd448dc5106337d7a299873dd3a6f0cd8d4891ecc27'],
      },
      charts: [{ repository: 'https://stefanprodan.github.io/podinfo', name: 'podinfo', version: '5.0.0' }],
    });
    expect(set.sections.openshift?.platform).toBeUndefined();
    expect(set.sections.openshift?.releases.map(formatReference)).toEqual(['quay.io/oc-mirror/release/test-release-index:v0.0.1']);
  });

  it('refuses what Ferry cannot resolve at its line: an oci:// catalog, a bad reference, a bad pattern, a platform without channels, a chart repository login', async () => {
    const error = await refusal(
      await setFile(`${HEAD}mirror:
  platform:
    graph: true
  operators:
  - catalog: oci:///home/user/catalog
  additionalImages:
  - name: Not A Reference
  blockedImages:
  - name: "([a-z"
  helm:
    repositories:
    - name: private
      url: https://robot:s3cret@charts.example.com/
      charts:
      - name: app
`),
    );
    const problems = (error.details?.problems as Array<{ path: string; message: string; line?: number }>).map((p) => `${p.line}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^5: mirror\.platform\.channels must list at least one release channel \(or name one release image with release\)$/),
        expect.stringMatching(/^7: mirror\.operators\[0\]\.catalog uses the oci:\/\/ transport, which Ferry does not support/),
        expect.stringMatching(/^9: mirror\.additionalImages\[0\]\.name is not an image reference/),
        expect.stringMatching(/^11: mirror\.blockedImages\[0\]\.name is not a valid regular expression/),
        '15: mirror.helm.repositories[0].url must not hold a login (user:password@): chart repository logins are not read from the image set',
      ]),
    );
    expect(error.message).not.toContain('s3cret');
  });

  it('still refuses a Ferry key in an ImageSetConfiguration, and an oc-mirror key in a Ferry set', async () => {
    expect((await refusal(await setFile(`${HEAD}mirror: {}\nimages: [a/b:1]\n`))).message).toContain('images is not a known key');
    expect((await refusal(await setFile('mirror:\n  additionalImages: []\n', 'ferry.yaml'))).message).toContain('mirror is not a known section');
  });
});

describe('blockedImages', () => {
  const image = (reference: string, section = 'images'): ResolvedImage => ({ source: parseReference(reference), section });

  it('removes images whose source reference matches anywhere, and notes which pattern blocked which', () => {
    const notes: string[] = [];
    const kept = blockImages(
      [
        image('registry.redhat.io/ubi9/ubi:latest', 'openshift.additionalImages'),
        image('registry.redhat.io/ubi9/ubi-minimal:9.4'),
        image(`quay.io/org/app-debug@sha256:${'c'.repeat(64)}`, 'charts'),
        image('nginx:1.27'),
      ],
      [/ubi-minimal/, /app-debug@sha256:c{64}$/, /^nginx/, /docker\.io\/library\/nginx:1\.27/],
      notes,
    );
    expect(kept.map((i) => formatReference(i.source))).toEqual(['registry.redhat.io/ubi9/ubi:latest']);
    expect(notes).toEqual([
      'blockedImages: "ubi-minimal" blocked 1 image: registry.redhat.io/ubi9/ubi-minimal:9.4 [images]',
      `blockedImages: "app-debug@sha256:c{64}$" blocked 1 image: quay.io/org/app-debug@sha256:${'c'.repeat(64)} [charts]`,
      // Matched against the normalised reference: docker.io/library/nginx, not the nginx the set wrote.
      'blockedImages: "^nginx" blocks nothing: no image of the set matches it',
      'blockedImages: "docker\\.io/library/nginx:1\\.27" blocked 1 image: docker.io/library/nginx:1.27 [images]',
    ]);
  });

  it('applies after every section resolved, and a set left empty by it is refused saying so', async () => {
    const registries = new Registries({ plainHttp: true, tls: { verify: true, caCertFiles: [], certDirs: [] }, authFile: emptyAuthFile });
    try {
      const context = { registries, platforms: ALL_PLATFORMS };
      const path = await setFile('images: [quay.io/org/a:1, quay.io/org/b:2]\nimageLists: [list.txt]\nblockedImages: ["/b:", "nothing-here"]\n', 'blocked.yaml');
      await writeFile(join(dir, 'list.txt'), 'quay.io/org/b:3\nquay.io/org/c:1\n');
      const resolved = await resolveImageSet(await readImageSet(path), context);
      expect(resolved.images.map((i) => `${formatReference(i.source)} ${i.section}`)).toEqual(['quay.io/org/a:1 images', 'quay.io/org/c:1 imageLists']);
      expect(resolved.notes).toEqual([
        'blockedImages: "/b:" blocked 2 images: quay.io/org/b:2 [images], quay.io/org/b:3 [imageLists]',
        'blockedImages: "nothing-here" blocks nothing: no image of the set matches it',
      ]);
      const all = await setFile('images: [quay.io/org/a:1]\nblockedImages: [quay]\n', 'all-blocked.yaml');
      await expect(resolveImageSet(await readImageSet(all), context)).rejects.toThrow(`${all} resolves to no images (blockedImages removed all 1)`);
    } finally {
      await registries.close();
    }
  });
});

describe('blockedImages as oc-mirror writes them', () => {
  const image = (reference: string, target?: { path: string; tag?: string }): ResolvedImage => ({ source: parseReference(reference), section: 'images', ...(target ? { target } : {}) });

  it("reads Go's leading flag group as RegExp flags, in a Ferry set and in an ImageSetConfiguration", async () => {
    expect(compileBlockedPattern('(?i)UBI-Minimal').test('registry.redhat.io/ubi9/ubi-minimal:9.4')).toBe(true);
    expect(compileBlockedPattern('(?is)a.b').flags).toBe('is');
    expect(() => compileBlockedPattern('(?U)a+')).toThrow(/ungreedy/);
    const set = await readImageSet(await setFile(`${HEAD}mirror:\n  additionalImages:\n  - name: quay.io/org/app:v1\n  blockedImages:\n  - name: "(?i)APP-DEBUG"\n`));
    expect(set.sections.blockedImages?.map((p) => [p.source, p.flags])).toEqual([['APP-DEBUG', 'i']]);
  });

  it('matches the reference as written (a tag next to a pinned digest) and where the image lands', () => {
    const notes: string[] = [];
    const digest = `sha256:${'d'.repeat(64)}`;
    const kept = blockImages(
      [image(`quay.io/org/app:v1@${digest}`), image(`quay.io/org/tool@${digest}`, { path: 'openshift/release', tag: '4.16.12-x86_64-tools' }), image('quay.io/org/keep:v2')],
      [/app:v1$/, /^openshift\/release:.*-tools$/],
      notes,
    );
    expect(kept.map((i) => formatReference(i.source))).toEqual(['quay.io/org/keep:v2']);
    expect(notes).toHaveLength(2);
  });
});
