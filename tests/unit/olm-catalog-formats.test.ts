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
import { channelHead, readOlmCatalog, type OlmCatalog } from '../../src-main/sources/olm-dependencies.ts';
import { parseCatalogFile } from '../../src-main/sources/olm-fbc.ts';
import { readIndexDatabase } from '../../src-main/sources/olm-sqlite.ts';
import { OLM_A, OLM_B, OLM_PACKAGES, olmFbcObjects, writeIndexDatabase, type OlmFixtureBundle } from '../harness/olm-catalog-fixture.ts';

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
