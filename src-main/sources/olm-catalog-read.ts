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
import { parsePlatform, platformMatches } from '../oci/platform.ts';
import { formatReference, manifestIdentifier } from '../oci/reference.ts';
import { readBlobToBuffer } from '../oci/registry/blobs.ts';
import { getManifest } from '../oci/registry/manifests.ts';
import { readImageFiles, streamImageFile } from './image-files.ts';
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

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The image config's labels; of an index, the linux/amd64 manifest's (else the first), the one whose files are read. */
async function imageLabels(context: ResolveContext, catalog: Reference): Promise<Record<string, unknown>> {
  const client = await context.registries.client(catalog.registry);
  const options = context.signal ? { signal: context.signal } : {};
  let manifest = await getManifest(client, catalog.repository, manifestIdentifier(catalog), options);
  if (manifest.kind === 'index') {
    const amd64 = parsePlatform('linux/amd64');
    const entry = manifest.index.manifests.find((d) => platformMatches(d.platform, amd64)) ?? manifest.index.manifests[0];
    if (!entry) return {};
    manifest = await getManifest(client, catalog.repository, entry.digest, options);
  }
  if (manifest.kind !== 'image') return {};
  const bytes = await readBlobToBuffer(client, catalog.repository, manifest.manifest.config, context.signal);
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new FerryError('INVALID_MANIFEST', `${formatReference(catalog)}: the image config is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return record(record(record(config)?.config)?.Labels) ?? {};
}

function label(labels: Record<string, unknown>, name: string): string | undefined {
  const value = labels[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Reads the package folders `wanted` accepts (all when undefined) under `root`; `sawDatabase` learns whether the image holds the default database. */
async function readFileBased(
  context: ResolveContext,
  catalog: Reference,
  subject: string,
  root: string,
  wanted: ReadonlySet<string> | undefined,
): Promise<{ content: CatalogContent; sawDatabase: boolean; files: number }> {
  const folders = new Set<string>();
  let sawDatabase = false;
  const files = await readImageFiles(
    context.registries,
    catalog,
    (path) => {
      if (path === DEFAULT_INDEX_DB) sawDatabase = true;
      const folder = packageFolderOf(root, path);
      if (folder === undefined) return false;
      folders.add(folder);
      return wanted === undefined || wanted.has(folder);
    },
    context.signal ? { signal: context.signal } : {},
  );
  const objects = [...files.entries()].sort(([a], [b]) => a.localeCompare(b)).flatMap(([path, bytes]) => parseCatalogFile(bytes, `${subject}: ${path}`));
  const catalogModel = readOlmCatalog(objects, `${subject}: /${root}`);
  return { content: { catalog: catalogModel, format: 'file-based', location: `/${root}`, known: new Set([...folders, ...catalogModel.keys()]) }, sawDatabase, files: folders.size };
}

/** Streams the index database to a private temporary file, reads it, and removes the file. */
async function readSqlite(context: ResolveContext, catalog: Reference, subject: string, path: string): Promise<CatalogContent> {
  const where = `${subject}: /${path}`;
  const dir = await mkdtemp(join(context.staging ?? tmpdir(), 'ferry-index-db-'));
  try {
    const file = join(dir, 'index.db');
    const handle = await open(file, 'wx', 0o600);
    try {
      await streamImageFile(
        context.registries,
        catalog,
        path,
        async (chunk) => {
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
 * index database is always read whole.
 */
export async function readCatalogImage(context: ResolveContext, catalog: Reference, subject: string, wanted: ReadonlySet<string> | undefined): Promise<CatalogContent> {
  const labels = await imageLabels(context, catalog);
  const configs = label(labels, CONFIGS_LABEL);
  if (configs !== undefined) return (await readFileBased(context, catalog, subject, normaliseRoot(configs), wanted)).content;
  const database = label(labels, DATABASE_LABEL);
  if (database !== undefined) return readSqlite(context, catalog, subject, normaliseRoot(database));
  const fbc = await readFileBased(context, catalog, subject, DEFAULT_CONFIGS_ROOT, wanted);
  if (fbc.files > 0) return fbc.content;
  if (fbc.sawDatabase) return readSqlite(context, catalog, subject, DEFAULT_INDEX_DB);
  throw new FerryError('INVALID_MANIFEST', `${subject} is not an operator catalog: no ${CONFIGS_LABEL} or ${DATABASE_LABEL} label, no /configs files and no /${DEFAULT_INDEX_DB}`, {
    reference: formatReference(catalog),
  });
}
