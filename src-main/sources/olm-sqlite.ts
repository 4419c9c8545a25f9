/**
 * SQLite index images, the catalog format before file-based catalogs: opm
 * kept `/database/index.db` with the tables of operator-registry's
 * pkg/sqlite/migrations (000_init … 013): `package` (name, default_channel),
 * `channel_entry` (entry_id, channel_name, package_name,
 * operatorbundle_name, replaces, depth), `operatorbundle` (name, csv, bundle,
 * bundlepath, version, skiprange, replaces, skips), `related_image` (image,
 * operatorbundle_name), `properties` and `dependencies` (type, value,
 * operatorbundle_name, operatorbundle_version, operatorbundle_path).
 * The database is read into the objects `opm render` would write for it
 * (pkg/sqlite/conversion.go ToModel, pkg/api/api_to_model.go: a dependency
 * `olm.package` becomes `olm.package.required`, `olm.gvk` becomes
 * `olm.gvk.required`; deprecated bundles are left out), so selection and
 * dependency resolution are the same code as for an FBC catalog.
 * The file is opened read-only, with schema code untrusted.
 */
import Database from 'better-sqlite3';
import { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';

/** Where opm put the database when the image has no database label. */
export const DEFAULT_INDEX_DB = 'database/index.db';

/** A table read and checked row by row; any SQLite or shape problem names the table. */
function readTable<T>(db: Database.Database, where: string, table: string, sql: string, row: z.ZodType<T>): T[] {
  let rows: unknown[];
  try {
    rows = db.prepare(sql).all();
  } catch (error) {
    throw new FerryError('INVALID_MANIFEST', `${where}: table ${table}: ${error instanceof Error ? error.message : String(error)}`, { table });
  }
  return rows.map((value, i) => {
    const parsed = row.safeParse(value);
    if (!parsed.success)
      throw new FerryError('INVALID_MANIFEST', `${where}: table ${table}, row ${i + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`, {
        table,
        row: i + 1,
      });
    return parsed.data;
  });
}

/** A JSON column (properties.value, dependencies.value), parsed and checked; a bad one names the table and the bundle. */
function jsonColumn<T>(text: string, schema: z.ZodType<T>, where: string, table: string, bundle: string, type: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FerryError('INVALID_MANIFEST', `${where}: table ${table}: ${type} of ${bundle} is not JSON (${error instanceof Error ? error.message : String(error)})`, { table, bundle });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new FerryError('INVALID_MANIFEST', `${where}: table ${table}: ${type} of ${bundle}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`, {
      table,
      bundle,
    });
  return parsed.data;
}

const nullableText = z.string().nullable();
const packageRow = z.object({ name: z.string().min(1), default_channel: nullableText });
const entryRow = z.object({ package_name: z.string().min(1), channel_name: z.string().min(1), operatorbundle_name: z.string().min(1) });
const bundleRow = z.object({ name: z.string().min(1), bundlepath: nullableText, version: nullableText, skiprange: nullableText, replaces: nullableText, skips: nullableText });
const imageRow = z.object({ image: z.string().min(1), operatorbundle_name: z.string().min(1) });
const propertyRow = z.object({ type: z.string().min(1), value: z.string(), operatorbundle_name: z.string().min(1) });
const gvkValue = z.object({ group: z.string(), version: z.string().min(1), kind: z.string().min(1) });
const packageDependency = z.object({ packageName: z.string().min(1), version: z.string().min(1) });

function existingTables(db: Database.Database, where: string): Set<string> {
  return new Set(readTable(db, where, 'sqlite_master', "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')", z.object({ name: z.string() })).map((r) => r.name));
}

/** Reads an opened index database into FBC objects (olm.package, olm.channel, olm.bundle). */
function objectsOf(db: Database.Database, where: string): unknown[] {
  const tables = existingTables(db, where);
  for (const table of ['package', 'channel_entry', 'operatorbundle', 'related_image'])
    if (!tables.has(table)) throw new FerryError('INVALID_MANIFEST', `${where}: table ${table} is missing; this is not an opm index database`, { table });
  const packages = readTable(db, where, 'package', 'SELECT name, default_channel FROM package ORDER BY name', packageRow);
  const bundles = readTable(db, where, 'operatorbundle', 'SELECT name, bundlepath, version, skiprange, replaces, skips FROM operatorbundle ORDER BY name', bundleRow);
  const entries = readTable(
    db,
    where,
    'channel_entry',
    'SELECT DISTINCT package_name, channel_name, operatorbundle_name FROM channel_entry WHERE operatorbundle_name IN (SELECT name FROM operatorbundle) ORDER BY package_name, channel_name, operatorbundle_name',
    entryRow,
  );
  const images = readTable(db, where, 'related_image', 'SELECT DISTINCT image, operatorbundle_name FROM related_image ORDER BY operatorbundle_name, image', imageRow);
  const properties = tables.has('properties')
    ? readTable(db, where, 'properties', 'SELECT DISTINCT type, value, operatorbundle_name FROM properties ORDER BY operatorbundle_name, type, value', propertyRow)
    : [];
  const dependencies = tables.has('dependencies')
    ? readTable(db, where, 'dependencies', 'SELECT DISTINCT type, value, operatorbundle_name FROM dependencies ORDER BY operatorbundle_name, type, value', propertyRow)
    : [];
  const deprecated = new Set([
    ...properties.filter((p) => p.type === 'olm.deprecated').map((p) => p.operatorbundle_name),
    ...(tables.has('deprecated')
      ? readTable(db, where, 'deprecated', 'SELECT operatorbundle_name FROM deprecated', z.object({ operatorbundle_name: z.string() })).map((r) => r.operatorbundle_name)
      : []),
  ]);

  const byName = new Map(bundles.map((b) => [b.name, b]));
  const group = <T extends { operatorbundle_name: string }>(rows: T[]): Map<string, T[]> => {
    const map = new Map<string, T[]>();
    for (const r of rows) {
      const list = map.get(r.operatorbundle_name);
      if (list) list.push(r);
      else map.set(r.operatorbundle_name, [r]);
    }
    return map;
  };
  const imagesOf = group(images);
  const propertiesOf = group(properties);
  const dependenciesOf = group(dependencies);

  const objects: unknown[] = packages.map((p) => ({ schema: 'olm.package', name: p.name, ...(p.default_channel ? { defaultChannel: p.default_channel } : {}) }));
  const channels = new Map<string, { package: string; name: string; bundles: string[] }>();
  const packageOf = new Map<string, string>();
  for (const e of entries) {
    if (deprecated.has(e.operatorbundle_name)) continue;
    const key = `${e.package_name}\u0000${e.channel_name}`;
    const channel = channels.get(key) ?? { package: e.package_name, name: e.channel_name, bundles: [] };
    channel.bundles.push(e.operatorbundle_name);
    channels.set(key, channel);
    const known = packageOf.get(e.operatorbundle_name);
    if (known !== undefined && known !== e.package_name)
      throw new FerryError('INVALID_MANIFEST', `${where}: table channel_entry: bundle ${e.operatorbundle_name} is in two packages (${known}, ${e.package_name})`, { table: 'channel_entry' });
    packageOf.set(e.operatorbundle_name, e.package_name);
  }
  for (const channel of channels.values()) {
    objects.push({
      schema: 'olm.channel',
      package: channel.package,
      name: channel.name,
      entries: channel.bundles.map((name) => {
        const b = byName.get(name);
        const skips = (b?.skips ?? '').split(',').filter((s) => s !== '');
        return { name, ...(b?.replaces ? { replaces: b.replaces } : {}), ...(skips.length > 0 ? { skips } : {}), ...(b?.skiprange ? { skipRange: b.skiprange } : {}) };
      }),
    });
  }
  // packageOf follows channel_entry's ORDER BY; bundles come out in the same order every time.
  for (const [name, pkg] of packageOf) {
    const b = byName.get(name);
    if (!b) continue;
    const props: Array<{ type: string; value: unknown }> = [];
    for (const p of propertiesOf.get(name) ?? []) {
      if (p.type === 'olm.package') props.push({ type: p.type, value: jsonColumn(p.value, z.object({ packageName: z.string(), version: z.string() }), where, 'properties', name, p.type) });
      else if (p.type === 'olm.gvk') props.push({ type: p.type, value: jsonColumn(p.value, gvkValue, where, 'properties', name, p.type) });
    }
    if (!props.some((p) => p.type === 'olm.package') && b.version) props.push({ type: 'olm.package', value: { packageName: pkg, version: b.version } });
    for (const d of dependenciesOf.get(name) ?? []) {
      if (d.type === 'olm.package') {
        const value = jsonColumn(d.value, packageDependency, where, 'dependencies', name, d.type);
        props.push({ type: 'olm.package.required', value: { packageName: value.packageName, versionRange: value.version } });
      } else if (d.type === 'olm.gvk') props.push({ type: 'olm.gvk.required', value: jsonColumn(d.value, gvkValue, where, 'dependencies', name, d.type) });
    }
    objects.push({
      schema: 'olm.bundle',
      name,
      package: pkg,
      ...(b.bundlepath ? { image: b.bundlepath } : {}),
      properties: props,
      relatedImages: (imagesOf.get(name) ?? []).map((r) => ({ image: r.image })),
    });
  }
  return objects;
}

/**
 * Opens an index database read-only and returns its catalog objects. `where`
 * names the catalog in errors; a file that is not SQLite, or lacks or misshapes
 * a table, is INVALID_MANIFEST naming the table.
 */
export function readIndexDatabase(file: string, where: string): unknown[] {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new FerryError('INVALID_MANIFEST', `${where}: cannot open the index database: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    try {
      // Views and triggers of an untrusted file may not call functions with side effects.
      db.pragma('trusted_schema = OFF');
    } catch (error) {
      throw new FerryError('INVALID_MANIFEST', `${where}: not an SQLite database: ${error instanceof Error ? error.message : String(error)}`);
    }
    return objectsOf(db, where);
  } finally {
    db.close();
  }
}
