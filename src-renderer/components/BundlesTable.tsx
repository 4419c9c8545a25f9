/** The catalog's bundles as a table, shared by the start and catalog screens; virtualised past 50 rows. */
import type { CatalogBundle } from '../stores/catalog-store.ts';
import { formatBytes } from '../../src-shared/units.ts';
import { VirtualTable, type VirtualColumn } from './VirtualTable.tsx';

const COLUMNS: VirtualColumn<CatalogBundle>[] = [
  { key: 'id', header: 'Bundle', className: 'mono', cell: (b) => b.id.slice(0, 12), title: (b) => b.id },
  { key: 'direction', header: 'Direction', cell: (b) => b.direction },
  { key: 'form', header: 'Form', cell: (b) => b.form },
  { key: 'created', header: 'Created', cell: (b) => b.created },
  { key: 'images', header: 'Images', className: 'num', cell: (b) => b.images },
  { key: 'size', header: 'Size', className: 'num', cell: (b) => formatBytes(b.bytes) },
  { key: 'path', header: 'Path', className: 'mono', cell: (b) => b.path, title: (b) => b.path },
];

/** Bundles with their id, direction, form, date, images and size. */
export function BundlesTable({ bundles, caption }: { bundles: CatalogBundle[]; caption: string }) {
  if (bundles.length === 0) return <p>No bundles yet.</p>;
  return <VirtualTable caption={caption} label={`${caption}, scrollable`} columns={COLUMNS} rows={bundles} rowKey={(b, i) => `${b.id}-${b.direction}-${i}`} />;
}
