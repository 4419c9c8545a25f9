/**
 * The catalog formats Ferry reads, without a registry: FBC files as JSON
 * streams and YAML streams (strictly, errors naming file and document), and
 * opm's SQLite index database built in its real table layout and read back
 * into the same model the FBC objects give (one fold), with broken databases
 * refused naming the table.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src-shared/errors.ts';
import { channelHead, readOlmCatalog, resolveDependencies, type OlmCatalog } from '../../src-main/sources/olm-dependencies.ts';
import { parseCatalogFile } from '../../src-main/sources/olm-fbc.ts';
import { INDEX_DATABASE_LIMITS, readIndexDatabase } from '../../src-main/sources/olm-sqlite.ts';
import { OLM_A, OLM_B, OLM_C, OLM_PACKAGES, VOLUME_GVK, olmFbcObjects, writeIndexDatabase, type OlmFixtureBundle } from '../harness/olm-catalog-fixture.ts';

const HOST = 'registry.example.com';
const digest = (label: string): string => `sha256:${Buffer.from(label).toString('hex').padEnd(64, '0').slice(0, 64)}`;
const bundleDigests = new Map(OLM_PACKAGES.flatMap((p) => p.bundles.map((b) => [b.name, digest(`b-${b.name}`)] as const)));
const operandDigests = new Map(OLM_PACKAGES.flatMap((p) => p.bundles.map((b) => [b.name, digest(`o-${b.name}`)] as const)));
const imageOf = (b: OlmFixtureBundle): { bundle: string; related: string[] } => ({
  bundle: `${HOST}/olm-fixture/${b.package}-bundle@${bundleDigests.get(b.name)}`,
  related: [`${HOST}/olm-fixture/${b.package}@${operandDigests.get(b.name)}`],
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-olm-formats-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function caught(run: () => unknown): FerryError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    return error as FerryError;
  }
  throw new Error('expected an error');
}

/** What selection and dependency resolution read, independent of format details (the bundle image may or may not be among relatedImages). */
function summary(catalog: OlmCatalog): unknown {
  return [...catalog.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((pkg) => ({
      name: pkg.name,
      defaultChannel: pkg.defaultChannel,
      channels: [...pkg.channels.keys()].sort().map((c) => ({ name: c, head: channelHead(pkg, c).name, entries: (pkg.channels.get(c) ?? []).map((e) => e.name).sort() })),
      bundles: [...pkg.bundles.values()].sort((a, b) => a.name.localeCompare(b.name)).map((b) => ({ ...b, version: undefined, relatedImages: b.relatedImages.filter((r) => r !== b.image).sort() })),
    }));
}

describe('FBC files', () => {
  it('reads a JSON stream and a YAML stream of several documents alike', () => {
    const objects = [
      { schema: 'olm.package', name: 'a', defaultChannel: 'stable' },
      { schema: 'olm.channel', package: 'a', name: 'stable', entries: [{ name: 'a.v1' }] },
    ];
    const json = parseCatalogFile(Buffer.from(objects.map((o) => JSON.stringify(o, null, 2)).join('\n')), 'c.json');
    const yaml = parseCatalogFile(
      Buffer.from('# a comment\n---\nschema: olm.package\nname: a\ndefaultChannel: stable\n---\n---\nschema: olm.channel\npackage: a\nname: stable\nentries:\n  - name: a.v1\n'),
      'c.yaml',
    );
    expect(json).toEqual(objects);
    expect(yaml).toEqual(objects);
  });

  it.each([
    ['a repeated key', 'schema: olm.package\nname: a\nname: b\n', 'document 1: invalid YAML'],
    ['an unknown tag', '---\nschema: olm.package\n---\nname: !!python/object:os.system x\n', 'document 2: invalid YAML'],
    ['a broken flow mapping', 'schema: [olm.package\n', 'document 1: invalid YAML'],
    ['a broken JSON stream', '{"schema": "olm.package"} {"name": ', 'invalid JSON at offset 26'],
  ])('refuses %s, naming the file and document', (_name, text, message) => {
    const error = caught(() => parseCatalogFile(Buffer.from(text), 'reg/cat:1: configs/a/catalog.yaml'));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toContain('reg/cat:1: configs/a/catalog.yaml');
    expect(error.message).toContain(message);
  });
});

describe('SQLite index database', () => {
  it('reads opm tables into the same model as the file-based objects', async () => {
    const file = join(dir, 'good.db');
    writeIndexDatabase(file, OLM_PACKAGES, imageOf);
    const fromSqlite = readOlmCatalog(readIndexDatabase(file, 'sqlite'), 'sqlite');
    const fromFbc = readOlmCatalog(olmFbcObjects(HOST, bundleDigests, operandDigests), 'fbc');
    expect(summary(fromSqlite)).toEqual(summary(fromFbc));
    expect(fromSqlite.get(OLM_A)?.bundles.get(`${OLM_A}.v1.1.0`)?.requiresPackages).toEqual([{ packageName: OLM_B, versionRange: '>=2.0.0 <3.0.0' }]);
  });

  it('leaves deprecated bundles out, as opm render does', () => {
    const file = join(dir, 'deprecated.db');
    writeIndexDatabase(file, OLM_PACKAGES, imageOf);
    const db = new Database(file);
    db.prepare('INSERT INTO deprecated (operatorbundle_name) VALUES (?)').run(`${OLM_B}.v1.9.0`);
    db.close();
    const catalog = readOlmCatalog(readIndexDatabase(file, 'sqlite'), 'sqlite');
    expect([...(catalog.get(OLM_B)?.bundles.keys() ?? [])].sort()).toEqual([`${OLM_B}.v2.0.0`, `${OLM_B}.v2.1.0`, `${OLM_B}.v3.0.0`]);
  });

  it('names the table and bundle of a property that is not JSON', () => {
    const file = join(dir, 'bad-property.db');
    writeIndexDatabase(file, OLM_PACKAGES, imageOf);
    const db = new Database(file);
    db.prepare("UPDATE properties SET value = '{not json' WHERE type = 'olm.gvk' AND operatorbundle_name = ?").run(`${OLM_A}.v1.0.0`);
    db.close();
    const error = caught(() => readIndexDatabase(file, 'reg/idx:1: /database/index.db'));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toContain(`reg/idx:1: /database/index.db: table properties: olm.gvk of ${OLM_A}.v1.0.0 is not JSON`);
  });

  it('names a table whose rows have the wrong shape', () => {
    const file = join(dir, 'bad-rows.db');
    writeIndexDatabase(file, OLM_PACKAGES, imageOf);
    const db = new Database(file);
    db.pragma('foreign_keys = OFF');
    db.prepare("UPDATE package SET default_channel = X'00ff' WHERE name = ?").run(OLM_A);
    db.close();
    const error = caught(() => readIndexDatabase(file, 'idx'));
    expect(error.message).toMatch(/^idx: table package, row \d+: default_channel/);
  });

  it('refuses a file that is not SQLite', async () => {
    const file = join(dir, 'garbage.db');
    await writeFile(file, 'not a database at all, just text\n'.repeat(64));
    const error = caught(() => readIndexDatabase(file, 'idx'));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toContain('idx: table sqlite_master: file is not a database');
  });
});

describe('SQLite index database from a hostile image', () => {
  /** The good database with `change` applied (foreign keys off, as opm leaves them). */
  function hostile(name: string, change: (db: Database.Database) => void): string {
    const file = join(dir, `${name}.db`);
    writeIndexDatabase(file, OLM_PACKAGES, imageOf);
    const db = new Database(file);
    try {
      db.pragma('foreign_keys = OFF');
      change(db);
    } finally {
      db.close();
    }
    return file;
  }

  it('refuses a table that is a view, before SQLite computes a row of it', () => {
    // 2,000,000 rows from a few hundred bytes of schema: read whole, this took 15 s and 700 MB.
    const file = hostile('view', (db) =>
      db.exec("DROP TABLE package; CREATE VIEW package AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 2000000) SELECT 'p' || i AS name, NULL AS default_channel FROM n"),
    );
    const started = Date.now();
    const error = caught(() => readIndexDatabase(file, 'idx'));
    expect(error.code).toBe('INVALID_MANIFEST');
    expect(error.message).toBe('idx: package is a view, not a table; only stored tables of an index database are read');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a generated column, which would build 200 MB per row', () => {
    const file = hostile('generated', (db) =>
      db.exec("DROP TABLE package; CREATE TABLE package (real_name TEXT, name AS (zeroblob(200000000)), default_channel TEXT); INSERT INTO package (real_name) VALUES ('a'), ('b')"),
    );
    const error = caught(() => readIndexDatabase(file, 'idx'));
    expect(error.message).toBe('idx: table package: column name is generated or hidden; only stored columns of an index database are read');
  });

  it('refuses a virtual table', () => {
    const file = hostile('virtual', (db) => db.exec('DROP TABLE related_image; CREATE VIRTUAL TABLE related_image USING fts5(image, operatorbundle_name)'));
    expect(caught(() => readIndexDatabase(file, 'idx')).message).toBe('idx: related_image is a virtual, not a table; only stored tables of an index database are read');
  });

  it('refuses more rows, more bytes or a longer value than the caps allow, naming the table', () => {
    const file = join(dir, 'caps.db');
    writeIndexDatabase(file, OLM_PACKAGES, imageOf);
    const rows = caught(() => readIndexDatabase(file, 'idx', { ...INDEX_DATABASE_LIMITS, rowsPerTable: 10 }));
    expect(rows.message).toMatch(/^idx: table \w+ has \d+ rows, more than the 10 an index database may hold$/);
    const bytes = caught(() => readIndexDatabase(file, 'idx', { ...INDEX_DATABASE_LIMITS, totalBytes: 2000 }));
    expect(bytes.message).toMatch(/^idx: table \w+, row \d+: the index database holds more than 2000 bytes of catalog text$/);
    const long = hostile('long-value', (db) => db.prepare('UPDATE operatorbundle SET bundlepath = ? WHERE name = ?').run('x'.repeat(INDEX_DATABASE_LIMITS.valueBytes + 1), `${OLM_A}.v1.0.0`));
    expect(caught(() => readIndexDatabase(long, 'idx')).message).toBe(
      `idx: table operatorbundle holds a value of ${INDEX_DATABASE_LIMITS.valueBytes + 1} bytes, more than the ${INDEX_DATABASE_LIMITS.valueBytes} an index database value may hold`,
    );
    // A real catalog's size stays far inside the defaults.
    expect(readOlmCatalog(readIndexDatabase(file, 'idx'), 'idx').size).toBe(OLM_PACKAGES.length);
  });
});

describe('SQLite index database before migration 009', () => {
  it('reads provided and required APIs from api_provider and api_requirer, so dependencies by API resolve', () => {
    const file = join(dir, 'pre-009.db');
    writeIndexDatabase(file, OLM_PACKAGES, imageOf);
    const db = new Database(file);
    db.exec("DELETE FROM properties WHERE type = 'olm.gvk'; DELETE FROM dependencies WHERE type = 'olm.gvk'");
    db.close();
    const catalog = readOlmCatalog(readIndexDatabase(file, 'sqlite'), 'sqlite');
    expect(catalog.get(OLM_C)?.bundles.get(`${OLM_C}.v1.0.0`)?.provides).toEqual([VOLUME_GVK]);
    expect(catalog.get(OLM_B)?.bundles.get(`${OLM_B}.v2.1.0`)?.requiresGvks).toEqual([VOLUME_GVK]);
    const fromFbc = readOlmCatalog(olmFbcObjects(HOST, bundleDigests, operandDigests), 'fbc');
    expect(summary(catalog)).toEqual(summary(fromFbc));
    const resolved = resolveDependencies(catalog, new Map([[OLM_B, [`${OLM_B}.v2.1.0`]]]));
    expect(resolved.added.map((a) => a.package)).toContain(OLM_C);
  });

  it('reads api_provider rows that name a channel entry (before migration 006)', () => {
    const file = join(dir, 'pre-006.db');
    writeIndexDatabase(file, OLM_PACKAGES, imageOf);
    const db = new Database(file);
    db.exec(`DELETE FROM properties WHERE type = 'olm.gvk';
      CREATE TABLE api_provider_old (group_name TEXT, version TEXT, kind TEXT, channel_entry_id INTEGER);
      INSERT INTO api_provider_old SELECT p.group_name, p.version, p.kind, e.entry_id FROM api_provider p JOIN channel_entry e ON e.operatorbundle_name = p.operatorbundle_name;
      DROP TABLE api_provider; ALTER TABLE api_provider_old RENAME TO api_provider;`);
    db.close();
    const catalog = readOlmCatalog(readIndexDatabase(file, 'sqlite'), 'sqlite');
    expect(catalog.get(OLM_C)?.bundles.get(`${OLM_C}.v0.9.0`)?.provides).toEqual([VOLUME_GVK]);
  });
});
