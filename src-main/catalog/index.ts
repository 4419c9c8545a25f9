/**
 * The catalog's public surface: export, import, the CLI and the app import
 * from here, never from the parts.
 */
export { Catalog, defaultCatalogPath } from './catalog.ts';
export { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
export { SECRET_KEY } from './sanitise.ts';
export type * from './types.ts';
