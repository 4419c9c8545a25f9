/**
 * Reads an operator catalog image into the one catalog model
 * (olm-dependencies.ts OlmCatalog), whatever its format:
 * - a file-based catalog under the root its
 *   `operators.operatorframework.io.index.configs.v1` label names (JSON and
 *   YAML files, olm-fbc.ts);
 * - an SQLite index image, its database where the
 *   `operators.operatorframework.io.index.database.v1` label says (default
 *   `/database/index.db`), streamed from the verified layer to a private
 *   temporary file and read with better-sqlite3 (olm-sqlite.ts).
 * Without either label, `/configs` is tried first, then the database.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reference } from '../../src-shared/model/oci.ts';
import { FerryError } from '../../src-shared/errors.ts';
import { formatReference } from '../oci/reference.ts';
import { foldImageFiles, readImageLabels, streamImageFile } from './image-files.ts';
import { readOlmCatalog, type OlmCatalog } from './olm-dependencies.ts';
import { normaliseRoot, packageFolderOf, parseCatalogFile } from './olm-fbc.ts';
import { DEFAULT_INDEX_DB, readIndexDatabase } from './olm-sqlite.ts';
import type { ResolveContext } from './types.ts';

/** The image label opm sets to the file-based catalog's root (operator-registry pkg/containertools). */
export const CONFIGS_LABEL = 'operators.operatorframework.io.index.configs.v1';
/** The image label opm sets to an SQLite index image's database path. */
export const DATABASE_LABEL = 'operators.operatorframework.io.index.database.v1';
const DEFAULT_CONFIGS_ROOT = 'configs';

/** A catalog image read: its packages, in which format, from where, and the package names it holds (for "known: …" in errors). */
export interface CatalogContent {
  catalog: OlmCatalog;
  format: 'file-based' | 'sqlite';
  /** The configs root or the database path inside the image. */
  location: string;
  /** Every package the image holds, including package folders not read. */
  known: Set<string>;
}

/**
 * Bytes a catalog image may make Ferry hold or write, whatever its layers
 * declare. An index database is written to a private temporary file: the cap
 * keeps a header declaring a huge file from filling the disk before the
 * digest check (real ones are some hundred MB). A file-based catalog is
 * parsed file by file, each reduced to the objects selection reads: the cap
 * bounds the JSON and YAML parsed in all (Red Hat's catalogs hold some
 * hundred MB, most of it bundle manifests that are dropped once parsed).
 */
export interface CatalogReadLimits {
  indexDatabaseBytes: number;
  fileBasedBytes: number;
}

/** The caps readCatalogImage applies unless told otherwise (tests pass smaller ones). */
export const CATALOG_READ_LIMITS: CatalogReadLimits = { indexDatabaseBytes: 4 * 1024 * 1024 * 1024, fileBasedBytes: 2 * 1024 * 1024 * 1024 };

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The property types readOlmCatalog reads; a bundle's others (olm.bundle.object holds whole manifests) are dropped as soon as the file is parsed. */
const READ_PROPERTIES = new Set(['olm.package', 'olm.gvk', 'olm.package.required', 'olm.gvk.required']);
const READ_SCHEMAS = new Set(['olm.package', 'olm.channel', 'olm.bundle']);

/** One parsed catalog object reduced to what readOlmCatalog reads: objects of other schemas go, a bundle keeps only the properties read. */
function slimObject(value: unknown): unknown[] {
  const object = record(value);
  if (!object || typeof object.schema !== 'string' || !READ_SCHEMAS.has(object.schema)) return [];
  if (object.schema !== 'olm.bundle' || !Array.isArray(object.properties)) return [object];
  return [
    {
      ...object,
      properties: object.properties.filter((p) => {
        const type = record(p)?.type;
        return typeof type !== 'string' || READ_PROPERTIES.has(type);
      }),
    },
  ];
}

function label(labels: Record<string, string>, name: string): string | undefined {
  const value = labels[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Reads the package folders `wanted` accepts (all when undefined) under
 * `root`, each file parsed and reduced as soon as it is read; `sawDatabase`
 * learns whether the image holds the default database.
 */
async function readFileBased(
  context: ResolveContext,
  catalog: Reference,
  subject: string,
  root: string,
  wanted: ReadonlySet<string> | undefined,
  limits: CatalogReadLimits,
): Promise<{ content: CatalogContent; sawDatabase: boolean; files: number }> {
  const folders = new Set<string>();
  let sawDatabase = false;
  let total = 0;
  const files = await foldImageFiles(
    context.registries,
    catalog,
    (path) => {
      if (path === DEFAULT_INDEX_DB) sawDatabase = true;
      const folder = packageFolderOf(root, path);
      if (folder === undefined) return false;
      folders.add(folder);
      return wanted === undefined || wanted.has(folder);
    },
    (path, bytes) => {
      total += bytes.length;
      if (total > limits.fileBasedBytes)
        throw new FerryError('INVALID_MANIFEST', `${subject}: the file-based catalog at /${root} holds more than ${limits.fileBasedBytes} bytes (at ${path})`, { path, limit: limits.fileBasedBytes });
      return parseCatalogFile(bytes, `${subject}: ${path}`).flatMap(slimObject);
    },
    context.signal ? { signal: context.signal } : {},
  );
  const objects = [...files.entries()].sort(([a], [b]) => a.localeCompare(b)).flatMap(([, parsed]) => parsed);
  const catalogModel = readOlmCatalog(objects, `${subject}: /${root}`);
  return { content: { catalog: catalogModel, format: 'file-based', location: `/${root}`, known: new Set([...folders, ...catalogModel.keys()]) }, sawDatabase, files: folders.size };
}

/** Streams the index database to a private temporary file, reads it, and removes the file. */
async function readSqlite(context: ResolveContext, catalog: Reference, subject: string, path: string, limits: CatalogReadLimits): Promise<CatalogContent> {
  const where = `${subject}: /${path}`;
  const dir = await mkdtemp(join(context.staging ?? tmpdir(), 'ferry-index-db-'));
  try {
    const file = join(dir, 'index.db');
    const handle = await open(file, 'wx', 0o600);
    let written = 0;
    try {
      await streamImageFile(
        context.registries,
        catalog,
        path,
        async (chunk) => {
          written += chunk.length;
          if (written > limits.indexDatabaseBytes)
            throw new FerryError('INVALID_MANIFEST', `${where}: the index database is larger than ${limits.indexDatabaseBytes} bytes`, { path, limit: limits.indexDatabaseBytes });
          await handle.write(chunk);
        },
        context.signal ? { signal: context.signal } : {},
      );
    } finally {
      await handle.close();
    }
    // Only now, with the whole layer matched against its digest, is the file opened.
    const catalogModel = readOlmCatalog(readIndexDatabase(file, where), where);
    return { catalog: catalogModel, format: 'sqlite', location: `/${path}`, known: new Set(catalogModel.keys()) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reads a catalog image pinned by digest; `subject` names it in errors (the
 * reference as the image set gives it). `wanted` limits a file-based
 * catalog to those package folders (the others are listed, not read); an
 * index database is always read whole. `limits` caps the bytes read.
 */
export async function readCatalogImage(
  context: ResolveContext,
  catalog: Reference,
  subject: string,
  wanted: ReadonlySet<string> | undefined,
  limits: CatalogReadLimits = CATALOG_READ_LIMITS,
): Promise<CatalogContent> {
  const labels = await readImageLabels(context.registries, catalog, context.signal ? { signal: context.signal } : {});
  const configs = label(labels, CONFIGS_LABEL);
  if (configs !== undefined) return (await readFileBased(context, catalog, subject, normaliseRoot(configs), wanted, limits)).content;
  const database = label(labels, DATABASE_LABEL);
  if (database !== undefined) return readSqlite(context, catalog, subject, normaliseRoot(database), limits);
  const fbc = await readFileBased(context, catalog, subject, DEFAULT_CONFIGS_ROOT, wanted, limits);
  if (fbc.files > 0) return fbc.content;
  if (fbc.sawDatabase) return readSqlite(context, catalog, subject, DEFAULT_INDEX_DB, limits);
  throw new FerryError('INVALID_MANIFEST', `${subject} is not an operator catalog: no ${CONFIGS_LABEL} or ${DATABASE_LABEL} label, no /configs files and no /${DEFAULT_INDEX_DB}`, {
    reference: formatReference(catalog),
  });
}
