/**
 * Operator catalogs in the formats Ferry reads, built by code from one package
 * description and pushed to a real registry:
 * - a file-based catalog in YAML (one or many documents per file, one package
 *   split over YAML and a JSON stream) under `/configs-yaml`, which only the
 *   image's `operators.operatorframework.io.index.configs.v1` label names (a
 *   decoy package sits in the default `/configs`);
 * - an SQLite index image, `/database/index.db` built with better-sqlite3 in
 *   operator-registry's real table layout (pkg/sqlite/migrations 000–013);
 * - two broken index images (not SQLite; a table missing).
 * The packages hold a dependency chain: etcd-backup-operator ≥1.1.0 requires
 * the package storage-base-operator `>=2.0.0 <3.0.0` (olm.package.required),
 * whose 2.x/3.x bundles require the API volumes.example.com/v1 Volume
 * (olm.gvk.required), which volume-provider-operator provides; and
 * metrics-dashboard stands alone. Same host, same bytes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import type { Content } from './fixture-content.ts';
import { seedImages, tinyImage, type OpenShiftImage } from './openshift-fixture.ts';
import type { RunningRegistry } from './registry.ts';

/** An API as the catalog properties write it. */
export interface FixtureGvk {
  group: string;
  version: string;
  kind: string;
}

/** One bundle of the description: `<package>.v<version>`, what it provides and requires. */
export interface OlmFixtureBundle {
  name: string;
  package: string;
  version: string;
  provides: FixtureGvk[];
  requiresPackages: Array<{ packageName: string; versionRange: string }>;
  requiresGvks: FixtureGvk[];
}

/** One package: default channel, channels (versions oldest first, each replacing the one before) and bundles. */
export interface OlmFixturePackage {
  name: string;
  defaultChannel: string;
  channels: Record<string, string[]>;
  bundles: OlmFixtureBundle[];
}

/** The API storage-base-operator 2.x requires and volume-provider-operator provides. */
export const VOLUME_GVK: FixtureGvk = { group: 'volumes.example.com', version: 'v1', kind: 'Volume' };
const STORAGE_GVK: FixtureGvk = { group: 'storage.example.com', version: 'v1', kind: 'Storage' };
const BACKUP_GVK: FixtureGvk = { group: 'backup.example.com', version: 'v1', kind: 'EtcdBackup' };
const DASHBOARD_GVK: FixtureGvk = { group: 'metrics.example.com', version: 'v1alpha1', kind: 'Dashboard' };

/** Package names, for tests. */
export const OLM_A = 'etcd-backup-operator';
/** The package A requires by version range. */
export const OLM_B = 'storage-base-operator';
/** The package that provides the API B requires. */
export const OLM_C = 'volume-provider-operator';
/** A package with no dependencies. */
export const OLM_D = 'metrics-dashboard';

function fixtureBundle(pkg: string, version: string, provides: FixtureGvk[], requires: Partial<Pick<OlmFixtureBundle, 'requiresPackages' | 'requiresGvks'>> = {}): OlmFixtureBundle {
  return { name: `${pkg}.v${version}`, package: pkg, version, provides, requiresPackages: requires.requiresPackages ?? [], requiresGvks: requires.requiresGvks ?? [] };
}

const needsStorage = { requiresPackages: [{ packageName: OLM_B, versionRange: '>=2.0.0 <3.0.0' }] };
const needsVolumes = { requiresGvks: [VOLUME_GVK] };

/** The packages every catalog of this fixture describes. */
export const OLM_PACKAGES: readonly OlmFixturePackage[] = [
  {
    name: OLM_A,
    defaultChannel: 'stable',
    channels: { stable: ['1.0.0', '1.1.0'], fast: ['1.1.0', '1.2.0', '1.3.0'] },
    bundles: [
      fixtureBundle(OLM_A, '1.0.0', [BACKUP_GVK]),
      fixtureBundle(OLM_A, '1.1.0', [BACKUP_GVK], needsStorage),
      fixtureBundle(OLM_A, '1.2.0', [BACKUP_GVK], needsStorage),
      fixtureBundle(OLM_A, '1.3.0', [BACKUP_GVK], needsStorage),
    ],
  },
  {
    name: OLM_B,
    defaultChannel: 'stable',
    channels: { stable: ['1.9.0', '2.0.0', '2.1.0'], preview: ['3.0.0'] },
    bundles: [
      fixtureBundle(OLM_B, '1.9.0', [STORAGE_GVK]),
      fixtureBundle(OLM_B, '2.0.0', [STORAGE_GVK], needsVolumes),
      fixtureBundle(OLM_B, '2.1.0', [STORAGE_GVK], needsVolumes),
      fixtureBundle(OLM_B, '3.0.0', [STORAGE_GVK], needsVolumes),
    ],
  },
  {
    name: OLM_C,
    defaultChannel: 'stable',
    channels: { stable: ['0.9.0', '1.0.0'] },
    bundles: [fixtureBundle(OLM_C, '0.9.0', [VOLUME_GVK]), fixtureBundle(OLM_C, '1.0.0', [VOLUME_GVK])],
  },
  {
    name: OLM_D,
    defaultChannel: 'alpha',
    channels: { alpha: ['0.1.0', '0.2.0'] },
    bundles: [fixtureBundle(OLM_D, '0.1.0', [DASHBOARD_GVK]), fixtureBundle(OLM_D, '0.2.0', [DASHBOARD_GVK])],
  },
];

/** Repository of a package's bundle images. */
export function bundleRepository(pkg: string): string {
  return `olm-fixture/${pkg}-bundle`;
}
/** Repository of a package's operand images (one per bundle version). */
export function operandRepository(pkg: string): string {
  return `olm-fixture/${pkg}`;
}

/** Where the YAML file-based catalog lives, its tag and the root its configs label names. */
export const YAML_CATALOG = { repository: 'olm/yaml-catalog', tag: 'v1', root: '/configs-yaml' } as const;
/** Where the SQLite index image lives and its tag. */
export const SQLITE_CATALOG = { repository: 'olm/sqlite-index', tag: 'v1' } as const;
/** Broken index images: `garbage` holds bytes that are not SQLite; `missing-table` lacks the related_image table. */
export const BAD_INDEX = { repository: 'olm/bad-index', garbage: 'garbage', missingTable: 'missing-table' } as const;
/** The only package of the decoy catalog in `/configs`, which the YAML catalog's label steers the reader away from. */
export const DECOY_PACKAGE = 'decoy-operator';

/** The built images, digests the tests assert with, and the blobs to seed. */
export interface OlmCatalogFixture {
  host: string;
  yamlCatalog: OpenShiftImage;
  sqliteCatalog: OpenShiftImage;
  badGarbage: OpenShiftImage;
  badMissingTable: OpenShiftImage;
  /** Bundle name → bundle image digest. */
  bundleDigests: Map<string, string>;
  /** Bundle name → its operand image digest. */
  operandDigests: Map<string, string>;
  images: OpenShiftImage[];
  content: Content[];
}

/** The FBC objects of one package, images by digest at `host`. */
function fbcObjects(host: string, pkg: OlmFixturePackage, bundleDigests: Map<string, string>, operandDigests: Map<string, string>): { pkg: object; channels: object[]; bundles: object[] } {
  const channels = Object.entries(pkg.channels).map(([name, versions]) => ({
    schema: 'olm.channel',
    package: pkg.name,
    name,
    entries: versions.map((v, i) => ({ name: `${pkg.name}.v${v}`, ...(i > 0 ? { replaces: `${pkg.name}.v${versions[i - 1]}` } : {}) })),
  }));
  const bundles = pkg.bundles.map((b) => {
    const image = `${host}/${bundleRepository(pkg.name)}@${bundleDigests.get(b.name)}`;
    return {
      schema: 'olm.bundle',
      name: b.name,
      package: pkg.name,
      image,
      properties: [
        { type: 'olm.package', value: { packageName: pkg.name, version: b.version } },
        ...b.provides.map((g) => ({ type: 'olm.gvk', value: g })),
        ...b.requiresPackages.map((r) => ({ type: 'olm.package.required', value: r })),
        ...b.requiresGvks.map((g) => ({ type: 'olm.gvk.required', value: g })),
      ],
      relatedImages: [
        { name: '', image },
        { name: 'operator', image: `${host}/${operandRepository(pkg.name)}@${operandDigests.get(b.name)}` },
      ],
    };
  });
  return { pkg: { schema: 'olm.package', name: pkg.name, defaultChannel: pkg.defaultChannel }, channels, bundles };
}

/** Every FBC object of OLM_PACKAGES (what the YAML catalog holds), images by digest at `host`: for comparing formats without a registry. */
export function olmFbcObjects(host: string, bundleDigests: Map<string, string>, operandDigests: Map<string, string>): object[] {
  return OLM_PACKAGES.flatMap((pkg) => {
    const o = fbcObjects(host, pkg, bundleDigests, operandDigests);
    return [o.pkg, ...o.channels, ...o.bundles];
  });
}

const yamlStream = (docs: readonly object[]): string => docs.map((d) => `---\n${stringify(d)}`).join('');

/** The YAML catalog's files: most packages one multi-document catalog.yaml; storage-base-operator split over package.yaml, channels.yml and a JSON stream. */
function yamlCatalogFiles(host: string, bundleDigests: Map<string, string>, operandDigests: Map<string, string>): Array<{ name: string; data: Buffer }> {
  const root = YAML_CATALOG.root.slice(1);
  const files: Array<{ name: string; data: Buffer }> = [];
  for (const pkg of OLM_PACKAGES) {
    const o = fbcObjects(host, pkg, bundleDigests, operandDigests);
    if (pkg.name === OLM_B) {
      files.push({ name: `${root}/${pkg.name}/package.yaml`, data: Buffer.from(stringify(o.pkg)) });
      files.push({ name: `${root}/${pkg.name}/channels.yml`, data: Buffer.from(yamlStream(o.channels)) });
      files.push({ name: `${root}/${pkg.name}/bundles.json`, data: Buffer.from(`${o.bundles.map((b) => JSON.stringify(b, null, 2)).join('\n')}\n`) });
    } else {
      files.push({ name: `${root}/${pkg.name}/catalog.yaml`, data: Buffer.from(`# ${pkg.name}, as opm render --output yaml writes it\n${yamlStream([o.pkg, ...o.channels, ...o.bundles])}`) });
    }
  }
  files.push({ name: `configs/${DECOY_PACKAGE}/catalog.json`, data: Buffer.from(JSON.stringify({ schema: 'olm.package', name: DECOY_PACKAGE, defaultChannel: 'stable' })) });
  return files;
}

/** operator-registry's tables after all its migrations (pkg/sqlite/migrations 000–013), columns in the order the migrations leave them. */
const OPM_SCHEMA = `
CREATE TABLE schema_migrations (version INTEGER NOT NULL, dirty BOOLEAN NOT NULL);
CREATE TABLE operatorbundle (name TEXT PRIMARY KEY, csv TEXT, bundle TEXT, bundlepath TEXT, skiprange TEXT, version TEXT, replaces TEXT, skips TEXT, substitutesfor TEXT);
CREATE UNIQUE INDEX pk ON operatorbundle(name, version, bundlepath);
CREATE TABLE package (name TEXT PRIMARY KEY, default_channel TEXT, FOREIGN KEY(name, default_channel) REFERENCES channel(package_name,name) ON DELETE CASCADE);
CREATE TABLE channel (name TEXT, package_name TEXT, head_operatorbundle_name TEXT, PRIMARY KEY(name, package_name), FOREIGN KEY(head_operatorbundle_name) REFERENCES operatorbundle(name) ON DELETE CASCADE);
CREATE TABLE channel_entry (entry_id INTEGER PRIMARY KEY, channel_name TEXT, package_name TEXT, operatorbundle_name TEXT, replaces INTEGER, depth INTEGER, FOREIGN KEY(replaces) REFERENCES channel_entry(entry_id) DEFERRABLE INITIALLY DEFERRED, FOREIGN KEY(channel_name, package_name) REFERENCES channel(name, package_name) ON DELETE CASCADE);
CREATE TABLE api (group_name TEXT, version TEXT, kind TEXT, plural TEXT NOT NULL, PRIMARY KEY(group_name, version, kind));
CREATE TABLE api_provider (group_name TEXT, version TEXT, kind TEXT, operatorbundle_name TEXT, operatorbundle_version TEXT, operatorbundle_path TEXT, FOREIGN KEY(operatorbundle_name, operatorbundle_version, operatorbundle_path) REFERENCES operatorbundle(name, version, bundlepath) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, FOREIGN KEY(group_name, version, kind) REFERENCES api(group_name, version, kind) ON DELETE CASCADE);
CREATE TABLE api_requirer (group_name TEXT, version TEXT, kind TEXT, operatorbundle_name TEXT, operatorbundle_version TEXT, operatorbundle_path TEXT, FOREIGN KEY(operatorbundle_name, operatorbundle_version, operatorbundle_path) REFERENCES operatorbundle(name, version, bundlepath) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, FOREIGN KEY(group_name, version, kind) REFERENCES api(group_name, version, kind) ON DELETE CASCADE);
CREATE TABLE related_image (image TEXT, operatorbundle_name TEXT, FOREIGN KEY(operatorbundle_name) REFERENCES operatorbundle(name) ON DELETE CASCADE);
CREATE TABLE dependencies (type TEXT, value TEXT, operatorbundle_name TEXT, operatorbundle_version TEXT, operatorbundle_path TEXT, FOREIGN KEY(operatorbundle_name, operatorbundle_version, operatorbundle_path) REFERENCES operatorbundle(name, version, bundlepath) ON DELETE CASCADE);
CREATE TABLE properties (type TEXT, value TEXT, operatorbundle_name TEXT, operatorbundle_version TEXT, operatorbundle_path TEXT, FOREIGN KEY(operatorbundle_name, operatorbundle_version, operatorbundle_path) REFERENCES operatorbundle(name, version, bundlepath) ON DELETE CASCADE);
CREATE TABLE deprecated (operatorbundle_name TEXT PRIMARY KEY);
INSERT INTO schema_migrations (version, dirty) VALUES (13, 0);
`;

/**
 * Writes an opm index database for `packages` at `file`, rows as opm's loader
 * writes them: bundles with their image (bundlepath), version, replaces and
 * skips; channel entries from each head down with `replaces` pointing at the
 * entry below and `depth` counting from the head; related images; properties
 * (olm.package, olm.gvk) and dependencies (olm.package with a range, olm.gvk).
 * `omit` leaves a table out (a broken database for tests).
 */
export function writeIndexDatabase(file: string, packages: readonly OlmFixturePackage[], imageOf: (bundle: OlmFixtureBundle) => { bundle: string; related: string[] }, omit?: string): void {
  const db = new Database(file);
  try {
    db.exec(OPM_SCHEMA);
    if (omit) db.exec(`DROP TABLE ${omit}`);
    const insert = (sql: string, ...values: Array<string | number | null>): void => {
      db.prepare(sql).run(...values);
    };
    let entryId = 0;
    const apis = new Set<string>();
    const ensureApi = (g: FixtureGvk): void => {
      const api = `${g.group}/${g.version}/${g.kind}`;
      if (!apis.has(api)) insert('INSERT INTO api (group_name, version, kind, plural) VALUES (?, ?, ?, ?)', g.group, g.version, g.kind, `${g.kind.toLowerCase()}s`);
      apis.add(api);
    };
    db.transaction(() => {
      for (const pkg of packages) {
        for (const b of pkg.bundles) {
          const images = imageOf(b);
          const channelOf = Object.values(pkg.channels).find((versions) => versions.includes(b.version)) ?? [];
          const index = channelOf.indexOf(b.version);
          const replaces = index > 0 ? `${pkg.name}.v${channelOf[index - 1]}` : null;
          const csv = JSON.stringify({
            apiVersion: 'operators.coreos.com/v1alpha1',
            kind: 'ClusterServiceVersion',
            metadata: { name: b.name },
            spec: { version: b.version, ...(replaces ? { replaces } : {}) },
          });
          insert(
            'INSERT INTO operatorbundle (name, csv, bundle, bundlepath, skiprange, version, replaces, skips, substitutesfor) VALUES (?, ?, NULL, ?, NULL, ?, ?, ?, NULL)',
            b.name,
            csv,
            images.bundle,
            b.version,
            replaces,
            '',
          );
          for (const image of images.related) if (omit !== 'related_image') insert('INSERT INTO related_image (image, operatorbundle_name) VALUES (?, ?)', image, b.name);
          const key = [b.name, b.version, images.bundle] as const;
          insert(
            'INSERT INTO properties (type, value, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?)',
            'olm.package',
            JSON.stringify({ packageName: pkg.name, version: b.version }),
            ...key,
          );
          for (const g of b.provides) {
            insert('INSERT INTO properties (type, value, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?)', 'olm.gvk', JSON.stringify(g), ...key);
            ensureApi(g);
            insert(
              'INSERT INTO api_provider (group_name, version, kind, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?, ?)',
              g.group,
              g.version,
              g.kind,
              ...key,
            );
          }
          for (const r of b.requiresPackages)
            insert(
              'INSERT INTO dependencies (type, value, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?)',
              'olm.package',
              JSON.stringify({ packageName: r.packageName, version: r.versionRange }),
              ...key,
            );
          for (const g of b.requiresGvks) {
            ensureApi(g);
            insert('INSERT INTO dependencies (type, value, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?)', 'olm.gvk', JSON.stringify(g), ...key);
            insert(
              'INSERT INTO api_requirer (group_name, version, kind, operatorbundle_name, operatorbundle_version, operatorbundle_path) VALUES (?, ?, ?, ?, ?, ?)',
              g.group,
              g.version,
              g.kind,
              ...key,
            );
          }
        }
        for (const [channel, versions] of Object.entries(pkg.channels)) {
          const head = versions[versions.length - 1] ?? '';
          insert('INSERT INTO channel (name, package_name, head_operatorbundle_name) VALUES (?, ?, ?)', channel, pkg.name, `${pkg.name}.v${head}`);
          // From the head down: each entry replaces the next one inserted.
          const ids = versions.map(() => ++entryId);
          [...versions].reverse().forEach((version, depth) => {
            const id = ids[depth] ?? 0;
            const below = depth + 1 < versions.length ? (ids[depth + 1] ?? null) : null;
            insert(
              'INSERT INTO channel_entry (entry_id, channel_name, package_name, operatorbundle_name, replaces, depth) VALUES (?, ?, ?, ?, ?, ?)',
              id,
              channel,
              pkg.name,
              `${pkg.name}.v${version}`,
              below,
              depth,
            );
          });
        }
        insert('INSERT INTO package (name, default_channel) VALUES (?, ?)', pkg.name, pkg.defaultChannel);
      }
    })();
  } finally {
    db.close();
  }
}

async function databaseBytes(build: (file: string) => void): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-olm-db-'));
  try {
    const file = join(dir, 'index.db');
    build(file);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const DATABASE_LABELS = { 'operators.operatorframework.io.index.database.v1': '/database/index.db' };

/** Builds every image: bundles, operands, the YAML catalog, the SQLite index and the broken indexes, all referring to images at `host` by digest. */
export async function buildOlmCatalogFixture(host: string): Promise<OlmCatalogFixture> {
  const images: OpenShiftImage[] = [];
  const content = new Map<string, Content>();
  const add = (repository: string, tag: string | undefined, built: { manifest: Content; content: Content[] }): OpenShiftImage => {
    const image = { repository, tag, manifest: built.manifest };
    images.push(image);
    for (const c of built.content) content.set(c.digest, c);
    return image;
  };
  const bundleDigests = new Map<string, string>();
  const operandDigests = new Map<string, string>();
  for (const pkg of OLM_PACKAGES) {
    for (const b of pkg.bundles) {
      bundleDigests.set(b.name, add(bundleRepository(pkg.name), undefined, await tinyImage(`olm-bundle-${b.name}`, [])).manifest.digest);
      operandDigests.set(b.name, add(operandRepository(pkg.name), undefined, await tinyImage(`olm-operand-${b.name}`, [])).manifest.digest);
    }
  }
  const yamlCatalog = add(
    YAML_CATALOG.repository,
    YAML_CATALOG.tag,
    await tinyImage('olm-yaml-catalog', yamlCatalogFiles(host, bundleDigests, operandDigests), { 'operators.operatorframework.io.index.configs.v1': YAML_CATALOG.root }),
  );
  const imageOf = (b: OlmFixtureBundle): { bundle: string; related: string[] } => ({
    bundle: `${host}/${bundleRepository(b.package)}@${bundleDigests.get(b.name)}`,
    related: [`${host}/${operandRepository(b.package)}@${operandDigests.get(b.name)}`],
  });
  const good = await databaseBytes((file) => writeIndexDatabase(file, OLM_PACKAGES, imageOf));
  const sqliteCatalog = add(SQLITE_CATALOG.repository, SQLITE_CATALOG.tag, await tinyImage('olm-sqlite-index', [{ name: 'database/index.db', data: good }], DATABASE_LABELS));
  const badGarbage = add(
    BAD_INDEX.repository,
    BAD_INDEX.garbage,
    await tinyImage('olm-bad-index-garbage', [{ name: 'database/index.db', data: Buffer.from('this is not an SQLite database, only text where one should be\n'.repeat(16)) }], DATABASE_LABELS),
  );
  const missing = await databaseBytes((file) => writeIndexDatabase(file, OLM_PACKAGES, imageOf, 'related_image'));
  const badMissingTable = add(BAD_INDEX.repository, BAD_INDEX.missingTable, await tinyImage('olm-bad-index-missing', [{ name: 'database/index.db', data: missing }], DATABASE_LABELS));
  return { host, yamlCatalog, sqliteCatalog, badGarbage, badMissingTable, bundleDigests, operandDigests, images, content: [...content.values()] };
}

/** Pushes every image of the fixture to `registry` (skopeo, digests preserved). */
export async function seedOlmCatalogFixture(registry: RunningRegistry, fixture: OlmCatalogFixture): Promise<void> {
  await seedImages(registry, fixture.images, fixture.content);
}
