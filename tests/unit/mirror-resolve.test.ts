/**
 * The mirror resolver applies each format as its runtime does: registries.conf's
 * longest prefix, wildcard and digest-only rules (containers/image), the OpenShift
 * kinds as the Machine Config Operator turns them into registries.conf, and
 * containerd's hosts.toml folder lookup, host order, capabilities and override_path.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMirrorConfiguration, resolvePull } from '../../src-main/mirror-config/resolve.ts';
import { endpointCandidate, hostFolderCandidates, parseHostsToml } from '../../src-main/mirror-config/resolve-containerd.ts';
import { parseOpenShiftMirrors } from '../../src-main/mirror-config/resolve-openshift.ts';
import { findRule, parseRegistriesConf, prefixMatch, pullCandidates } from '../../src-main/mirror-config/resolve-registries-conf.ts';
import { writeMirrorConfig } from '../../src-main/mirror-config/write.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-resolve-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('registries.conf', () => {
  const conf = `
[[registry]]
prefix = "quay.io"
location = "quay.io"
[[registry.mirror]]
location = "mirror.local/quay"

[[registry]]
prefix = "quay.io/ocp/release"
location = "quay.io/ocp/release"
mirror-by-digest-only = true
[[registry.mirror]]
location = "mirror.local/releases/ocp"
[[registry.mirror]]
location = "backup.local:5000/ocp"

[[registry]]
prefix = "*.example.com"
[[registry.mirror]]
location = "mirror.local/wild"
pull-from-mirror = "digest-only"

[[registry]]
prefix = "docker.io/library"
location = "docker.io/library"
[[registry.mirror]]
location = "mirror.local/tags-only"
pull-from-mirror = "tag-only"
`;
  const rules = parseRegistriesConf(conf, 'registries.conf');
  /** The candidates of the rule matching `ref`; a test fails when no rule matches. */
  const through = (ref: string): ReturnType<typeof pullCandidates> => {
    const rule = findRule(rules, ref);
    if (rule === undefined) throw new Error(`no rule matches ${ref}`);
    return pullCandidates(rule, ref);
  };

  it('matches prefixes only at a "/", ":" or "@" boundary, and wildcards only on the host', () => {
    expect(prefixMatch('quay.io/ocp@x', 'quay.io')).toBe(7);
    expect(prefixMatch('quay.iox/ocp', 'quay.io')).toBe(-1);
    expect(prefixMatch('registry.example.com/a/b@x', '*.example.com')).toBe('registry.example.com'.length);
    expect(prefixMatch('example.com/a', '*.example.com')).toBe(-1);
    expect(prefixMatch('other.io/a.example.com/b', '*.example.com')).toBe(-1);
  });

  it('picks the longest prefix and replaces it by each mirror location, mirrors in order, then the location', () => {
    const ref = `quay.io/ocp/release@${DIGEST}`;
    expect(findRule(rules, ref)?.prefix).toBe('quay.io/ocp/release');
    expect(through(ref).map((c) => [c.role, c.repository])).toEqual([
      ['mirror', 'mirror.local/releases/ocp'],
      ['mirror', 'backup.local:5000/ocp'],
      ['primary', 'quay.io/ocp/release'],
    ]);
    const other = `quay.io/ocp/other@${DIGEST}`;
    expect(through(other).map((c) => c.repository)).toEqual(['mirror.local/quay/ocp/other', 'quay.io/ocp/other']);
  });

  it('uses a digest-only mirror for digests, never for tags; a tag-only mirror the other way round', () => {
    const byTag = 'quay.io/ocp/release:4.16';
    expect(through(byTag).map((c) => c.role)).toEqual(['primary']);
    const wild = `registry.example.com/team/app@${DIGEST}`;
    expect(through(wild).map((c) => c.repository)).toEqual(['mirror.local/wild/team/app', 'registry.example.com/team/app']);
    expect(through('registry.example.com/team/app:1').map((c) => c.role)).toEqual(['primary']);
    const hub = `docker.io/library/nginx@${DIGEST}`;
    expect(through(hub).map((c) => c.repository)).toEqual(['docker.io/library/nginx']);
    expect(through('docker.io/library/nginx:1').map((c) => c.repository)).toEqual(['mirror.local/tags-only/nginx', 'docker.io/library/nginx']);
  });

  it('refuses what containers/image refuses, naming the file and field', () => {
    expect(() => parseRegistriesConf('[[registry]]\nprefix = "quay.io"\n', 'x.conf')).toThrow(/x\.conf: registry\[0\].*no location/);
    expect(() => parseRegistriesConf('[[registry]]\nlocation = "a.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "b.io/x"\npull-from-mirror = "all"\n', 'y.conf')).toThrow(
      /y\.conf: registry\[0\]\.mirror\[0\] sets pull-from-mirror/,
    );
    expect(() => parseRegistriesConf('[[registry]\n', 'z.conf')).toThrow(/z\.conf: not valid TOML/);
  });

  it('reads registries.conf then registries.conf.d in name order, a later prefix replacing an earlier one', async () => {
    const dir = join(work, 'dropins');
    await mkdir(join(dir, 'registries.conf.d'), { recursive: true });
    await writeFile(join(dir, 'registries.conf'), '[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m.local/old"\n');
    await writeFile(join(dir, 'registries.conf.d', '50-a.conf'), '[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m.local/new"\n');
    const config = await readMirrorConfiguration(dir);
    expect(config.files['registries.conf']).toEqual(['registries.conf', 'registries.conf.d/50-a.conf']);
    const [resolution] = resolvePull(config, 'quay.io/a/b', DIGEST);
    expect(resolution).toMatchObject({ format: 'registries.conf', rule: 'quay.io/a', file: 'registries.conf.d/50-a.conf' });
    expect(resolution?.candidates[0]?.repository).toBe('m.local/new/b');
    expect(resolvePull(config, 'ghcr.io/x/y', DIGEST)).toEqual([{ format: 'registries.conf', candidates: [] }]);
  });
});

describe('OpenShift mirror objects', () => {
  it('resolve digests through IDMS and ICSP, tags only through ITMS, longest source first', async () => {
    const dir = join(work, 'openshift');
    await mkdir(join(dir, 'openshift'), { recursive: true });
    await writeFile(
      join(dir, 'openshift', 'idms.yaml'),
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: a}\nspec:\n  imageDigestMirrors:\n  - source: quay.io/ocp\n    mirrors: [mirror.local/ocp]\n  - source: quay.io/ocp/release\n    mirrors: [mirror.local/rel, mirror.local/rel2]\n',
    );
    await writeFile(join(dir, 'openshift', 'itms.yaml'), 'kind: ImageTagMirrorSet\nspec:\n  imageTagMirrors:\n  - source: quay.io/ocp\n    mirrors: [mirror.local/tags]\n');
    await writeFile(join(dir, 'icsp.yml'), 'kind: ImageContentSourcePolicy\nspec:\n  repositoryDigestMirrors:\n  - source: "*.example.com"\n    mirrors: [mirror.local/wild]\n');
    await writeFile(join(dir, 'openshift', 'catalog.yaml'), 'kind: CatalogSource\nspec: {image: x}\n');
    const config = await readMirrorConfiguration(dir);
    expect(config.formats).toEqual(['IDMS', 'ITMS', 'ICSP']);
    const resolved = resolvePull(config, 'quay.io/ocp/release', DIGEST, '4.16');
    expect(resolved.map((r) => [r.format, r.rule, r.candidates.filter((c) => c.role === 'mirror').map((c) => c.repository)])).toEqual([
      ['IDMS', 'quay.io/ocp/release', ['mirror.local/rel', 'mirror.local/rel2']],
      ['ITMS', 'quay.io/ocp', ['mirror.local/tags/release']],
      ['ICSP', undefined, []],
    ]);
    expect(
      resolvePull(config, 'a.example.com/x/y', DIGEST)
        .find((r) => r.format === 'ICSP')
        ?.candidates.map((c) => c.repository),
    ).toEqual(['mirror.local/wild/x/y', 'a.example.com/x/y']);
    // Without a tag, ITMS has nothing to resolve.
    expect(resolvePull(config, 'quay.io/ocp/x', DIGEST).map((r) => r.format)).toEqual(['IDMS', 'ICSP']);
  });

  it('names the file and entry of a malformed object', () => {
    expect(() => parseOpenShiftMirrors('kind: ImageDigestMirrorSet\nspec:\n  imageDigestMirrors:\n  - mirrors: [a.io/b]\n', 'bad.yaml')).toThrow(/bad\.yaml: spec\.imageDigestMirrors\[0\]\.source/);
  });
});

describe('containerd hosts.toml', () => {
  it('looks up host_port_, then host:port, then _default', () => {
    expect(hostFolderCandidates('reg.local:5000')).toEqual(['reg.local_5000_', 'reg.local:5000', '_default']);
    expect(hostFolderCandidates('quay.io')).toEqual(['quay.io', '_default']);
  });

  it('tries pull hosts in file order, then the server; override_path keeps the path, else /v2 is appended', () => {
    const file = parseHostsToml(
      [
        'server = "https://quay.io"',
        '[host."https://mirror.local/v2/site"]',
        'capabilities = ["pull", "resolve"]',
        'override_path = true',
        '[host."https://push-only.local"]',
        'capabilities = ["push"]',
        '[host."http://plain.local:5000"]',
        '[host."https://wrong.local/site"]',
        '',
      ].join('\n'),
      'quay.io/hosts.toml',
      'quay.io',
    );
    const candidates = file.endpoints.filter((e) => e.canPull).map((e) => endpointCandidate(e, 'quay.io', 'ocp/release'));
    expect(candidates.map((c) => [c.role, c.repository ?? c.unusable?.slice(0, 44)])).toEqual([
      ['mirror', 'mirror.local/site/ocp/release'],
      ['mirror', 'plain.local:5000/ocp/release'],
      ['mirror', 'containerd would ask wrong.local/site/v2/ocp'],
      ['primary', 'quay.io/ocp/release'],
    ]);
  });

  it("reads Ferry's own folder: every format written resolves the source to the mirror", async () => {
    const dir = join(work, 'ferry');
    await writeMirrorConfig(dir, [{ source: 'reg.src:5000/team/app', mirror: 'mirror.local:5000/site/team/app' }], { mirrorRegistry: 'mirror.local:5000/site' });
    const config = await readMirrorConfiguration(dir);
    expect(config.formats).toEqual(['registries.conf', 'IDMS', 'ITMS', 'ICSP', 'hosts.toml']);
    const resolved = resolvePull(config, 'reg.src:5000/team/app', DIGEST, 'v1');
    for (const resolution of resolved) expect(resolution.candidates[0], resolution.format).toMatchObject({ role: 'mirror', repository: 'mirror.local:5000/site/team/app' });
    expect(resolved.find((r) => r.format === 'hosts.toml')).toMatchObject({ rule: 'reg.src_5000_', file: 'containerd/certs.d/reg.src_5000_/hosts.toml' });
  });

  it('refuses a folder without any mirror configuration', async () => {
    const dir = join(work, 'empty');
    await mkdir(dir, { recursive: true });
    await expect(readMirrorConfiguration(dir)).rejects.toThrow(/holds no mirror configuration/);
    await expect(readMirrorConfiguration(join(work, 'missing'))).rejects.toThrow(/does not exist/);
  });
});
