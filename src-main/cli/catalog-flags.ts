/**
 * The `--catalog FILE` flag and opening the catalog it names, shared by every
 * command that records its work or reads what was recorded.
 */
import { openCatalog, type Catalog } from '../usecases/catalog.ts';
import type { FlagSpec, ParsedArgs } from './args.ts';

/** The flag, for command specs. */
export const catalogFlag: Record<string, FlagSpec> = {
  catalog: { type: 'string', value: 'FILE', description: 'the SQLite catalog (default: FERRY_CATALOG, else ~/.local/share/ferry/catalog.sqlite)' },
};

/** Runs `body` with the catalog the flags name (or the default one), closed whatever happens. */
export async function withCatalog<T>(values: ParsedArgs['values'], body: (catalog: Catalog) => Promise<T>): Promise<T> {
  const path = values.catalog;
  const catalog = openCatalog(typeof path === 'string' ? path : undefined);
  try {
    return await body(catalog);
  } finally {
    catalog.close();
  }
}
