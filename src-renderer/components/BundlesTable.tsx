/** The catalog's bundles as a table, shared by the start and catalog screens; virtualised past 50 rows. */
import type { CatalogBundle } from '../stores/catalog-store.ts';
import { formatBytes } from '../../src-shared/units.ts';
import { VirtualTable, type VirtualColumn } from './VirtualTable.tsx';

const text = (value: unknown): string => (value === null || value === undefined ? '—' : String(value));

const COLUMNS: VirtualColumn<CatalogBundle>[] = [
  { key: 'id', header: 'Bundle', className: 'mono', cell: (b) => text(b.id).slice(0, 12), title: (b) => text(b.id) },
  { key: 'direction', header: 'Direction', cell: (b) => text(b.direction) },
  { key: 'form', header: 'Form', cell: (b) => text(b.form) },
  { key: 'created', header: 'Created', cell: (b) => text(b.created) },
  { key: 'images', header: 'Images', className: 'num', cell: (b) => text(b.images) },
  { key: 'size', header: 'Size', className: 'num', cell: (b) => (typeof b.bytes === 'number' ? formatBytes(b.bytes) : '—') },
  { key: 'path', header: 'Path', className: 'mono', cell: (b) => text(b.path), title: (b) => text(b.path) },
];

/** Bundles with their id, direction, form, date, images and size. */
export function BundlesTable({ bundles, caption }: { bundles: CatalogBundle[]; caption: string }) {
  if (bundles.length === 0) return <p>No bundles yet.</p>;
  return <VirtualTable caption={caption} label={`${caption}, scrollable`} columns={COLUMNS} rows={bundles} rowKey={(b, i) => `${text(b.id)}-${text(b.direction)}-${i}`} />;
}
