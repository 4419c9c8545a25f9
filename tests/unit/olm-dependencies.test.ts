import { describe, expect, it } from 'vitest';
import { channelHead, readOlmCatalog, resolveDependencies } from '../../src-main/sources/olm-dependencies.ts';

type Gvk = { group: string; version: string; kind: string };
interface BundleSpec {
  version: string;
  requires?: Array<[string, string]>;
  requiresGvk?: Gvk[];
  provides?: Gvk[];
}

/** FBC objects shaped as `opm render` writes them: one package, one channel (a replaces chain, oldest first), its bundles. */
function pkg(name: string, bundles: BundleSpec[], channel = 'stable'): unknown[] {
  const bundleName = (v: string): string => `${name}.v${v}`;
  return [
    { schema: 'olm.package', name, defaultChannel: channel, icon: { base64data: '', mediatype: 'image/svg+xml' } },
    {
      schema: 'olm.channel',
      name: channel,
      package: name,
      entries: bundles.map((b, i) => ({ name: bundleName(b.version), ...(i > 0 ? { replaces: bundleName(bundles[i - 1]?.version ?? '') } : {}) })),
    },
    ...bundles.map((b) => ({
      schema: 'olm.bundle',
      name: bundleName(b.version),
      package: name,
      image: `registry.example.com/${name}/bundle@sha256:${'a'.repeat(64)}`,
      properties: [
        { type: 'olm.package', value: { packageName: name, version: b.version } },
        ...(b.provides ?? []).map((value) => ({ type: 'olm.gvk', value })),
        ...(b.requires ?? []).map(([packageName, versionRange]) => ({ type: 'olm.package.required', value: { packageName, versionRange } })),
        ...(b.requiresGvk ?? []).map((value) => ({ type: 'olm.gvk.required', value })),
        { type: 'olm.csv.metadata', value: { displayName: name } },
      ],
      relatedImages: [{ name: 'operator', image: `registry.example.com/${name}/operator@sha256:${'b'.repeat(64)}` }],
    })),
  ];
}

const certificate: Gvk = { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' };
const backup: Gvk = { group: 'velero.io', version: 'v1', kind: 'Backup' };

const catalog = readOlmCatalog(
  [
    ...pkg('app', [{ version: '2.0.0' }, { version: '2.1.0', requires: [['db-operator', '>=1.2.0 <2.0.0']] }]),
    ...pkg('db-operator', [{ version: '1.1.0' }, { version: '1.2.0', requiresGvk: [certificate] }, { version: '1.5.0', requiresGvk: [certificate] }, { version: '2.0.0' }]),
    ...pkg('cert-manager', [
      { version: '1.12.0', provides: [certificate] },
      { version: '1.14.2', provides: [certificate] },
    ]),
    // diamond: top needs left and right, both need base (different ranges)
    ...pkg('top', [
      {
        version: '1.0.0',
        requires: [
          ['left', '>=1.0.0'],
          ['right', '^1.0.0'],
        ],
      },
    ]),
    ...pkg('left', [{ version: '1.0.0', requires: [['base', '>=1.0.0 <1.5.0']] }]),
    ...pkg('right', [{ version: '1.0.0', requires: [['base', '>=1.1.0 <2.0.0 || >=3.0.0']] }]),
    ...pkg('base', [{ version: '1.0.0' }, { version: '1.1.0' }, { version: '1.4.0' }, { version: '2.0.0' }]),
    // cycle
    ...pkg('ping', [{ version: '1.0.0', requires: [['pong', '>=1.0.0']] }]),
    ...pkg('pong', [{ version: '1.0.0', requires: [['ping', '>=1.0.0']] }]),
    // unsatisfiable and unreadable ranges
    ...pkg('needy', [{ version: '1.0.0', requires: [['base', '>=9.0.0']] }]),
    ...pkg('picky', [{ version: '1.0.0', requires: [['base', '!=1.0.0']] }]),
    // a GVK with two providers: zeta's head provides it, alpha only in an old bundle
    ...pkg('backup-user', [{ version: '1.0.0', requiresGvk: [backup] }]),
    ...pkg('zeta-velero', [{ version: '1.0.0' }, { version: '1.1.0', provides: [backup] }]),
    ...pkg('alpha-velero', [{ version: '1.0.0', provides: [backup] }, { version: '2.0.0' }]),
    { schema: 'olm.deprecations', package: 'app', entries: [] },
  ],
  'test catalog',
);

const pick = (entries: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(entries));

describe('OLM dependency resolution', () => {
  it('follows a package range then a GVK, transitively, and says why', () => {
    const result = resolveDependencies(catalog, pick({ app: ['app.v2.1.0'] }));
    expect(result.added.map((a) => `${a.package} ${a.version}`)).toEqual(['cert-manager 1.14.2', 'db-operator 1.5.0', 'db-operator 2.0.0']);
    expect(result.notes).toEqual([
      'cert-manager 1.14.2: provides cert-manager.io/v1 Certificate required by db-operator 1.5.0; channel head of cert-manager, which came in as a dependency of db-operator 1.5.0',
      'db-operator 1.5.0: required by app 2.1.0 (olm.package.required >=1.2.0 <2.0.0)',
      'db-operator 2.0.0: channel head of db-operator, which came in as a dependency of app 2.1.0',
    ]);
  });

  it('adds nothing when the selection already satisfies the requirement or has none', () => {
    expect(resolveDependencies(catalog, pick({ app: ['app.v2.1.0'], 'db-operator': ['db-operator.v1.2.0'], 'cert-manager': ['cert-manager.v1.12.0'] })).added).toEqual([]);
    expect(resolveDependencies(catalog, pick({ app: ['app.v2.0.0'] })).added).toEqual([]);
  });

  it('resolves a diamond once per bundle, with both reasons', () => {
    const result = resolveDependencies(catalog, pick({ top: ['top.v1.0.0'] }));
    const base = result.added.filter((a) => a.package === 'base');
    expect(base.map((a) => a.version)).toEqual(['1.4.0', '2.0.0']);
    expect(base[0]?.reasons).toEqual(['required by left 1.0.0 (olm.package.required >=1.0.0 <1.5.0)', 'required by right 1.0.0 (olm.package.required >=1.1.0 <2.0.0 || >=3.0.0)']);
    expect(result.added.map((a) => a.package)).toEqual(['base', 'base', 'left', 'right']);
  });

  it('terminates on a cycle', () => {
    const result = resolveDependencies(catalog, pick({ ping: ['ping.v1.0.0'] }));
    expect(result.added.map((a) => `${a.package} ${a.version}`)).toEqual(['pong 1.0.0']);
  });

  it('names the requirement nothing satisfies, and a range it cannot read', () => {
    expect(() => resolveDependencies(catalog, pick({ needy: ['needy.v1.0.0'] }))).toThrow(
      'needy 1.0.0: olm.package.required base >=9.0.0: no bundle of base satisfies it (versions: 2.0.0, 1.4.0, 1.1.0, 1.0.0)',
    );
    expect(() => resolveDependencies(catalog, pick({ picky: ['picky.v1.0.0'] }))).toThrow('picky 1.0.0: olm.package.required base !=1.0.0: not a version range');
  });

  it('picks one GVK provider deterministically and notes the others', () => {
    const result = resolveDependencies(catalog, pick({ 'backup-user': ['backup-user.v1.0.0'] }));
    expect(result.added.map((a) => `${a.package} ${a.version}`)).toEqual(['zeta-velero 1.1.0']);
    expect(result.notes).toContain('velero.io/v1 Backup (required by backup-user 1.0.0) is provided by zeta-velero, alpha-velero; chose zeta-velero');
  });

  it('finds the channel head through replaces and skips, and refuses a malformed property', () => {
    const db = catalog.get('db-operator');
    expect(db && channelHead(db, 'stable').name).toBe('db-operator.v2.0.0');
    const bad = pkg('bad', [{ version: '1.0.0' }]).map((o) =>
      (o as { schema: string }).schema === 'olm.bundle' ? { ...(o as object), properties: [{ type: 'olm.package.required', value: { packageName: 'x' } }] } : o,
    );
    expect(() => readOlmCatalog(bad, 'bad.json')).toThrow('bad.json: bundle bad.v1.0.0: property olm.package.required: versionRange');
  });
});
