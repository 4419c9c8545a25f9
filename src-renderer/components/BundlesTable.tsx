/** The catalog's bundles as a table, shared by the start and catalog screens; virtualised past 50 rows. */
import type { CatalogBundle } from '../stores/catalog-store.ts';
import { formatBytes, formatFullTime, formatLocalTime } from '../format.ts';
import { VirtualTable, type VirtualColumn } from './VirtualTable.tsx';

/** A bundle id as tables show it: its first 12 characters (the search takes any prefix). */
export function shortBundleId(id: string): string {
  return id.slice(0, 12);
}

/** What happened to the bundle on this machine, in words. */
export function eventWord(direction: CatalogBundle['direction']): string {
  return direction === 'export' ? 'Exported' : 'Imported';
}

function columns(onOpen: ((id: string) => void) | undefined): VirtualColumn<CatalogBundle>[] {
  return [
    {
      key: 'id',
      header: 'Bundle',
      className: 'mono',
      cell: (b) =>
        onOpen ? (
          <button type="button" className="link" aria-label={`Open bundle ${shortBundleId(b.id)}`} onClick={() => onOpen(b.id)}>
            {shortBundleId(b.id)}
          </button>
        ) : (
          shortBundleId(b.id)
        ),
      title: (b) => b.id,
    },
    { key: 'event', header: 'Event', cell: (b) => (b.site ? `${eventWord(b.direction)} for ${b.site}` : eventWord(b.direction)) },
    { key: 'form', header: 'Form', cell: (b) => (b.form === 'archive' ? 'Archive' : 'Folder') },
    { key: 'created', header: 'Created', cell: (b) => formatLocalTime(b.created), title: (b) => formatFullTime(b.created) },
    { key: 'images', header: 'Images', className: 'num', cell: (b) => b.images.toLocaleString() },
    { key: 'size', header: 'Size', className: 'num', cell: (b) => formatBytes(b.bytes) },
    { key: 'path', header: 'Path', className: 'mono', cell: (b) => b.path, title: (b) => b.path },
  ];
}

/** Bundles with their id (a button that opens the bundle, when `onOpen` is given), event, form, date, images and size. */
export function BundlesTable({ bundles, caption, onOpen, empty = 'No bundles yet.' }: { bundles: CatalogBundle[]; caption: string; onOpen?: (id: string) => void; empty?: string }) {
  if (bundles.length === 0) return <p>{empty}</p>;
  return <VirtualTable caption={caption} label={`${caption}, scrollable`} columns={columns(onOpen)} rows={bundles} rowKey={(b, i) => `${b.id}-${b.direction}-${i}`} />;
}
