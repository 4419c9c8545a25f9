/**
 * The `--catalog FILE` flag and opening the catalog it names, shared by every
 * command that records its work or reads what was recorded.
 */
import { Catalog, defaultCatalogPath } from '../catalog/index.ts';
import type { FlagSpec, ParsedArgs } from './args.ts';

/** The flag, for command specs. */
export const catalogFlag: Record<string, FlagSpec> = {
  catalog: { type: 'string', value: 'FILE', description: 'the SQLite catalog (default: FERRY_CATALOG, else ~/.local/share/ferry/catalog.sqlite)' },
};

/** Opens the catalog the flags name (or the default one). */
export function openCatalog(values: ParsedArgs['values']): Catalog {
  const path = values.catalog;
  return Catalog.open(typeof path === 'string' ? path : defaultCatalogPath());
}
