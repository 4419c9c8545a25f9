/**
 * The nested-path rule (`--max-nested-paths N`) as TEAM/docs state it, the
 * placement functions that apply it, and the mirror configuration that must
 * follow the folded paths entry by entry.
 */
import { createHash } from 'node:crypto';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { containerdHostsToml } from '../../src-main/mirror-config/containerd.ts';
import { imageDigestMirrorSet } from '../../src-main/mirror-config/openshift.ts';
import { registriesConf } from '../../src-main/mirror-config/registries-conf.ts';
import { parseReference } from '../../src-main/oci/reference.ts';
import { landImages, placedRepository, targetRepository, type ImportTarget } from '../../src-main/transfer/import-plan.ts';
import { nestPath } from '../../src-main/transfer/nested-paths.ts';
import { importTarget } from '../../src-main/usecases/import.ts';
import { FerryError } from '../../src-shared/errors.ts';

const hash8 = (path: string): string => createHash('sha256').update(path).digest('hex').slice(0, 8);

describe('nestPath', () => {
  it('folds the example of the rule: N=2 under prefix mirror', () => {
    const path = 'mirror/openshift-release-dev/ocp-release';
    expect(nestPath(path, 2)).toBe(`mirror/openshift-release-dev-ocp-release-${hash8(path)}`);
  });

  it('leaves a path of at most N components as it is', () => {
    expect(nestPath('a/b', 2)).toBe('a/b');
    expect(nestPath('a', 2)).toBe('a');
    expect(nestPath('a/b/c', 3)).toBe('a/b/c');
  });

  it('keeps components 1..N-1 and folds the rest into the N-th', () => {
    const path = 'p/q/r/s/t';
    expect(nestPath(path, 3)).toBe(`p/q/r-s-t-${hash8(path)}`);
    expect(nestPath(path, 1)).toBe(`p-q-r-s-t-${hash8(path)}`);
    expect(nestPath(path, 3).split('/')).toHaveLength(3);
  });

  it('never folds distinct paths onto one: a/b/c, a/b-c and a-b/c', () => {
    const inputs = ['x/a/b/c', 'x/a/b-c', 'x/a-b/c', 'x/a-b-c', 'x/a/b/c/d', 'x/a/b/c-d'];
    const folded = inputs.map((path) => nestPath(path, 2));
    expect(new Set(folded).size).toBe(inputs.length);
    // The joined text alone would have collided: only the hash separates them.
    expect(folded.filter((path) => path.startsWith('x/a-b-c-'))).toHaveLength(5);
  });

  it('is deterministic, and refuses a limit that is no whole number from 1', () => {
    expect(nestPath('a/b/c', 2)).toBe(nestPath('a/b/c', 2));
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => nestPath('a/b/c', bad)).toThrow(/whole number/);
  });
});

describe('placement under a nesting limit', () => {
  const target: ImportTarget = { registry: 'quay.local', prefix: 'mirror', keepRegistryHost: false, maxNestedPaths: 2 };

  it('folds the repository an image lands in, prefix included', () => {
    const source = parseReference('quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64');
    expect(targetRepository(source, target)).toBe(nestPath('mirror/openshift-release-dev/ocp-release', 2));
    expect(targetRepository(source, { ...target, keepRegistryHost: true })).toBe(nestPath('mirror/quay.io/openshift-release-dev/ocp-release', 2));
    expect(placedRepository('deckhouse/ee/install', target, 'install')).toBe(nestPath('mirror/deckhouse/ee/install', 2));
    expect(placedRepository('', target, 'root')).toBe('mirror');
  });

  it('refuses a prefix with N or more components, naming the prefix and N', () => {
    const deep: ImportTarget = { ...target, prefix: 'a/b' };
    const error = (() => {
      try {
        targetRepository(parseReference('quay.io/x/y:1'), deep);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).message).toContain('"a/b"');
    expect((error as FerryError).message).toContain('at most 2 level');
    expect(() => importTarget('quay.local/a/b', false, 2)).toThrow(/"a\/b" already has 2 component/);
    expect(importTarget('quay.local/a/b', false, 3).maxNestedPaths).toBe(3);
  });

  it('maps each source repository to its folded mirror, and the mirror configuration follows it exactly', () => {
    const items = ['quay.io/openshift-release-dev/ocp-release:4.16', 'quay.io/openshift-release-dev/ocp-v4.0-art-dev:x', 'docker.io/library/nginx:1'].map((text) => ({
      name: text,
      source: parseReference(text),
    }));
    const { mappings } = landImages(items, target);
    expect(mappings).toEqual([
      { source: 'quay.io/openshift-release-dev/ocp-release', mirror: `quay.local/${nestPath('mirror/openshift-release-dev/ocp-release', 2)}` },
      { source: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev', mirror: `quay.local/${nestPath('mirror/openshift-release-dev/ocp-v4.0-art-dev', 2)}` },
      { source: 'docker.io/library/nginx', mirror: `quay.local/${nestPath('mirror/library/nginx', 2)}` },
    ]);
    const options = { mirrorRegistry: 'quay.local/mirror' };
    // registries.conf: one [[registry]] per source repository, its mirror the folded path (never a registry- or prefix-level rule).
    const conf = parseToml(registriesConf(mappings, options)) as { registry: Array<{ prefix: string; location: string; mirror: Array<{ location: string }> }> };
    for (const mapping of mappings) {
      const entry = conf.registry.find((r) => r.prefix === mapping.source);
      expect(entry?.mirror.map((m) => m.location)).toEqual([mapping.mirror]);
    }
    const idms = parseYaml(imageDigestMirrorSet(mappings, options)) as { spec: { imageDigestMirrors: Array<{ source: string; mirrors: string[] }> } };
    expect(idms.spec.imageDigestMirrors).toEqual([...mappings].sort((a, b) => (a.source < b.source ? -1 : 1)).map((m) => ({ source: m.source, mirrors: [m.mirror] })));
    // containerd mirrors whole hosts and appends the source path: a folded path cannot be expressed, so it is skipped with a reason, never written wrong.
    const skipped: string[] = [];
    const files = containerdHostsToml(mappings, options, skipped);
    expect(files.size).toBe(0);
    expect(skipped.join('\n')).toContain('does not end with the source path');
  });

  it('refuses to fold a Deckhouse edition, whose paths below the edition root are fixed', () => {
    const edition = [
      { name: 'root', source: parseReference('registry.deckhouse.io/deckhouse/ee:v1.60.0'), targets: [{ path: '', tag: 'v1.60.0' }] },
      { name: 'module', source: parseReference('registry.deckhouse.io/deckhouse/ee/modules/console:v1'), targets: [{ path: 'modules/console', tag: 'v1' }] },
    ];
    expect(() => landImages(edition, target)).toThrow(/Deckhouse edition.*quay\.local\/mirror\/modules\/console/);
    expect(landImages(edition, { ...target, maxNestedPaths: 3 }).landings[1]).toEqual([{ repository: 'mirror/modules/console', tag: 'v1' }]);
  });

  it('refuses two sources the fold would put on one path, naming both', () => {
    // Two hosts with one path land on one folded path as they would unfolded: the plan's conflict check names both.
    const items = ['one.example/a/b:1', 'two.example/a/b:1'].map((text) => ({ name: text, source: parseReference(text) }));
    expect(() => landImages(items, target)).toThrow(/one\.example\/a\/b and two\.example\/a\/b would both land/);
  });
});
