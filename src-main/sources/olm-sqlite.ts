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
 * Before migration 009 provided and required APIs lived in api_provider
 * and api_requirer (with the api table); they are read too.
 * The file is opened read-only, with schema code untrusted, and treated as
 * hostile: only stored tables and columns are read (no view, virtual table
 * or generated column runs), row by row under caps on rows, value size and
 * total bytes (IndexDatabaseLimits). There is no time limit: better-sqlite3
 * cannot interrupt a statement, and with nothing computed the work is
 * bounded by the file's size, which the caller caps.
 */
import Database from 'better-sqlite3';
import { z } from 'zod';
import { FerryError } from '../../src-shared/errors.ts';

/** Where opm put the database when the image has no database label. */
export const DEFAULT_INDEX_DB = 'database/index.db';

/**
 * Caps on what one index database may hand Ferry: SQLite computes nothing
 * for it (only real tables, no generated or hidden columns, no virtual
 * tables), and what the tables hold is read row by row within these. Red
 * Hat's redhat-operator-index has about 10,000 bundles: some 30,000
 * channel entries, 100,000 related images and, of the property types read
 * here, 100,000 properties, about 40 MB of text in all; the caps leave
 * 10x room (rows per table), 6x (bytes) and 1000x over the longest real
 * value (a bundle image reference, a gvk property: under 1 KiB).
 */
export interface IndexDatabaseLimits {
  /** Rows one table may hand over (counted before any sort). */
  rowsPerTable: number;
  /** Bytes of text all tables together may hand over. */
  totalBytes: number;
  /** Bytes one value may hold (checked from SQLite's record headers, before the value is read). */
  valueBytes: number;
}

/** The caps readIndexDatabase applies unless told otherwise (tests pass smaller ones). */
export const INDEX_DATABASE_LIMITS: IndexDatabaseLimits = { rowsPerTable: 1_000_000, totalBytes: 256 * 1024 * 1024, valueBytes: 1024 * 1024 };

/** One read of one table: the columns and SQL are constants of this module, never from the file. */
interface TableRead<T> {
  table: string;
  columns: readonly string[];
  /** A WHERE clause over `table`, also applied when counting. */
  filter?: string;
  sql: string;
  row: z.ZodType<T>;
}

/** What one database read has used of its byte budget. */
interface Budget {
  limits: IndexDatabaseLimits;
  bytes: number;
}

function sqliteError(where: string, table: string, error: unknown): FerryError {
  return new FerryError('INVALID_MANIFEST', `${where}: table ${table}: ${error instanceof Error ? error.message : String(error)}`, { table });
}

/**
 * A table read and checked row by row; any SQLite, shape or size problem
 * names the table. Rows and the longest value are counted first from the
 * record headers (no value is loaded), then rows are iterated, never all
 * held by SQLite's driver at once.
 */
function readTable<T>(db: Database.Database, where: string, budget: Budget, read: TableRead<T>): T[] {
  const { limits } = budget;
  const filter = read.filter ? ` WHERE ${read.filter}` : '';
  const widths = read.columns.map((c) => `ifnull(octet_length(${c}), 0)`).join(', ');
  let size: { rows: number; widest: number | null };
  try {
    size = z.object({ rows: z.number(), widest: z.number().nullable() }).parse(db.prepare(`SELECT count(*) AS rows, max(max(${widths}, 0)) AS widest FROM ${read.table}${filter}`).get());
  } catch (error) {
    throw sqliteError(where, read.table, error);
  }
  if (size.rows > limits.rowsPerTable)
    throw new FerryError('INVALID_MANIFEST', `${where}: table ${read.table} has ${size.rows} rows, more than the ${limits.rowsPerTable} an index database may hold`, {
      table: read.table,
      limit: limits.rowsPerTable,
    });
  if ((size.widest ?? 0) > limits.valueBytes)
    throw new FerryError('INVALID_MANIFEST', `${where}: table ${read.table} holds a value of ${size.widest} bytes, more than the ${limits.valueBytes} an index database value may hold`, {
      table: read.table,
      limit: limits.valueBytes,
    });
  const rows: T[] = [];
  let iterator: IterableIterator<unknown>;
  try {
    iterator = db.prepare(read.sql).iterate();
  } catch (error) {
    throw sqliteError(where, read.table, error);
  }
  try {
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = iterator.next();
      } catch (error) {
        throw sqliteError(where, read.table, error);
      }
      if (next.done === true) break;
      const n = rows.length + 1;
      if (n > limits.rowsPerTable)
        throw new FerryError('INVALID_MANIFEST', `${where}: table ${read.table} hands over more than ${limits.rowsPerTable} rows`, { table: read.table, limit: limits.rowsPerTable });
      const value: unknown = next.value;
      if (typeof value === 'object' && value !== null) for (const cell of Object.values(value)) budget.bytes += typeof cell === 'string' ? cell.length : Buffer.isBuffer(cell) ? cell.length : 8;
      if (budget.bytes > limits.totalBytes)
        throw new FerryError('INVALID_MANIFEST', `${where}: table ${read.table}, row ${n}: the index database holds more than ${limits.totalBytes} bytes of catalog text`, {
          table: read.table,
          limit: limits.totalBytes,
        });
      const parsed = read.row.safeParse(value);
      if (!parsed.success)
        throw new FerryError('INVALID_MANIFEST', `${where}: table ${read.table}, row ${n}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`, {
          table: read.table,
          row: n,
        });
      rows.push(parsed.data);
    }
  } finally {
    iterator.return?.();
  }
  return rows;
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

const tableRow = z.object({ type: z.string(), name: z.string(), virtual: z.number().nullable() });
const columnRow = z.object({ name: z.string(), hidden: z.number() });
const apiRow = z.object({ group_name: z.string(), version: z.string().min(1), kind: z.string().min(1), operatorbundle_name: z.string().min(1) });

/** The database's tables by name: 'table' for a real one, 'view' or 'virtual' for what SQLite would compute (never read). */
function schemaObjects(db: Database.Database, where: string, budget: Budget): Map<string, 'table' | 'view' | 'virtual'> {
  const rows = readTable(db, where, budget, {
    table: 'sqlite_master',
    columns: ['type', 'name'],
    filter: "type IN ('table', 'view')",
    sql: "SELECT type, name, sql LIKE 'CREATE VIRTUAL TABLE%' AS virtual FROM sqlite_master WHERE type IN ('table', 'view')",
    row: tableRow,
  });
  return new Map(rows.map((r) => [r.name, r.type === 'view' ? 'view' : r.virtual === 1 ? 'virtual' : 'table'] as const));
}

/** Refuses a table that is not a plain stored table, or has a column SQLite computes (generated) or hides: those run code of the file's choosing on every read. */
function checkTable(db: Database.Database, where: string, budget: Budget, kinds: ReadonlyMap<string, string>, table: string): void {
  const kind = kinds.get(table);
  if (kind === undefined) throw new FerryError('INVALID_MANIFEST', `${where}: table ${table} is missing; this is not an opm index database`, { table });
  if (kind !== 'table') throw new FerryError('INVALID_MANIFEST', `${where}: ${table} is a ${kind}, not a table; only stored tables of an index database are read`, { table });
  const columns = readTable(db, where, budget, { table: `pragma_table_xinfo('${table}')`, columns: ['name'], sql: `SELECT name, hidden FROM pragma_table_xinfo('${table}')`, row: columnRow });
  const computed = columns.find((c) => c.hidden !== 0);
  if (computed)
    throw new FerryError('INVALID_MANIFEST', `${where}: table ${table}: column ${computed.name} is generated or hidden; only stored columns of an index database are read`, {
      table,
      column: computed.name,
    });
}

/**
 * The APIs older databases list in api_provider or api_requirer (with the
 * api table) instead of properties/dependencies: rows of the api table with
 * the bundle that provides or requires them, as operator-registry's
 * GetApisForEntry read them before migration 009. Before migration 006 the
 * rows name a channel entry, not a bundle.
 */
function apiRows(db: Database.Database, where: string, budget: Budget, kinds: ReadonlyMap<string, string>, table: 'api_provider' | 'api_requirer'): Array<z.infer<typeof apiRow>> {
  if (!kinds.has(table) || !kinds.has('api')) return [];
  checkTable(db, where, budget, kinds, table);
  checkTable(db, where, budget, kinds, 'api');
  const columns = new Set(
    readTable(db, where, budget, { table: `pragma_table_xinfo('${table}')`, columns: ['name'], sql: `SELECT name, hidden FROM pragma_table_xinfo('${table}')`, row: columnRow }).map((c) => c.name),
  );
  const gvk = `api.group_name = t.group_name AND api.version = t.version AND api.kind = t.kind`;
  const sql = columns.has('operatorbundle_name')
    ? `SELECT DISTINCT api.group_name, api.version, api.kind, t.operatorbundle_name FROM ${table} t INNER JOIN api ON ${gvk} ORDER BY t.operatorbundle_name, api.group_name, api.version, api.kind`
    : columns.has('channel_entry_id')
      ? `SELECT DISTINCT api.group_name, api.version, api.kind, e.operatorbundle_name FROM ${table} t INNER JOIN api ON ${gvk} INNER JOIN channel_entry e ON e.entry_id = t.channel_entry_id ORDER BY e.operatorbundle_name, api.group_name, api.version, api.kind`
      : undefined;
  if (sql === undefined) throw new FerryError('INVALID_MANIFEST', `${where}: table ${table} names neither a bundle nor a channel entry`, { table });
  const apiColumns = ['group_name', 'version', 'kind'];
  return readTable(db, where, budget, { table, columns: [...apiColumns, ...(columns.has('operatorbundle_name') ? ['operatorbundle_name'] : [])], sql, row: apiRow });
}

/** The property types this reader uses; others (olm.bundle.object holds whole manifests) are never loaded. */
const READ_PROPERTIES = "type IN ('olm.package', 'olm.gvk', 'olm.deprecated')";
const READ_DEPENDENCIES = "type IN ('olm.package', 'olm.gvk')";

/** Adds the APIs of api_provider/api_requirer rows as `type` properties, each only once and only where no property already names it. */
function addApis(props: Array<{ type: string; value: unknown }>, type: 'olm.gvk' | 'olm.gvk.required', rows: ReadonlyArray<z.infer<typeof apiRow>>): void {
  const key = (g: { group: string; version: string; kind: string }): string => `${g.group}/${g.version}/${g.kind}`;
  const seen = new Set(
    props.flatMap((p) => {
      const gvk = p.type === type ? gvkValue.safeParse(p.value) : undefined;
      return gvk?.success === true ? [key(gvk.data)] : [];
    }),
  );
  for (const r of rows) {
    const gvk = { group: r.group_name, version: r.version, kind: r.kind };
    if (seen.has(key(gvk))) continue;
    seen.add(key(gvk));
    props.push({ type, value: gvk });
  }
}

/** Reads an opened index database into FBC objects (olm.package, olm.channel, olm.bundle). */
function objectsOf(db: Database.Database, where: string, limits: IndexDatabaseLimits): unknown[] {
  const budget: Budget = { limits, bytes: 0 };
  const tables = schemaObjects(db, where, budget);
  for (const table of ['package', 'channel_entry', 'operatorbundle', 'related_image']) checkTable(db, where, budget, tables, table);
  for (const table of ['properties', 'dependencies', 'deprecated']) if (tables.has(table)) checkTable(db, where, budget, tables, table);
  const packages = readTable(db, where, budget, { table: 'package', columns: ['name', 'default_channel'], sql: 'SELECT name, default_channel FROM package ORDER BY name', row: packageRow });
  const bundles = readTable(db, where, budget, {
    table: 'operatorbundle',
    columns: ['name', 'bundlepath', 'version', 'skiprange', 'replaces', 'skips'],
    sql: 'SELECT name, bundlepath, version, skiprange, replaces, skips FROM operatorbundle ORDER BY name',
    row: bundleRow,
  });
  const entries = readTable(db, where, budget, {
    table: 'channel_entry',
    columns: ['package_name', 'channel_name', 'operatorbundle_name'],
    sql: 'SELECT DISTINCT package_name, channel_name, operatorbundle_name FROM channel_entry WHERE operatorbundle_name IN (SELECT name FROM operatorbundle) ORDER BY package_name, channel_name, operatorbundle_name',
    row: entryRow,
  });
  const images = readTable(db, where, budget, {
    table: 'related_image',
    columns: ['image', 'operatorbundle_name'],
    sql: 'SELECT DISTINCT image, operatorbundle_name FROM related_image ORDER BY operatorbundle_name, image',
    row: imageRow,
  });
  const properties = tables.has('properties')
    ? readTable(db, where, budget, {
        table: 'properties',
        columns: ['type', 'value', 'operatorbundle_name'],
        filter: READ_PROPERTIES,
        sql: `SELECT DISTINCT type, value, operatorbundle_name FROM properties WHERE ${READ_PROPERTIES} ORDER BY operatorbundle_name, type, value`,
        row: propertyRow,
      })
    : [];
  const dependencies = tables.has('dependencies')
    ? readTable(db, where, budget, {
        table: 'dependencies',
        columns: ['type', 'value', 'operatorbundle_name'],
        filter: READ_DEPENDENCIES,
        sql: `SELECT DISTINCT type, value, operatorbundle_name FROM dependencies WHERE ${READ_DEPENDENCIES} ORDER BY operatorbundle_name, type, value`,
        row: propertyRow,
      })
    : [];
  const deprecated = new Set([
    ...properties.filter((p) => p.type === 'olm.deprecated').map((p) => p.operatorbundle_name),
    ...(tables.has('deprecated')
      ? readTable(db, where, budget, {
          table: 'deprecated',
          columns: ['operatorbundle_name'],
          sql: 'SELECT operatorbundle_name FROM deprecated',
          row: z.object({ operatorbundle_name: z.string() }),
        }).map((r) => r.operatorbundle_name)
      : []),
  ]);
  const providedApis = apiRows(db, where, budget, tables, 'api_provider');
  const requiredApis = apiRows(db, where, budget, tables, 'api_requirer');

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
  const providedApisOf = group(providedApis);
  const requiredApisOf = group(requiredApis);

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
    // Older databases list APIs only in api_provider/api_requirer; opm's conversion adds each once (pkg/api/api_to_model.go).
    addApis(props, 'olm.gvk', providedApisOf.get(name) ?? []);
    addApis(props, 'olm.gvk.required', requiredApisOf.get(name) ?? []);
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
export function readIndexDatabase(file: string, where: string, limits: IndexDatabaseLimits = INDEX_DATABASE_LIMITS): unknown[] {
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
    return objectsOf(db, where, limits);
  } finally {
    db.close();
  }
}
